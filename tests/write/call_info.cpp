// build/call_info.hpp: the Call-Info value of call-info and line-seize
// NOTIFYs in both notify formats, its refusals, the overflow contract and
// the round trip through parse_call_info().
#include "support.hpp"

#include <callinfo/syntax/call_info.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using callinfo::appearance;
using callinfo::appearance_state;
using callinfo::build_errc;
using callinfo::notify_format;
using callinfo_build_test::make_appearance;
using callinfo_build_test::ok_text;
using callinfo_build_test::show;
using callinfo_build_test::view_of;

namespace {

std::string call_info(std::vector<appearance> const& busy, notify_format f, std::string_view line = "sip:bob@example.com",
                      std::string_view entry_uri = {}) {
  auto const lv = view_of(line, busy);
  return ok_text([&](auto& s) { return callinfo::write_call_info(lv, f, entry_uri, s); });
}

constexpr std::array<appearance_state, 6> busy_states = {
    appearance_state::seized, appearance_state::progressing, appearance_state::alerting,
    appearance_state::active, appearance_state::held,        appearance_state::held_private};

// Remotes that must survive the quoted-string: display names, quotes,
// backslashes, separators that would split an unquoted value, UTF-8.
std::vector<std::string> const remotes = {
    "",
    "sip:callee@127.0.0.1",
    "<sip:x@y>",
    "\"Alice\" <sip:alice@example.com>",
    "\"Smith, John; \\\"JS\\\"\" <sip:js@example.com;transport=tcp>",
    "\"back\\\\slash\" <sip:b@example.com>",
    "sip:a\"b@example.com",
    "\\",
    "\"",
    "\"\"\"\\\\\\",
    "\"J\xc3\xbcrgen M\xc3\xbcller\" <sip:jm@example.de>",
    "tel:+15551234567",
    "Bob <sip:bob@example.com>;tag=1,2",
};

// The remote's expected appearance-uri content (before escaping).
std::string named(std::string const& remote) {
  return remote.find('<') != std::string::npos ? remote : "<" + remote + ">";
}

}  // namespace

// ------------------------------------------------------------ golden forms

TEST_CASE("single_entry (OpenSIPS): one entry, repeated params in index order, idle wildcard last") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, "sip:a@example.com"),
                                        make_appearance(2, appearance_state::held)};
  CHECK(call_info(busy, notify_format::single_entry) ==
        "<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=2;appearance-state=held;"
        "appearance-index=*;appearance-state=idle");
}

TEST_CASE("entry_per_appearance (Kamailio sca): one entry per busy appearance, then the idle wildcard entry") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, "<sip:callee@127.0.0.1>")};
  CHECK(call_info(busy, notify_format::entry_per_appearance) ==
        "<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:callee@127.0.0.1>\","
        "<sip:bob@example.com>;appearance-index=*;appearance-state=idle");
  // Kamailio's own entry URI (sip: + the line's domain), passed by the caller:
  // byte for byte what Kamailio 5.6 sends.
  CHECK(call_info(busy, notify_format::entry_per_appearance, "sip:line@127.0.0.1", "sip:127.0.0.1") ==
        "<sip:127.0.0.1>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:callee@127.0.0.1>\","
        "<sip:127.0.0.1>;appearance-index=*;appearance-state=idle");
}

TEST_CASE("entry_per_appearance: appearance-uri only when the appearance has a remote party") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::seized),
                                        make_appearance(3, appearance_state::alerting, "sip:c@example.com")};
  CHECK(call_info(busy, notify_format::entry_per_appearance) ==
        "<sip:bob@example.com>;appearance-index=1;appearance-state=seized,"
        "<sip:bob@example.com>;appearance-index=3;appearance-state=alerting;appearance-uri=\"<sip:c@example.com>\","
        "<sip:bob@example.com>;appearance-index=*;appearance-state=idle");
}

