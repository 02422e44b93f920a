// callinfo — the records the Redis component keeps, as text.
//
// Each shared line is one Redis value: its appearances, the subscriptions to
// it and the publications on it, in the length-prefixed format of
// presence/snapshot.hpp, with deadlines as absolute times on the servers'
// common time line:
//   app <index> <state> <driver-kind> <driver-id> <remote>
//   dlg <owner-kind> <owner-id> <index> <state> <id> <call-id> <local-tag> <remote-tag>
//   sub <id> <package> <expires-at> <seized-index> <watcher> <event-id>   (oldest first)
//   pub <id> <expires-at> <etag> <publisher>                              (by id)
// (presence/records.hpp writes and reads them for both; a record written
// before <event-id> and <publisher> existed still reads.)
// An empty text is a line with nothing to keep.
//
// A change message tells the other servers which of their subscriptions a
// change made elsewhere concerns:
//   <origin-node> <line>
//   ntf <id>                                  a call-info NOTIFY is due
//   end <id> <package> <reason|-> <seized> <event-id>    the subscription ended
//     (dialog-shared: <seized> is the version of its terminated NOTIFY)
// A dialog;shared `ntf` carries no version: the owner numbers the NOTIFY
// when it sends it (see redis/storage.hpp).
//
// Nothing here does I/O or needs hiredis.
#pragma once

#include <callinfo/model/substate.hpp>
#include <callinfo/policy/storage.hpp>
#include <callinfo/presence/events.hpp>
#include <callinfo/presence/records.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callinfo::inline v1::redis {

namespace detail {
struct string_sink {
  std::string* s;
  void append(std::string_view v) { s->append(v); }
};

}  // namespace detail

/// Writes the line `uri`'s share of `st` to `out` (replacing it).
inline void encode_line(map_storage& st, std::string_view uri, std::string& out) {
  out.clear();
  detail::string_sink o{&out};
  if (line_record const* rec = st.find_line(uri)) callinfo::detail::put_line_records(o, st, *rec, time_point{0});
  std::vector<publication const*> pubs;
  st.for_each_publication([&](publication const& p) {
    if (p.line == uri) pubs.push_back(&p);
  });
  std::sort(pubs.begin(), pubs.end(), [](auto* a, auto* b) { return a->id < b->id; });
  for (publication const* p : pubs) callinfo::detail::put_publication(o, *p, time_point{0}, false);
}

/// Adds the line a text written by encode_line() describes to `st`, which
/// holds nothing of that line yet. Returns false on malformed text (`st` may
/// then hold part of it).
inline bool decode_line(std::string_view uri, std::string_view text, map_storage& st) {
  if (text.empty()) return true;
  callinfo::detail::record_reader in(text);
  line_record& line = st.make_line(uri);
  while (!in.at_end()) {
    std::string_view const kw = in.keyword();
    bool ok = false;
    if (kw == "app") ok = callinfo::detail::read_appearance(in, line);
    else if (kw == "dlg") ok = callinfo::detail::read_line_dialog(in, line);
    else if (kw == "sub") ok = callinfo::detail::read_subscription(in, st, line, time_point{0});
    else if (kw == "pub") ok = callinfo::detail::read_publication(in, st, time_point{0}, uri) != nullptr;
    if (!ok || !in.end_of_record()) return false;
  }
  return in.ok();
}

/// What the cluster-wide expiry set holds: one member per subscription and
/// publication, scored by its deadline.
struct expiry_entry {
  timer_id timer;  ///< the subscription or publication
  /// Its deadline, on the shared time line.
  time_point at{0};
  friend bool operator==(expiry_entry const&, expiry_entry const&) = default;  ///< Field-wise equality.
};

/// The line's subscriptions and publications with their deadlines.
inline void expiry_entries(map_storage& st, std::string_view uri, std::vector<expiry_entry>& out) {
  out.clear();
  if (line_record const* rec = st.find_line(uri))
    for (subscription_id id : rec->watchers)
      if (subscription const* s = st.find_subscription(id)) out.push_back({{timer_kind::subscription, id}, s->expires_at});
  st.for_each_publication([&](publication const& p) {
    if (p.line == uri) out.push_back({{timer_kind::publication, p.id}, p.expires_at});
  });
}

