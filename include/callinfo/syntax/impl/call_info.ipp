// callinfo — parse_call_info (Spirit X3; see call_info.hpp for the grammar).
#pragma once

#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/detail/scanner.hpp>

namespace callinfo::inline v1 {

namespace detail {

// The SCA params have a grammar of their own inside generic-param.
inline bool check_call_info_param(scanner& s, param_view const& p) noexcept {
  char const* const at = p.has_value ? p.value.data() : p.name.data();
  switch (classify_sca_param(p.name)) {
    case sca_param::index: {
      appearance_index ignored;
      if (!p.has_value || !parse_appearance_index(p.value, ignored))
        return s.fail(errc::bad_appearance_index, at, "appearance-index");
      break;
    }
    case sca_param::state:
      if (!p.has_value || p.quoted() || p.value.front() == '[')
        return s.fail(errc::bad_appearance_state, at, "appearance-state");
      break;
    case sca_param::uri:
      // appearance-uri = quoted-string / token: not an IPv6 reference.
      if (!p.has_value || p.value.front() == '[') return s.fail(errc::bad_appearance_uri, at, "appearance-uri");
      break;
    case sca_param::other:
      break;
  }
  return true;
}

// info = LAQUOT absoluteURI RAQUOT *( SEMI info-param ), at SWS before '<'.
inline bool scan_call_info_entry(scanner& s) noexcept {
  if (s.peek(',')) return s.fail(errc::empty_list_element, s.pos(), "info");
  if (s.at_end() || !s.peek('<')) return s.fail(errc::expected_laquot, s.pos(), "LAQUOT");
  char const* const laquot = s.pos();
  s.seek(laquot + 1);
  std::string_view part;
  // Running out of input anywhere inside <...> is the '<' left open.
  if (!s.match(rules::scheme, part) || !s.peek(':'))
    return s.at_end() ? s.fail(errc::unterminated_uri, laquot, "RAQUOT") : s.fail(errc::bad_uri, s.pos(), "absoluteURI");
  s.seek(s.pos() + 1);
  if (!s.match(rules::uri_body, part) && s.peek('>')) return s.fail(errc::bad_uri, s.pos(), "absoluteURI");
  if (s.at_end()) return s.fail(errc::unterminated_uri, laquot, "RAQUOT");
  if (!s.peek('>')) return s.fail(errc::bad_uri, s.pos(), "absoluteURI");
  s.seek(s.pos() + 1);
  std::uint32_t count = 0;
  return s.params(count, check_call_info_param);
}

}  // namespace detail

CALLINFO_DECL result<call_info_view> parse_call_info(std::string_view value, parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Call-Info");
    return s.error();
  }
  char const* const first = s.pos();
  std::uint32_t entries = 0;
  for (bool more = true; more;) {
    char const* const entry = s.pos();
    if (++entries > limits.max_entries) {
      s.fail(errc::too_many_entries, entry, "info");
      return s.error();
    }
    if (!detail::scan_call_info_entry(s)) return s.error();
    char const* const last = s.pos();
    if (!s.list_separator(more)) return s.error();
    if (!more) return call_info_view(std::string_view(first, static_cast<std::size_t>(last - first)), entries);
  }
  return s.error();  // not reached
}

}  // namespace callinfo::v1
