// Shared helpers for the syntax suites: ok/bad table rows and the
// print -> parse round trip every accepted row goes through.
#pragma once

#include <callinfo/callinfo.hpp>

#include "../support/show.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>

namespace callinfo_test {

using callinfo_test_support::show;

struct bad_row {
  std::string_view input;
  callinfo::errc code;
  std::uint32_t offset;
};

// The input must be rejected with exactly this code at exactly this offset.
template <class Parse>
void check_bad(Parse const& parse, bad_row const& row, callinfo::parse_limits const& limits = {}) {
  INFO("input: " << show(row.input));
  auto const r = parse(row.input, limits);
  if (r.has_value()) {
    FAIL_CHECK("accepted, expected " << std::string(callinfo::name(row.code)) << " at offset " << row.offset);
    return;
  }
  CHECK(callinfo::name(r.error().code) == callinfo::name(row.code));
  CHECK(r.error().offset == row.offset);
  CHECK(r.error().rule != nullptr);
  CHECK(std::string_view(r.error().rule).size() > 0);
}

// The input must be accepted; printing it, parsing the printed text again
// must give an equal view, and printing that one gives the same text.
template <class Parse>
void check_ok(Parse const& parse, std::string_view input, callinfo::parse_limits const& limits = {}) {
  INFO("input: " << show(input));
  auto const r = parse(input, limits);
  if (!r) {
    FAIL_CHECK("rejected: " << std::string(callinfo::name(r.error().code)) << " at offset " << r.error().offset);
    return;
  }
  std::string once;
  callinfo::string_sink s1(once);
  print(*r, s1);
  INFO("printed: " << show(once));
  auto const again = parse(once, limits);
  REQUIRE(again.has_value());
  CHECK(*again == *r);
  CHECK(*r == *again);
  std::string twice;
  callinfo::string_sink s2(twice);
  print(*again, s2);
  CHECK(twice == once);
}

// The parsers as callables taking (value, limits).
inline constexpr auto call_info = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_call_info(v, l);
};
inline constexpr auto event = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_event(v, l);
};
inline constexpr auto allow_events = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_allow_events(v, l);
};
inline constexpr auto subscription_state = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_subscription_state(v, l);
};
inline constexpr auto expires = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_expires(v, l);
};
inline constexpr auto sip_etag = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_sip_etag(v, l);
};
inline constexpr auto sip_if_match = [](std::string_view v, callinfo::parse_limits const& l) {
  return callinfo::parse_sip_if_match(v, l);
};

inline callinfo::parse_limits limits_with(std::uint32_t length, std::uint32_t entries, std::uint32_t params) {
  callinfo::parse_limits l;
  l.max_value_length = length;
  l.max_entries = entries;
  l.max_params = params;
  return l;
}

}  // namespace callinfo_test
