// callinfo — shared RFC 3261 productions as Spirit X3 rules (internal).
//
// Only the small productions live here (STYLE: X3 for tokens, quoted-string,
// URIs; plain loops for the lists, so each failure has an exact offset and
// limits are counted in one place). Rules carry no attribute: the scanner
// takes positions before and after a match, which is all a view needs.
//
//   LWS            = [*WSP CRLF] 1*WSP                      RFC 3261 §25.1
//   token          = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
//   token-nodot    = 1*(alphanum / "-" / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")  RFC 6665
//   qdtext         = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII
//   quoted-pair    = "\" (%x00-09 / %x0B-0C / %x0E-7F)
//   absoluteURI    = scheme ":" 1*(uric)                    RFC 2396 §3, with "[" "]" of RFC 2732
//   escaped        = "%" HEX HEX
//   IPv6reference  = "[" IPv6address "]"                    (checked loosely: hex digits, ':' and '.')
//   delta-seconds  = 1*DIGIT
//
// Never X3's expectation operator '>': with Boost 1.74 it throws on failure.
#pragma once

#include <callinfo/syntax/detail/chars.hpp>

#include <boost/spirit/home/x3.hpp>

namespace callinfo::inline v1::detail::rules {

namespace x3 = boost::spirit::x3;

// One byte whose class bit is set in the shared table.
template <std::uint16_t Class>
struct class_char_parser : x3::char_parser<class_char_parser<Class>> {
  using attribute_type = char;
  static bool const has_attribute = true;
  template <class Char, class Context>
  bool test(Char ch, Context const&) const noexcept {
    return detail::is(static_cast<char>(ch), Class);
  }
};

// 1*byte of one class, consumed in a single table loop: the hot path of
// every token, URI and quoted-string, where X3's per-byte parser protocol
// (skipper check, attribute move) would cost more than the test itself.
template <std::uint16_t Class>
struct class_run_parser : x3::parser<class_run_parser<Class>> {
  using attribute_type = x3::unused_type;
  static bool const has_attribute = false;
  template <class Iterator, class Context, class RContext, class Attribute>
  bool parse(Iterator& first, Iterator const& last, Context const&, RContext&, Attribute&) const noexcept {
    Iterator it = first;
    while (it != last && detail::is(*it, Class)) ++it;
    if (it == first) return false;
    first = it;
    return true;
  }
};

inline constexpr class_run_parser<cc_token> tchars{};
inline constexpr class_run_parser<cc_token_nodot> tchars_nodot{};
inline constexpr class_run_parser<cc_qdtext_wsp> qdtext_wsp_run{};
inline constexpr class_run_parser<cc_uric> uric_run{};
inline constexpr class_run_parser<cc_wsp> wsp_run{};
inline constexpr class_run_parser<cc_digit> digit_run{};

inline constexpr class_char_parser<cc_wsp> wsp{};
inline constexpr class_char_parser<cc_alpha> alpha{};
inline constexpr class_char_parser<cc_hex> hexdig{};
inline constexpr class_char_parser<cc_quoted_pair> qpchar{};
inline constexpr class_char_parser<cc_scheme> scheme_char{};

x3::rule<struct lws_id> const lws = "LWS";
x3::rule<struct token_id> const token = "token";
x3::rule<struct token_nodot_id> const token_nodot = "token-nodot";
x3::rule<struct qcontent_id> const qcontent = "quoted-string";
x3::rule<struct scheme_id> const scheme = "scheme";
x3::rule<struct uri_body_id> const uri_body = "absoluteURI";
x3::rule<struct ipv6_reference_id> const ipv6_reference = "IPv6reference";
x3::rule<struct digits_id> const digits = "delta-seconds";

// Ordered choice, fold first: "[*WSP CRLF] 1*WSP" written as a greedy optional
// would swallow the WSP before a bare CRLF and then fail as a whole, so the
// WSP alone (itself an LWS) would not match and a fault would be reported
// at that WSP instead of at the CR.
auto const lws_def = (-wsp_run >> x3::lit("\r\n") >> wsp_run) | wsp_run;
auto const token_def = tchars;
auto const token_nodot_def = tchars_nodot;
// The content between the quotes; the scanner checks the closing DQUOTE
// itself so an unterminated string reports where it was opened.
// qdtext / LWS with the common case first: a run of qdtext, SP or HTAB; a
// fold is CRLF followed by WSP (any WSP before the CRLF is in the run).
auto const qcontent_def = x3::omit[*(qdtext_wsp_run | (x3::lit("\r\n") >> wsp_run) | (x3::lit('\\') >> qpchar))];
auto const scheme_def = x3::omit[alpha >> *scheme_char];
auto const uri_body_def = x3::omit[+(uric_run | (x3::lit('%') >> hexdig >> hexdig))];
auto const ipv6_reference_def = x3::omit[x3::lit('[') >> +(hexdig | x3::char_(":.")) >> x3::lit(']')];
auto const digits_def = digit_run;

BOOST_SPIRIT_DEFINE(lws, token, token_nodot, qcontent, scheme, uri_body, ipv6_reference, digits)

}  // namespace callinfo::v1::detail::rules
