// callinfo — snapshot and restore of a presence server's state.
//
// So that a restarted server loses no subscription, publication or
// appearance: snapshot() writes the whole state as text into a sink;
// restore() reads it back into a server and asks the stack to arm every
// timer again. Deadlines are stored relative to the snapshot's "now", so
// the restoring server may run on another time line (a steady clock after a
// reboot).
//
// Format, one record a line (the line records of presence/records.hpp,
// with deadlines as milliseconds left):
//   callinfo-snapshot 1
//   ids <subscription> <publication> <etag>   (the Ids policy's counters())
//   line <uri>
//   app ... / dlg ... / sub ...                (of the last line; watchers in order)
//   pub <id> <ms-left> <line> <etag> <publisher>
//   end
#pragma once

#include <callinfo/presence/records.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/sink.hpp>

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace callinfo::inline v1 {

/// Writes the server's whole state, with the Ids policy's counters, so ids
/// and entity-tags are never handed out twice after a restore.
template <class P, sink Sink>
void snapshot(basic_server<P>& s, Sink& out) {
  time_point const now = s.clock().now();
  auto& storage = s.storage();
  id_counters const ids = s.ids().counters();
  out.append("callinfo-snapshot 1\nids ");
  detail::put_u64(out, ids.subscription);
  out.append(" ");
  detail::put_u64(out, ids.publication);
  out.append(" ");
  detail::put_u64(out, ids.etag);
  out.append("\n");
  storage.for_each_line([&](line_record const& rec) {
    out.append("line ");
    detail::put_str(out, rec.state.uri());
    out.append("\n");
    detail::put_line_records(out, storage, rec, now);
  });
  storage.for_each_publication([&](publication const& p) { detail::put_publication(out, p, now, true); });
  out.append("end\n");
}

/// Replaces the server's state with a snapshot and writes an arm_timer for
/// every subscription and publication. On malformed input returns false and
/// leaves the server's state as it was. A storage other than map_storage
/// takes the state through `bool adopt(map_storage&&)` (redis::storage does
/// when it keeps its state in this process: a shared state is Redis's).
///
/// `stop` tells where reading stopped: on success, the offset just past the
/// `end` record (a file may carry more after it); on failure, the offset of
/// the record that was refused (its first byte), for an error message.
template <class P, effect_sink Out>
bool restore(basic_server<P>& s, std::string_view text, Out&& out, std::size_t& stop) {
  detail::record_reader in(text);
  map_storage next;
  time_point const now = s.clock().now();
  stop = in.next_record();
  if (!in.word("callinfo-snapshot") || in.number<int>() != 1 || !in.end_of_record()) return false;
  stop = in.next_record();
  if (!in.word("ids")) return false;
  id_counters ids;
  ids.subscription = in.number<std::uint64_t>();
  ids.publication = in.number<std::uint64_t>();
  ids.etag = in.number<std::uint64_t>();
  if (!in.end_of_record()) return false;

  line_record* line = nullptr;
  std::vector<arm_timer> timers;
  for (;;) {
    stop = in.next_record();
    std::string_view const kw = in.keyword();
    if (!in.ok()) return false;
    if (kw == "end") {
      if (!in.end_of_record()) return false;
      break;
    }
    if (kw == "line") {
      line = &next.make_line(in.string());
    } else if (kw == "app" && line != nullptr) {
      if (!detail::read_appearance(in, *line)) return false;
    } else if (kw == "dlg" && line != nullptr) {
      if (!detail::read_line_dialog(in, *line)) return false;
    } else if (kw == "sub" && line != nullptr) {
      if (!detail::read_subscription(in, next, *line, now)) return false;
      subscription const& sub = *next.find_subscription(line->watchers.back());
      timers.push_back(arm_timer{{timer_kind::subscription, sub.id}, sub.expires_at});
    } else if (kw == "pub") {
      publication const* p = detail::read_publication(in, next, now, {});
      if (p == nullptr) return false;
      timers.push_back(arm_timer{{timer_kind::publication, p->id}, p->expires_at});
    } else {
      return false;
    }
    if (!in.end_of_record()) return false;
  }
  if constexpr (std::same_as<typename P::storage, map_storage>) {
    s.storage() = std::move(next);
  } else if (!s.storage().adopt(std::move(next))) {
    return false;
  }
  s.ids().reserve(ids);
  // In a stable order (subscriptions, then publications, by id), whatever
  // order the storage iterates in.
  std::sort(timers.begin(), timers.end(), [](arm_timer const& a, arm_timer const& b) {
    return a.timer.kind != b.timer.kind ? a.timer.kind < b.timer.kind : a.timer.id < b.timer.id;
  });
  for (arm_timer const& t : timers) out(effect{t});
  stop = in.position();
  return true;
}

/// restore() for callers that do not need to know where reading stopped.
template <class P, effect_sink Out>
bool restore(basic_server<P>& s, std::string_view text, Out&& out) {
  std::size_t stop = 0;
  return restore(s, text, std::forward<Out>(out), stop);
}

}  // namespace callinfo::v1
