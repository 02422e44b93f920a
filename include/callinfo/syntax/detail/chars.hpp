// callinfo — the one set of 256-entry character class tables.
//
// Read by the X3 rules, the builders' escaping and the "no CR/LF/NUL out"
// guard. Each class is a bit; tests/syntax/chars.cpp checks every class
// against all 256 bytes with an independent predicate written from the ABNF.
//   RFC 3261 §25.1: token, qdtext, quoted-pair, LWS, alphanum
//   RFC 2396 §2:    uric (reserved / unreserved / escaped), scheme
//   RFC 6665 §8.4:  token-nodot
// and the bytes a remote party may carry (model/remote_party.hpp).
#pragma once

#include <callinfo/model/remote_party.hpp>  // is_remote_byte
#include <callinfo/model/token.hpp>  // to_lower, iequals

#include <array>
#include <cstdint>
#include <string_view>

namespace callinfo::inline v1::detail {

enum char_class : std::uint16_t {
  cc_alpha = 1u << 0,
  cc_digit = 1u << 1,
  cc_hex = 1u << 2,
  cc_token = 1u << 3,        // tchar: alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"
  cc_token_nodot = 1u << 4,  // tchar minus "."
  cc_qdtext = 1u << 5,       // %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII bytes %x80-FD (LWS handled by the rule)
  cc_quoted_pair = 1u << 6,  // %x00-09 / %x0B-0C / %x0E-7F: what may follow "\"
  cc_uric = 1u << 7,         // reserved / unreserved, plus "[" "]" (RFC 2732); "%" is the escaped rule
  cc_scheme = 1u << 8,       // ALPHA / DIGIT / "+" / "-" / "."
  cc_wsp = 1u << 9,          // SP / HTAB
  cc_ctl = 1u << 10,         // %x00-1F / %x7F
  cc_header_safe = 1u << 11, // may be written inside a header value: not CTL, or HTAB
  cc_qdtext_wsp = 1u << 12,  // qdtext plus SP / HTAB: a quoted-string's content without folds
  cc_remote = 1u << 13,      // %x20-7E / %x80-FD: a remote party's byte (remote_is_writable)
};

namespace chars_impl {
constexpr bool in(char c, char const* set) {
  for (; *set != '\0'; ++set)
    if (*set == c) return true;
  return false;
}
constexpr std::uint16_t classify(unsigned c) {
  std::uint16_t m = 0;
  bool const alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  bool const digit = c >= '0' && c <= '9';
  char const ch = static_cast<char>(c);
  if (alpha) m |= cc_alpha;
  if (digit) m |= cc_digit;
  if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) m |= cc_hex;
  if (c < 0x80 && (alpha || digit || in(ch, "-.!%*_+`'~"))) m |= cc_token;
  if (c < 0x80 && (alpha || digit || in(ch, "-!%*_+`'~"))) m |= cc_token_nodot;
  // UTF8-NONASCII covers the bytes %x80-FD; %xFE and %xFF never occur.
  if (c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || (c >= 0x80 && c <= 0xfd)) m |= cc_qdtext;
  if ((m & cc_qdtext) || c == ' ' || c == '\t') m |= cc_qdtext_wsp;
  if (c <= 0x7f && c != 0x0a && c != 0x0d) m |= cc_quoted_pair;
  if (c < 0x80 && (alpha || digit || in(ch, ";/?:@&=+$,-_.!~*'()[]"))) m |= cc_uric;
  if (c < 0x80 && (alpha || digit || in(ch, "+-."))) m |= cc_scheme;
  if (c == ' ' || c == '\t') m |= cc_wsp;
  if (c < 0x20 || c == 0x7f) m |= cc_ctl;
  if (!(c < 0x20 || c == 0x7f) || c == '\t') m |= cc_header_safe;
  if (is_remote_byte(ch)) m |= cc_remote;
  return m;
}
constexpr std::array<std::uint16_t, 256> make_table() {
  std::array<std::uint16_t, 256> t{};
  for (unsigned c = 0; c < 256; ++c) t[c] = classify(c);
  return t;
}
}  // namespace chars_impl

inline constexpr std::array<std::uint16_t, 256> char_table = chars_impl::make_table();

constexpr bool is(char c, std::uint16_t cls) noexcept {
  return (char_table[static_cast<unsigned char>(c)] & cls) != 0;
}

}  // namespace callinfo::v1::detail
