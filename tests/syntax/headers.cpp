// Event, Allow-Events (RFC 6665 §8.4), Subscription-State (RFC 6665 §8.4),
// Expires (RFC 3261 §20.19), SIP-ETag and SIP-If-Match (RFC 3903 §11.3).
#include "support.hpp"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

using callinfo::errc;
using callinfo::event_reason;
using callinfo::substate;
using callinfo_test::bad_row;

namespace {

template <class Parse>
void ok_rows(Parse const& parse, std::initializer_list<std::string_view> rows) {
  for (std::string_view row : rows) callinfo_test::check_ok(parse, row);
}
template <class Parse>
void bad_rows(Parse const& parse, std::initializer_list<bad_row> rows) {
  for (bad_row const& row : rows) callinfo_test::check_bad(parse, row);
}

template <class View>
std::string printed(View const& v) {
  std::string out;
  callinfo::string_sink sink(out);
  print(v, sink);
  return out;
}

callinfo::event_view event(std::string_view v) {
  auto const r = callinfo::parse_event(v);
  REQUIRE(r.has_value());
  return *r;
}
callinfo::subscription_state_view subscription_state(std::string_view v) {
  auto const r = callinfo::parse_subscription_state(v);
  REQUIRE(r.has_value());
  return *r;
}
callinfo::allow_events_view allow_events(std::string_view v) {
  auto const r = callinfo::parse_allow_events(v);
  REQUIRE(r.has_value());
  return *r;
}

}  // namespace

// ---------------------------------------------------------------- Event

TEST_CASE("RFC 6665 §8.4 Event: event-type, templates and params accepted") {
  ok_rows(callinfo_test::event, {
                                    "call-info",
                                    "line-seize",
                                    "line-seize;id=7",
                                    "dialog.winfo",
                                    "presence.winfo.list",
                                    "Call-Info",
                                    "  call-info  ",
                                    "call-info ; id = abc ; x=\"y;z, w\"",
                                    "dialog;call-id=\"abc@host\";from-tag=1;to-tag=2;include-session-description",
                                    "call-info\r\n ;id=1",
                                    "x!%*_+`'~-y",
                                    "ua-profile;profile-type=device;vendor=acme",
                                    "call-info;ID=a.b-c",
                                    "call-info;maddr=[::1]",
                                });
}

TEST_CASE("RFC 6665 §8.4 Event: views of package, templates and id") {
  auto const e = event("presence.winfo.list ; id=42 ; Foo=\"bar\"");
  CHECK(e.type.text == "presence.winfo.list");
  CHECK(e.type.package() == "presence");
  CHECK(e.type.templates() == "winfo.list");
  REQUIRE(e.id.has_value());
  CHECK(*e.id == "42");
  std::vector<std::string_view> names;
  for (auto const& p : e.params) names.push_back(p.name);
  CHECK(names == std::vector<std::string_view>{"id", "Foo"});
  CHECK(e.params.find("foo")->value == "\"bar\"");
  CHECK(printed(e) == "presence.winfo.list;id=42;foo=\"bar\"");

  auto const plain = event("call-info");
  CHECK(plain.type.package() == "call-info");
  CHECK(plain.type.templates().empty());
  CHECK_FALSE(plain.id.has_value());
  CHECK(plain.params.empty());

  CHECK(*event("line-seize;ID=x").id == "x");
}

TEST_CASE("RFC 6665 §8.2.1 Event: packages compare case-sensitively") {
  CHECK_FALSE(event("call-info") == event("Call-Info"));
  CHECK(event("call-info;id=1") == event("call-info ; ID = 1"));
  CHECK_FALSE(event("call-info;id=1") == event("call-info;id=2"));
  CHECK_FALSE(event("call-info;id=1") == event("call-info"));
  CHECK(printed(event("Call-Info")) == "Call-Info");
}

