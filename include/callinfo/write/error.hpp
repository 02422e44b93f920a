// callinfo — what a builder reports: build_errc, build_result, the error
// category.
//
// Builders (callinfo/write/*.hpp) write SIP header text into a caller's sink
// (RFC 3261 §7.3 header fields, RFC 6665 §8.4 Event / Subscription-State,
// the Call-Info of the SCA event packages). They refuse any input that would
// put a control byte (CR, LF, NUL, ...), an unbalanced quote or an early '>'
// into the output. Two kinds of failure, two contracts:
//
//   refusal  (every code but `overflow`): the inputs are checked before the
//            first byte is written, so NOTHING is written to the sink.
//   overflow the sink reported overflow (fixed_sink::overflowed()). The sink
//            holds a prefix of the text (fixed_sink never writes past its
//            end); the caller discards it (fixed_sink::clear()).
//
// The per-header writers (for_each_*_header(), write/header_sink.hpp) hand
// out no header at all on either failure: overflow there means their values
// buffer was too small.
//
// Builders are templates over the `sink` concept; a sink without
// overflowed() never overflows.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace callinfo::inline v1 {

/// Why a builder refused: each code names the fault; nothing was written, or what was written must
/// be discarded.
enum class build_errc : std::uint8_t {
  ok = 0,
  overflow,  ///< the sink (or a per-header writer's values buffer) ran out of room
  bad_uri,   ///< line / entry URI is not an absoluteURI (RFC 2396 §3): empty, CTL,
             ///< whitespace, '<', '>', '"', a bad scheme or a bad %-escape
  bad_remote,         ///< appearance-uri content with a CTL (HTAB included) or %xFE / %xFF,
                      ///< bytes a quoted-string cannot carry (RFC 3261 §25.1)
  bad_reason_phrase,  ///< Reason-Phrase with a CTL other than HTAB (RFC 3261 §25.1)
  bad_status_code,    ///< Status-Code outside 100..699
  bad_token,          ///< SIP-ETag or Event id that is not a token
  bad_value,          ///< an enum value with no wire form: substate::extension,
                      ///< event_reason::extension, or a value out of range
};

/// The code's name ("bad_uri").
constexpr std::string_view name(build_errc e) noexcept {
  switch (e) {
    case build_errc::ok: return "ok";
    case build_errc::overflow: return "overflow";
    case build_errc::bad_uri: return "bad_uri";
    case build_errc::bad_remote: return "bad_remote";
    case build_errc::bad_reason_phrase: return "bad_reason_phrase";
    case build_errc::bad_status_code: return "bad_status_code";
    case build_errc::bad_token: return "bad_token";
    case build_errc::bad_value: return "bad_value";
  }
  return "unknown";
}

/// One sentence saying what was wrong, for logs.
constexpr std::string_view describe(build_errc e) noexcept {
  switch (e) {
    case build_errc::ok: return "the header was written";
    case build_errc::overflow: return "the sink ran out of room; discard what it holds";
    case build_errc::bad_uri: return "the URI is not an absoluteURI without '<', '>', whitespace or control bytes";
    case build_errc::bad_remote: return "the remote party contains a control byte or a byte a quoted-string cannot carry";
    case build_errc::bad_reason_phrase: return "the reason phrase contains a control byte";
    case build_errc::bad_status_code: return "the status code is not in 100..699";
    case build_errc::bad_token: return "the value must be a token";
    case build_errc::bad_value: return "the value has no wire form";
  }
  return "unknown error";
}

/// What a builder did. Converts to true when the text was written in full.
struct [[nodiscard]] build_result {
  build_errc code = build_errc::ok;  ///< ok, or why the builder refused

  constexpr build_result() noexcept = default;
  /// From a code: builders return `build_errc::bad_uri` as a result.
  constexpr build_result(build_errc c) noexcept : code(c) {}  // NOLINT: implicit on purpose
  /// Whether the text was written in full.
  constexpr bool ok() const noexcept { return code == build_errc::ok; }
  /// Whether the text was written in full.
  constexpr explicit operator bool() const noexcept { return ok(); }
  friend constexpr bool operator==(build_result, build_result) noexcept = default;  ///< Field-wise equality.
};

namespace detail {

class build_category_impl final : public std::error_category {
 public:
  char const* name() const noexcept override { return "callinfo.build"; }
  std::string message(int ev) const override {
    return std::string(describe(static_cast<build_errc>(ev)));
  }
};

// Whether the sink says it overflowed (sinks without overflowed() never do).
template <class Sink>
constexpr bool sink_overflowed(Sink const& s) noexcept {
  if constexpr (requires { { s.overflowed() } -> std::convertible_to<bool>; })
    return static_cast<bool>(s.overflowed());
  else
    return false;
}

// The result of a builder that has written everything to `s`.
template <class Sink>
constexpr build_result finish_build(Sink const& s) noexcept {
  return sink_overflowed(s) ? build_errc::overflow : build_errc::ok;
}

}  // namespace detail

/// The std::error_category of build_errc ("callinfo.build").
inline std::error_category const& build_category() noexcept {
  static detail::build_category_impl const category;
  return category;
}

/// A build_errc as a std::error_code (found by ADL).
inline std::error_code make_error_code(build_errc e) noexcept {
  return {static_cast<int>(e), build_category()};
}

}  // namespace callinfo::v1

// build_errc converts to std::error_code. A std:: specialisation: left out of the
// reference (Doxygen finds no scope for it).
/// @cond
template <>
struct std::is_error_code_enum<callinfo::build_errc> : std::true_type {};
/// @endcond
