// callinfo — separate compilation: include in exactly one TU built with
// CALLINFO_SEPARATE_COMPILATION defined (as every TU using the library must).
#pragma once

#ifndef CALLINFO_SEPARATE_COMPILATION
#error "Define CALLINFO_SEPARATE_COMPILATION to use <callinfo/src.hpp>"
#endif

#include <callinfo/syntax/impl/call_info.ipp>
#include <callinfo/syntax/impl/delta_seconds.ipp>
#include <callinfo/syntax/impl/etag.ipp>
#include <callinfo/syntax/impl/event.ipp>
#include <callinfo/syntax/impl/subscription_state.ipp>
