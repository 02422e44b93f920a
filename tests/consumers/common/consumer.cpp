// callinfo — the program every consumer project builds against an installed
// (or subproject) callinfo: parses a Call-Info header, has a watcher
// SUBSCRIBE to bob's line, PUBLISHes the parsed state through basic_server and
// writes the NOTIFY the watcher gets with write_notify_headers. Prints the
// NOTIFY headers; exits 1 when anything differs from what the library
// documents.
//
// CALLINFO_PACKAGE_VERSION, when defined, is the version the build system's
// package metadata reported (CMake's callinfo_VERSION, pkg-config
// --modversion, meson's dependency version): it must equal the headers'.
#include <callinfo/callinfo.hpp>

#include <cstdio>
#include <string>
#include <string_view>
#include <variant>

namespace {

int failures = 0;

void expect(bool ok, char const* what) {
  if (!ok) {
    std::fprintf(stderr, "consumer: FAILED: %s\n", what);
    ++failures;
  }
}

struct notify_writer {
  std::string* out;
  int* notifies;
  int* responses;
  void operator()(callinfo::effect const& e) const {
    if (auto const* r = std::get_if<callinfo::response>(&e)) {
      expect(r->code == 200, "the server answers 200");
      ++*responses;
    } else if (auto const* n = std::get_if<callinfo::notify>(&e)) {
      out->clear();
      callinfo::string_sink sink(*out);
      expect(callinfo::write_notify_headers(*n, sink) == callinfo::build_errc::ok,
             "write_notify_headers succeeds");
      ++*notifies;
    }
  }
};

}  // namespace

int main() {
#ifdef CALLINFO_PACKAGE_VERSION
  expect(std::string_view(CALLINFO_PACKAGE_VERSION) == callinfo::version_string,
         "package metadata version == CALLINFO_VERSION_STRING");
#endif
  std::printf("callinfo %s\n", callinfo::version_string);

  // 1. Parse the Call-Info header a phone sent.
  std::string_view const header = "<sip:bob@example.com>;appearance-index=1;appearance-state=active";
  auto const ci = callinfo::parse_call_info(header);
  if (!ci) {
    std::fprintf(stderr, "%s", callinfo::render(ci.error(), header).c_str());
    return 1;
  }
  int appearances = 0;
  for (callinfo::call_info_entry_view const& entry : *ci)
    for (callinfo::appearance_view const& a : entry.appearances()) {
      expect(entry.uri == "sip:bob@example.com", "entry URI");
      expect(a.index == callinfo::appearance_index(1), "appearance-index=1");
      expect(a.state() == callinfo::appearance_state::active, "appearance-state=active");
      ++appearances;
    }
  expect(appearances == 1, "one appearance");

  // 2. A watcher subscribes to bob's line, 3. the parsed state is PUBLISHed.
  callinfo::basic_server<callinfo::test_policies> server;
  std::string block;
  int notifies = 0, responses = 0;
  notify_writer const writer{&block, &notifies, &responses};

  callinfo::subscribe_request sub;
  sub.event = callinfo::event_package::call_info;
  sub.line = "sip:bob@example.com";
  sub.watcher = "sip:alice@example.com";
  sub.expires = 3600;
  server.on_subscribe(sub, writer);
  expect(responses == 1 && notifies == 1, "SUBSCRIBE: a response and the initial NOTIFY");

  callinfo::publish_request pub;
  pub.line = "sip:bob@example.com";
  callinfo::call_info_updates reader;
  expect(!reader.read(*ci), "the Call-Info adapter reads the PUBLISH");
  pub.appearances = reader.updates();
  server.on_publish(pub, writer);
  expect(responses == 2 && notifies == 2, "PUBLISH: a response and a NOTIFY to the watcher");

  std::string_view const expected =
      "Event: call-info\r\n"
      "Subscription-State: active;expires=3600\r\n"
      "Call-Info: <sip:bob@example.com>;appearance-index=1;appearance-state=active;"
      "appearance-index=*;appearance-state=idle\r\n"
      "Content-Length: 0\r\n";
  std::fputs(block.c_str(), stdout);
  expect(block == expected, "the NOTIFY headers are the documented ones");

  // 4. What was written parses back.
  std::string_view const written = block;
  auto const call_info_line = written.find("Call-Info: ");
  if (call_info_line != std::string_view::npos) {
    std::string_view value = written.substr(call_info_line + 11);
    value = value.substr(0, value.find("\r\n"));
    expect(callinfo::parse_call_info(value).has_value(), "the NOTIFY's Call-Info parses");
  }

  std::printf("%s\n", failures == 0 ? "consumer: OK" : "consumer: MISMATCH");
  return failures == 0 ? 0 : 1;
}
