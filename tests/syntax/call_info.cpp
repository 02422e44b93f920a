// Call-Info (RFC 3261 §20.9, §25.1) with the Shared Call Appearance params.
#include "support.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using callinfo::appearance_index;
using callinfo::appearance_state;
using callinfo::errc;
using callinfo_test::bad_row;
using namespace std::string_view_literals;

namespace {

void ok(std::string_view input, callinfo::parse_limits const& limits = {}) {
  callinfo_test::check_ok(callinfo_test::call_info, input, limits);
}
void bad(std::string_view input, errc code, std::uint32_t offset, callinfo::parse_limits const& limits = {}) {
  callinfo_test::check_bad(callinfo_test::call_info, bad_row{input, code, offset}, limits);
}

callinfo::call_info_view parsed(std::string_view input) {
  auto const r = callinfo::parse_call_info(input);
  REQUIRE(r.has_value());
  return *r;
}

struct param_row {
  std::string_view name, value;
  bool has_value;
};

void check_params(callinfo::param_range params, std::vector<param_row> const& want) {
  std::size_t i = 0;
  for (callinfo::param_view const& p : params) {
    REQUIRE(i < want.size());
    CHECK(p.name == want[i].name);
    CHECK(p.value == want[i].value);
    CHECK(p.has_value == want[i].has_value);
    ++i;
  }
  CHECK(i == want.size());
  CHECK(params.size() == want.size());
}

std::vector<callinfo::appearance_view> appearances_of(callinfo::call_info_entry_view const& e) {
  std::vector<callinfo::appearance_view> out;
  for (callinfo::appearance_view const& a : e.appearances()) out.push_back(a);
  return out;
}

}  // namespace

TEST_CASE("RFC 3261 §20.9 Call-Info: the example of the RFC") {
  std::string_view const input =
      "<http://wwww.example.com/alice/photo.jpg> ;purpose=icon,\r\n"
      "  <http://www.example.com/alice/> ;purpose=info";
  ok(input);
  auto const ci = parsed(input);
  REQUIRE(ci.size() == 2);
  auto it = ci.begin();
  CHECK(it->uri == "http://wwww.example.com/alice/photo.jpg");
  check_params(it->params, {{"purpose", "icon", true}});
  CHECK(it->purpose()->value == "icon");
  CHECK(it->appearances().empty());
  CHECK_FALSE(it->appearance().has_value());
  ++it;
  CHECK(it->uri == "http://www.example.com/alice/");
  CHECK(it->purpose()->value == "info");
  ++it;
  CHECK(it == ci.end());
  CHECK(ci.text() == input);
}

TEST_CASE("RFC 3261 §25.1 Call-Info: accepted values round-trip through print") {
  std::string_view const rows[] = {
      "<sip:bob@example.com>",
      "<http://www.example.com/alice/>;purpose=card",
      "<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=*;appearance-state=idle",
      "<sip:127.0.0.1>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:callee@127.0.0.1>\","
      "<sip:127.0.0.1>;appearance-index=*;appearance-state=idle",
      "<sip:as.example.com>;appearance-index=2;appearance-state=held-private;"
      "appearance-uri=\"\\\"Alice Smith\\\" <sip:alice@example.com>\"",
      "<sip:as.example.com>;appearance-index=1;appearance-state=active;appearance-uri=\"Bob <sip:bob@example.com>\"",
      "<sip:a@example.com>;Appearance-Index=3;APPEARANCE-STATE=Alerting",
      "  <sip:a@example.com>  ;  purpose = info  ,  <sip:b@example.com>  ",
      "<sip:a@example.com>\r\n ;appearance-index=1\r\n\t;appearance-state=active,\r\n <sip:b@example.com>",
      "\t<sip:a@example.com>\t;\tpurpose\t=\tinfo\t",
      "<sip:a@example.com>;appearance-uri=\"<sip:x@example.com>;tag=1, more\";purpose=info",
      "<sip:a@example.com;transport=tcp?subject=a,b>;purpose=info",
      "<sip:a@[2001:db8::1]:5060>;maddr=[2001:db8::1]",
      "<http://example.com/a%20b%2C>",
      "<sip:a@example.com>;lr;purpose=card;x",
      "<sip:a@example.com>;appearance-index=0",
      "<sip:a@example.com>;appearance-index=4294967295",
      "<sip:a@example.com>;appearance-index=00000000004294967295",
      "<sip:a@example.com>;appearance-state=ringing",
      "<sip:a@example.com>;appearance-uri=\"Bob\r\n <sip:bob@example.com>\"",
      "<sip:a@example.com>;appearance-uri=\"Zo\xc3\xab <sip:zoe@example.com>\"",
      "<sip:a@example.com>;appearance-uri=sip-token",
      "<sip:a@example.com>;x=\"\"",
      "<sip:a@example.com>;x=\"a\\\\b\\\"c\"",
      "<sip:a@example.com>;x=\"tab\there\"",
      "<urn:x-y.z+w:a>",
      "<sip:a>,<sip:b>,<sip:c>,<sip:d>",
      "<sip:a> , <sip:b>",
  };
  for (std::string_view row : rows) ok(row);
}