TEST_CASE("single_entry never writes appearance-uri") {
  std::vector<appearance> const busy = {make_appearance(4, appearance_state::active, "\"A\" <sip:a@example.com>")};
  CHECK(call_info(busy, notify_format::single_entry) ==
        "<sip:bob@example.com>;appearance-index=4;appearance-state=active;appearance-index=*;appearance-state=idle");
}

TEST_CASE("an idle line is the wildcard alone, in both formats") {
  for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance})
    CHECK(call_info({}, f) == "<sip:bob@example.com>;appearance-index=*;appearance-state=idle");
}

TEST_CASE("every appearance state is written with its wire token, in both formats") {
  struct row {
    appearance_state state;
    std::string_view token;
  };
  row const rows[] = {{appearance_state::idle, "idle"},         {appearance_state::seized, "seized"},
                      {appearance_state::progressing, "progressing"}, {appearance_state::alerting, "alerting"},
                      {appearance_state::active, "active"},     {appearance_state::held, "held"},
                      {appearance_state::held_private, "held-private"}};
  for (row const& r : rows) {
    INFO("state " << r.token);
    std::vector<appearance> const busy = {make_appearance(7, r.state)};
    std::string const params = ";appearance-index=7;appearance-state=" + std::string(r.token);
    CHECK(call_info(busy, notify_format::single_entry, "sip:l@example.com") ==
          "<sip:l@example.com>" + params + ";appearance-index=*;appearance-state=idle");
    CHECK(call_info(busy, notify_format::entry_per_appearance, "sip:l@example.com") ==
          "<sip:l@example.com>" + params + ",<sip:l@example.com>;appearance-index=*;appearance-state=idle");
  }
}

TEST_CASE("appearance indexes are written in decimal, 0 and 2^32-1 included") {
  std::vector<appearance> const busy = {make_appearance(0, appearance_state::active),
                                        make_appearance(10, appearance_state::held),
                                        make_appearance(4294967295u, appearance_state::seized)};
  CHECK(call_info(busy, notify_format::single_entry) ==
        "<sip:bob@example.com>;appearance-index=0;appearance-state=active;appearance-index=10;appearance-state=held;"
        "appearance-index=4294967295;appearance-state=seized;appearance-index=*;appearance-state=idle");
}

TEST_CASE("line-seize NOTIFY value: <uri>;appearance-index=N") {
  auto seize = [](std::string_view uri, std::uint32_t n) {
    return ok_text([&](auto& s) { return callinfo::write_line_seize_call_info(uri, n, s); });
  };
  CHECK(seize("sip:bob@example.com", 1) == "<sip:bob@example.com>;appearance-index=1");
  CHECK(seize("sip:127.0.0.1", 12) == "<sip:127.0.0.1>;appearance-index=12");
  CHECK(seize("sip:bob@example.com", 0) == "<sip:bob@example.com>;appearance-index=0");
  CHECK(seize("sips:bob@[2001:db8::1]:5061;transport=tls", 4294967295u) ==
        "<sips:bob@[2001:db8::1]:5061;transport=tls>;appearance-index=4294967295");
  std::string const text = seize("sip:bob@example.com", 3);
  auto const r = callinfo::parse_call_info(text);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  auto const a = r->front().appearance();
  REQUIRE(a.has_value());
  CHECK(a->index == callinfo::appearance_index(3));
  CHECK_FALSE(a->state_token.has_value());
}

// ------------------------------------------------------------ appearance-uri