TEST_CASE("RFC 6665 §8.4 Event: malformed values, exact code and offset") {
  bad_rows(callinfo_test::event, {
                                     {"", errc::empty_value, 0},
                                     {"  ", errc::empty_value, 2},
                                     {".dialog", errc::bad_event_type, 0},
                                     {"dialog.", errc::bad_event_type, 7},
                                     {"dialog..winfo", errc::bad_event_type, 7},
                                     {"dialog.;x", errc::bad_event_type, 7},
                                     {";id=1", errc::expected_token, 0},
                                     {"\"call-info\"", errc::expected_token, 0},
                                     {"call info", errc::expected_separator, 5},
                                     {"call-info,presence", errc::expected_separator, 9},
                                     {"call-info;", errc::expected_token, 10},
                                     {"call-info;=1", errc::expected_token, 10},
                                     {"call-info;x=", errc::expected_param_value, 12},
                                     {"call-info;id", errc::expected_param_value, 10},
                                     {"call-info;id=", errc::expected_param_value, 13},
                                     {"call-info;id=\"7\"", errc::expected_param_value, 13},
                                     {"call-info;id=[::1]", errc::expected_param_value, 13},
                                     {"call-info;id=1;id=2", errc::duplicate_param, 15},
                                     {"call-info;id=1;ID=1", errc::duplicate_param, 15},
                                     {"call-info;id=1 ; id", errc::duplicate_param, 17},
                                     {"call-info;x=\"y", errc::unterminated_quoted_string, 12},
                                     {"call-info\x01", errc::control_character, 9},
                                     {std::string_view("call\0info", 9), errc::control_character, 4},
                                     {"call-info\r\n;id=1", errc::control_character, 9},
                                     {"call-info \r\n;id=1", errc::control_character, 10},
                                 });
}

TEST_CASE("RFC 6665 §8.4 Event: parse_limits at limit-1, limit, limit+1") {
  auto const params = callinfo_test::limits_with(8192, 64, 2);
  callinfo_test::check_ok(callinfo_test::event, "call-info;a", params);
  callinfo_test::check_ok(callinfo_test::event, "call-info;a;b", params);
  callinfo_test::check_bad(callinfo_test::event, {"call-info;a;b;c", errc::too_many_params, 14}, params);
  auto const length = callinfo_test::limits_with(10, 64, 64);
  callinfo_test::check_ok(callinfo_test::event, "call-info", length);
  callinfo_test::check_ok(callinfo_test::event, "call-info ", length);
  callinfo_test::check_bad(callinfo_test::event, {"call-info;x", errc::header_too_long, 10}, length);
}

// ---------------------------------------------------------------- Allow-Events

TEST_CASE("RFC 6665 §8.4 Allow-Events: lists of event-types accepted") {
  ok_rows(callinfo_test::allow_events, {
                                           "call-info",
                                           "call-info,line-seize",
                                           "call-info, line-seize, dialog.winfo",
                                           " presence ,\r\n dialog ",
                                           "a,b,c,d,e",
                                       });
}

TEST_CASE("RFC 6665 §8.4 Allow-Events: range and contains()") {
  auto const a = allow_events("call-info, line-seize ,\r\n\tdialog.winfo");
  CHECK(a.size() == 3);
  std::vector<std::string_view> types;
  for (auto const& t : a) types.push_back(t.text);
  CHECK(types == std::vector<std::string_view>{"call-info", "line-seize", "dialog.winfo"});
  CHECK(a.contains("call-info"));
  CHECK(a.contains("line-seize"));
  CHECK(a.contains("dialog.winfo"));
  CHECK_FALSE(a.contains("dialog"));
  CHECK_FALSE(a.contains("Line-Seize"));
  CHECK_FALSE(a.contains(""));
  CHECK(a.text() == "call-info, line-seize ,\r\n\tdialog.winfo");
  CHECK(printed(a) == "call-info, line-seize, dialog.winfo");
  CHECK(a == allow_events("call-info,line-seize,dialog.winfo"));
  CHECK_FALSE(a == allow_events("call-info,line-seize"));
  CHECK_FALSE(a == allow_events("call-info,line-seize,dialog"));
}

