// callinfo — the records the Redis component keeps, as text.
//
// Each shared line is one Redis value: its appearances, the subscriptions to
// it and the publications on it, in the length-prefixed format of
// presence/snapshot.hpp, with deadlines as absolute times on the servers'
// common time line:
//   app <index> <state> <driver-kind> <driver-id> <remote>
//   dlg <owner-kind> <owner-id> <index> <state> <id> <call-id> <local-tag> <remote-tag>
//   sub <id> <package> <expires-at> <seized-index> <watcher>   (oldest first)
//     <package> is call-info, line-seize or dialog-shared (as in
//     presence/snapshot.hpp); for dialog-shared <seized-index> holds the
//     dialog-info version of its next NOTIFY. So the format is unchanged and a
//     record written before dialog;shared was known still reads.
//   pub <id> <expires-at> <etag>                                (by id)
// An empty text is a line with nothing to keep.
//
// A change message tells the other servers which of their subscriptions a
// change made elsewhere concerns:
//   <origin-node> <line>
//   ntf <id>                                  a call-info NOTIFY is due
//   end <id> <package> <reason|-> <seized>    the subscription ended
//     (dialog-shared: <seized> is the version of its terminated NOTIFY)
// A dialog;shared `ntf` carries no version: the owner numbers the NOTIFY
// when it sends it (see shared_server::handle_change).
//
// Nothing here does I/O or needs hiredis.
#pragma once

#include <callinfo/policy/storage.hpp>
#include <callinfo/presence/events.hpp>
#include <callinfo/presence/snapshot.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callinfo::redis {

namespace detail {
struct string_sink {
  std::string* s;
  void append(std::string_view v) { s->append(v); }
};

// The package as a record names it: "dialog;shared" is no keyword, so
// dialog-shared (as presence/snapshot.hpp writes it).
constexpr std::string_view package_name(event_package e) noexcept {
  return e == event_package::dialog_shared ? std::string_view("dialog-shared") : to_string(e);
}
inline std::optional<event_package> to_event_package(std::string_view s) noexcept {
  for (auto e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared})
    if (s == package_name(e)) return e;
  return std::nullopt;
}
inline std::optional<driver_kind> to_driver_kind(std::string_view s) noexcept {
  for (auto k : {driver_kind::none, driver_kind::seize, driver_kind::publication, driver_kind::dialog,
                 driver_kind::management})
    if (s == to_string(k)) return k;
  return std::nullopt;
}
}  // namespace detail

