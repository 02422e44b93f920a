// The shared character tables against all 256 bytes. The expectations are
// typed from the ABNF (RFC 3261 §25.1, RFC 2396 §2-3, RFC 2732, RFC 6665
// §8.4, RFC 2234 core rules), not computed by the library's own classifier.
#include <callinfo/syntax/detail/chars.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using callinfo::detail::char_table;
namespace d = callinfo::detail;

using byte_set = std::array<bool, 256>;

byte_set of(std::string_view literal) {
  byte_set s{};
  for (char c : literal) s[static_cast<unsigned char>(c)] = true;
  return s;
}
byte_set range(unsigned lo, unsigned hi) {
  byte_set s{};
  for (unsigned c = lo; c <= hi; ++c) s[c] = true;
  return s;
}
byte_set operator|(byte_set a, byte_set const& b) {
  for (std::size_t i = 0; i < 256; ++i) a[i] = a[i] || b[i];
  return a;
}
byte_set operator-(byte_set a, byte_set const& b) {
  for (std::size_t i = 0; i < 256; ++i) a[i] = a[i] && !b[i];
  return a;
}

// RFC 2234 core rules, typed out.
std::string_view const lower = "abcdefghijklmnopqrstuvwxyz";
std::string_view const upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
std::string_view const digits = "0123456789";

byte_set alpha() { return of(lower) | of(upper); }
byte_set alphanum() { return alpha() | of(digits); }

void check_class(std::uint16_t cls, byte_set const& want, char const* what) {
  for (unsigned c = 0; c < 256; ++c) {
    INFO(std::string_view(what) << ", byte " << c);
    CHECK(((char_table[c] & cls) != 0) == want[c]);
    CHECK(d::is(static_cast<char>(c), cls) == want[c]);
  }
}

}  // namespace

TEST_CASE("RFC 2234 ALPHA, DIGIT, HEXDIG against all 256 bytes") {
  check_class(d::cc_alpha, alpha(), "ALPHA");
  check_class(d::cc_digit, of(digits), "DIGIT");
  // HEXDIG letters are case-insensitive ABNF strings.
  check_class(d::cc_hex, of(digits) | of("abcdefABCDEF"), "HEXDIG");
}

TEST_CASE("RFC 3261 §25.1 token: alphanum / - . ! % * _ + ` ' ~") {
  check_class(d::cc_token, alphanum() | of("-.!%*_+`'~"), "token");
  // Separators and everything else never are.
  for (char c : std::string_view("()<>@,;:\\\"/[]?={} \t"))
    CHECK_FALSE(d::is(c, d::cc_token));
}

TEST_CASE("model/token.hpp's is_token_char agrees with the token table on all 256 bytes") {
  for (int b = 0; b < 256; ++b) {
    char const c = static_cast<char>(b);
    CHECK_MESSAGE(callinfo::is_token_char(c) == d::is(c, d::cc_token), "byte " << b);
  }
  CHECK(callinfo::is_token("a1-.!%*_+`'~"));
  CHECK_FALSE(callinfo::is_token(""));
  CHECK_FALSE(callinfo::is_token("a b"));
}

TEST_CASE("RFC 6665 §8.4 token-nodot: token without '.'") {
  check_class(d::cc_token_nodot, alphanum() | of("-!%*_+`'~"), "token-nodot");
}

