// callinfo — parse_event, parse_allow_events (Spirit X3; see event.hpp).
#pragma once

#include <callinfo/syntax/detail/scanner.hpp>
#include <callinfo/syntax/event.hpp>

namespace callinfo::inline v1 {

namespace detail {

// event-type = event-package *( "." event-template ), each a token-nodot.
inline bool scan_event_type(scanner& s, event_type_view& out) noexcept {
  char const* const start = s.pos();
  std::string_view part;
  if (!s.match(rules::token_nodot, part))
    return s.fail(s.peek('.') ? errc::bad_event_type : errc::expected_token, s.pos(), "event-package");
  while (s.peek('.')) {
    s.seek(s.pos() + 1);
    if (!s.match(rules::token_nodot, part)) return s.fail(errc::bad_event_type, s.pos(), "event-template");
  }
  out.text = std::string_view(start, static_cast<std::size_t>(s.pos() - start));
  return true;
}

}  // namespace detail

CALLINFO_DECL result<event_view> parse_event(std::string_view value, parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Event");
    return s.error();
  }
  event_view e;
  if (!detail::scan_event_type(s, e.type)) return s.error();
  char const* const params_start = s.pos();
  std::uint32_t count = 0;
  bool const ok = s.params(count, [&e](detail::scanner& sc, param_view const& p) {
    if (!p.is("id")) return true;
    char const* const at = p.has_value ? p.value.data() : p.name.data();
    if (e.id) return sc.fail(errc::duplicate_param, p.name.data(), "event-param");
    // "id" EQUAL token: a quoted-string or IPv6 reference is not a token.
    if (!p.has_value || p.quoted() || p.value.front() == '[')
      return sc.fail(errc::expected_param_value, at, "event-param");
    e.id = p.value;
    return true;
  });
  if (!ok) return s.error();
  e.params = param_range(std::string_view(params_start, static_cast<std::size_t>(s.pos() - params_start)));
  if (!s.finish("event-param")) return s.error();
  return e;
}

CALLINFO_DECL result<allow_events_view> parse_allow_events(std::string_view value,
                                                          parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Allow-Events");
    return s.error();
  }
  char const* const first = s.pos();
  std::uint32_t count = 0;
  for (bool more = true; more;) {
    if (++count > limits.max_entries) {
      s.fail(errc::too_many_entries, s.pos(), "event-type");
      return s.error();
    }
    event_type_view t;
    if (s.peek(',')) {
      s.fail(errc::empty_list_element, s.pos(), "event-type");
      return s.error();
    }
    if (!detail::scan_event_type(s, t)) return s.error();
    char const* const last = s.pos();
    if (!s.list_separator(more)) return s.error();
    if (!more) return allow_events_view(std::string_view(first, static_cast<std::size_t>(last - first)), count);
  }
  return s.error();  // not reached
}

}  // namespace callinfo::v1
