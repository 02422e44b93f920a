// Every parser refuses a temporary std::string (parse_event here; the others
// share the declaration pattern).
#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/etag.hpp>
#include <callinfo/syntax/event.hpp>
#include <callinfo/syntax/subscription_state.hpp>

#include <string>

std::string make() { return "call-info;id=7"; }

int main() {
#ifdef CALLINFO_COMPILE_FAIL
  auto const r = callinfo::parse_event(make());
#else
  std::string const text = make();
  auto const r = callinfo::parse_event(text);
  // String literals and string_views still work.
  (void)callinfo::parse_expires("60");
  (void)callinfo::parse_sip_if_match(std::string_view("abc"));
  (void)callinfo::parse_subscription_state("active");
#endif
  return r ? 0 : 1;
}