TEST_CASE("RFC 3261 §25.1 qdtext: %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII") {
  // Printable ASCII without SP, DQUOTE and backslash, typed out.
  std::string_view const printable =
      "!#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  // UTF8-NONASCII = %xC0-DF 1UTF8-CONT / %xE0-EF 2UTF8-CONT / %xF0-F7 3UTF8-CONT
  //               / %xF8-FB 4UTF8-CONT / %xFC-FD 5UTF8-CONT;  UTF8-CONT = %x80-BF
  byte_set const utf8_nonascii = range(0x80, 0xbf) | range(0xc0, 0xdf) | range(0xe0, 0xef) | range(0xf0, 0xf7) |
                                 range(0xf8, 0xfb) | range(0xfc, 0xfd);
  check_class(d::cc_qdtext, of(printable) | utf8_nonascii, "qdtext");
  CHECK_FALSE(d::is('"', d::cc_qdtext));
  CHECK_FALSE(d::is('\\', d::cc_qdtext));
  CHECK_FALSE(d::is(' ', d::cc_qdtext));  // LWS is matched by the rule, not the table
  CHECK_FALSE(d::is('\xfe', d::cc_qdtext));
  CHECK_FALSE(d::is('\xff', d::cc_qdtext));
  // The fast path of quoted-string content: qdtext plus the WSP of LWS.
  check_class(d::cc_qdtext_wsp, of(printable) | utf8_nonascii | of(" \t"), "qdtext / WSP");
}

TEST_CASE("RFC 3261 §25.1 remote-byte: qdtext, SP, and DQUOTE / backslash as quoted-pairs (%x20-7E / %x80-FD)") {
  byte_set const remote = range(0x20, 0x7e) | range(0x80, 0xfd);
  check_class(d::cc_remote, remote, "remote-byte");
  // The same set as qdtext without LWS, plus SP, DQUOTE and backslash.
  byte_set qdtext_and_escaped = of(" \"\\");
  for (unsigned c = 0; c < 256; ++c) qdtext_and_escaped[c] = qdtext_and_escaped[c] || d::is(static_cast<char>(c), d::cc_qdtext);
  CHECK(qdtext_and_escaped == remote);
  for (char c : std::string_view("\t\r\n\x7f\xfe\xff", 6)) CHECK_FALSE(d::is(c, d::cc_remote));
}

TEST_CASE("RFC 3261 §25.1 quoted-pair: \\ (%x00-09 / %x0B-0C / %x0E-7F)") {
  check_class(d::cc_quoted_pair, range(0x00, 0x09) | range(0x0b, 0x0c) | range(0x0e, 0x7f), "quoted-pair");
}

TEST_CASE("RFC 2396 §2 uric: reserved / unreserved, plus [ ] of RFC 2732") {
  byte_set const reserved = of(";/?:@&=+$,");
  byte_set const mark = of("-_.!~*'()");
  byte_set const unreserved = alphanum() | mark;
  // "%" starts the escaped rule, which the parser matches as "%" HEX HEX.
  check_class(d::cc_uric, reserved | unreserved | of("[]"), "uric");
  for (char c : std::string_view("<>\"% {}|\\^`#"))
    CHECK_FALSE(d::is(c, d::cc_uric));
}

TEST_CASE("RFC 2396 §3.1 scheme characters: alpha / digit / + - .") {
  check_class(d::cc_scheme, alphanum() | of("+-."), "scheme");
}

TEST_CASE("RFC 2234 WSP, CTL and the header-safe set") {
  check_class(d::cc_wsp, of(" \t"), "WSP");
  byte_set const ctl = range(0x00, 0x1f) | of("\x7f");
  check_class(d::cc_ctl, ctl, "CTL");
  byte_set all = range(0x00, 0xff);
  check_class(d::cc_header_safe, (all - ctl) | of("\t"), "header-safe");
  CHECK_FALSE(d::is('\0', d::cc_header_safe));
  CHECK_FALSE(d::is('\r', d::cc_header_safe));
  CHECK_FALSE(d::is('\n', d::cc_header_safe));
}

TEST_CASE("RFC 3261 §7.3.1 case-insensitive comparison helpers") {
  CHECK(d::iequals("Appearance-Index", "appearance-index"));
  CHECK(d::iequals("", ""));
  CHECK_FALSE(d::iequals("abc", "abd"));
  CHECK_FALSE(d::iequals("abc", "ab"));
  // Only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by 0x20 too.
  CHECK_FALSE(d::iequals("@", "`"));
  CHECK_FALSE(d::iequals("[", "{"));
  for (unsigned c = 0; c < 256; ++c) {
    char const ch = static_cast<char>(c);
    char const want = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : ch;
    CHECK(d::to_lower(ch) == want);
  }
}