TEST_CASE("SCA Call-Info as OpenSIPS writes it: one entry, repeated params, two appearances") {
  auto const ci = parsed(
      "<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=*;appearance-state=idle");
  REQUIRE(ci.size() == 1);
  auto const e = ci.front();
  CHECK(e.uri == "sip:bob@example.com");
  check_params(e.params, {{"appearance-index", "1", true},
                          {"appearance-state", "active", true},
                          {"appearance-index", "*", true},
                          {"appearance-state", "idle", true}});
  auto const as = appearances_of(e);
  REQUIRE(as.size() == 2);
  CHECK(as[0].index == appearance_index(1));
  CHECK(as[0].state() == appearance_state::active);
  CHECK(as[0].state_token == "active");
  CHECK_FALSE(as[0].uri.has_value());
  REQUIRE(as[1].index.has_value());
  CHECK(as[1].index->is_wildcard());
  CHECK(as[1].state() == appearance_state::idle);
  CHECK(e.appearance()->index == appearance_index(1));
}

TEST_CASE("SCA Call-Info as Kamailio writes it: one entry per appearance, appearance-uri quoted") {
  auto const ci = parsed(
      "<sip:127.0.0.1>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:callee@127.0.0.1>\","
      "<sip:127.0.0.1>;appearance-index=*;appearance-state=idle");
  REQUIRE(ci.size() == 2);
  auto it = ci.begin();
  CHECK(it->uri == "sip:127.0.0.1");
  auto const first = appearances_of(*it);
  REQUIRE(first.size() == 1);
  CHECK(first[0].index == appearance_index(1));
  CHECK(first[0].state() == appearance_state::active);
  REQUIRE(first[0].uri.has_value());
  CHECK(first[0].uri->value == "\"<sip:callee@127.0.0.1>\"");
  CHECK(first[0].uri->quoted());
  CHECK(first[0].uri->unquoted() == "<sip:callee@127.0.0.1>");
  ++it;
  CHECK(it->uri == "sip:127.0.0.1");
  auto const second = appearances_of(*it);
  REQUIRE(second.size() == 1);
  CHECK(second[0].index == appearance_index::wildcard());
  CHECK(second[0].state() == appearance_state::idle);
  CHECK_FALSE(second[0].uri.has_value());
}

TEST_CASE("SCA Call-Info BroadWorks style: display name in escaped quotes, held-private") {
  auto const ci = parsed(
      "<sip:as.example.com>;appearance-index=2;appearance-state=held-private;"
      "appearance-uri=\"\\\"Alice Smith\\\" <sip:alice@example.com>\"");
  auto const a = ci.front().appearance();
  REQUIRE(a.has_value());
  CHECK(a->index == appearance_index(2));
  CHECK(a->state() == appearance_state::held_private);
  REQUIRE(a->uri.has_value());
  CHECK(a->uri->unquoted() == "\\\"Alice Smith\\\" <sip:alice@example.com>");
  CHECK(callinfo::unescape(a->uri->unquoted()) == "\"Alice Smith\" <sip:alice@example.com>");
  char buf[64] = {};
  std::size_t const n = callinfo::unescape_into(a->uri->unquoted(), buf);
  CHECK(std::string_view(buf, n) == "\"Alice Smith\" <sip:alice@example.com>");
  CHECK(callinfo::unescape("a\\\\b") == "a\\b");
  CHECK(callinfo::unescape("no escapes") == "no escapes");
}