TEST_CASE("appearance-uri: a bare URI is wrapped in <>, a name-addr is kept, quotes and backslashes escaped") {
  struct row {
    std::string_view remote;
    std::string_view param;
  };
  row const rows[] = {
      {"sip:callee@127.0.0.1", "appearance-uri=\"<sip:callee@127.0.0.1>\""},
      {"<sip:x@y>", "appearance-uri=\"<sip:x@y>\""},
      {"\"Alice\" <sip:alice@example.com>", "appearance-uri=\"\\\"Alice\\\" <sip:alice@example.com>\""},
      {"\"a\\\\b\" <sip:ab@example.com>", "appearance-uri=\"\\\"a\\\\\\\\b\\\" <sip:ab@example.com>\""},
      {"\"unbalanced <sip:u@example.com>", "appearance-uri=\"\\\"unbalanced <sip:u@example.com>\""},
      {"\\", "appearance-uri=\"<\\\\>\""},
      {"\"", "appearance-uri=\"<\\\">\""},
      {"Bob <sip:bob@example.com>;x=\"1,2\"", "appearance-uri=\"Bob <sip:bob@example.com>;x=\\\"1,2\\\"\""},
  };
  for (row const& r : rows) {
    INFO("remote " << show(r.remote));
    std::vector<appearance> const busy = {make_appearance(2, appearance_state::active, std::string(r.remote))};
    std::string const text = call_info(busy, notify_format::entry_per_appearance);
    CHECK(text == "<sip:bob@example.com>;appearance-index=2;appearance-state=active;" + std::string(r.param) +
                      ",<sip:bob@example.com>;appearance-index=*;appearance-state=idle");
  }
}

TEST_CASE("appearance-uri: the quoted-pair escaping agrees with a plain reference at every length and position") {
  // Exercises the eight-bytes-at-a-time path, its tail, and remotes longer
  // than the staging buffer.
  auto reference = [](std::string const& r) {
    std::string out;
    for (char c : named(r)) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out;
  };
  std::vector<std::string> cases;
  for (std::size_t len : {1u, 7u, 8u, 9u, 15u, 16u, 17u, 31u, 255u, 256u, 257u, 600u, 1500u})
    for (std::size_t pos = 0; pos < len; pos += (len > 40 ? 37 : 1))
      for (char special : {'"', '\\'}) {
        std::string r(len, 'a');
        r[pos] = special;
        cases.push_back("<" + r + ">");
      }
  for (std::string const& r : cases) {
    std::vector<appearance> const busy = {make_appearance(1, appearance_state::held, r)};
    std::string const text = call_info(busy, notify_format::entry_per_appearance);
    std::string const expect = "<sip:bob@example.com>;appearance-index=1;appearance-state=held;appearance-uri=\"" +
                               reference(r) + "\",<sip:bob@example.com>;appearance-index=*;appearance-state=idle";
    if (text != expect) {
      INFO("remote " << show(r));
      CHECK(text == expect);
      break;
    }
  }
}

// ------------------------------------------------------------ refusals

TEST_CASE("refused: a line URI carrying CR, LF, NUL or any other control byte, anywhere") {
  for (unsigned c = 0; c < 0x20; ++c) {
    for (std::string uri : {std::string(1, static_cast<char>(c)) + "sip:a@example.com",
                            "sip:a" + std::string(1, static_cast<char>(c)) + "@example.com",
                            "sip:a@example.com" + std::string(1, static_cast<char>(c))}) {
      INFO("uri " << show(uri));
      auto const lv = view_of(uri);
      for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance})
        callinfo_build_test::check_refused([&](auto& s) { return callinfo::write_call_info(lv, f, s); },
                                           build_errc::bad_uri);
      callinfo_build_test::check_refused([&](auto& s) { return callinfo::write_line_seize_call_info(uri, 1, s); },
                                         build_errc::bad_uri);
    }
  }
  std::string const del = "sip:a\x7f@example.com";
  callinfo_build_test::check_refused(
      [&](auto& s) { return callinfo::write_call_info(view_of(del), notify_format::single_entry, s); },
      build_errc::bad_uri);
}

