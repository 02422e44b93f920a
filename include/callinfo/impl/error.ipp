// callinfo — definitions for error.hpp.
#pragma once

#include <callinfo/error.hpp>

#include <algorithm>
#include <cstdio>

namespace callinfo::inline v1 {

namespace detail {
struct errc_text {
  std::string_view name;
  std::string_view expectation;
};
// Indexed by errc; a test checks the table covers every enumerator.
inline constexpr errc_text errc_texts[] = {
    {"ok", "nothing: no error"},
    {"empty_value", "a value, not an empty or blank header"},
    {"header_too_long", "a shorter value: this one exceeds max_value_length"},
    {"too_many_entries", "fewer list elements: this one exceeds max_entries"},
    {"too_many_params", "fewer parameters: this one exceeds max_params"},
    {"control_character", "a printable character: CTL bytes, NUL and bare CR/LF are not allowed here"},
    {"expected_laquot", "'<' opening the URI of an info entry"},
    {"bad_uri", "an absoluteURI (scheme \":\" then URI characters)"},
    {"unterminated_uri", "'>' closing the URI"},
    {"expected_token", "a token (letters, digits or -.!%*_+`'~)"},
    {"expected_param_value", "a parameter value: token, host or quoted-string"},
    {"unterminated_quoted_string", "'\"' closing the quoted string"},
    {"bad_quoted_pair", "a character after '\\' (not CR, LF or the end)"},
    {"expected_separator", "';' before a parameter, ',' before the next element, or the end"},
    {"empty_list_element", "an element between the commas"},
    {"bad_appearance_index", "appearance-index as 1*DIGIT (at most 4294967295) or \"*\""},
    {"bad_appearance_state", "appearance-state as a token (idle, seized, progressing, alerting, active, held, held-private)"},
    {"bad_appearance_uri", "appearance-uri with a value"},
    {"bad_delta_seconds", "delta-seconds as 1*DIGIT"},
    {"delta_seconds_out_of_range", "delta-seconds of at most 4294967295 (2^32-1)"},
    {"bad_event_type", "event-type as event-package *(\".\" event-template)"},
    {"duplicate_param", "each of expires, retry-after, reason, id only once"},
    {"invalid_byte", "UTF-8 text: the bytes 0xFE and 0xFF never occur in it"},
};
static_assert(std::size(errc_texts) == static_cast<std::size_t>(errc::invalid_byte) + 1,
              "errc_texts must have one row per errc");

class parse_category_impl final : public std::error_category {
 public:
  char const* name() const noexcept override { return "callinfo.parse"; }
  std::string message(int ev) const override {
    auto const i = static_cast<std::size_t>(ev);
    if (i >= std::size(errc_texts)) return "unknown callinfo parse error";
    return std::string(errc_texts[i].name);
  }
};
}  // namespace detail

constexpr std::string_view name(errc e) noexcept {
  auto const i = static_cast<std::size_t>(e);
  return i < std::size(detail::errc_texts) ? detail::errc_texts[i].name : "unknown";
}

constexpr std::string_view expectation(errc e) noexcept {
  auto const i = static_cast<std::size_t>(e);
  return i < std::size(detail::errc_texts) ? detail::errc_texts[i].expectation : "unknown";
}

inline std::error_category const& parse_category() noexcept {
  static detail::parse_category_impl const category;
  return category;
}

inline std::string render(parse_error const& err, std::string_view input) {
  // Window of at most ~72 input bytes around the offset so a 4 KiB header
  // still gives a one-line diagnostic.
  constexpr std::size_t before = 40, after = 32;
  std::size_t const at = std::min<std::size_t>(err.offset, input.size());
  std::size_t const from = at > before ? at - before : 0;
  std::size_t const to = std::min(input.size(), at + after);

  std::string line = from > 0 ? "..." : "";
  std::size_t caret = line.size();
  for (std::size_t i = from; i < to; ++i) {
    if (i == at) caret = line.size();
    auto const c = static_cast<unsigned char>(input[i]);
    // Control bytes are escaped so the caret line stays aligned and a
    // terminal never interprets them.
    if (c == '\r') line += "\\r";
    else if (c == '\n') line += "\\n";
    else if (c == '\t') line += "\\t";
    else if (c < 0x20 || c >= 0x7f) {  // bytes above 0x7E too: the line must stay one-column-per-byte
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      line += buf;
    } else line += static_cast<char>(c);
  }
  if (at >= to) caret = line.size();
  if (to < input.size()) line += "...";

  std::string out = "error: ";
  out += name(err.code);
  out += " at offset ";
  out += std::to_string(err.offset);
  if (err.rule != nullptr && *err.rule != '\0') {
    out += " (in ";
    out += err.rule;
    out += ')';
  }
  out += "\n  ";
  out += line;
  out += "\n  ";
  out.append(caret, ' ');
  out += "^\nexpected ";
  out += expectation(err.code);
  out += '\n';
  return out;
}

}  // namespace callinfo::v1
