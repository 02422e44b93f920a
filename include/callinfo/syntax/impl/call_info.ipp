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

// parse_call_info builds its view inside the result it returns: the index
// is a few hundred bytes, not worth copying.
struct call_info_view_access {
  static call_info_index& index(call_info_view& v) noexcept { return v.index_; }
  static void set(call_info_view& v, std::string_view text, std::uint32_t entries) noexcept {
    v.text_ = text;
    v.count_ = entries;
  }
};

// Records an entry's boundaries into the index while it is validated.
class call_info_indexer {
 public:
  call_info_indexer(call_info_index& index, char const* text) noexcept : index_(index), text_(text) {}

  // A text over 65535 bytes has offsets a uint16 cannot hold: no index.
  void disable() noexcept { full_ = true; }
  // At the '>' of the next entry.
  void begin_entry(char const* laquot, char const* raquot) noexcept {
    entry_ok_ = !full_ && index_.entry_count < call_info_index::entry_capacity;
    if (!entry_ok_) {
      full_ = true;  // the entries after this one are re-scanned too
      return;
    }
    params_ = raquot + 1;
    params_ok_ = true;
    params_at_ = index_.param_count;
    call_info_entry_bounds& e = index_.entries[index_.entry_count];
    e.laquot = offset(laquot);
    e.raquot = offset(raquot);
    e.first_param = index_.param_count;
  }
  void param(param_view const& p) noexcept {
    if (!entry_ok_ || !params_ok_) return;
    std::size_t const n = params_at_ - index_.param_count;
    char const* const end = p.has_value ? p.value.data() + p.value.size() : p.name.data() + p.name.size();
    if (n == indexed_params || params_at_ == call_info_index::param_capacity || end - params_ > 0xff) {
      params_ok_ = false;
      return;
    }
    param_bounds& b = index_.params[params_at_++];
    b.name = static_cast<std::uint8_t>(p.name.data() - params_);
    b.name_end = static_cast<std::uint8_t>(b.name + p.name.size());
    b.value = p.has_value ? static_cast<std::uint8_t>(p.value.data() - params_) : b.name_end;
    b.value_end = static_cast<std::uint8_t>(end - params_);
  }
  // After the entry's last param, at `end`.
  void end_entry(char const* end) noexcept {
    if (!entry_ok_) return;
    call_info_entry_bounds& e = index_.entries[index_.entry_count++];
    e.params_end = offset(end);
    if (params_ok_) {
      e.params = static_cast<std::uint8_t>(params_at_ - index_.param_count);
      index_.param_count = params_at_;
    } else {
      e.params = lazy_params;
    }
  }

 private:
  std::uint16_t offset(char const* p) const noexcept { return static_cast<std::uint16_t>(p - text_); }
  call_info_index& index_;
  char const* text_;
  char const* params_ = nullptr;
  std::uint8_t params_at_ = 0;
  bool entry_ok_ = false;
  bool params_ok_ = false;
  bool full_ = false;
};

// info = LAQUOT absoluteURI RAQUOT *( SEMI info-param ), at SWS before '<'.
inline bool scan_call_info_entry(scanner& s, call_info_indexer& index) noexcept {
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
  index.begin_entry(laquot, s.pos());
  s.seek(s.pos() + 1);
  std::uint32_t count = 0;
  if (!s.params(count, [&index](scanner& sc, param_view const& p) {
        if (!check_call_info_param(sc, p)) return false;
        index.param(p);
        return true;
      }))
    return false;
  index.end_entry(s.pos());
  return true;
}

}  // namespace detail

CALLINFO_DECL result<call_info_view> parse_call_info(std::string_view value, parse_limits const& limits) noexcept {
  // One result object on every path, so that it is constructed in place.
  result<call_info_view> out{call_info_view()};
  detail::scanner s(value, limits);
  if (!s.check_length()) {
    out = s.error();
    return out;
  }
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Call-Info");
    out = s.error();
    return out;
  }
  char const* const first = s.pos();
  detail::call_info_indexer indexer(detail::call_info_view_access::index(out.value()), first);
  if (value.size() > 0xffff) indexer.disable();
  std::uint32_t entries = 0;
  for (bool more = true; more;) {
    char const* const entry = s.pos();
    if (++entries > limits.max_entries) {
      s.fail(errc::too_many_entries, entry, "info");
      break;
    }
    if (!detail::scan_call_info_entry(s, indexer)) break;
    char const* const last = s.pos();
    if (!s.list_separator(more)) break;
    if (!more) {
      detail::call_info_view_access::set(out.value(), std::string_view(first, static_cast<std::size_t>(last - first)),
                                         entries);
      return out;
    }
  }
  out = s.error();
  return out;
}

}  // namespace callinfo::v1
