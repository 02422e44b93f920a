// callinfo — snapshot and restore of a presence server's state.
//
// So that a restarted server loses no subscription, publication or
// appearance: snapshot() writes the whole state as text into a sink;
// restore() reads it back into a server and asks the stack to arm every
// timer again. Deadlines are stored relative to the snapshot's "now", so
// the restoring server may run on another time line (a steady clock after a
// reboot).
//
// Format, one record a line (strings are length-prefixed, `5:hello`, so no
// byte of a URI needs escaping):
//   callinfo-snapshot 1
//   ids <next-subscription> <next-publication> <next-etag>
//   line <uri>
//   app <index> <state> <driver-kind> <driver-id> <remote>
//   dlg <owner-kind> <owner-id> <index> <state> <id> <call-id> <local-tag> <remote-tag>
//     (the dialogs known to hold the line's appearances, line/line_dialogs.hpp;
//     owner-kind is publication or dialog)
//   sub <id> <package> <ms-left> <seized-index> <watcher>      (watchers of the last line, in order)
//     <package> is call-info, line-seize or dialog-shared; for dialog-shared
//     <seized-index> holds the dialog-info version of its next NOTIFY
//   pub <id> <ms-left> <line> <etag>
//   end
#pragma once

#include <callinfo/presence/server.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/detail/numbers.hpp>

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace callinfo {

namespace detail {

template <sink Sink>
void put_u64(Sink& out, std::uint64_t v) {
  char buf[24];
  auto const r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}
template <sink Sink>
void put_i64(Sink& out, std::int64_t v) {
  char buf[24];
  auto const r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}
template <sink Sink>
void put_str(Sink& out, std::string_view s) {
  put_u64(out, s.size());
  out.append(":");
  out.append(s);
}

// Reads the snapshot format; every getter fails (and stays failed) on bad input.
class snapshot_reader {
 public:
  explicit snapshot_reader(std::string_view text) noexcept : text_(text) {}
  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  std::size_t position() const noexcept { return pos_; }
  // Where the next record starts (after blank lines).
  std::size_t next_record() noexcept {
    skip_space();
    return pos_;
  }

  bool word(std::string_view w) noexcept {
    skip_space();
    if (text_.substr(pos_, w.size()) != w) return fail();
    pos_ += w.size();
    return true;
  }
  std::string_view keyword() noexcept {
    skip_space();
    std::size_t const start = pos_;
    while (pos_ < text_.size() && ((text_[pos_] >= 'a' && text_[pos_] <= 'z') || text_[pos_] == '-')) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  template <class Int>
  Int number() noexcept {
    skip_space();
    Int v{};
    auto const r = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), v);
    if (r.ec != std::errc{}) {
      fail();
      return Int{};
    }
    pos_ = static_cast<std::size_t>(r.ptr - text_.data());
    return v;
  }
  std::string_view string() noexcept {
    auto const n = number<std::size_t>();
    if (!ok_ || pos_ >= text_.size() || text_[pos_] != ':' || text_.size() - pos_ - 1 < n) {
      fail();
      return {};
    }
    std::string_view const s = text_.substr(pos_ + 1, n);
    pos_ += 1 + n;
    return s;
  }
  bool end_of_record() noexcept {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (pos_ < text_.size() && text_[pos_] != '\n') return fail();
    if (pos_ < text_.size()) ++pos_;
    return ok_;
  }
  bool fail() noexcept {
    ok_ = false;
    pos_ = text_.size();
    return false;
  }

 private:
  void skip_space() noexcept {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n')) ++pos_;
  }
  std::string_view text_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// One `dlg` record (without the keyword and the newline).
template <sink Sink>
void put_line_dialog(Sink& out, line_dialog const& d) {
  out.append(to_string(d.owner.kind));
  out.append(" ");
  put_u64(out, d.owner.id);
  out.append(" ");
  put_u64(out, d.index);
  out.append(" ");
  out.append(to_string(d.state));
  for (std::string const* v : {&d.id, &d.call_id, &d.local_tag, &d.remote_tag}) {
    out.append(" ");
    put_str(out, *v);
  }
}

// Reads the rest of a `dlg` record into `line`; false when malformed.
inline bool read_line_dialog(snapshot_reader& in, line_record& line) {
  line_dialog d;
  std::string_view const kind = in.keyword();
  d.owner.kind = kind == to_string(driver_kind::publication) ? driver_kind::publication
                 : kind == to_string(driver_kind::dialog)    ? driver_kind::dialog
                                                             : driver_kind::none;
  d.owner.id = in.number<std::uint64_t>();
  d.index = in.number<std::uint32_t>();
  auto const state = to_appearance_state(in.keyword());
  for (std::string* v : {&d.id, &d.call_id, &d.local_tag, &d.remote_tag}) {
    std::string_view const text = in.string();
    if (!dialog_field_is_writable(text)) return in.fail();
    v->assign(text);
  }
  if (!in.ok() || d.owner.kind == driver_kind::none || d.index == 0 || !state || *state == appearance_state::idle)
    return in.fail();
  d.state = *state;
  line.dialogs.push_back(std::move(d));
  return true;
}

}  // namespace detail

// Writes the server's whole state, with the Ids policy's counters when it
// has counters() (as counter_ids does), so ids are never handed out twice.
template <class P, sink Sink>
void snapshot(basic_server<P>& s, Sink& out) {
  time_point const now = s.clock().now();
  auto& storage = s.storage();
  id_counters ids;
  if constexpr (requires { { s.ids().counters() } -> std::convertible_to<id_counters>; }) ids = s.ids().counters();
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
    for (appearance const& a : rec.state.busy()) {
      out.append("app ");
      detail::put_u64(out, a.index);
      out.append(" ");
      out.append(to_string(a.state));
      out.append(" ");
      out.append(to_string(a.driver.kind));
      out.append(" ");
      detail::put_u64(out, a.driver.id);
      out.append(" ");
      detail::put_str(out, a.remote);
      out.append("\n");
    }
    for (line_dialog const& d : rec.dialogs) {
      out.append("dlg ");
      detail::put_line_dialog(out, d);
      out.append("\n");
    }
    for (subscription_id id : rec.watchers) {
      subscription const* sub = storage.find_subscription(id);
      if (sub == nullptr) continue;
      out.append("sub ");
      detail::put_u64(out, sub->id);
      out.append(" ");
      bool const shared = sub->event == event_package::dialog_shared;
      out.append(shared ? std::string_view("dialog-shared") : to_string(sub->event));
      out.append(" ");
      detail::put_i64(out, (sub->expires_at - now).count());
      out.append(" ");
      detail::put_u64(out, shared ? sub->version : sub->seized_index);
      out.append(" ");
      detail::put_str(out, sub->watcher);
      out.append("\n");
    }
  });
  storage.for_each_publication([&](publication const& p) {
    out.append("pub ");
    detail::put_u64(out, p.id);
    out.append(" ");
    detail::put_i64(out, (p.expires_at - now).count());
    out.append(" ");
    detail::put_str(out, p.line);
    out.append(" ");
    detail::put_str(out, p.etag);
    out.append("\n");
  });
  out.append("end\n");
}

