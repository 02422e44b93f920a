// Error codes, the std::error_category and the caret diagnostics of render().
#include "support.hpp"

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

using callinfo::errc;

namespace {

constexpr errc last_errc = errc::invalid_byte;

std::string read_file(std::filesystem::path const& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The parser a golden file is for: the part of its name before the first '-'.
callinfo::parse_error parse_for(std::string_view kind, std::string_view input) {
  auto const error_of = [](auto const& r) {
    REQUIRE_FALSE(r.has_value());
    return r.error();
  };
  if (kind == "call_info") return error_of(callinfo::parse_call_info(input));
  if (kind == "event") return error_of(callinfo::parse_event(input));
  if (kind == "allow_events") return error_of(callinfo::parse_allow_events(input));
  if (kind == "subscription_state") return error_of(callinfo::parse_subscription_state(input));
  if (kind == "expires") return error_of(callinfo::parse_expires(input));
  if (kind == "sip_etag") return error_of(callinfo::parse_sip_etag(input));
  FAIL("unknown parser in golden file name: " << std::string(kind));
  return {};
}

}  // namespace

TEST_CASE("errc: every code has a distinct name and an expectation") {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(last_errc); ++i) {
    auto const e = static_cast<errc>(i);
    INFO("errc " << i);
    CHECK_FALSE(callinfo::name(e).empty());
    CHECK_FALSE(callinfo::expectation(e).empty());
    CHECK(callinfo::name(e) != "unknown");
    CHECK(names.insert(callinfo::name(e)).second);
  }
  CHECK(callinfo::name(errc::bad_uri) == "bad_uri");
  CHECK(callinfo::name(errc::ok) == "ok");
  CHECK(callinfo::name(errc::delta_seconds_out_of_range) == "delta_seconds_out_of_range");
  CHECK(callinfo::name(static_cast<errc>(static_cast<int>(last_errc) + 1)) == "unknown");
  CHECK(callinfo::expectation(static_cast<errc>(200)) == "unknown");
  static_assert(callinfo::name(errc::header_too_long) == "header_too_long");
}

TEST_CASE("errc: std::error_code through make_error_code and the category") {
  std::error_code const ec = callinfo::make_error_code(errc::unterminated_quoted_string);
  CHECK(ec.value() == static_cast<int>(errc::unterminated_quoted_string));
  CHECK(&ec.category() == &callinfo::parse_category());
  CHECK(std::string_view(ec.category().name()) == "callinfo.parse");
  CHECK(ec.message() == "unterminated_quoted_string");
  CHECK(static_cast<bool>(ec));

  std::error_code const implicit = errc::bad_uri;  // is_error_code_enum
  CHECK(implicit == errc::bad_uri);
  CHECK(implicit != errc::unterminated_uri);
  CHECK(implicit.category() == callinfo::parse_category());
  CHECK_FALSE(callinfo::make_error_code(errc::ok));
  CHECK(callinfo::parse_category().message(1000) == "unknown callinfo parse error");
  for (int i = 0; i <= static_cast<int>(last_errc); ++i) {
    auto const e = static_cast<errc>(i);
    CHECK(callinfo::make_error_code(e).message() == std::string(callinfo::name(e)));
  }
  // Not equivalent to a generic code with the same value.
  CHECK(callinfo::make_error_code(errc::empty_value) != std::error_code(1, std::generic_category()));
}

TEST_CASE("parse_error: equality ignores the rule name") {
  callinfo::parse_error const a{errc::bad_uri, 3, "absoluteURI"};
  callinfo::parse_error const b{errc::bad_uri, 3, "other"};
  callinfo::parse_error const c{errc::bad_uri, 4, "absoluteURI"};
  callinfo::parse_error const d{errc::unterminated_uri, 3, "absoluteURI"};
  CHECK(a == b);
  CHECK_FALSE(a == c);
  CHECK_FALSE(a == d);
}

TEST_CASE("render: golden caret diagnostics in tests/syntax/caret") {
  // Each NAME.input holds a header value (one trailing LF, if any, is not
  // part of it); NAME.expect holds render() of the error it gives.
  std::filesystem::path const dir = std::filesystem::path(CALLINFO_SOURCE_DIR) / "tests" / "syntax" / "caret";
  REQUIRE(std::filesystem::is_directory(dir));
  std::size_t count = 0;
  for (auto const& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".input") continue;
    std::string const stem = entry.path().stem().string();
    INFO("golden file: " << stem);
    std::string input = read_file(entry.path());
    if (!input.empty() && input.back() == '\n') input.pop_back();
    auto expect_path = entry.path();
    expect_path.replace_extension(".expect");
    REQUIRE(std::filesystem::exists(expect_path));
    std::string const expect = read_file(expect_path);
    std::string_view const kind = std::string_view(stem).substr(0, stem.find('-'));
    callinfo::parse_error const err = parse_for(kind, input);
    CHECK(callinfo::render(err, input) == expect);
    ++count;
  }
  CHECK(count >= 6);
}

TEST_CASE("render: escapes control bytes and keeps the caret under the byte") {
  callinfo::parse_error const err{errc::control_character, 3, "qdtext"};
  std::string const out = callinfo::render(err, std::string_view("a\r\n\0b", 5));
  CHECK(out ==
        "error: control_character at offset 3 (in qdtext)\n"
        "  a\\r\\n\\x00b\n"
        "       ^\n"
        "expected a printable character: CTL bytes, NUL and bare CR/LF are not allowed here\n");
}

TEST_CASE("render: an offset at or past the end puts the caret after the input") {
  callinfo::parse_error const err{errc::unterminated_uri, 99, ""};
  CHECK(callinfo::render(err, "<sip:a") ==
        "error: unterminated_uri at offset 99\n"
        "  <sip:a\n"
        "        ^\n"
        "expected '>' closing the URI\n");
  callinfo::parse_error const empty{errc::empty_value, 0, "Expires"};
  CHECK(callinfo::render(empty, "") ==
        "error: empty_value at offset 0 (in Expires)\n"
        "  \n"
        "  ^\n"
        "expected a value, not an empty or blank header\n");
}

TEST_CASE("render: a 4 KiB value gives short lines around the offset") {
  std::string value = "<sip:a>;p=";
  value.append(4096 - value.size(), 'a');
  std::size_t const at = value.size() / 2;
  value[at] = '\x01';
  auto const r = callinfo::parse_call_info(value);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::control_character);
  CHECK(r.error().offset == at);
  std::string const out = callinfo::render(r.error(), value);
  std::istringstream lines(out);
  std::string line;
  std::size_t n = 0;
  while (std::getline(lines, line)) {
    ++n;
    if (n == 2 || n == 3) CHECK(line.size() <= 2 + 3 + 40 + 4 + 31 + 3);
  }
  CHECK(n == 4);
  CHECK(out.find("\\x01") != std::string::npos);
}
