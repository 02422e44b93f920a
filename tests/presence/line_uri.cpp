// model/line_uri.hpp: line_is_writable(), the one rule for which line URIs
// the presence server takes, against the character table on all 256 bytes
// and the builders' absoluteURI check; and the server refusing, for every
// stack, a SUBSCRIBE or PUBLISH whose line no NOTIFY could carry.
#include "support.hpp"

#include <callinfo/model/line_uri.hpp>
#include <callinfo/syntax/detail/chars.hpp>
#include <callinfo/write/detail/writer.hpp>

#include <string>
#include <string_view>

using namespace callinfo;
using namespace callinfo::test;

namespace {

// Lines a stack may hand over, each with whether a NOTIFY can carry it.
struct line_case {
  std::string_view uri;
  bool writable;
};
constexpr line_case line_cases[] = {
    {"sip:bob@example.com", true},
    {"sips:bob@example.com:5061;transport=tls", true},
    {"tel:+15551234567", true},  // an absoluteURI; whether the stack serves tel: is its call (416)
    {"sip:b%C3%B8@example.com", true},
    {"sip:[2001:db8::1]", true},
    {"", false},
    {"sip:", false},
    {"bob@example.com", false},  // no scheme
    {"1sip:bob@example.com", false},
    {"sip:b\xc3\xb8@example.com", false},  // UTF-8 "ø" unescaped
    {"sip:bob@exa mple.com", false},
    {"sip:bob@example.com\r\nX: y", false},
    {"sip:<bob>@example.com", false},
    {"sip:\"bob\"@example.com", false},
    {"sip:bob%4@example.com", false},
    {"sip:bob%zz@example.com", false},
    {"sip:bob@example.com%", false},
    {std::string_view("sip:bob@\0example.com", 20), false},
};

}  // namespace

TEST_CASE("model/line_uri.hpp's byte classes agree with the uric and scheme tables on all 256 bytes") {
  namespace d = callinfo::detail;
  for (int b = 0; b < 256; ++b) {
    char const c = static_cast<char>(b);
    CHECK_MESSAGE(d::is_uric_byte(c) == d::is(c, d::cc_uric), "byte " << b);
    CHECK_MESSAGE(d::is_scheme_byte(c) == d::is(c, d::cc_scheme), "byte " << b);
    CHECK_MESSAGE(d::is_uri_alpha(c) == d::is(c, d::cc_alpha), "byte " << b);
    CHECK_MESSAGE(d::is_uri_hex(c) == d::is(c, d::cc_hex), "byte " << b);
  }
}

TEST_CASE("line_is_writable() is the builders' absoluteURI rule") {
  for (line_case const& c : line_cases) {
    CAPTURE(c.uri);
    CHECK(line_is_writable(c.uri) == c.writable);
    CHECK(callinfo::detail::is_absolute_uri(c.uri) == c.writable);
  }
  // Every byte in the user part: both rules say the same.
  for (int b = 0; b < 256; ++b) {
    std::string u = "sip:b?b@example.com";
    u[5] = static_cast<char>(b);
    CAPTURE(b);
    CHECK(line_is_writable(u) == callinfo::detail::is_absolute_uri(u));
  }
  static_assert(line_is_writable("sip:bob@example.com") && !line_is_writable("sip:b b"));
}

TEST_CASE("a SUBSCRIBE whose line no NOTIFY could carry is 400 Bad Line URI, and nothing is kept") {
  for (line_case const& c : line_cases) {
    if (c.writable) continue;
    CAPTURE(c.uri);
    for (event_package e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared}) {
      harness<> h;
      subscribe_request r = harness<>::subscribe_of(e, "sip:w@example.com", c.uri);
      r.event_id = "7";
      auto const& fx = h.subscribe(r);
      REQUIRE(fx.size() == 1);
      CHECK(h.reply().code == 400);
      CHECK(h.reply().reason == "Bad Line URI");
      CHECK(h.reply().event == e);
      CHECK(h.reply().event_id == "7");  // the response echoes the Event id (RFC 6665 §8.2.1)
      CHECK(h.server.storage().subscription_count() == 0);
      CHECK(h.server.storage().line_count() == 0);
    }
  }
}

TEST_CASE("a refresh names its subscription: the line check is the initial SUBSCRIBE's") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@example.com", 600);
  subscription_id const id = h.reply().subscription;
  subscribe_request r;
  r.event = event_package::call_info;
  r.subscription = id;  // in the dialog the stack may not know the line
  r.expires = 600;
  h.subscribe(r);
  CHECK(h.reply().code == 200);
}

TEST_CASE("a PUBLISH whose line no NOTIFY could carry is 400 Bad Line URI, and nothing is kept") {
  for (line_case const& c : line_cases) {
    if (c.writable) continue;
    CAPTURE(c.uri);
    harness<> h;
    std::string const ci = "<" + std::string(bob) + ">;appearance-index=1;appearance-state=alerting";
    auto const& fx = h.publish(ci, {}, {}, c.uri);
    REQUIRE(fx.size() == 1);
    CHECK(h.reply().code == 400);
    CHECK(h.reply().reason == "Bad Line URI");
    CHECK(h.server.storage().publication_count() == 0);
    CHECK(h.server.storage().line_count() == 0);
  }
  // A writable line is served as before.
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting", {}, {}, "sip:b%C3%B8@example.com");
  CHECK(h.reply().code == 200);
}
