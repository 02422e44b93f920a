// callinfo — the RFC 3261 §25.1 token, for values the presence server keeps
// and echoes (the Event header's id param, RFC 6665 §8.4).
//
//   token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
//
// The same class as syntax/detail/chars.hpp's tchar (a test checks all 256
// bytes against it), here without the parser's tables so that the presence
// layer needs nothing of syntax/.
#pragma once

#include <string_view>

namespace callinfo {

constexpr bool is_token_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~':
      return true;
    default:
      return false;
  }
}

constexpr bool is_token(std::string_view v) noexcept {
  if (v.empty()) return false;
  for (char c : v)
    if (!is_token_char(c)) return false;
  return true;
}

}  // namespace callinfo
