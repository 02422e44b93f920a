// callinfo — the Event and Allow-Events headers: views, parsers, printers.
//
//   Event          = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )   RFC 6665 §8.4
//   event-type     = event-package *( "." event-template )
//   event-package  = token-nodot
//   event-template = token-nodot
//   event-param    = generic-param / ( "id" EQUAL token )
//   Allow-Events   = ( "Allow-Events" / "u" ) HCOLON event-type *(COMMA event-type)
//
// Event packages are compared case-sensitively (RFC 6665 §8.2.1): "call-info"
// and "Call-Info" are different packages, so views keep them as written.
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/result.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/params.hpp>

#include <cstdint>
#include <iterator>
#include <optional>
#include <concepts>
#include <string>
#include <type_traits>
#include <string_view>

namespace callinfo::inline v1 {

/// One event-type, as written: a package and its templates.
struct event_type_view {
  std::string_view text;  ///< the whole event-type, e.g. "dialog.winfo"

  /// event-package: the text before the first '.'.
  constexpr std::string_view package() const noexcept { return text.substr(0, text.find('.')); }
  /// The event-templates after the package ("winfo" of "dialog.winfo"), or empty.
  constexpr std::string_view templates() const noexcept {
    auto const dot = text.find('.');
    return dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  }
  /// Same text, byte for byte (packages are case-sensitive).
  friend constexpr bool operator==(event_type_view, event_type_view) noexcept = default;
};

/// A parsed Event value: views into the header.
struct event_view {
  event_type_view type;                ///< the event-type
  std::optional<std::string_view> id;  ///< the id param's token, if present
  param_range params;                  ///< every param, id included

  /// Same type and id, same params (as params_equal()).
  friend constexpr bool operator==(event_view const& a, event_view const& b) noexcept {
    return a.type == b.type && a.id == b.id && params_equal(a.params, b.params);
  }
};

/// Parses an Event header value.
CALLINFO_DECL result<event_view> parse_event(std::string_view value, parse_limits const& limits = {}) noexcept;
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<event_view> parse_event(S&&, parse_limits const& = {}) = delete;

/// Canonical form: the event-type as written, params lower-cased, no whitespace.
template <sink Sink>
void print(event_view const& e, Sink& out) {
  out.append(e.type.text);
  print_params(e.params, out);
}

namespace detail {
// Reads the validated event-type at p (after any ',' and whitespace).
constexpr char const* next_event_type(char const* p, char const* end, event_type_view& out) noexcept {
  p = skip_lws(p, end);
  if (p != end && *p == ',') p = skip_lws(p + 1, end);
  char const* q = p;
  while (q != end && is(*q, cc_token)) ++q;
  out.text = std::string_view(p, static_cast<std::size_t>(q - p));
  return q;
}
}  // namespace detail

/// A validated Allow-Events value: a range of event types.
class allow_events_view {
 public:
  /// Forward iterator over the event types.
  using iterator = detail::counted_iterator<event_type_view, detail::next_event_type>;

  constexpr allow_events_view() noexcept = default;
  /// A view of `count` event types in `validated` text (what the parser returns).
  constexpr allow_events_view(std::string_view validated, std::uint32_t count) noexcept
      : text_(validated), count_(count) {}
  /// The first event type.
  constexpr iterator begin() const noexcept { return {text_.data(), text_.data() + text_.size(), count_}; }
  /// The end of the range.
  constexpr iterator end() const noexcept { return {}; }
  /// How many event types the header lists.
  constexpr std::size_t size() const noexcept { return count_; }
  /// The validated text.
  constexpr std::string_view text() const noexcept { return text_; }
  /// Whether `package` (an event-type, compared case-sensitively) is listed.
  constexpr bool contains(std::string_view type) const noexcept {
    for (event_type_view const& t : *this)
      if (t.text == type) return true;
    return false;
  }

 private:
  std::string_view text_;
  std::uint32_t count_ = 0;
};

/// Same event types in the same order.
constexpr bool operator==(allow_events_view const& a, allow_events_view const& b) noexcept {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (*i != *j) return false;
  return true;
}

/// Parses an Allow-Events header value.
CALLINFO_DECL result<allow_events_view> parse_allow_events(std::string_view value,
                                                          parse_limits const& limits = {}) noexcept;
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<allow_events_view> parse_allow_events(S&&, parse_limits const& = {}) = delete;

/// Writes the event types joined by ", ".
template <sink Sink>
void print(allow_events_view const& a, Sink& out) {
  bool first = true;
  for (event_type_view const& t : a) {
    if (!first) out.append(", ");
    first = false;
    out.append(t.text);
  }
}

/// The package the presence server serves for a parsed Event header:
/// `call-info`, `line-seize`, or `dialog` with the `shared` param (RFC 7463
/// §5.1, the shared-appearance watchers and publishers); nullopt for any
/// other (the stack answers 489 Bad Event). Packages compare exactly (RFC
/// 6665 §8.2.1), param names case-insensitively; event templates
/// (`dialog.winfo`) are other packages.
constexpr std::optional<event_package> to_event_package(event_view const& e) noexcept {
  if (e.type.text == "call-info") return event_package::call_info;
  if (e.type.text == "line-seize") return event_package::line_seize;
  if (e.type.text == "dialog")
    for (param_view const& p : e.params)
      if (p.is("shared")) return event_package::dialog_shared;
  return std::nullopt;
}

}  // namespace callinfo::v1

#ifndef CALLINFO_SEPARATE_COMPILATION
#include <callinfo/syntax/impl/event.ipp>
#endif
