// callinfo — the RFC 3261 §25.1 token, for values the presence server keeps
// and echoes (the Event header's id param, RFC 6665 §8.4), and ASCII
// case-insensitive comparison (model/ and syntax/ share both).
//
//   token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
//
// The same class as syntax/detail/chars.hpp's tchar (a test checks all 256
// bytes against it), here without the parser's tables so that the presence
// layer needs nothing of syntax/.
#pragma once

#include <cstddef>
#include <string_view>

namespace callinfo::inline v1 {

namespace detail {
constexpr char to_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// ASCII case-insensitive equality: SIP param names, event packages and the
// substate/reason values are case-insensitive (RFC 3261 §7.3.1).
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  return true;
}
}  // namespace detail

/// Whether `c` is a tchar of the token production.
constexpr bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
      return true;
    default:
      return false;
  }
}

/// Whether `v` is a token: non-empty, every byte a tchar.
constexpr bool is_token(std::string_view v) noexcept {
  if (v.empty()) return false;
  for (char c : v)
    if (!is_token_char(c)) return false;
  return true;
}

}  // namespace callinfo::v1
