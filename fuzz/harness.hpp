// callinfo — fuzz harnesses: one function per parser plus a round trip.
//
// Each run_*() takes one input as the header value, parses it with the
// default limits and with small limits derived from the input, and checks
// invariants, trapping on any violation:
//   - on success: every view (entries, params, appearances, event types,
//     tokens) lies inside the parsed buffer and the lazy ranges agree with
//     the counts; print() writes one line that reparses to an equal view,
//     and printing that view gives the identical text;
//   - on failure: the offset lies inside the input, the code has a name, and
//     render() produces a diagnostic;
//   - limits: a parse that succeeds under small limits succeeds with the
//     defaults and gives an equal view; a failure under small limits is
//     either a limit error or exactly the failure the defaults report.
// The same functions are driven by libFuzzer (fuzz_target.cpp) and by the
// corpus replayer (replay.cpp), so a saved reproducer is a plain test input.
// The harnesses of the Call-Info builders (build_harness.hpp), the presence
// server (server_harness.hpp) and the dialog-info parser
// (dialog_info_harness.hpp) build on this header, which includes none of
// them: fuzz_target.cpp and replay.cpp include each one they run.
#pragma once

#include <callinfo/callinfo.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

namespace callinfo::fuzz {

inline void require(bool ok) noexcept {
  if (!ok) __builtin_trap();
}

// The `fail` of the checks shared with the unit tests (tests/support/):
// prints which invariant broke, then traps as require() does.
struct trap {
  [[noreturn]] void operator()(std::string_view what) const noexcept {
    std::fprintf(stderr, "invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
    __builtin_trap();
  }
};

// An exact-size heap copy, so that a read one past the end is an
// AddressSanitizer report rather than a read of std::string's spare capacity.
class exact_buffer {
 public:
  explicit exact_buffer(std::string_view s) : data_(new char[s.size() + (s.empty() ? 1 : 0)]), size_(s.size()) {
    if (!s.empty()) std::memcpy(data_.get(), s.data(), s.size());
  }
  std::string_view view() const noexcept { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

// `sub` lies inside `outer` (an empty view may also be null).
inline bool inside(std::string_view sub, std::string_view outer) noexcept {
  auto const b = reinterpret_cast<std::uintptr_t>(outer.data());
  auto const e = b + outer.size();
  auto const s = reinterpret_cast<std::uintptr_t>(sub.data());
  if (sub.empty()) return sub.data() == nullptr || (s >= b && s <= e);
  return s >= b && s <= e && sub.size() <= e - s;
}

inline char const* end_of(std::string_view v) noexcept { return v.data() + v.size(); }

// Small limits, chosen by a hash of the input so that the same input always
// gets the same limits; max_value_length is often exactly at the boundary.
inline parse_limits small_limits(std::string_view in) noexcept {
  std::uint32_t h = 2166136261u;
  for (char c : in) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  auto const size = static_cast<std::uint32_t>(in.size());
  parse_limits l;
  switch (h & 3u) {
    case 0: l.max_value_length = size; break;
    case 1: l.max_value_length = size == 0 ? 0 : size - 1; break;
    case 2: l.max_value_length = size + 1; break;
    default: l.max_value_length = (h >> 2) % (size + 1); break;
  }
  l.max_entries = (h >> 8) % 5;
  l.max_params = (h >> 12) % 6;
  return l;
}

inline bool is_limit_error(errc e) noexcept {
  return e == errc::header_too_long || e == errc::too_many_entries || e == errc::too_many_params;
}

inline void check_error(parse_error const& err, std::string_view in) {
  require(err.code != errc::ok);
  require(name(err.code) != "unknown");
  require(err.offset <= in.size());
  require(err.rule != nullptr);
  std::string const text = render(err, in);
  require(!text.empty());
  // The diagnostic is printable: control bytes of the input are escaped.
  std::size_t lines = 0;
  for (char c : text) {
    if (c == '\n') ++lines;
    else require(!detail::is(c, detail::cc_ctl));
  }
  require(lines == 4);
}

// Quoted-string content unescaped into a buffer of exactly its size.
inline void check_unescape(std::string_view content) {
  auto const buf = std::make_unique<char[]>(content.size() + 1);
  std::size_t const n = unescape_into(content, buf.get());
  require(n <= content.size());
  require(unescape(content) == std::string_view(buf.get(), n));
}

// ---- walking every lazy range of a view -----------------------------------

// A validated gen-value is what RFC 3261 §25.1 allows: a token, an
// IPv6reference or a quoted-string (qdtext, quoted-pair, LWS).
inline void check_gen_value(std::string_view v) {
  using detail::is;
  require(!v.empty());
  if (v.front() == '"') {
    require(v.size() >= 2 && v.back() == '"');
    for (std::size_t i = 1; i + 1 < v.size(); ++i) {
      char const c = v[i];
      if (c == '\\') {
        require(i + 2 < v.size() && is(v[i + 1], detail::cc_quoted_pair));
        ++i;
      } else if (c == '\r') {
        require(i + 2 < v.size() - 1 && v[i + 1] == '\n' && is(v[i + 2], detail::cc_wsp));
        ++i;
      } else {
        require(c != '"' && (is(c, detail::cc_qdtext) || is(c, detail::cc_wsp)));
      }
    }
  } else if (v.front() == '[') {
    require(v.size() >= 3 && v.back() == ']');
    for (char c : v.substr(1, v.size() - 2)) require(is(c, detail::cc_hex) || c == ':' || c == '.');
  } else {
    for (char c : v) require(is(c, detail::cc_token));
  }
}

// absoluteURI = scheme ":" 1*( uric / escaped ), as between '<' and '>'.
inline void check_absolute_uri(std::string_view u) {
  using detail::is;
  require(!u.empty() && is(u.front(), detail::cc_alpha));
  std::size_t i = 0;
  while (i < u.size() && u[i] != ':') require(is(u[i++], detail::cc_scheme));
  require(i + 1 < u.size());
  for (++i; i < u.size(); ++i) {
    if (u[i] == '%') {
      require(i + 2 < u.size() && is(u[i + 1], detail::cc_hex) && is(u[i + 2], detail::cc_hex));
      i += 2;
    } else {
      require(is(u[i], detail::cc_uric));
    }
  }
}

// A param whose value must be a token (id, reason, appearance-state).
inline void check_token_value(param_view const& p) {
  require(p.has_value && !p.quoted() && p.value.front() != '[');
}


inline void walk_params(param_range const& ps, std::string_view in, parse_limits const& lim) {
  std::string_view const text = ps.text();
  require(inside(text, in));
  std::size_t n = 0;
  char const* last = text.data();
  for (auto it = ps.begin(); it != ps.end(); it++) {
    param_view const& p = *it;
    require(++n <= lim.max_params);
    require(!p.name.empty() && inside(p.name, text));
    for (char c : p.name) require(detail::is(c, detail::cc_token));
    require(p.name.data() >= last);
    if (p.has_value) {
      require(!p.value.empty() && inside(p.value, text));
      require(p.value.data() >= end_of(p.name));
      check_gen_value(p.value);
      if (p.quoted()) {
        require(p.value.back() == '"');
        check_unescape(p.unquoted());
      }
      last = end_of(p.value);
    } else {
      require(p.value.empty());
      last = end_of(p.name);
    }
    auto const found = ps.find(p.name);
    require(found.has_value() && found->is(p.name));
  }
  require(n == ps.size());
  require(ps.empty() == (n == 0));
  // The params cover exactly the validated text.
  require(n == 0 ? text.empty() : last == end_of(text));
}

inline void walk(call_info_view const& ci, std::string_view in, parse_limits const& lim) {
  std::string_view const text = ci.text();
  require(inside(text, in) && !text.empty());
  require(!ci.empty() && ci.size() <= lim.max_entries);
  std::size_t n = 0;
  char const* end = nullptr;
  for (call_info_entry_view const& e : ci) {
    require(++n <= ci.size());
    require(!e.uri.empty() && inside(e.uri, text));
    require(e.uri.data() > text.data() && e.uri.data()[-1] == '<');
    require(end_of(e.uri) < end_of(text) && *end_of(e.uri) == '>');
    check_absolute_uri(e.uri);
    walk_params(e.params, text, lim);
    for (param_view const& p : e.params) {
      appearance_index index;
      if (p.is("appearance-index")) require(p.has_value && parse_appearance_index(p.value, index));
      else if (p.is("appearance-state")) check_token_value(p);
      else if (p.is("appearance-uri")) require(p.has_value);
    }
    require(e.params.text().data() == end_of(e.uri) + 1);
    end = end_of(e.params.text());

    std::size_t const params = e.params.size();
    std::size_t appearances = 0;
    for (auto it = e.appearances().begin(); it != e.appearances().end(); ++it) {
      appearance_view const& a = *it;
      require(++appearances <= params);
      require(a.index || a.state_token || a.uri);
      if (a.state_token) {
        require(!a.state_token->empty() && inside(*a.state_token, e.params.text()));
        if (auto const s = a.state()) require(detail::iequals(to_string(*s), *a.state_token));
      }
      if (a.uri) {
        require(a.uri->is("appearance-uri") && a.uri->has_value);
        require(inside(a.uri->value, e.params.text()));
        check_unescape(a.uri->unquoted());
      }
      if (a.index && a.index->is_wildcard()) require(a.index->value() == 0);
    }
    auto const first = e.appearance();
    require(first.has_value() == (appearances != 0));
    require(e.appearances().empty() == (appearances == 0));
    if (auto const p = e.purpose()) require(p->is("purpose") && inside(p->value, e.params.text()));
  }
  require(n == ci.size());
  require(end == end_of(text));
  require(ci.front().uri.data() == ci.begin()->uri.data());

  // The boundaries recorded while validating give exactly what a re-scan of
  // the same text gives (an index-free view), down to the byte.
  auto same = [](std::string_view a, std::string_view b) { return a.data() == b.data() && a.size() == b.size(); };
  call_info_view const rescan(text, static_cast<std::uint32_t>(ci.size()));
  auto j = rescan.begin();
  for (call_info_entry_view const& e : ci) {
    require(j != rescan.end() && same(e.uri, j->uri) && same(e.params.text(), j->params.text()));
    require(!j->params.indexed() && e.params.size() == j->params.size());
    auto q = j->params.begin();
    for (param_view const& p : e.params) {
      require(q != j->params.end() && same(p.name, q->name) && same(p.value, q->value) && p.has_value == q->has_value);
      ++q;
    }
    require(q == j->params.end());
    ++j;
  }
  require(j == rescan.end());
}

inline void walk_event_type(event_type_view const& t, std::string_view in) {
  require(!t.text.empty() && inside(t.text, in));
  for (char c : t.text) require(detail::is(c, detail::cc_token));
  std::string_view const package = t.package();
  require(!package.empty() && package.data() == t.text.data());
  require(package.find('.') == std::string_view::npos);
  std::string_view const templates = t.templates();
  if (package.size() == t.text.size()) require(templates.empty());
  else require(!templates.empty() && end_of(templates) == end_of(t.text) && templates.front() != '.' &&
               templates.back() != '.' && templates.find("..") == std::string_view::npos);
}

inline void walk(event_view const& e, std::string_view in, parse_limits const& lim) {
  walk_event_type(e.type, in);
  walk_params(e.params, in, lim);
  if (!e.params.empty()) require(e.params.text().data() >= end_of(e.type.text));
  auto const id = e.params.find("id");
  require(id.has_value() == e.id.has_value());
  if (e.id) require(!e.id->empty() && inside(*e.id, in) && id->value.data() == e.id->data() && id->value == *e.id);
  if (id) check_token_value(*id);
}

inline void walk(allow_events_view const& a, std::string_view in, parse_limits const& lim) {
  require(inside(a.text(), in) && !a.text().empty());
  require(a.size() != 0 && a.size() <= lim.max_entries);
  std::size_t n = 0;
  char const* end = nullptr;
  for (event_type_view const& t : a) {
    require(++n <= a.size());
    walk_event_type(t, a.text());
    require(a.contains(t.text));
    end = end_of(t.text);
  }
  require(n == a.size() && end == end_of(a.text()));
}

inline void walk(subscription_state_view const& s, std::string_view in, parse_limits const& lim) {
  require(!s.state_token.empty() && inside(s.state_token, in));
  require(s.state() == to_substate(s.state_token));
  walk_params(s.params, in, lim);
  auto const reason = s.params.find("reason");
  require(reason.has_value() == s.reason_token.has_value());
  if (s.reason_token) {
    require(inside(*s.reason_token, in) && reason->value.data() == s.reason_token->data());
    require(s.reason().has_value());
    check_token_value(*reason);
  }
  auto const seconds = [&](char const* name, std::optional<std::uint32_t> const& slot) {
    auto const p = s.params.find(name);
    require(p.has_value() == slot.has_value());
    if (!p) return;
    std::uint32_t n = 0;
    require(to_delta_seconds(p->value, n) == errc::ok && n == *slot);
  };
  seconds("expires", s.expires);
  seconds("retry-after", s.retry_after);
}

inline void walk(expires_view const&, std::string_view, parse_limits const&) {}

inline void walk(entity_tag_view const& e, std::string_view in, parse_limits const&) {
  require(!e.tag.empty() && inside(e.tag, in));
  for (char c : e.tag) require(detail::is(c, detail::cc_token));
}

// ---- the checks every harness shares --------------------------------------

template <class View>
std::string printed(View const& v) {
  std::string s;
  string_sink sink(s);
  callinfo::print(v, sink);
  return s;
}

// print() gives one line that reparses to an equal view and prints the same;
// a fixed_sink too small for it keeps a prefix and reports overflow.
template <class View, class Parse>
void check_round_trip(View const& v, Parse const& parse, parse_limits lim, std::uint32_t seed) {
  std::string const text = printed(v);
  require(!text.empty());
  for (char c : text) require(c != '\r' && c != '\n');
  lim.max_value_length = std::numeric_limits<std::uint32_t>::max();
  exact_buffer const copy(text);
  auto const r = parse(copy.view(), lim);
  require(r.has_value());
  walk(*r, copy.view(), lim);
  require(*r == v && v == *r);
  require(printed(*r) == text);

  char buf[96];
  fixed_sink small(buf, seed % (sizeof buf + 1));
  callinfo::print(v, small);
  require(small.size() <= seed % (sizeof buf + 1));
  require(text.compare(0, small.size(), small.view()) == 0);
  require(small.overflowed() == (small.size() != text.size()));
}

template <class Parse>
void check_value(std::string_view in, Parse const& parse) {
  parse_limits const defaults{};
  parse_limits const small = small_limits(in);
  auto const r = parse(in, defaults);
  if (r) {
    walk(*r, in, defaults);
    check_round_trip(*r, parse, defaults, static_cast<std::uint32_t>(in.size()));
  } else {
    check_error(r.error(), in);
  }
  auto const rs = parse(in, small);
  if (rs) {
    walk(*rs, in, small);
    require(r.has_value() && *rs == *r && printed(*rs) == printed(*r));
    check_round_trip(*rs, parse, small, small.max_value_length);
  } else {
    check_error(rs.error(), in);
    if (!is_limit_error(rs.error().code)) require(!r.has_value() && r.error() == rs.error());
  }
}

// ---- one harness per parser -----------------------------------------------
// Each parser as one callable (`&parse_x` names an overload set: the
// deleted std::string&& form).
inline constexpr auto parse_call_info_fn = [](std::string_view v, parse_limits const& l) { return parse_call_info(v, l); };
inline constexpr auto parse_event_fn = [](std::string_view v, parse_limits const& l) { return parse_event(v, l); };
inline constexpr auto parse_allow_events_fn = [](std::string_view v, parse_limits const& l) { return parse_allow_events(v, l); };
inline constexpr auto parse_subscription_state_fn = [](std::string_view v, parse_limits const& l) { return parse_subscription_state(v, l); };
inline constexpr auto parse_expires_fn = [](std::string_view v, parse_limits const& l) { return parse_expires(v, l); };
inline constexpr auto parse_sip_etag_fn = [](std::string_view v, parse_limits const& l) { return parse_sip_etag(v, l); };


inline void run_call_info(std::string_view in) { check_value(in, parse_call_info_fn); }
inline void run_event(std::string_view in) { check_value(in, parse_event_fn); }
inline void run_allow_events(std::string_view in) { check_value(in, parse_allow_events_fn); }
inline void run_subscription_state(std::string_view in) { check_value(in, parse_subscription_state_fn); }
inline void run_expires(std::string_view in) { check_value(in, parse_expires_fn); }
inline void run_etag(std::string_view in) {
  check_value(in, parse_sip_etag_fn);
  auto const a = parse_sip_etag(in);
  auto const b = parse_sip_if_match(in);
  require(a.has_value() == b.has_value());
  if (a) require(*a == *b);
  else require(a.error() == b.error());
}

// A view that survives surrounding whitespace: SWS around the value changes
// nothing but the offsets.
template <class Parse>
void check_padded(std::string_view in, Parse const& parse) {
  auto const r = parse(in, parse_limits{});
  if (!r) return;
  std::string padded = " ";
  padded += in;
  padded += "\t ";
  exact_buffer const copy(padded);
  parse_limits lim;
  lim.max_value_length = std::numeric_limits<std::uint32_t>::max();
  auto const rp = parse(copy.view(), lim);
  require(rp.has_value());
  walk(*rp, copy.view(), lim);
  require(*rp == *r && printed(*rp) == printed(*r));
}

// Two printed lists joined by ", " are one list with both sets of elements.
template <class Parse>
void check_joined(std::string_view in, Parse const& parse) {
  auto const r = parse(in, parse_limits{});
  if (!r) return;
  std::string const one = printed(*r);
  std::string const two = one + ", " + one;
  exact_buffer const copy(two);
  parse_limits lim;
  lim.max_value_length = std::numeric_limits<std::uint32_t>::max();
  lim.max_entries = std::numeric_limits<std::uint32_t>::max();
  auto const rj = parse(copy.view(), lim);
  require(rj.has_value());
  walk(*rj, copy.view(), lim);
  require(rj->size() == 2 * r->size() && printed(*rj) == two);
}

// Every parser, chosen by the first byte; the rest is the value.
inline void run_round_trip(std::string_view in) {
  if (in.empty()) return;
  auto const which = static_cast<unsigned char>(in.front()) % 6u;
  in.remove_prefix(1);
  switch (which) {
    case 0:
      run_call_info(in);
      check_padded(in, parse_call_info_fn);
      check_joined(in, parse_call_info_fn);
      break;
    case 1:
      run_event(in);
      check_padded(in, parse_event_fn);
      break;
    case 2:
      run_allow_events(in);
      check_padded(in, parse_allow_events_fn);
      check_joined(in, parse_allow_events_fn);
      break;
    case 3:
      run_subscription_state(in);
      check_padded(in, parse_subscription_state_fn);
      break;
    case 4:
      run_expires(in);
      check_padded(in, parse_expires_fn);
      break;
    default:
      run_etag(in);
      check_padded(in, parse_sip_etag_fn);
      break;
  }
}

}  // namespace callinfo::fuzz
