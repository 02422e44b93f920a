// callinfo — fuzz harness of the RFC 7463 body parser (needs pugixml: built
// only with the callinfo-dialog-info dependency, -DCALLINFO_FUZZ_DIALOG_INFO).
//
// run_dialog_info() parses the input as a dialog-info+xml body and checks:
//   - a refusal has a named code and an offset inside the input, and leaves
//     the document empty;
//   - under small limits (derived from the input) the answer is a limit
//     error or exactly the answer of the default limits;
//   - on success: every appearance is in 1..max_appearance and named once,
//     the entity and remote parties carry no control byte;
//   - build -> parse: the appearances that are not idle, written by
//     write_dialog_info() (refused only for a remote with %xFE-FF), parse
//     back to the same indexes and states, and a second round gives the
//     identical document (the builder's output is a fixed point).
#pragma once

#include "harness.hpp"

#include <callinfo/dialog_info/write.hpp>
#include <callinfo/dialog_info/parse.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::fuzz {

inline bool is_dialog_info_limit_error(dialog_info_errc e) noexcept {
  return e == dialog_info_errc::too_large || e == dialog_info_errc::too_many_dialogs;
}

inline bool has_ctl(std::string_view v) noexcept {
  for (char ch : v) {
    auto const c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// The non-idle appearances as a line's busy list (sorted by index).
inline std::vector<appearance> busy_of(dialog_info_document const& doc) {
  std::vector<appearance> busy;
  for (appearance_update const& u : doc.appearances()) {
    if (u.state == appearance_state::idle || u.index == 0) continue;  // index 0: the server assigns one
    appearance a;
    a.index = u.index;
    a.state = u.state;
    a.remote = std::string(u.remote);
    busy.push_back(std::move(a));
  }
  std::sort(busy.begin(), busy.end(), [](appearance const& a, appearance const& b) { return a.index < b.index; });
  return busy;
}

inline void run_dialog_info(std::string_view in) {
  dialog_info_document doc;
  dialog_info_error const e = parse_dialog_info(in, doc);
  if (!e) {
    require(name(e.code) != "unknown");
    require(e.offset <= in.size() || e.code == dialog_info_errc::too_large);
    require(doc.dialogs().empty() && doc.appearances().empty() && doc.entity().empty());
  }

  // Small limits, from a hash of the input.
  std::uint32_t h = 2166136261u;
  for (char c : in) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  dialog_info_limits small;
  small.max_body = (h & 1u) ? in.size() : (h >> 1) % (in.size() + 1);
  small.max_dialogs = (h >> 8) % 4;
  dialog_info_document doc_small;
  dialog_info_error const es = parse_dialog_info(in, doc_small, small);
  require(is_dialog_info_limit_error(es.code) || (es.code == e.code && es.offset == e.offset));
  if (!e) return;

  require(!doc.entity().empty() && !has_ctl(doc.entity()));
  dialog_info_limits const defaults;
  std::vector<bool> seen(defaults.max_appearance + 1);
  for (appearance_update const& u : doc.appearances()) {
    require(!u.dialog.empty());
    if (u.index == 0) {  // a dialog without sa:appearance: one update per such dialog
      bool found = false;
      for (dialog_info_dialog const& d : doc.dialogs()) found = found || (!d.appearance && d.id == u.dialog);
      require(found);
    } else {
      require(u.index <= defaults.max_appearance && !seen[u.index]);
      seen[u.index] = true;
    }
    require(static_cast<std::size_t>(u.state) < appearance_state_count);
    require(!has_ctl(u.remote));
    // RFC 7463 §5.2 sa:joined-dialog / sa:replaced-dialog: all three parts, no control byte.
    for (std::optional<dialog_ref> const& r : {u.joined, u.replaced})
      if (r)
        for (std::string_view v : {r->call_id, r->local_tag, r->remote_tag}) require(!v.empty() && !has_ctl(v));
  }

  // build -> parse -> build.
  std::vector<appearance> const busy = busy_of(doc);
  line_view line;
  line.uri = detail::is_absolute_uri(doc.entity()) ? doc.entity() : std::string_view("sip:line@example.com");
  line.busy = busy;
  std::string first;
  string_sink out(first);
  build_result const b = write_dialog_info(line, {doc.version(), dialog_info_state::full}, out);
  if (!b) {
    require(b.code == build_errc::bad_remote);
    bool high = false;
    for (appearance const& a : busy)
      for (char c : a.remote) high = high || static_cast<unsigned char>(c) >= 0xfe;
    require(high);
    return;
  }
  dialog_info_limits unbounded;
  unbounded.max_body = std::numeric_limits<std::size_t>::max();
  dialog_info_document again;
  require(parse_dialog_info(first, again, unbounded).ok());
  require(again.entity() == line.uri && again.version() == doc.version());
  std::vector<appearance> const busy2 = busy_of(again);
  require(busy2.size() == busy.size());
  for (std::size_t i = 0; i < busy.size(); ++i)
    require(busy2[i].index == busy[i].index && busy2[i].state == busy[i].state);
  line_view line2;
  line2.uri = again.entity();
  line2.busy = busy2;
  std::string second;
  string_sink out2(second);
  require(write_dialog_info(line2, {again.version(), dialog_info_state::full}, out2).ok());
  require(second == first);
}

}  // namespace callinfo::fuzz