TEST_CASE("RFC 3261 §7.3.1 Call-Info: param names are case-insensitive") {
  auto const ci = parsed("<sip:a@example.com>;Appearance-Index=3;APPEARANCE-STATE=Alerting;PURPOSE=info");
  auto const a = ci.front().appearance();
  REQUIRE(a.has_value());
  CHECK(a->index == appearance_index(3));
  CHECK(a->state_token == "Alerting");
  CHECK(a->state() == appearance_state::alerting);
  CHECK(ci.front().purpose()->value == "info");
  CHECK(ci.front().params.find("purpose")->name == "PURPOSE");
  // Printing lower-cases the names and keeps the values.
  std::string out;
  callinfo::string_sink sink(out);
  print(ci, sink);
  CHECK(out == "<sip:a@example.com>;appearance-index=3;appearance-state=Alerting;purpose=info");
  CHECK(ci == parsed(out));
}

TEST_CASE("RFC 3261 §25.1 LWS/SWS: whitespace and folded lines around separators") {
  auto const ci =
      parsed("  <sip:a@example.com>\r\n ;appearance-index=1\r\n\t; appearance-state = active ,\r\n <sip:b@example.com>  ");
  REQUIRE(ci.size() == 2);
  CHECK(ci.front().uri == "sip:a@example.com");
  check_params(ci.front().params, {{"appearance-index", "1", true}, {"appearance-state", "active", true}});
  auto it = ci.begin();
  ++it;
  CHECK(it->uri == "sip:b@example.com");
  CHECK(it->params.empty());
  std::string out;
  callinfo::string_sink sink(out);
  print(ci, sink);
  CHECK(out == "<sip:a@example.com>;appearance-index=1;appearance-state=active, <sip:b@example.com>");
}

TEST_CASE("RFC 3261 §25.1 quoted-string: comma and semicolon inside do not split") {
  auto const ci = parsed("<sip:a@example.com>;appearance-uri=\"<sip:x@example.com>;tag=1, more\";purpose=info");
  REQUIRE(ci.size() == 1);
  check_params(ci.front().params,
               {{"appearance-uri", "\"<sip:x@example.com>;tag=1, more\"", true}, {"purpose", "info", true}});
}

TEST_CASE("RFC 3261 §25.1 LAQUOT absoluteURI RAQUOT: comma and semicolon inside <...> do not split") {
  auto const ci = parsed("<sip:a@example.com;transport=tcp?subject=a,b>;purpose=info, <sip:c@example.com>");
  REQUIRE(ci.size() == 2);
  CHECK(ci.front().uri == "sip:a@example.com;transport=tcp?subject=a,b");
  check_params(ci.front().params, {{"purpose", "info", true}});
}

TEST_CASE("RFC 3261 §25.1 quoted-string: a fold inside is removed by print, the WSP kept") {
  auto const ci = parsed("<sip:a@example.com>;appearance-uri=\"Bob\r\n <sip:bob@example.com>\"");
  std::string out;
  callinfo::string_sink sink(out);
  print(ci, sink);
  CHECK(out == "<sip:a@example.com>;appearance-uri=\"Bob <sip:bob@example.com>\"");
}

TEST_CASE("SCA appearance-state: unknown tokens are preserved, state() is nullopt") {
  auto const ci = parsed("<sip:a@example.com>;appearance-index=4;appearance-state=ringing");
  auto const a = ci.front().appearance();
  REQUIRE(a.has_value());
  CHECK(a->state_token == "ringing");
  CHECK_FALSE(a->state().has_value());
  // Every known state, as written on the wire and case-insensitively.
  for (appearance_state s : callinfo::all_appearance_states) {
    std::string input = "<sip:a@example.com>;appearance-state=";
    input += callinfo::to_string(s);
    auto const r = parsed(input);
    CHECK(r.front().appearance()->state() == s);
  }
  CHECK(parsed("<sip:a>;appearance-state=HELD-PRIVATE").front().appearance()->state() == appearance_state::held_private);
  CHECK_FALSE(parsed("<sip:a>;appearance-state=held_private").front().appearance()->state().has_value());
}

TEST_CASE("SCA appearance-index: 0 and 4294967295 accepted, 4294967296 rejected") {
  CHECK(parsed("<sip:a>;appearance-index=0").front().appearance()->index == appearance_index(0));
  CHECK(parsed("<sip:a>;appearance-index=4294967295").front().appearance()->index == appearance_index(4294967295u));
  bad("<sip:a>;appearance-index=4294967296", errc::bad_appearance_index, 25);
  bad("<sip:a>;appearance-index=99999999999999999999", errc::bad_appearance_index, 25);
  appearance_index i;
  CHECK(callinfo::parse_appearance_index("*", i));
  CHECK(i.is_wildcard());
  CHECK(callinfo::parse_appearance_index("42", i));
  CHECK(i == appearance_index(42));
  CHECK_FALSE(callinfo::parse_appearance_index("", i));
  CHECK_FALSE(callinfo::parse_appearance_index("**", i));
  CHECK_FALSE(callinfo::parse_appearance_index("+1", i));
}

