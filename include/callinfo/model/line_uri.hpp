// callinfo — the one rule for which line URIs the presence server takes.
//
// Every NOTIFY of a line carries its URI: as the Call-Info entry's
// <absoluteURI> (RFC 3261 §20.9, write/call_info.hpp) and as the
// dialog-info entity (RFC 4235 §4.1, dialog_info/write.hpp). Both builders
// refuse any other with bad_uri, so a line they cannot write would be
// served with no NOTIFY at all; the server refuses it at the SUBSCRIBE or
// PUBLISH instead (400 "Bad Line URI"):
//
//   absoluteURI = scheme ":" 1*( uric / escaped )           RFC 2396 §3
//   scheme      = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
//   uric        = reserved / unreserved, and "[" "]"       RFC 2396 §2, RFC 2732
//   escaped     = "%" HEX HEX
//
// So no byte above %x7F (a non-ASCII user part is sent %-escaped), no
// whitespace, control byte, '<', '>' or '"'. The same classes as
// syntax/detail/chars.hpp's cc_uric and cc_scheme (a test checks all 256
// bytes against them, and line_is_writable() against the builders'
// is_absolute_uri()), here without the parser's tables so that the
// presence layer needs nothing of syntax/.
#pragma once

#include <cstddef>
#include <string_view>

namespace callinfo::inline v1 {

namespace detail {

constexpr bool is_uri_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_uri_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_uri_hex(char c) noexcept {
  return is_uri_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// scheme's bytes after the first: ALPHA / DIGIT / "+" / "-" / "."
constexpr bool is_scheme_byte(char c) noexcept {
  return is_uri_alpha(c) || is_uri_digit(c) || c == '+' || c == '-' || c == '.';
}

// uric: reserved / unreserved (RFC 2396 §2.2, §2.3) and "[" "]" (RFC 2732);
// '%' only as the start of an escaped triplet.
constexpr bool is_uric_byte(char c) noexcept {
  if (is_uri_alpha(c) || is_uri_digit(c)) return true;
  for (char const u : std::string_view(";/?:@&=+$,-_.!~*'()[]"))
    if (c == u) return true;
  return false;
}

}  // namespace detail

/// Whether `uri` can be written as a line's URI: an absoluteURI (RFC 2396 §3), as the
/// builders require; the server refuses any other line with 400 "Bad Line URI".
constexpr bool line_is_writable(std::string_view uri) noexcept {
  std::size_t i = 0;
  if (uri.empty() || !detail::is_uri_alpha(uri[0])) return false;
  for (++i; i < uri.size() && detail::is_scheme_byte(uri[i]); ++i) {
  }
  if (i == uri.size() || uri[i] != ':') return false;
  if (++i == uri.size()) return false;  // 1*( uric / escaped )
  for (; i < uri.size(); ++i) {
    if (uri[i] == '%') {
      if (uri.size() - i < 3 || !detail::is_uri_hex(uri[i + 1]) || !detail::is_uri_hex(uri[i + 2])) return false;
      i += 2;
    } else if (!detail::is_uric_byte(uri[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace callinfo::v1