// Replaces the server's state with a snapshot and writes an arm_timer for
// every subscription and publication. On malformed input returns false and
// leaves the server's state as it was.
//
// `stop` tells where reading stopped: on success, the offset just past the
// `end` record (a file may carry more after it); on failure, the offset of
// the record that was refused (its first byte), for an error message.
template <class P, effect_sink Out>
bool restore(basic_server<P>& s, std::string_view text, Out&& out, std::size_t& stop) {
  detail::snapshot_reader in(text);
  typename P::storage next{};
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
      auto const index = in.number<std::uint32_t>();
      auto const state = to_appearance_state(in.keyword());
      std::string_view const kind = in.keyword();
      auto const id = in.number<std::uint64_t>();
      std::string_view const remote = in.string();
      driver_kind dk = driver_kind::none;
      for (auto k : {driver_kind::seize, driver_kind::publication, driver_kind::dialog, driver_kind::management})
        if (kind == to_string(k)) dk = k;
      if (!in.ok() || !state || index == 0 || *state == appearance_state::idle || line->state.find(index)) return false;
      line->state.set_state(index, *state, broadworks_transitions, {dk, id}, remote, true);
    } else if (kw == "dlg" && line != nullptr) {
      if (!detail::read_line_dialog(in, *line)) return false;
    } else if (kw == "sub" && line != nullptr) {
      subscription sub;
      sub.id = in.number<std::uint64_t>();
      std::string_view const pkg = in.keyword();
      if (pkg == to_string(event_package::call_info)) sub.event = event_package::call_info;
      else if (pkg == to_string(event_package::line_seize)) sub.event = event_package::line_seize;
      else if (pkg == "dialog-shared") sub.event = event_package::dialog_shared;
      else return false;
      sub.expires_at = now + time_point(in.number<std::int64_t>());
      sub.seized_index = in.number<std::uint32_t>();
      if (sub.event == event_package::dialog_shared) sub.version = std::exchange(sub.seized_index, 0u);
      sub.watcher = std::string(in.string());
      sub.line = line->state.uri();
      if (!in.ok() || sub.id == 0 || next.find_subscription(sub.id)) return false;
      line->watchers.push_back(sub.id);
      timers.push_back(arm_timer{{timer_kind::subscription, sub.id}, sub.expires_at});
      next.add_subscription(std::move(sub));
    } else if (kw == "pub") {
      publication p;
      p.id = in.number<std::uint64_t>();
      p.expires_at = now + time_point(in.number<std::int64_t>());
      p.line = std::string(in.string());
      p.etag = std::string(in.string());
      if (!in.ok() || p.id == 0 || next.find_publication(p.id) || next.find_publication(p.etag)) return false;
      timers.push_back(arm_timer{{timer_kind::publication, p.id}, p.expires_at});
      next.add_publication(std::move(p));
    } else {
      return false;
    }
    if (!in.end_of_record()) return false;
  }
  s.storage() = std::move(next);
  if constexpr (requires { s.ids().reserve(ids); }) s.ids().reserve(ids);
  // In a stable order (subscriptions, then publications, by id), whatever
  // order the storage iterates in.
  std::sort(timers.begin(), timers.end(), [](arm_timer const& a, arm_timer const& b) {
    return a.timer.kind != b.timer.kind ? a.timer.kind < b.timer.kind : a.timer.id < b.timer.id;
  });
  for (arm_timer const& t : timers) out(effect{t});
  stop = in.position();
  return true;
}

template <class P, effect_sink Out>
bool restore(basic_server<P>& s, std::string_view text, Out&& out) {
  std::size_t stop = 0;
  return restore(s, text, std::forward<Out>(out), stop);
}

}  // namespace callinfo