TEST_CASE("SCA appearances(): grouping of index, state and uri params") {
  SUBCASE("state before index belongs to the same appearance") {
    auto const as = appearances_of(parsed("<sip:a>;appearance-state=held;appearance-index=2").front());
    REQUIRE(as.size() == 1);
    CHECK(as[0].index == appearance_index(2));
    CHECK(as[0].state() == appearance_state::held);
  }
  SUBCASE("other params between appearances are skipped") {
    auto const as = appearances_of(
        parsed("<sip:a>;purpose=info;appearance-index=1;x=y;appearance-state=seized;appearance-index=2;lr").front());
    REQUIRE(as.size() == 2);
    CHECK(as[0].index == appearance_index(1));
    CHECK(as[0].state() == appearance_state::seized);
    CHECK(as[1].index == appearance_index(2));
    CHECK_FALSE(as[1].state_token.has_value());
  }
  SUBCASE("a repeated state starts a new appearance") {
    auto const as =
        appearances_of(parsed("<sip:a>;appearance-index=1;appearance-state=active;appearance-state=idle").front());
    REQUIRE(as.size() == 2);
    CHECK(as[0].index == appearance_index(1));
    CHECK_FALSE(as[1].index.has_value());
    CHECK(as[1].state() == appearance_state::idle);
  }
  SUBCASE("an entry without SCA params has none") {
    // An entry's params refer to the view's index: keep the view.
    auto const ci = parsed("<sip:a>;purpose=icon;lr");
    auto const e = ci.front();
    CHECK(e.appearances().empty());
    CHECK(e.appearances().begin() == e.appearances().end());
  }
  SUBCASE("three OpenSIPS appearances with uris") {
    auto const as = appearances_of(
        parsed("<sip:l@example.com>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:a@x>\";"
               "appearance-index=2;appearance-state=progressing;appearance-uri=\"<sip:b@x>\";"
               "appearance-index=*;appearance-state=idle")
            .front());
    REQUIRE(as.size() == 3);
    CHECK(as[0].uri->unquoted() == "<sip:a@x>");
    CHECK(as[1].index == appearance_index(2));
    CHECK(as[1].state() == appearance_state::progressing);
    CHECK(as[1].uri->unquoted() == "<sip:b@x>");
    CHECK(as[2].index->is_wildcard());
    CHECK_FALSE(as[2].uri.has_value());
  }
}

TEST_CASE("Call-Info lazy ranges: iterators, size and find") {
  auto const ci = parsed("<sip:a>;p=1;q, <sip:b>, <sip:c>;r=\"x,y\"");
  CHECK(ci.size() == 3);
  CHECK_FALSE(ci.empty());
  std::array<std::string_view, 3> const uris = {"sip:a", "sip:b", "sip:c"};
  std::size_t n = 0;
  for (auto const& e : ci) {
    REQUIRE(n < uris.size());
    CHECK(e.uri == uris[n]);
    ++n;
  }
  CHECK(n == 3);
  auto it = ci.begin();
  check_params(it->params, {{"p", "1", true}, {"q", "", false}});
  CHECK(it->params.find("Q").has_value());
  CHECK_FALSE(it->params.find("r").has_value());
  auto const old = it++;
  CHECK(old->uri == "sip:a");
  CHECK(it->uri == "sip:b");
  CHECK(it->params.empty());
  CHECK(it->params.text().empty());
  ++it;
  check_params(it->params, {{"r", "\"x,y\"", true}});
  CHECK(it->params.text() == ";r=\"x,y\"");
  CHECK(callinfo::call_info_view{}.empty());
}

