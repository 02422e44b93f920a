// The presence server's request fields borrow the caller's text for one
// call: assigning a temporary std::string must not compile.
#include <callinfo/presence/events.hpp>

#include <string>

int main() {
  std::string const uri = "sip:bob@example.com";
  callinfo::subscribe_request r;
  callinfo::publish_request p;
#ifdef CALLINFO_COMPILE_FAIL
  r.line = uri.substr(0);  // a temporary
  p.if_match = std::string("etag");
#else
  r.line = uri;
  r.watcher = "sip:alice@example.com";
  p.if_match = std::string_view("etag");
#endif
  return r.line.size() == uri.size() && p.if_match ? 0 : 1;
}