TEST_CASE("refused: a line URI that is not an absoluteURI or would close the <...> early") {
  std::string_view const bad[] = {
      "",
      "sip:bob@example.com>",
      "sip:bob@example.com>;appearance-index=9",
      "sip:bob@example.com>\r\nX-Injected: 1",
      "<sip:bob@example.com",
      "sip:bob @example.com",
      "sip:bob\t@example.com",
      " sip:bob@example.com",
      "sip:\"bob\"@example.com",
      "sip:bob@example.com\\",
      "sip:",
      "bob@example.com",
      ":bob@example.com",
      "1sip:bob@example.com",
      "s_p:bob@example.com",
      "sip:bob%4@example.com",
      "sip:bob%zz@example.com",
      "sip:bob@example.com%",
      "sip:bob@example.com%4",
      "sip:b{o}b@example.com",
      "sip:bob@example.com#frag",
      "sip:j\xc3\xbcrgen@example.com",
  };
  for (std::string_view uri : bad) {
    INFO("uri " << show(uri));
    for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance}) {
      callinfo_build_test::check_refused(
          [&](auto& s) { return callinfo::write_call_info(view_of(uri), f, s); }, build_errc::bad_uri);
      // The same URI passed as the entry URI is refused just as well.
      callinfo_build_test::check_refused(
          [&](auto& s) { return callinfo::write_call_info(view_of("sip:ok@example.com"), f, uri.empty() ? "x" : uri, s); },
          build_errc::bad_uri);
    }
    callinfo_build_test::check_refused([&](auto& s) { return callinfo::write_line_seize_call_info(uri, 1, s); },
                                       build_errc::bad_uri);
  }
}

TEST_CASE("accepted: absoluteURIs with escapes, params, IPv6 references and other schemes") {
  std::string_view const good[] = {
      "sip:bob@example.com", "sips:bob@example.com:5061", "sip:%41lice@example.com", "sip:bob@[::1]:5060",
      "sip:bob@example.com;transport=tcp?subject=a%20b", "tel:+1-555-123-4567", "urn:uuid:f81d4fae-7dec",
      "x-Custom+1.0:opaque/path'~*()!$&=,",
  };
  for (std::string_view uri : good) {
    INFO("uri " << show(uri));
    std::string const text = call_info({}, notify_format::single_entry, uri);
    CHECK(text == "<" + std::string(uri) + ">;appearance-index=*;appearance-state=idle");
    auto const r = callinfo::parse_call_info(text);
    REQUIRE(r.has_value());
    CHECK(r->front().uri == uri);
  }
}

TEST_CASE("the entry URI replaces the line's: only the URI written is checked") {
  // A line stored under a URI unfit for the wire is still written when the
  // caller names the entry URI.
  CHECK(call_info({}, notify_format::single_entry, "not a uri", "sip:example.com") ==
        "<sip:example.com>;appearance-index=*;appearance-state=idle");
}

TEST_CASE("refused: a remote with a control byte or %xFE / %xFF (entry_per_appearance)") {
  std::vector<char> bad_bytes;
  for (unsigned c = 0; c < 0x20; ++c) bad_bytes.push_back(static_cast<char>(c));
  bad_bytes.push_back('\x7f');
  bad_bytes.push_back('\xfe');
  bad_bytes.push_back('\xff');
  for (char b : bad_bytes) {
    for (std::size_t pos : {0u, 3u, 8u, 20u}) {
      std::string remote = "\"Mallory\" <sip:m@example.com>";
      remote.insert(pos, 1, b);
      INFO("remote " << show(remote));
      std::vector<appearance> const busy = {make_appearance(1, appearance_state::active),
                                            make_appearance(2, appearance_state::held, remote)};
      auto const lv = view_of("sip:bob@example.com", busy);
      callinfo_build_test::check_refused(
          [&](auto& s) { return callinfo::write_call_info(lv, notify_format::entry_per_appearance, s); },
          build_errc::bad_remote);
      // single_entry does not write remotes, so it does not refuse them.
      CHECK_FALSE(call_info(busy, notify_format::single_entry).empty());
    }
  }
  std::string const crlf = "<sip:a@b>\r\nX-Injected: 1";
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, crlf)};
  callinfo_build_test::check_refused(
      [&](auto& s) {
        return callinfo::write_call_info(view_of("sip:bob@example.com", busy), notify_format::entry_per_appearance, s);
      },
      build_errc::bad_remote);
}

TEST_CASE("refused: an appearance_state value out of range") {
  std::vector<appearance> const busy = {make_appearance(1, static_cast<appearance_state>(42))};
  for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance})
    callinfo_build_test::check_refused(
        [&](auto& s) { return callinfo::write_call_info(view_of("sip:bob@example.com", busy), f, s); },
        build_errc::bad_value);
}