TEST_CASE("Call-Info equality: structural, names case-insensitive, values exact") {
  CHECK(parsed("<sip:a>;P=1") == parsed("<sip:a> ; p = 1"));
  CHECK_FALSE(parsed("<sip:a>;p=1") == parsed("<sip:a>;p=2"));
  CHECK_FALSE(parsed("<sip:a>;p=A") == parsed("<sip:a>;p=a"));
  CHECK_FALSE(parsed("<sip:a>;p=1") == parsed("<sip:b>;p=1"));
  CHECK_FALSE(parsed("<sip:a>;p") == parsed("<sip:a>;p=1"));
  CHECK_FALSE(parsed("<sip:a>;p;q") == parsed("<sip:a>;p"));
  CHECK_FALSE(parsed("<sip:a>") == parsed("<sip:a>,<sip:a>"));
  CHECK_FALSE(parsed("<sip:a>;p;q") == parsed("<sip:a>;q;p"));
}

TEST_CASE("RFC 3261 §25.1 Call-Info: malformed values, exact code and offset") {
  // empty / blank
  bad("", errc::empty_value, 0);
  bad("   ", errc::empty_value, 3);
  bad("\r\n ", errc::empty_value, 3);
  // LAQUOT absoluteURI RAQUOT
  bad("sip:bob@example.com", errc::expected_laquot, 0);
  bad("  sip:bob@example.com", errc::expected_laquot, 2);
  bad("\"Bob\" <sip:bob@example.com>", errc::expected_laquot, 0);
  bad("<sip:bob@example.com", errc::unterminated_uri, 0);
  bad(" <sip:bob@example.com;x=1", errc::unterminated_uri, 1);
  bad("<sip:a>,<sip:b", errc::unterminated_uri, 8);
  bad("<>", errc::bad_uri, 1);
  bad("<sip>", errc::bad_uri, 4);
  bad("<sip:>", errc::bad_uri, 5);
  bad("<sip:", errc::unterminated_uri, 0);
  bad("<sip", errc::unterminated_uri, 0);
  bad("<sip:a%2", errc::bad_uri, 6);  // a cut escape is a bad URI byte
  bad("<:a>", errc::bad_uri, 1);
  bad("<1sip:a>", errc::bad_uri, 1);
  bad("<sip:a b>", errc::bad_uri, 6);
  bad("<sip:a<b>", errc::bad_uri, 6);
  bad("<sip:a\"b>", errc::bad_uri, 6);
  bad("<sip:a%2>", errc::bad_uri, 6);
  bad("<sip:a%zz>", errc::bad_uri, 6);
  bad("<sip:a>>", errc::expected_separator, 7);
  // generic-param = token [ EQUAL gen-value ]
  bad("<sip:a>;", errc::expected_token, 8);
  bad("<sip:a>;;x", errc::expected_token, 8);
  bad("<sip:a>;=x", errc::expected_token, 8);
  bad("<sip:a>; ", errc::expected_token, 9);
  bad("<sip:a>;purpose=", errc::expected_param_value, 16);
  bad("<sip:a>;purpose=;x", errc::expected_param_value, 16);
  bad("<sip:a>;purpose= ", errc::expected_param_value, 17);
  bad("<sip:a>;purpose==x", errc::expected_param_value, 16);
  bad("<sip:a>;x=[::1", errc::expected_param_value, 10);
  bad("<sip:a>;x=[]", errc::expected_param_value, 10);
  bad("<sip:a>;x=(y)", errc::expected_param_value, 10);
  bad("<sip:a>=x", errc::expected_separator, 7);
  bad("<sip:a>;x=a b", errc::expected_separator, 12);
  bad("<sip:a>;x=a\"b\"", errc::expected_separator, 11);
  bad("<sip:a> <sip:b>", errc::expected_separator, 8);
  bad("<sip:a>;x y", errc::expected_separator, 10);
  // quoted-string
  bad("<sip:a>;x=\"abc", errc::unterminated_quoted_string, 10);
  bad("<sip:a>;x=\"abc\\\"", errc::unterminated_quoted_string, 10);
  bad("<sip:a>;appearance-uri=\"<sip:b@c>, <sip:d>", errc::unterminated_quoted_string, 23);
  bad("<sip:a>;x=\"a\\", errc::bad_quoted_pair, 12);
  bad("<sip:a>;x=\"a\\\r\n b\"", errc::bad_quoted_pair, 12);
  // list structure: COMMA
  bad("<sip:a>,", errc::empty_list_element, 7);
  bad("<sip:a>, ", errc::empty_list_element, 7);
  bad(",<sip:a>", errc::empty_list_element, 0);
  bad(" , <sip:a>", errc::empty_list_element, 1);
  bad("<sip:a>,,<sip:b>", errc::empty_list_element, 8);
  bad("<sip:a>, ,<sip:b>", errc::empty_list_element, 9);
  bad("<sip:a>,x", errc::expected_laquot, 8);
  // SCA params
  bad("<sip:a>;appearance-index=-1", errc::bad_appearance_index, 25);
  bad("<sip:a>;appearance-index=1a", errc::bad_appearance_index, 25);
  bad("<sip:a>;appearance-index=**", errc::bad_appearance_index, 25);
  bad("<sip:a>;appearance-index=\"1\"", errc::bad_appearance_index, 25);
  bad("<sip:a>;appearance-index=[::1]", errc::bad_appearance_index, 25);
  bad("<sip:a>;APPEARANCE-INDEX=x", errc::bad_appearance_index, 25);
  bad("<sip:a>;appearance-index", errc::bad_appearance_index, 8);
  bad("<sip:a>;appearance-index=", errc::expected_param_value, 25);
  bad("<sip:a>;appearance-index=1;appearance-index=1.5", errc::bad_appearance_index, 44);
  bad("<sip:a>;appearance-state", errc::bad_appearance_state, 8);
  bad("<sip:a>;appearance-state=\"idle\"", errc::bad_appearance_state, 25);
  bad("<sip:a>;appearance-state=[::1]", errc::bad_appearance_state, 25);
  bad("<sip:a>;appearance-uri", errc::bad_appearance_uri, 8);
  bad("<sip:a>;appearance-uri=[::1]", errc::bad_appearance_uri, 23);
}