/// The sorted-set member of a timer: `s <id> <line>` or `p <id> <line>`.
inline std::string expiry_member(timer_id t, std::string_view line) {
  std::string m = t.kind == timer_kind::subscription ? "s " : "p ";
  m += std::to_string(t.id);
  m += ' ';
  m += line;
  return m;
}
/// A timer and its line, read back from a sorted-set member.
struct parsed_member {
  timer_id timer;         ///< the subscription or publication
  std::string_view line;  ///< its line's URI (a view into the member)
};
/// Reads a member written by expiry_member(); nullopt when it is not one.
inline std::optional<parsed_member> parse_expiry_member(std::string_view m) noexcept {
  if (m.size() < 4 || (m[0] != 's' && m[0] != 'p') || m[1] != ' ') return std::nullopt;
  std::uint64_t id = 0;
  auto const r = std::from_chars(m.data() + 2, m.data() + m.size(), id);
  if (r.ec != std::errc{} || r.ptr == m.data() + m.size() || *r.ptr != ' ' || id == 0) return std::nullopt;
  std::size_t const rest = static_cast<std::size_t>(r.ptr - m.data()) + 1;
  return parsed_member{{m[0] == 's' ? timer_kind::subscription : timer_kind::publication, id}, m.substr(rest)};
}

/// One subscription a change made elsewhere concerns.
struct change_entry {
  subscription_id id = 0;     ///< the subscription concerned
  bool ended = false;  ///< false: a NOTIFY showing the line is due (call-info, dialog;shared)
  event_package event = event_package::call_info;  ///< its package
  std::optional<event_reason> reason;  ///< ended: the reason of its terminated NOTIFY
  std::uint32_t seized_index = 0;  ///< ended line-seize: the appearance it held
  std::uint32_t version = 0;  ///< ended dialog;shared: the version of its terminated NOTIFY
  std::string event_id;       ///< ended: the subscription's Event id, for its terminated NOTIFY
  friend bool operator==(change_entry const&, change_entry const&) = default;  ///< Field-wise equality.
};

/// A change one server made to a line, published for the others: which line, and which
/// subscriptions it concerns.
struct change_message {
  std::uint32_t origin = 0;  ///< the server that made the change (its node number)
  std::string line;                                                                ///< the line's URI
  std::vector<change_entry> entries;  ///< the subscriptions concerned
  friend bool operator==(change_message const&, change_message const&) = default;  ///< Field-wise equality.
};

/// Writes `m` as a pub/sub message (a line-oriented text record).
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
      o.append(callinfo::detail::package_name(e.event));
      o.append(" ");
      o.append(e.reason ? to_string(*e.reason) : std::string_view("-"));
      o.append(" ");
      put_u64(o, e.event == event_package::dialog_shared ? e.version : e.seized_index);
      o.append(" ");
      put_str(o, e.event_id);
    }
    o.append("\n");
  }
}

/// Reads a message written by encode_change(); false when it is not one.
inline bool decode_change(std::string_view text, change_message& m) {
  callinfo::detail::record_reader in(text);
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
      auto const pkg = callinfo::detail::to_event_package(in.keyword());
      if (!pkg) return in.fail();
      e.event = *pkg;
      std::string_view const reason = in.keyword();  // "-" (none) reads as a keyword too
      if (reason.empty()) return in.fail();
      if (reason != "-") e.reason = to_event_reason(reason);
      e.seized_index = in.number<std::uint32_t>();
      if (e.event == event_package::dialog_shared) e.version = std::exchange(e.seized_index, 0u);
      e.event_id = std::string(in.trailing_string());  // older messages end before it
      if (!e.event_id.empty() && !is_token(e.event_id)) return in.fail();
    } else {
      return in.fail();
    }
    if (!in.end_of_record() || e.id == 0) return false;
    m.entries.push_back(std::move(e));
  }
  return in.ok();
}

}  // namespace callinfo::v1::redis