TEST_CASE("refused: a notify_format value out of range (its remotes would go unchecked)") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, "<sip:a@b>\r\nX: 1")};
  callinfo_build_test::check_refused(
      [&](auto& s) {
        return callinfo::write_call_info(view_of("sip:bob@example.com", busy), static_cast<notify_format>(2), s);
      },
      build_errc::bad_value);
}

TEST_CASE("a refusal leaves what the sink already held untouched") {
  std::string text = "before";
  callinfo::string_sink s(text);
  auto const r = callinfo::write_call_info(view_of("sip:a\r\n@b"), notify_format::single_entry, s);
  CHECK(r.code == build_errc::bad_uri);
  CHECK_FALSE(r);
  CHECK(text == "before");
}

// ------------------------------------------------------------ overflow

TEST_CASE("fixed_sink overflow: at every capacity below the full length, reported and never past the end") {
  std::vector<appearance> busy;
  for (std::uint32_t i = 1; i <= 8; ++i)
    busy.push_back(make_appearance(i, busy_states[i % busy_states.size()], remotes[i % remotes.size()]));
  for (std::size_t n : {0u, 1u, 3u, 8u}) {
    std::vector<appearance> const some(busy.begin(), busy.begin() + static_cast<std::ptrdiff_t>(n));
    for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance}) {
      INFO(n << " busy, format " << static_cast<int>(f));
      auto const lv = view_of("sip:bob@example.com", some);
      callinfo_build_test::check_every_capacity([&](auto& s) { return callinfo::write_call_info(lv, f, s); });
    }
  }
  callinfo_build_test::check_every_capacity(
      [](auto& s) { return callinfo::write_line_seize_call_info("sip:bob@example.com", 42, s); });
  // Longer than the staging buffer: written in several chunks.
  std::string const long_remote = "\"" + std::string(900, 'x') + "\\\" <sip:l@example.com>";
  std::vector<appearance> const big = {make_appearance(1, appearance_state::active, long_remote),
                                       make_appearance(2, appearance_state::held, long_remote)};
  auto const lv = view_of("sip:bob@example.com", big);
  callinfo_build_test::check_every_capacity(
      [&](auto& s) { return callinfo::write_call_info(lv, notify_format::entry_per_appearance, s); });
}

TEST_CASE("fixed_sink: an already overflowed sink reports overflow") {
  char buf[8];
  callinfo::fixed_sink s(buf, sizeof buf);
  s.append("123456789");
  REQUIRE(s.overflowed());
  CHECK(callinfo::write_line_seize_call_info("sip:a@b", 1, s).code == build_errc::overflow);
}

// ------------------------------------------------------------ round trips

namespace {

struct expected_appearance {
  std::optional<std::uint32_t> index;  // nullopt: the wildcard
  appearance_state state;
  std::optional<std::string> uri;  // unescaped appearance-uri content
};

std::vector<expected_appearance> expected_of(std::vector<appearance> const& busy, notify_format f) {
  std::vector<expected_appearance> out;
  for (appearance const& a : busy) {
    expected_appearance e{a.index, a.state, std::nullopt};
    if (f == notify_format::entry_per_appearance && !a.remote.empty()) e.uri = named(a.remote);
    out.push_back(e);
  }
  out.push_back({std::nullopt, appearance_state::idle, std::nullopt});
  return out;
}

// Parses `text` and compares the appearances it names with `expect`, and
// the entry layout with the format.
void check_parses_back(std::string const& text, std::string_view uri, notify_format f,
                       std::vector<expected_appearance> const& expect) {
  INFO("text: " << show(text));
  auto const r = callinfo::parse_call_info(text);
  REQUIRE(r.has_value());
  CHECK(r->size() == (f == notify_format::single_entry ? 1 : expect.size()));
  std::size_t i = 0;
  for (callinfo::call_info_entry_view const& e : *r) {
    CHECK(e.uri == uri);
    std::size_t in_entry = 0;
    for (callinfo::appearance_view const& a : e.appearances()) {
      ++in_entry;
      REQUIRE(i < expect.size());
      expected_appearance const& x = expect[i++];
      REQUIRE(a.index.has_value());
      if (x.index) {
        CHECK_FALSE(a.index->is_wildcard());
        CHECK(a.index->value() == *x.index);
      } else {
        CHECK(a.index->is_wildcard());
      }
      CHECK(a.state() == std::optional<appearance_state>(x.state));
      CHECK(a.uri.has_value() == x.uri.has_value());
      if (a.uri && x.uri) {
        CHECK(a.uri->quoted());
        CHECK(callinfo::unescape(a.uri->unquoted()) == *x.uri);
      }
    }
    if (f == notify_format::entry_per_appearance) CHECK(in_entry == 1);
  }
  CHECK(i == expect.size());
  // The canonical printer agrees on the text.
  std::string printed;
  callinfo::string_sink ps(printed);
  print(*r, ps);
  auto const again = callinfo::parse_call_info(printed);
  REQUIRE(again.has_value());
  CHECK(*again == *r);
}

}  // namespace