TEST_CASE("RFC 3261 §25.1 Call-Info: control characters, NUL and bare CR LF") {
  bad("<sip:a>\x01", errc::control_character, 7);
  bad("\x01<sip:a>", errc::control_character, 0);
  bad("<\x01sip:a>", errc::control_character, 1);
  bad("<sip:a>;x=a\x7f" "b", errc::control_character, 11);
  bad("<sip:a>;x\x1b=1", errc::control_character, 9);
  bad("<sip:a>;x=\"a\x01" "b\"", errc::control_character, 12);
  bad("<sip:a>;x=\"a\x7f\"", errc::control_character, 12);
  // NUL: the view has an explicit length, the byte is inside it.
  bad(std::string_view("<sip:a\0b>", 9), errc::control_character, 6);
  bad(std::string_view("<sip:a>\0", 8), errc::control_character, 7);
  bad(std::string_view("<sip:a>;x=\"\0\"", 13), errc::control_character, 11);
  bad(std::string_view("\0", 1), errc::control_character, 0);
  bad(std::string_view("<sip:a>;\0x", 10), errc::control_character, 8);
  // CR LF not followed by SP / HTAB is the end of the header, not a fold.
  bad("<sip:a>;x=1\r\nfoo", errc::control_character, 11);
  bad("<sip:a>\r\n", errc::control_character, 7);
  bad("<sip:a>\r\n;x=1", errc::control_character, 7);
  bad("<sip:a> \r\n;x=1", errc::control_character, 8);
  bad("<sip:a>;x=\"a\r\nb\"", errc::control_character, 12);
  bad("<sip:a>;x=\"a \r\nb\"", errc::control_character, 13);
  bad("<sip:a>\r ;x=1", errc::control_character, 7);
  bad("<sip:a>\n ;x=1", errc::control_character, 7);
  bad("<sip:a>\r\n\r\n ;x=1", errc::control_character, 7);
  bad("<sip:a>,\r\n<sip:b>", errc::control_character, 8);
  // A byte that is neither qdtext nor quoted-pair inside a quoted-string
  // (0xFE and 0xFF never occur in UTF-8).
  bad("<sip:a>;x=\"\xfe\"", errc::invalid_byte, 11);
  bad("<sip:a>;x=\"\xff\"", errc::invalid_byte, 11);
  // A byte above 0x7F is not a token character.
  bad("<sip:a>;x=\xc3\xab", errc::expected_param_value, 10);
}

TEST_CASE("parse_limits max_value_length: limit-1, limit, limit+1") {
  auto const l = callinfo_test::limits_with(10, 64, 64);
  ok("<sip:abc>", l);
  ok("<sip:abcd>", l);
  bad("<sip:abcde>", errc::header_too_long, 10, l);
  // Checked before anything else: the fault past the limit is not looked at.
  bad("<sip:abcd>\x01", errc::header_too_long, 10, l);

  // Default limit, 8192 bytes.
  std::string value = "<sip:a>;x=";
  value.append(8192 - value.size() - 1, 'a');
  ok(value);
  value += 'a';
  ok(value);
  CHECK(value.size() == 8192);
  value += 'a';
  bad(value, errc::header_too_long, 8192);
  std::string huge(1 << 20, ' ');
  bad(huge, errc::header_too_long, 8192);
}

