// callinfo — parse_expires (Spirit X3; see delta_seconds.hpp).
#pragma once

#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/detail/scanner.hpp>

namespace callinfo {

CALLINFO_DECL result<expires_view> parse_expires(std::string_view value, parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Expires");
    return s.error();
  }
  expires_view e;
  if (!s.delta_seconds(e.seconds, "delta-seconds")) return s.error();
  // "1a" is a bad number, not a good number followed by junk.
  if (!s.at_end() && detail::is(*s.pos(), detail::cc_token)) {
    s.fail(errc::bad_delta_seconds, s.pos(), "delta-seconds");
    return s.error();
  }
  if (!s.finish("delta-seconds")) return s.error();
  return e;
}

}  // namespace callinfo
