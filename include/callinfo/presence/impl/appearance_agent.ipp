// callinfo — basic_server's RFC 7463 appearance agent: appearances for dialogs
// published without sa:appearance, sa:joined-dialog / sa:replaced-dialog,
// and the memory of the dialogs that hold a line's appearances (kept in the
// line record, so storage, snapshots and Redis carry it).
// Member definitions of basic_server (presence/server.hpp, which includes
// this file after the class); not a header to include on its own.
#pragma once

namespace callinfo::inline v1 {

template <class Policies>
inline auto basic_server<Policies>::hash_shown_dialogs(line_record const& rec) noexcept -> std::uint64_t {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a
  auto const mix = [&](std::string_view v) {
    for (char c : v) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    h = (h ^ 0xffu) * 1099511628211ull;  // a separator no field byte can be (0xff is refused)
  };
  for (appearance const& a : rec.state.busy()) {
    line_dialog const* d = dialog_of(rec.dialogs, a);
    if (d == nullptr) continue;
    h = (h ^ a.index) * 1099511628211ull;
    for (std::string const* v : {&d->id, &d->call_id, &d->local_tag, &d->remote_tag}) mix(*v);
  }
  return h;
}

template <class Policies>
inline auto basic_server<Policies>::with_appearances(publish_request const& r, line_record const* rec, publication_id pid, std::vector<appearance_update>& resolved) const -> publish_request {
  if (r.event != event_package::dialog_shared || !r.appearances) return r;
  static line_state const none;
  line_state const& st = rec ? rec->state : none;
  std::span<line_dialog const> const known = rec ? std::span<line_dialog const>(rec->dialogs) : std::span<line_dialog const>{};
  appearance_driver const self{driver_kind::publication, pid};
  std::uint32_t const max_index = std::min(limits_.max_appearances, index_set::capacity - 1);
  index_set taken;
  for (appearance_update const& u : *r.appearances)
    if (u.index != 0 && u.index <= max_index) taken.set(u.index);
  resolved.reserve(r.appearances->size());
  publish_request rr = r;
  for (appearance_update const& u : *r.appearances) {
    if (u.index != 0) {
      resolved.push_back(u);
      continue;
    }
    if (u.state == appearance_state::idle) continue;
    appearance_update a = u;
    for (std::optional<dialog_ref> const* ref : {&u.replaced, &u.joined})
      for (line_dialog const& d : known)
        if (a.index == 0 && *ref && names_dialog(**ref, d) && d.index <= max_index) a.index = d.index;
    for (appearance_update const& e : resolved)
      if (a.index == 0 && !u.dialog.empty() && e.dialog == u.dialog) a.index = e.index;  // named twice: check_publication's 400
    for (line_dialog const& d : known)
      if (a.index == 0 && d.owner == self && !u.dialog.empty() && d.id == u.dialog && d.index <= max_index)
        a.index = d.index;
    for (std::uint32_t i = 1; a.index == 0 && i <= max_index; ++i)
      if (!taken.test(i) && st.state_of(i) == appearance_state::idle) a.index = i;
    if (a.index == 0) {
      rr.appearances.reset();
      return rr;
    }
    taken.set(a.index);
    resolved.push_back(a);
  }
  rr.appearances = std::span<appearance_update const>(resolved);
  return rr;
}

template <class Policies>
inline auto basic_server<Policies>::known_dialog(appearance_driver owner, std::uint32_t index, appearance_state state, std::string_view id, dialog_ref const& ids) -> line_dialog {
  auto const keep = [](std::string_view v) { return dialog_field_is_writable(v) ? std::string(v) : std::string(); };
  return line_dialog{owner, index, state, keep(id), keep(ids.call_id), keep(ids.local_tag), keep(ids.remote_tag)};
}

template <class Policies>
inline auto basic_server<Policies>::remember_dialogs(line_record& rec, publication_id pid, publish_request const& r) -> void {
  if (rec.dialogs.empty() && (r.event != event_package::dialog_shared || !r.appearances)) return;
  appearance_driver const self{driver_kind::publication, pid};
  std::erase_if(rec.dialogs, [&](line_dialog const& d) { return d.owner == self; });
  if (r.event != event_package::dialog_shared || !r.appearances) return;
  for (appearance_update const& u : *r.appearances)
    if (u.index != 0 && u.state != appearance_state::idle)
      rec.dialogs.push_back(known_dialog(self, u.index, u.state, u.dialog, u.identifiers));
}

template <class Policies>
inline auto basic_server<Policies>::remember_call(line_record& rec, dialog_event const& d, std::uint32_t index, appearance_state to) -> void {
  bool const named = to != appearance_state::idle && !d.identifiers.call_id.empty();
  if (rec.dialogs.empty() && !named) return;  // the common case: nothing known, nothing to know
  appearance_driver const self{driver_kind::dialog, d.dialog};
  std::erase_if(rec.dialogs, [&](line_dialog const& e) { return e.owner == self; });
  if (named) rec.dialogs.push_back(known_dialog(self, index, to, {}, d.identifiers));
}

}  // namespace callinfo::v1
