// callinfo — delta-seconds and the Expires header.
//
//   Expires       = "Expires" HCOLON delta-seconds          RFC 3261 §20.19
//   delta-seconds = 1*DIGIT
//
// RFC 3261 §20.19 lets a value above 2^32-1 stand for 2^32-1 on receipt of
// a request, but a value that does not fit is most often a bug or an
// attack; both OpenSIPS and Kamailio wrap 4294967296 to 0, which means
// "unsubscribe". This parser never wraps: such a value is reported as
// delta_seconds_out_of_range at the first digit, and the caller decides.
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/error.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/result.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/detail/numbers.hpp>

#include <cstdint>
#include <concepts>
#include <string>
#include <type_traits>
#include <string_view>

namespace callinfo::inline v1 {

/// A parsed Expires value.
struct expires_view {
  std::uint32_t seconds = 0;  ///< the delta-seconds, 0 to 2^32-1
  /// Same number of seconds.
  friend constexpr bool operator==(expires_view, expires_view) noexcept = default;
};

/// Parses an Expires header value.
CALLINFO_DECL result<expires_view> parse_expires(std::string_view value, parse_limits const& limits = {}) noexcept;
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<expires_view> parse_expires(S&&, parse_limits const& = {}) = delete;

/// Writes the number of seconds.
template <sink Sink>
void print(expires_view e, Sink& out) {
  print_uint(e.seconds, out);
}

}  // namespace callinfo::v1

#ifndef CALLINFO_SEPARATE_COMPILATION
#include <callinfo/syntax/impl/delta_seconds.ipp>
#endif