TEST_CASE("parse_limits max_entries: limit-1, limit, limit+1") {
  auto const l = callinfo_test::limits_with(8192, 2, 64);
  ok("<sip:a>", l);
  ok("<sip:a>,<sip:b>", l);
  bad("<sip:a>,<sip:b>,<sip:c>", errc::too_many_entries, 16, l);
  bad("<sip:a> , <sip:b> , <sip:c>", errc::too_many_entries, 20, l);
  // Default limit, 64.
  std::string value = "<sip:a>";
  for (int i = 1; i < 63; ++i) value += ",<sip:a>";
  ok(value);
  value += ",<sip:a>";
  ok(value);
  CHECK(parsed(value).size() == 64);
  std::size_t const at = value.size() + 1;
  value += ",<sip:a>";
  bad(value, errc::too_many_entries, static_cast<std::uint32_t>(at));
}

TEST_CASE("parse_limits max_params: limit-1, limit, limit+1, counted per entry") {
  auto const l = callinfo_test::limits_with(8192, 64, 2);
  ok("<sip:a>;p", l);
  ok("<sip:a>;p;q", l);
  bad("<sip:a>;p;q;r", errc::too_many_params, 12, l);
  bad("<sip:a>;p=1; q=2 ; r=3", errc::too_many_params, 19, l);
  ok("<sip:a>;p;q,<sip:b>;r;s", l);
  bad("<sip:a>;p;q,<sip:b>;r;s;t", errc::too_many_params, 24, l);
  // Default limit, 64.
  std::string value = "<sip:a>";
  for (int i = 0; i < 63; ++i) value += ";p";
  ok(value);
  value += ";p";
  ok(value);
  CHECK(parsed(value).front().params.size() == 64);
  std::size_t const at = value.size() + 1;
  value += ";p";
  bad(value, errc::too_many_params, static_cast<std::uint32_t>(at));
}

TEST_CASE("SCA param names are recognised case-insensitively and exactly") {
  using callinfo::detail::classify_sca_param;
  using callinfo::detail::sca_param;
  static_assert(classify_sca_param("appearance-uri") == sca_param::uri);
  static_assert(classify_sca_param("APPEARANCE-URI") == sca_param::uri);
  static_assert(classify_sca_param("Appearance-Index") == sca_param::index);
  static_assert(classify_sca_param("appearance-STATE") == sca_param::state);
  for (char const* other : {"appearance-urj", "appearance_state", "appearance-statf", "appearance-indexx",
                            "appearance-inde", "appearance", "purpose", "bppearance-index", "appearance-uri-"})
    CHECK(classify_sca_param(other) == sca_param::other);
}

TEST_CASE("SCA param names: the 16-byte fast path accepts exactly the token") {
  // Longer tokens that start with an SCA name are other params.
  auto const ci = parsed("<sip:a>;appearance-indexx=1;appearance-state.x=y;APPEARANCE-INDEX=2;appearance-state=idle");
  check_params(ci.front().params, {{"appearance-indexx", "1", true},
                                   {"appearance-state.x", "y", true},
                                   {"APPEARANCE-INDEX", "2", true},
                                   {"appearance-state", "idle", true}});
  auto const a = ci.front().appearance();
  REQUIRE(a.has_value());
  CHECK(a->index == appearance_index(2));
  CHECK(a->state() == appearance_state::idle);
  // OR-ing 0x20 would turn CR into '-': the '-' is compared exactly.
  bad("<sip:a>;appearance\rindex=1;x", errc::control_character, 18);
  bad("<sip:a>;appearance\rstate=idle;x", errc::control_character, 18);
  // The name at the very end of the value, with and without a value.
  bad("<sip:a>;appearance-index", errc::bad_appearance_index, 8);
  bad("<sip:a>;appearance-index=1;appearance-state", errc::bad_appearance_state, 27);
  bad("<sip:a>;appearance-state;x", errc::bad_appearance_state, 8);
  ok("<sip:a>;appearance-index =\r\n 1 ;appearance-state= idle");
}
