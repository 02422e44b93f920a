// callinfo — error codes, the error category and caret diagnostics.
//
// Every parser reports a parse_error: what went wrong (errc), the byte offset
// into the value it was given, and the ABNF rule (RFC 3261 / 3903 / 6665 name)
// that was being matched. render() turns that into the input line with a caret
// under the offending byte and a sentence saying what was expected.
#pragma once



#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace callinfo::inline v1 {

/// Why a parse failed: each code names the fault, with its std::error_category (parse_category()).
enum class errc : std::uint8_t {
  ok = 0,
  empty_value,                 ///< nothing but whitespace where a value is required
  header_too_long,             ///< value longer than parse_limits::max_value_length
  too_many_entries,            ///< more list elements than parse_limits::max_entries
  too_many_params,             ///< more params than parse_limits::max_params
  control_character,           ///< NUL, bare CR/LF or another CTL where none may be
  expected_laquot,             ///< Call-Info entry does not start with '<'
  bad_uri,                     ///< absoluteURI: bad scheme or character
  unterminated_uri,            ///< '<' without its '>'
  expected_token,              ///< a token (param name, event type, ...) is missing
  expected_param_value,        ///< '=' not followed by token / host / quoted-string
  unterminated_quoted_string,  ///< '"' without its closing '"'
  bad_quoted_pair,             ///< '\' followed by CR, LF or end of input
  expected_separator,          ///< junk where ';' ',' or the end was expected
  empty_list_element,          ///< ",," or a trailing/leading comma
  bad_appearance_index,        ///< appearance-index is not 1*DIGIT / "*" or overflows
  bad_appearance_state,        ///< appearance-state without a token value
  bad_appearance_uri,          ///< appearance-uri without a value
  bad_delta_seconds,           ///< delta-seconds is not 1*DIGIT
  delta_seconds_out_of_range,  ///< delta-seconds above 2^32-1 (grammatical, not representable)
  bad_event_type,              ///< event-type: empty package or template, or stray '.'
  duplicate_param,             ///< a param that may appear once appears twice
  invalid_byte,                ///< 0xFE or 0xFF: never part of UTF-8 text
};

/// The ABNF-level name of each code, as printed by callinfo-inspect ("bad_uri").
constexpr std::string_view name(errc e) noexcept;
/// One sentence saying what the parser expected at the offset.
constexpr std::string_view expectation(errc e) noexcept;

/// Where and why a parse failed: the code, the byte offset into the value and the ABNF rule.
struct parse_error {
  errc code = errc::ok;      ///< what went wrong
  std::uint32_t offset = 0;  ///< byte offset into the parsed value
  char const* rule = "";     ///< ABNF rule being matched, e.g. "quoted-string"

  /// Same code at the same offset; the rule name is not compared.
  friend constexpr bool operator==(parse_error const& a, parse_error const& b) noexcept {
    return a.code == b.code && a.offset == b.offset;
  }
};

/// The std::error_category of errc ("callinfo.parse").
inline std::error_category const& parse_category() noexcept;

/// An errc as a std::error_code (found by ADL, so `std::error_code ec = errc::bad_uri;` works).
inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), parse_category()};
}

/// The human diagnostic: a header line, the (escaped) input with a '^' under
/// the offending byte, and the expectation. Long inputs are windowed around
/// the offset. Allocates: meant for logs and tools, not the hot path.
inline std::string render(parse_error const& err, std::string_view input);

}  // namespace callinfo::v1

// errc converts to std::error_code. A std:: specialisation: left out of the
// reference (Doxygen finds no scope for it).
/// @cond
template <>
struct std::is_error_code_enum<callinfo::errc> : std::true_type {};
/// @endcond

#include <callinfo/impl/error.ipp>