TEST_CASE("round trip: every appearance state in both formats parses back to the same state") {
  for (appearance_state s : callinfo::all_appearance_states)
    for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance}) {
      INFO("state " << callinfo::to_string(s));
      std::vector<appearance> const busy = {make_appearance(5, s, "sip:r@example.com")};
      check_parses_back(call_info(busy, f), "sip:bob@example.com", f, expected_of(busy, f));
    }
}

TEST_CASE("round trip: lines with 0..8 busy appearances, both formats, every remote") {
  for (std::size_t shift = 0; shift < remotes.size(); ++shift) {
    for (std::size_t n = 0; n <= 8; ++n) {
      std::vector<appearance> busy;
      for (std::size_t i = 0; i < n; ++i)
        busy.push_back(make_appearance(static_cast<std::uint32_t>(2 * i + 1 + shift),
                                       busy_states[(i + shift) % busy_states.size()],
                                       remotes[(i + shift) % remotes.size()]));
      for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance}) {
        INFO(n << " busy, shift " << shift << ", format " << static_cast<int>(f));
        check_parses_back(call_info(busy, f, "sip:line@example.com"), "sip:line@example.com", f,
                          expected_of(busy, f));
        check_parses_back(call_info(busy, f, "sip:line@example.com", "sip:example.com"), "sip:example.com", f,
                          expected_of(busy, f));
      }
    }
  }
}

TEST_CASE("round trip: remotes with quotes, backslashes and display names at every position") {
  std::string const alphabet = "\"\\<>,; a";
  // Every remote of length 1..4 over the alphabet (8^4 + ... = 4680 remotes).
  std::vector<std::string> all;
  for (std::size_t len = 1; len <= 4; ++len) {
    std::size_t total = 1;
    for (std::size_t i = 0; i < len; ++i) total *= alphabet.size();
    for (std::size_t k = 0; k < total; ++k) {
      std::string r;
      for (std::size_t i = 0, v = k; i < len; ++i, v /= alphabet.size()) r += alphabet[v % alphabet.size()];
      all.push_back(r);
    }
  }
  std::size_t failures = 0;
  for (std::string const& r : all) {
    std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, r)};
    std::string text;
    callinfo::string_sink s(text);
    auto const w = callinfo::write_call_info(view_of("sip:bob@example.com", busy), notify_format::entry_per_appearance, s);
    auto const p = callinfo::parse_call_info(text);
    bool ok = w.ok() && p.has_value() && p->size() == 2;
    if (ok) {
      auto const a = p->front().appearance();
      ok = a && a->uri && callinfo::unescape(a->uri->unquoted()) == named(r) && a->state() == appearance_state::active;
    }
    if (!ok && ++failures <= 5) {
      INFO("remote " << show(r) << " wrote " << show(text));
      CHECK(ok);
    }
  }
  CHECK(failures == 0);
}