TEST_CASE("RFC 6665 §8.4 Allow-Events: malformed values, exact code and offset") {
  bad_rows(callinfo_test::allow_events, {
                                            {"", errc::empty_value, 0},
                                            {" \t", errc::empty_value, 2},
                                            {"call-info,", errc::empty_list_element, 9},
                                            {"call-info, ", errc::empty_list_element, 9},
                                            {",call-info", errc::empty_list_element, 0},
                                            {"a,,b", errc::empty_list_element, 2},
                                            {"a, ,b", errc::empty_list_element, 3},
                                            {"a;x", errc::expected_separator, 1},
                                            {"a b", errc::expected_separator, 2},
                                            {"a..b", errc::bad_event_type, 2},
                                            {"a,.b", errc::bad_event_type, 2},
                                            {"a,\"b\"", errc::expected_token, 2},
                                            {"a,b\x01", errc::control_character, 3},
                                            {std::string_view("a,\0", 3), errc::control_character, 2},
                                        });
}

TEST_CASE("RFC 6665 §8.4 Allow-Events: max_entries at limit-1, limit, limit+1") {
  auto const l = callinfo_test::limits_with(8192, 2, 64);
  callinfo_test::check_ok(callinfo_test::allow_events, "a", l);
  callinfo_test::check_ok(callinfo_test::allow_events, "a, b", l);
  callinfo_test::check_bad(callinfo_test::allow_events, {"a, b, c", errc::too_many_entries, 6}, l);
}

// ---------------------------------------------------------------- Subscription-State

TEST_CASE("RFC 6665 §8.4 Subscription-State: accepted values") {
  ok_rows(callinfo_test::subscription_state, {
                                                 "active",
                                                 "active;expires=3600",
                                                 "pending;expires=0",
                                                 "terminated",
                                                 "terminated;reason=timeout",
                                                 "terminated;reason=noresource;retry-after=30",
                                                 "terminated;reason=giveup;retry-after=4294967295",
                                                 "Active;Expires=60",
                                                 "x-custom;foo=bar",
                                                 "terminated;reason=Other-Thing",
                                                 "active ; expires = 4294967295 ; x=\"a;b\"",
                                                 "active\r\n ;expires=1",
                                                 "active;expires=0000000000001",
                                             });
}

TEST_CASE("RFC 6665 §8.4 Subscription-State: substate, reason, expires, retry-after") {
  auto const a = subscription_state("active;expires=3600");
  CHECK(a.state() == substate::active);
  CHECK(a.expires == 3600u);
  CHECK_FALSE(a.retry_after.has_value());
  CHECK_FALSE(a.reason().has_value());

  auto const t = subscription_state("Terminated;Reason=NoResource;Retry-After=30;x");
  CHECK(t.state() == substate::terminated);
  CHECK(t.state_token == "Terminated");
  CHECK(t.reason() == event_reason::noresource);
  CHECK(t.reason_token == "NoResource");
  CHECK(t.retry_after == 30u);
  CHECK_FALSE(t.expires.has_value());
  CHECK(t.params.size() == 3);
  CHECK(printed(t) == "terminated;reason=NoResource;retry-after=30;x");

  CHECK(subscription_state("pending").state() == substate::pending);
  auto const x = subscription_state("waiting;reason=later");
  CHECK(x.state() == substate::extension);
  CHECK(x.state_token == "waiting");
  CHECK(x.reason() == event_reason::extension);
  CHECK(x.reason_token == "later");

  char const* const reasons[] = {"deactivated", "probation", "rejected", "timeout", "giveup", "noresource", "invariant"};
  for (std::uint8_t i = 0; i < 7; ++i) {
    std::string v = "terminated;reason=";
    v += reasons[i];
    CHECK(subscription_state(v).reason() == static_cast<event_reason>(i));
  }
  CHECK(subscription_state("active;expires=0").expires == 0u);
  CHECK(subscription_state("active;expires=4294967295").expires == 4294967295u);
}

