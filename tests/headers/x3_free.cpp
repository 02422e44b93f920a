// The headers that a stack includes to keep state and build messages must
// not pull in Spirit X3 (about 1 s and 275 MB per TU with gcc 12): only the
// parse_* headers (and the umbrella) may.
#include <callinfo/write/call_info.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/write/notify.hpp>
#include <callinfo/write/response.hpp>
#include <callinfo/write/subscription_state.hpp>
#include <callinfo/error.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/line/line_state.hpp>
#include <callinfo/line/transitions.hpp>
#include <callinfo/model/appearance_index.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/model/substate.hpp>
#include <callinfo/policy/authorizer.hpp>
#include <callinfo/policy/clock.hpp>
#include <callinfo/policy/dialect.hpp>
#include <callinfo/policy/ids.hpp>
#include <callinfo/policy/limits.hpp>
#include <callinfo/policy/storage.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/presence/events.hpp>
#include <callinfo/policy/bundles.hpp>
#include <callinfo/presence/sdp_hold.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/presence/snapshot.hpp>
#include <callinfo/result.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/call_info_view.hpp>
#include <callinfo/syntax/params.hpp>

#if defined(BOOST_SPIRIT_X3_MARCH_04_2007_0852PM) || defined(BOOST_SPIRIT_X3_RULE_JAN_08_2012_0326PM)
#error "a state or builder header includes Spirit X3"
#endif
