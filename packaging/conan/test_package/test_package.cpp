#include <callinfo/callinfo.hpp>

#include <cstdio>
#include <string>
#include <string_view>

int main() {
  std::string_view const value = "<sip:bob@example.com>;appearance-index=1;appearance-state=active";
  auto const ci = callinfo::parse_call_info(value);
  if (!ci) {
    std::fputs(callinfo::render(ci.error(), value).c_str(), stderr);
    return 1;
  }
  std::string out;
  callinfo::string_sink sink(out);
  callinfo::print(*ci, sink);
  std::printf("callinfo %s: %s\n", callinfo::version_string, out.c_str());
  return out == value ? 0 : 1;
}
