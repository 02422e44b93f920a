// callinfo — basic_server's line side: dialog events (the dialog-driven mode) and
// the management calls (release, update).
// Member definitions of basic_server (presence/server.hpp, which includes
// this file after the class); not a header to include on its own.
#pragma once

namespace callinfo::inline v1 {

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_dialog(dialog_event const& d, Out& out) -> state_change {
  std::uint32_t const index = d.appearance_index.value_or(1);
  appearance_state const to = state_for(d.side, d.phase, d.private_hold);
  state_change refused{transition::refused, appearance_state::idle, to};
  if (index == 0 || index > limits_.max_appearances) return refused;
  line_record* rec = storage_.find_line(d.line);
  if (rec == nullptr) {
    if (to == appearance_state::idle) return {transition::unchanged, appearance_state::idle, to};
    if (storage_.line_count() >= limits_.max_lines) return refused;
    rec = &storage_.make_line(d.line);
  }
  appearance_driver const self{driver_kind::dialog, d.dialog};
  appearance const* current = rec->state.find(index);
  refused.from = current ? current->state : appearance_state::idle;

  std::uint64_t const shown = shown_dialogs(*rec);
  if (to == appearance_state::idle) {
    remember_call(*rec, d, index, to);  // an ended call is forgotten, driver or not
    // Only the call that drives the appearance may end it: a failed second
    // call must not idle the first call's appearance.
    if (current == nullptr || current->driver != self) {
      notify_if_changed(*rec, false, shown, out);
      forget_if_empty(*rec);
      return {current ? transition::refused : transition::unchanged, refused.from, to};
    }
    state_change const c{transition::applied, current->state, to};
    notify_if_changed(*rec, let_go(*rec, index, self, out), shown, out);
    forget_if_empty(*rec);
    return c;
  }

  appearance_driver const before = current ? current->driver : appearance_driver{};
  if (before.kind == driver_kind::dialog && before != self) return refused;  // another call owns it
  // A remote party no NOTIFY could carry is not stored (the state still is).
  bool const take_remote = !d.remote.empty() && remote_is_writable(d.remote);
  state_change const c = rec->state.set_state(index, to, dialect::transitions, self, d.remote, take_remote);
  // The common case (nothing known, no Call-ID) is tested here as well as
  // in remember_call(): GCC then keeps the call off this hot path
  // (bench/presence, BM_dialog_state_change: about 1.5 ns an event).
  if (c.result != transition::refused && (!rec->dialogs.empty() || !d.identifiers.call_id.empty()))
    remember_call(*rec, d, index, to);
  if (!visible(c)) {
    notify_if_changed(*rec, false, shown, out, remote_only(c));
    forget_if_empty(*rec);
    return c;
  }
  if (c.result != transition::applied) {  // only the remote party changed
    notify_watchers(*rec, out);
    return c;
  }
  changed(*rec, index, c, driver_kind::dialog, out);
  if (before.kind == driver_kind::seize && dialect::end_seize_when_early) {
    // Kamailio sca: the seizer's line-seize subscription ends when its call
    // goes on (terminated;reason=noresource).
    if (subscription* s = storage_.find_subscription(before.id)) end_subscription(*s, event_reason::noresource, true, true, out);
  }
  notify_watchers(*rec, out);
  return c;
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_release(std::string_view line, std::optional<std::uint32_t> index, Out& out) -> std::size_t {
  line_record* rec = storage_.find_line(line);
  if (rec == nullptr) return 0;
  // Change the line first, then end the seizes: a NOTIFY shows the line
  // as it is after the whole call.
  std::size_t n = 0;
  std::vector<subscription_id> seizers;
  std::vector<appearance> released;
  for (appearance const& a : rec->state.busy())
    if (!index || a.index == *index) released.push_back(a);
  std::erase_if(rec->dialogs, [&](line_dialog const& d) { return !index || d.index == *index; });
  for (appearance const& a : released) {  // in index order
    state_change const c = rec->state.set_state(a.index, appearance_state::idle, broadworks_transitions,
                                                {driver_kind::management, 0});
    changed(*rec, a.index, c, driver_kind::management, out);
    ++n;
    if (a.driver.kind == driver_kind::seize) seizers.push_back(a.driver.id);
  }
  for (subscription_id id : seizers)
    if (subscription* s = storage_.find_subscription(id)) {
      s->seized_index = 0;
      end_subscription(*s, event_reason::noresource, true, true, out);
    }
  if (n != 0) notify_watchers(*rec, out);
  forget_if_empty(*rec);
  return n;
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_update(std::string_view line, std::uint32_t index, appearance_state to, std::string_view remote, Out& out) -> state_change {
  if (index == 0 || index > limits_.max_appearances) return {transition::refused, appearance_state::idle, to};
  line_record* rec = storage_.find_line(line);
  if (rec == nullptr) {
    if (storage_.line_count() >= limits_.max_lines) return {transition::refused, appearance_state::idle, to};
    rec = &storage_.make_line(line);
  }
  if (to == appearance_state::seized && rec->state.state_of(index) != appearance_state::idle)
    return {transition::refused, rec->state.state_of(index), to};
  if (!remote_is_writable(remote)) return {transition::refused, rec->state.state_of(index), to};
  std::uint64_t const shown = shown_dialogs(*rec);
  state_change const c = rec->state.set_state(index, to, dialect::transitions, {driver_kind::management, 0},
                                              remote, !remote.empty());
  if (c.result == transition::applied && to == appearance_state::idle)
    std::erase_if(rec->dialogs, [&](line_dialog const& d) { return d.index == index; });
  if (c.result == transition::applied) changed(*rec, index, c, driver_kind::management, out);
  notify_if_changed(*rec, visible(c), shown, out, remote_only(c));
  forget_if_empty(*rec);
  return c;
}

}  // namespace callinfo::v1
