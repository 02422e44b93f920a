// callinfo — basic_server's PUBLISH side (RFC 3903 §4-6): entity-tags, refresh,
// modify and removal, the all-or-nothing check of a publication's
// appearances and how they go onto the line (and come off it again).
// Member definitions of basic_server (presence/server.hpp, which includes
// this file after the class); not a header to include on its own.
#pragma once

namespace callinfo::inline v1 {

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_publish(publish_request const& r, Out& out) -> void {
  // dialog;shared: a dialog-info PUBLISH (RFC 7463) answers with its own package.
  auto const ev = r.event == event_package::dialog_shared ? r.event : event_package::call_info;
  if (ev == event_package::dialog_shared && !limits_.serve_dialog_shared) return bad_event(out, ev);
  // No NOTIFY could carry the line (model/line_uri.hpp).
  if (!line_is_writable(r.line)) return reject(out, ev, 400, "Bad Line URI");
  request_context ctx;
  ctx.method = request_method::publish;
  ctx.package = ev;
  ctx.line = r.line;
  ctx.identity = r.publisher;
  ctx.source = r.source;
  if (r.if_match)
    if (publication const* pub = storage_.find_publication(*r.if_match); pub && pub->line == r.line) {
      ctx.owner = pub->publisher;
      ctx.foreign_publication = pub->publisher != r.publisher;
    }
  if (!authorizer_.authorize(ctx)) return reject(out, ev, 403, "Forbidden");
  std::uint32_t const expires =
      r.expires ? std::min<std::uint32_t>(*r.expires, limits_.publish_max_expires) : limits_.publish_default_expires;
  if (expires != 0 && expires < limits_.min_expires) return too_brief(out, ev);

  if (r.if_match) {
    publication* pub = storage_.find_publication(*r.if_match);
    if (pub == nullptr || pub->line != r.line) return reject(out, ev, 412, "Conditional Request Failed");
    publication_id const pid = pub->id;
    if (expires == 0) {  // RFC 3903 §4.5: removal
      out(effect{make_response(200, "OK", ev, 0, 0u)});
      out(effect{cancel_timer{{timer_kind::publication, pid}}});
      remove_publication(pid, out);
      return;
    }
    line_record& rec = storage_.make_line(r.line);
    index_set named;
    std::vector<appearance_update> agent;  // RFC 7463 appearance agent
    publish_request const rr = with_appearances(r, &rec, pid, agent);
    if (r.appearances) {  // modify
      publish_check const chk = check_publication(rr, &rec, pid, named);
      if (chk.code != 0) return reject(out, ev, chk.code, chk.reason);
    }
    storage_.set_etag(*pub, make_etag().view());
    pub->expires_at = deadline(expires);
    out(effect{make_response(200, "OK", ev, 0, expires, pub->etag)});
    out(effect{arm_timer{{timer_kind::publication, pid}, pub->expires_at}});
    if (!r.appearances) return;
    publish_state(rec, pid, rr, named, out);
    return;
  }

  if (ev == event_package::dialog_shared && !r.appearances) return reject(out, ev, 400, "Missing dialog-info body");
  if (!r.appearances) {
    return reject(out, ev, dialect::publish_without_call_info,
                  dialect::publish_without_call_info == 400 ? "Missing Call-Info header" : "Server Internal Error");
  }
  if (expires == 0) return reject(out, ev, 400, "Expires 0 without SIP-If-Match");
  line_record* existing = storage_.find_line(r.line);
  if (storage_.publication_count() >= limits_.max_publications ||
      (existing == nullptr && storage_.line_count() >= limits_.max_lines))
    return reject(out, ev, 503, "Service Unavailable");
  publication_id const pid = ids_.next_publication();
  index_set named;
  std::vector<appearance_update> agent;  // RFC 7463 appearance agent
  publish_request const rr = with_appearances(r, existing, pid, agent);
  publish_check const chk = check_publication(rr, existing, pid, named);
  if (chk.code != 0) return reject(out, ev, chk.code, chk.reason);

  line_record& rec = existing ? *existing : storage_.make_line(r.line);
  publication& pub = storage_.add_publication(
      publication{pid, std::string(r.line), std::string(make_etag().view()), deadline(expires), std::string(r.publisher)});
  out(effect{make_response(200, "OK", ev, 0, expires, pub.etag)});
  out(effect{arm_timer{{timer_kind::publication, pid}, pub.expires_at}});
  publish_state(rec, pid, rr, named, out);
  forget_if_empty(rec);
}

template <class Policies>
inline auto basic_server<Policies>::make_etag() -> etag_text {
  // `<serial>` (base 36) or `<serial>.<secret>` (the secret in base 32: 13
  // digits by shifts, where base 36 takes 13 64-bit divisions): a token
  // (RFC 3903 entity-tag), at most 13 + 1 + 13 bytes. Written into a buffer, not a
  // std::string: storage copies it into the publication's string, whose
  // capacity a modify reuses (a tag with a secret is longer than the
  // small-string buffer, so a fresh string would allocate on every PUBLISH).
  etag_value const v = ids_.next_etag();
  etag_text t;
  char* const end = t.buf + sizeof t.buf;
  char* p = end;
  auto const base36 = [&](std::uint64_t n) {
    do {
      *--p = "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
      n /= 36;
    } while (n != 0);
  };
  if (v.secret != 0) {
    for (std::uint64_t n = v.secret; n != 0; n >>= 5) *--p = "0123456789abcdefghijklmnopqrstuv"[n & 31];
    *--p = '.';
  }
  base36(v.serial);
  t.begin = static_cast<std::uint8_t>(p - t.buf);
  return t;
}

template <class Policies>
template <class F>
inline auto basic_server<Policies>::each_published(publish_request const& r, F&& f) -> publish_check {
  for (appearance_update const& u : *r.appearances) {
    published p;
    p.index = u.index;
    p.state = u.state;
    p.has_remote = !u.remote.empty() || u.remote_stated;
    p.remote = u.remote;
    p.update = &u;
    if (publish_check const c = f(p); c.code != 0) return c;
  }
  return {};
}

template <class Policies>
inline auto basic_server<Policies>::check_publication(publish_request const& r, line_record const* rec, publication_id pid, index_set& named) const -> publish_check {
  if (!r.appearances) return {500, "No idle appearance"};
  static line_state const none;
  line_state const& st = rec ? rec->state : none;
  std::span<line_dialog const> const known = rec ? std::span<line_dialog const>(rec->dialogs) : std::span<line_dialog const>{};
  appearance_driver const self{driver_kind::publication, pid};
  std::uint32_t const max_index = std::min(limits_.max_appearances, index_set::capacity - 1);
  bool const shared = r.event == event_package::dialog_shared;
  return each_published(r, [&](published const& a) -> publish_check {
    if (a.index == 0 || a.index > max_index) return {400, "appearance-index out of range"};
    if (named.test(a.index)) return {400, "Duplicate appearance-index"};
    if (a.has_remote && !remote_is_writable(a.remote)) return {400, "Bad appearance-uri"};
    named.set(a.index);
    // On a taken appearance: the publisher's own dialog already there, or
    // one that joins or replaces a dialog there.
    bool held_by_other = false, joins = false;
    if (shared && a.state != appearance_state::idle)
      for (line_dialog const& d : known) {
        if (d.index != a.index) continue;
        if (d.owner == self) {
          joins = true;
          continue;
        }
        held_by_other = true;
        joins = joins || (a.update->joined && names_dialog(*a.update->joined, d)) ||
                (a.update->replaced && names_dialog(*a.update->replaced, d));
      }
    if (held_by_other && !joins) return {400, "Appearance in use"};
    appearance const* cur = st.find(a.index);
    if (cur && cur->driver.kind == driver_kind::dialog && !joins) return {400, "Appearance driven by a dialog"};
    if (shared && a.state == appearance_state::idle) return {};  // a release: see apply_publication()
    if (lookup(dialect::transitions, cur ? cur->state : appearance_state::idle, a.state) == transition::refused)
      return {400, "Illegal appearance-state transition"};
    return {};
  });
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::apply_publication(publish_request const& r, index_set const& named, line_record& rec, publication_id pid, Out& out, bool& remote_changed) -> bool {
  appearance_driver const self{driver_kind::publication, pid};
  bool any = false;
  bool const shared = r.event == event_package::dialog_shared;
  (void)each_published(r, [&](published const& a) -> publish_check {
    if (shared && a.state == appearance_state::idle) {
      any = let_go(rec, a.index, self, out) || any;
      return {};
    }
    state_change const c = rec.state.set_state(a.index, a.state, dialect::transitions, self, a.remote, a.has_remote);
    if (c.result == transition::applied) changed(rec, a.index, c, driver_kind::publication, out);
    // A call-info PUBLISH that idles an appearance ends whatever dialogs were known on it.
    if (c.result == transition::applied && c.to == appearance_state::idle)
      std::erase_if(rec.dialogs, [&](line_dialog const& d) { return d.index == a.index; });
    any = any || visible(c);
    remote_changed = remote_changed || remote_only(c);
    return {};
  });
  for (std::size_t i = rec.state.busy().size(); i-- > 0;) {
    appearance const& b = rec.state.busy()[i];
    if (b.driver != self || named.test(b.index)) continue;
    any = let_go(rec, b.index, self, out) || any;
  }
  return any;
}

template <class Policies>
template <effect_sink Out>
[[gnu::always_inline]] inline auto basic_server<Policies>::publish_state(line_record& rec, publication_id pid, publish_request const& rr, index_set const& named, Out& out) -> void {
  std::uint64_t const shown = shown_dialogs(rec);
  remember_dialogs(rec, pid, rr);
  bool remote_changed = false;
  bool const line_changed = apply_publication(rr, named, rec, pid, out, remote_changed);
  notify_if_changed(rec, line_changed, shown, out, remote_changed);
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::let_go(line_record& rec, std::uint32_t index, appearance_driver self, Out& out) -> bool {
  appearance const* a = rec.state.find(index);
  if (a == nullptr || a->driver != self) return false;
  appearance_state const from = a->state;
  for (line_dialog const& d : rec.dialogs) {
    if (d.index != index || d.owner == self || d.state == appearance_state::idle) continue;
    rec.state.hand_over(index, self, d.owner, d.state);
    if (from == d.state) return false;
    changed(rec, index, {transition::applied, from, d.state}, d.owner.kind, out);
    return true;
  }
  rec.state.release_if_driven_by(index, self);
  changed(rec, index, {transition::applied, from, appearance_state::idle}, self.kind, out);
  return true;
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::remove_publication(publication_id pid, Out& out) -> void {
  publication* p = storage_.find_publication(pid);
  if (p == nullptr) return;
  line_record* rec = storage_.find_line(p->line);
  storage_.erase_publication(pid);
  if (rec == nullptr) return;
  appearance_driver const self{driver_kind::publication, pid};
  std::uint64_t const shown = shown_dialogs(*rec);
  std::erase_if(rec->dialogs, [&](line_dialog const& d) { return d.owner == self; });
  bool any = false;
  for (std::size_t i = rec->state.busy().size(); i-- > 0;) {
    appearance const& b = rec->state.busy()[i];
    if (b.driver == self) any = let_go(*rec, b.index, self, out) || any;
  }
  notify_if_changed(*rec, any, shown, out);
  forget_if_empty(*rec);
}

}  // namespace callinfo::v1
