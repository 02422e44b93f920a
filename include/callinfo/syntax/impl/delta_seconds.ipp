// callinfo — parse_expires (Spirit X3; see delta_seconds.hpp).
#pragma once

#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/detail/scanner.hpp>

namespace callinfo::inline v1 {

CALLINFO_DECL result<expires_view> parse_expires(std::string_view value, parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Expires");
    return s.error();
  }
  // The whole token is the value: "1a" is a bad number (reported at its
  // first byte, like every ill-typed value), not a number and junk, and
  // "99999999999a" is bad before it is out of range.
  expires_view e;
  std::string_view digits;
  if (!s.token(digits, errc::bad_delta_seconds, "delta-seconds") ||
      !s.check_delta_seconds(digits, e.seconds, "delta-seconds") || !s.finish("delta-seconds"))
    return s.error();
  return e;
}

}  // namespace callinfo::v1
