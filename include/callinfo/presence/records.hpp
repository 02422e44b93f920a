// callinfo — the text records of a line's state, shared by snapshots
// (presence/snapshot.hpp) and the Redis component's line records
// (redis/line_codec.hpp), so the two never disagree on a field.
//
// One record a line; strings are length-prefixed (`5:hello`), so no byte of
// a URI needs escaping:
//   app <index> <state> <driver-kind> <driver-id> <remote>
//   dlg <owner-kind> <owner-id> <index> <state> <id> <call-id> <local-tag> <remote-tag>
//     (the dialogs known to hold the line's appearances, line/line_dialogs.hpp;
//     owner-kind is publication or dialog)
//   sub <id> <package> <t> <seized-index> <watcher> <event-id>
//     <package> is call-info, line-seize or dialog-shared; for dialog-shared
//     <seized-index> holds the dialog-info version of its next NOTIFY
//   pub <id> <t> [<line>] <etag> <publisher>
// <t> is a deadline relative to a base the caller chooses. <event-id> and
// <publisher> came later: a record without them reads as empty ones.
#pragma once

#include <callinfo/line/line_dialogs.hpp>
#include <callinfo/line/line_state.hpp>
#include <callinfo/model/token.hpp>
#include <callinfo/policy/storage.hpp>
#include <callinfo/sink.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace callinfo::inline v1 {

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

// Reads the record format; every getter fails (and stays failed) on bad input.
class record_reader {
 public:
  explicit record_reader(std::string_view text) noexcept : text_(text) {}
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
  // Whether the current record has another field (records written before
  // a field was added end without it).
  bool more_in_record() const noexcept {
    std::size_t p = pos_;
    while (p < text_.size() && text_[p] == ' ') ++p;
    return p < text_.size() && text_[p] != '\n';
  }
  // A trailing string field added after the format's first version: empty
  // when the record ends before it.
  std::string_view trailing_string() {
    return more_in_record() ? string() : std::string_view{};
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
inline bool read_line_dialog(record_reader& in, line_record& line) {
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


// ---- The records of one line ------------------------------------------------
// The package as a record names it: "dialog;shared" is no keyword, so
// dialog-shared.
constexpr std::string_view package_name(event_package e) noexcept {
  return e == event_package::dialog_shared ? std::string_view("dialog-shared") : to_string(e);
}
inline std::optional<event_package> to_event_package(std::string_view s) noexcept {
  for (auto e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared})
    if (s == package_name(e)) return e;
  return std::nullopt;
}

// Deadlines are written as `expires_at - base`: base is the snapshot's "now"
// (relative deadlines) or 0 (the Redis records' absolute times).

template <sink Sink>
void put_appearance(Sink& out, appearance const& a) {
  out.append("app ");
  put_u64(out, a.index);
  out.append(" ");
  out.append(to_string(a.state));
  out.append(" ");
  out.append(to_string(a.driver.kind));
  out.append(" ");
  put_u64(out, a.driver.id);
  out.append(" ");
  put_str(out, a.remote);
  out.append("\n");
}

// `sub <id> <package> <t> <seized-index|version> <watcher> <event-id>`
template <sink Sink>
void put_subscription(Sink& out, subscription const& s, time_point base) {
  out.append("sub ");
  put_u64(out, s.id);
  out.append(" ");
  bool const shared = s.event == event_package::dialog_shared;
  out.append(package_name(s.event));
  out.append(" ");
  put_i64(out, (s.expires_at - base).count());
  out.append(" ");
  put_u64(out, shared ? s.version : s.seized_index);
  out.append(" ");
  put_str(out, s.watcher);
  out.append(" ");
  put_str(out, s.event_id);
  out.append("\n");
}

// The app, dlg and sub records of a line (its watchers in order).
template <class Storage, sink Sink>
void put_line_records(Sink& out, Storage& st, line_record const& rec, time_point base) {
  for (appearance const& a : rec.state.busy()) put_appearance(out, a);
  for (line_dialog const& d : rec.dialogs) {
    out.append("dlg ");
    put_line_dialog(out, d);
    out.append("\n");
  }
  for (subscription_id id : rec.watchers)
    if (subscription const* sub = st.find_subscription(id)) put_subscription(out, *sub, base);
}

// `pub <id> <t> [<line>] <etag> <publisher>`: the line only when the
// record is not kept under its line (snapshots).
template <sink Sink>
void put_publication(Sink& out, publication const& p, time_point base, bool with_line) {
  out.append("pub ");
  put_u64(out, p.id);
  out.append(" ");
  put_i64(out, (p.expires_at - base).count());
  if (with_line) {
    out.append(" ");
    put_str(out, p.line);
  }
  out.append(" ");
  put_str(out, p.etag);
  out.append(" ");
  put_str(out, p.publisher);
  out.append("\n");
}

// The rest of an `app` record, onto `line`.
inline bool read_appearance(record_reader& in, line_record& line) {
  auto const index = in.number<std::uint32_t>();
  auto const state = to_appearance_state(in.keyword());
  std::string_view const kind = in.keyword();
  auto const id = in.number<std::uint64_t>();
  std::string_view const remote = in.string();
  std::optional<driver_kind> dk;
  for (auto k : {driver_kind::none, driver_kind::seize, driver_kind::publication, driver_kind::dialog,
                 driver_kind::management})
    if (kind == to_string(k)) dk = k;
  // A remote party no NOTIFY could carry is refused here too (the server
  // stores no other: remote_is_writable()).
  if (!in.ok() || !state || !dk || index == 0 || *state == appearance_state::idle || line.state.find(index) ||
      !remote_is_writable(remote))
    return in.fail();
  line.state.set_state(index, *state, broadworks_transitions, {*dk, id}, remote, true);
  return true;
}

// The rest of a `sub` record, for line `line` (record `rec` in `st`).
template <class Storage>
bool read_subscription(record_reader& in, Storage& st, line_record& rec, time_point base) {
  subscription sub;
  sub.id = in.number<std::uint64_t>();
  std::optional<event_package> const pkg = to_event_package(in.keyword());
  if (!pkg) return in.fail();
  sub.event = *pkg;
  sub.expires_at = base + time_point(in.number<std::int64_t>());
  sub.seized_index = in.number<std::uint32_t>();
  if (sub.event == event_package::dialog_shared) sub.version = std::exchange(sub.seized_index, 0u);
  sub.watcher = std::string(in.string());
  std::string_view const event_id = in.trailing_string();
  if (!event_id.empty() && !is_token(event_id)) return in.fail();
  sub.event_id = std::string(event_id);
  sub.line = rec.state.uri();
  if (!in.ok() || sub.id == 0 || st.find_subscription(sub.id)) return in.fail();
  rec.watchers.push_back(sub.id);
  st.add_subscription(std::move(sub));
  return true;
}

// The rest of a `pub` record; `line` empty: the record names its line.
template <class Storage>
publication const* read_publication(record_reader& in, Storage& st, time_point base, std::string_view line) {
  publication p;
  p.id = in.number<std::uint64_t>();
  p.expires_at = base + time_point(in.number<std::int64_t>());
  p.line = std::string(line.empty() ? in.string() : line);
  p.etag = std::string(in.string());
  p.publisher = std::string(in.trailing_string());
  if (!in.ok() || p.id == 0 || st.find_publication(p.id) || st.find_publication(std::string_view(p.etag))) {
    in.fail();
    return nullptr;
  }
  return &st.add_publication(std::move(p));
}

}  // namespace detail

}  // namespace callinfo::v1