// Writes the line `uri`'s share of `st` to `out` (replacing it).
inline void encode_line(map_storage& st, std::string_view uri, std::string& out) {
  out.clear();
  detail::string_sink o{&out};
  using callinfo::detail::put_i64, callinfo::detail::put_str, callinfo::detail::put_u64;
  if (line_record const* rec = st.find_line(uri)) {
    for (appearance const& a : rec->state.busy()) {
      o.append("app ");
      put_u64(o, a.index);
      o.append(" ");
      o.append(to_string(a.state));
      o.append(" ");
      o.append(to_string(a.driver.kind));
      o.append(" ");
      put_u64(o, a.driver.id);
      o.append(" ");
      put_str(o, a.remote);
      o.append("\n");
    }
    for (line_dialog const& d : rec->dialogs) {
      o.append("dlg ");
      callinfo::detail::put_line_dialog(o, d);
      o.append("\n");
    }
    for (subscription_id id : rec->watchers) {
      subscription const* s = st.find_subscription(id);
      if (s == nullptr) continue;
      o.append("sub ");
      put_u64(o, s->id);
      o.append(" ");
      o.append(detail::package_name(s->event));
      o.append(" ");
      put_i64(o, s->expires_at.count());
      o.append(" ");
      put_u64(o, s->event == event_package::dialog_shared ? s->version : s->seized_index);
      o.append(" ");
      put_str(o, s->watcher);
      o.append("\n");
    }
  }
  std::vector<publication const*> pubs;
  st.for_each_publication([&](publication const& p) {
    if (p.line == uri) pubs.push_back(&p);
  });
  std::sort(pubs.begin(), pubs.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (publication const* p : pubs) {
    o.append("pub ");
    put_u64(o, p->id);
    o.append(" ");
    put_i64(o, p->expires_at.count());
    o.append(" ");
    put_str(o, p->etag);
    o.append("\n");
  }
}

// Adds the line a text written by encode_line() describes to `st`, which
// holds nothing of that line yet. Returns false on malformed text (`st` may
// then hold part of it).
inline bool decode_line(std::string_view uri, std::string_view text, map_storage& st) {
  if (text.empty()) return true;
  callinfo::detail::snapshot_reader in(text);
  line_record& line = st.make_line(uri);
  while (!in.at_end()) {
    std::string_view const kw = in.keyword();
    if (kw == "app") {
      auto const index = in.number<std::uint32_t>();
      auto const state = to_appearance_state(in.keyword());
      auto const kind = detail::to_driver_kind(in.keyword());
      auto const id = in.number<std::uint64_t>();
      std::string_view const remote = in.string();
      if (!in.ok() || !state || !kind || index == 0 || *state == appearance_state::idle || line.state.find(index))
        return false;
      line.state.set_state(index, *state, broadworks_transitions, {*kind, id}, remote, true);
    } else if (kw == "dlg") {
      if (!callinfo::detail::read_line_dialog(in, line)) return false;
    } else if (kw == "sub") {
      subscription s;
      s.id = in.number<std::uint64_t>();
      auto const pkg = detail::to_event_package(in.keyword());
      s.expires_at = time_point(in.number<std::int64_t>());
      s.seized_index = in.number<std::uint32_t>();
      s.watcher = std::string(in.string());
      s.line = std::string(uri);
      if (!in.ok() || !pkg || s.id == 0 || st.find_subscription(s.id)) return false;
      s.event = *pkg;
      if (s.event == event_package::dialog_shared) s.version = std::exchange(s.seized_index, 0u);
      line.watchers.push_back(s.id);
      st.add_subscription(std::move(s));
    } else if (kw == "pub") {
      publication p;
      p.id = in.number<std::uint64_t>();
      p.expires_at = time_point(in.number<std::int64_t>());
      p.etag = std::string(in.string());
      p.line = std::string(uri);
      if (!in.ok() || p.id == 0 || st.find_publication(p.id) || st.find_publication(std::string_view(p.etag)))
        return false;
      st.add_publication(std::move(p));
    } else {
      return false;
    }
    if (!in.end_of_record()) return false;
  }
  return in.ok();
}

// What the cluster-wide expiry set holds: one member per subscription and
// publication, scored by its deadline.
struct expiry_entry {
  timer_id timer;
  time_point at{0};
  friend bool operator==(expiry_entry const&, expiry_entry const&) = default;
};

// The line's subscriptions and publications with their deadlines.
inline void expiry_entries(map_storage& st, std::string_view uri, std::vector<expiry_entry>& out) {
  out.clear();
  if (line_record const* rec = st.find_line(uri))
    for (subscription_id id : rec->watchers)
      if (subscription const* s = st.find_subscription(id)) out.push_back({{timer_kind::subscription, id}, s->expires_at});
  st.for_each_publication([&](publication const& p) {
    if (p.line == uri) out.push_back({{timer_kind::publication, p.id}, p.expires_at});
  });
}

// The sorted-set member of a timer: "s <id> <line>" or "p <id> <line>".
inline std::string expiry_member(timer_id t, std::string_view line) {
  std::string m = t.kind == timer_kind::subscription ? "s " : "p ";
  m += std::to_string(t.id);
  m += ' ';
  m += line;
  return m;
}
struct parsed_member {
  timer_id timer;
  std::string_view line;
};
inline std::optional<parsed_member> parse_expiry_member(std::string_view m) noexcept {
  if (m.size() < 4 || (m[0] != 's' && m[0] != 'p') || m[1] != ' ') return std::nullopt;
  std::uint64_t id = 0;
  auto const r = std::from_chars(m.data() + 2, m.data() + m.size(), id);
  if (r.ec != std::errc{} || r.ptr == m.data() + m.size() || *r.ptr != ' ' || id == 0) return std::nullopt;
  std::size_t const rest = static_cast<std::size_t>(r.ptr - m.data()) + 1;
  return parsed_member{{m[0] == 's' ? timer_kind::subscription : timer_kind::publication, id}, m.substr(rest)};
}

// One subscription a change made elsewhere concerns.
struct change_entry {
  subscription_id id = 0;
  bool ended = false;  // false: a NOTIFY showing the line is due (call-info, dialog;shared)
  event_package event = event_package::call_info;
  std::optional<event_reason> reason;
  std::uint32_t seized_index = 0;
  std::uint32_t version = 0;  // ended dialog;shared: the version of its terminated NOTIFY
  friend bool operator==(change_entry const&, change_entry const&) = default;
};

struct change_message {
  std::uint32_t origin = 0;
  std::string line;
  std::vector<change_entry> entries;
  friend bool operator==(change_message const&, change_message const&) = default;
};

inline void encode_change(change_message const& m, std::string& out) {
  out.clear();
  detail::string_sink o{&out};
  using callinfo::detail::put_str, callinfo::detail::put_u64;
  put_u64(o, m.origin);
  o.append(" ");
  put_str(o, m.line);
  o.append("\n");
  for (change_entry const& e : m.entries) {
    o.append(e.ended ? "end " : "ntf ");
    put_u64(o, e.id);
    if (e.ended) {
      o.append(" ");
      o.append(detail::package_name(e.event));
      o.append(" ");
      o.append(e.reason ? to_string(*e.reason) : std::string_view("-"));
      o.append(" ");
      put_u64(o, e.event == event_package::dialog_shared ? e.version : e.seized_index);
    }
    o.append("\n");
  }
}

inline bool decode_change(std::string_view text, change_message& m) {
  callinfo::detail::snapshot_reader in(text);
  m.entries.clear();
  m.origin = in.number<std::uint32_t>();
  m.line = std::string(in.string());
  if (!in.end_of_record()) return false;
  while (!in.at_end()) {
    std::string_view const kw = in.keyword();
    change_entry e;
    if (kw == "ntf") {
      e.id = in.number<std::uint64_t>();
    } else if (kw == "end") {
      e.ended = true;
      e.id = in.number<std::uint64_t>();
      auto const pkg = detail::to_event_package(in.keyword());
      if (!pkg) return in.fail();
      e.event = *pkg;
      std::string_view const reason = in.keyword();  // "-" (none) reads as a keyword too
      if (reason.empty()) return in.fail();
      if (reason != "-") e.reason = to_event_reason(reason);
      e.seized_index = in.number<std::uint32_t>();
      if (e.event == event_package::dialog_shared) e.version = std::exchange(e.seized_index, 0u);
    } else {
      return in.fail();
    }
    if (!in.end_of_record() || e.id == 0) return false;
    m.entries.push_back(e);
  }
  return in.ok();
}

}  // namespace callinfo::redis