TEST_CASE("RFC 6665 §8.4 Subscription-State: equality") {
  CHECK(subscription_state("ACTIVE;Expires=5") == subscription_state("active ; expires = 5"));
  CHECK_FALSE(subscription_state("active;expires=5") == subscription_state("active;expires=6"));
  CHECK_FALSE(subscription_state("active") == subscription_state("pending"));
  CHECK_FALSE(subscription_state("terminated") == subscription_state("terminated;reason=timeout"));
  CHECK_FALSE(subscription_state("active;x=1") == subscription_state("active;x=2"));
}

TEST_CASE("RFC 6665 §8.4 Subscription-State: malformed values, exact code and offset") {
  bad_rows(callinfo_test::subscription_state,
           {
               {"", errc::empty_value, 0},
               {"\r\n\t", errc::empty_value, 3},
               {";expires=1", errc::expected_token, 0},
               {"\"active\"", errc::expected_token, 0},
               {"active,pending", errc::expected_separator, 6},
               {"active pending", errc::expected_separator, 7},
               {"active;", errc::expected_token, 7},
               {"active;expires", errc::bad_delta_seconds, 7},
               {"active;expires=", errc::expected_param_value, 15},
               {"active;expires=1a", errc::bad_delta_seconds, 15},
               {"active;expires=-1", errc::bad_delta_seconds, 15},
               {"active;expires=1.5", errc::bad_delta_seconds, 15},
               {"active;expires=\"10\"", errc::bad_delta_seconds, 15},
               {"active;expires=4294967296", errc::delta_seconds_out_of_range, 15},
               {"active;EXPIRES=99999999999999999999", errc::delta_seconds_out_of_range, 15},
               {"active;retry-after=99999999999", errc::delta_seconds_out_of_range, 19},
               {"active;retry-after", errc::bad_delta_seconds, 7},
               {"active;expires=1;expires=2", errc::duplicate_param, 17},
               {"active;expires=1;Expires=1", errc::duplicate_param, 17},
               {"terminated;reason=timeout;reason=giveup", errc::duplicate_param, 26},
               {"terminated;retry-after=1;Retry-After=2", errc::duplicate_param, 25},
               {"terminated;reason=\"timeout\"", errc::expected_param_value, 18},
               {"terminated;reason", errc::expected_param_value, 11},
               {"terminated;reason=", errc::expected_param_value, 18},
               {"active;x=\"a", errc::unterminated_quoted_string, 9},
               {"active\x7f", errc::control_character, 6},
               {std::string_view("active;expires=1\0", 17), errc::control_character, 16},
               {"active;expires=1\r\n", errc::control_character, 16},
           });
}

TEST_CASE("RFC 6665 §8.4 Subscription-State: max_params at limit-1, limit, limit+1") {
  auto const l = callinfo_test::limits_with(8192, 64, 2);
  callinfo_test::check_ok(callinfo_test::subscription_state, "active;a", l);
  callinfo_test::check_ok(callinfo_test::subscription_state, "active;a;b", l);
  callinfo_test::check_bad(callinfo_test::subscription_state, {"active;a;b;c", errc::too_many_params, 11}, l);
}

// ---------------------------------------------------------------- Expires

TEST_CASE("RFC 3261 §20.19 Expires: delta-seconds accepted") {
  ok_rows(callinfo_test::expires, {"0", "3600", "4294967295", " 3600 ", "\r\n 60", "000000000000000000001"});
  CHECK(callinfo::parse_expires("0")->seconds == 0u);
  CHECK(callinfo::parse_expires("3600")->seconds == 3600u);
  CHECK(callinfo::parse_expires("4294967295")->seconds == 4294967295u);
  CHECK(callinfo::parse_expires("\t7\t")->seconds == 7u);
  CHECK(printed(*callinfo::parse_expires("000120")) == "120");
  CHECK(printed(*callinfo::parse_expires("4294967295")) == "4294967295");
  CHECK(printed(*callinfo::parse_expires("0")) == "0");
}

