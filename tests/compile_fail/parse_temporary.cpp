// parse_call_info() returns views into its argument: a temporary std::string
// would be destroyed before the view is read, so that call must not compile.
#include <callinfo/syntax/call_info.hpp>

#include <string>

int main() {
#ifdef CALLINFO_COMPILE_FAIL
  auto const r = callinfo::parse_call_info(std::string("<sip:bob@example.com>;appearance-index=1"));
#else
  std::string const text = "<sip:bob@example.com>;appearance-index=1";
  auto const r = callinfo::parse_call_info(text);
#endif
  return r ? 0 : 1;
}
