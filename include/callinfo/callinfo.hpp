// callinfo — umbrella header: everything public.
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/error.hpp>
#include <callinfo/limits.hpp>
#include <callinfo/model/appearance_index.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/result.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/etag.hpp>
#include <callinfo/syntax/event.hpp>
#include <callinfo/syntax/params.hpp>
#include <callinfo/syntax/subscription_state.hpp>
#include <callinfo/version.hpp>