TEST_CASE("RFC 3261 §20.19 Expires: 4294967296 is out of range, never wrapped to 0") {
  bad_rows(callinfo_test::expires, {
                                       {"4294967296", errc::delta_seconds_out_of_range, 0},
                                       {"  4294967296", errc::delta_seconds_out_of_range, 2},
                                       {"18446744073709551616", errc::delta_seconds_out_of_range, 0},
                                       {"99999999999999999999999999999", errc::delta_seconds_out_of_range, 0},
                                   });
}

TEST_CASE("RFC 3261 §20.19 Expires: malformed values, exact code and offset") {
  bad_rows(callinfo_test::expires, {
                                       {"", errc::empty_value, 0},
                                       {" ", errc::empty_value, 1},
                                       {"1a", errc::bad_delta_seconds, 0}, {"99999999999a", errc::bad_delta_seconds, 0},
                                       {"-1", errc::bad_delta_seconds, 0},
                                       {"+1", errc::bad_delta_seconds, 0},
                                       {"a", errc::bad_delta_seconds, 0},
                                       {"1.5", errc::bad_delta_seconds, 0},
                                       {"\"1\"", errc::bad_delta_seconds, 0},
                                       {"1 2", errc::expected_separator, 2},
                                       {"3600;x", errc::expected_separator, 4},
                                       {"3600,1", errc::expected_separator, 4},
                                       {"3600\x01", errc::control_character, 4},
                                       {std::string_view("36\0" "00", 5), errc::control_character, 2},
                                       {"3600\r\n", errc::control_character, 4},
                                       {"3600 \r\n", errc::control_character, 5},
                                       {"3600 \r\n 1", errc::expected_separator, 8},
                                   });
  auto const l = callinfo_test::limits_with(4, 64, 64);
  callinfo_test::check_ok(callinfo_test::expires, "360", l);
  callinfo_test::check_ok(callinfo_test::expires, "3600", l);
  callinfo_test::check_bad(callinfo_test::expires, {"36000", errc::header_too_long, 4}, l);
}

// ---------------------------------------------------------------- SIP-ETag / SIP-If-Match

namespace {
template <class Parse>
void entity_tag_rows(Parse const& parse) {
  ok_rows(parse, {"dx200xyz", " abc.def-1 ", "5ee2f1e3", "a!%*_+`'~", "\r\n\tx"});
  bad_rows(parse, {
                      {"", errc::empty_value, 0},
                      {"  ", errc::empty_value, 2},
                      {"\"abc\"", errc::expected_token, 0},
                      {"a b", errc::expected_separator, 2},
                      {"a;b", errc::expected_separator, 1},
                      {"abc,def", errc::expected_separator, 3},
                      {"a/b", errc::expected_separator, 1},
                      {"a\x01", errc::control_character, 1},
                      {std::string_view("\0a", 2), errc::control_character, 0},
                  });
}
}  // namespace

TEST_CASE("RFC 3903 §11.3.1 SIP-ETag: entity-tag is a token") {
  entity_tag_rows(callinfo_test::sip_etag);
  CHECK(callinfo::parse_sip_etag(" dx200xyz ")->tag == "dx200xyz");
  CHECK_FALSE(*callinfo::parse_sip_etag("abc") == *callinfo::parse_sip_etag("ABC"));
  auto const l = callinfo_test::limits_with(3, 64, 64);
  callinfo_test::check_ok(callinfo_test::sip_etag, "ab", l);
  callinfo_test::check_ok(callinfo_test::sip_etag, "abc", l);
  callinfo_test::check_bad(callinfo_test::sip_etag, {"abcd", errc::header_too_long, 3}, l);
}

TEST_CASE("RFC 3903 §11.3.2 SIP-If-Match: same grammar as SIP-ETag") {
  entity_tag_rows(callinfo_test::sip_if_match);
  CHECK(callinfo::parse_sip_if_match("\tdx200xyz")->tag == "dx200xyz");
}
