// callinfo — basic_server's SUBSCRIBE side: call-info, line-seize and dialog;shared
// subscriptions (RFC 6665 §4: initial NOTIFY, refresh, unsubscribe, fetch,
// expiry; §4.2.2: ended by the notifier or by a failed NOTIFY) and the seizes
// they hold.
// Member definitions of basic_server (presence/server.hpp, which includes
// this file after the class); not a header to include on its own.
#pragma once

namespace callinfo::inline v1 {

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_subscribe(subscribe_request const& r, Out& out) -> void {
  if (r.event == event_package::dialog_shared && !limits_.serve_dialog_shared) return bad_event(out, r.event);
  if (!r.event_id.empty() && !is_token(r.event_id)) return reject(out, r.event, 400, "Bad Event id");
  if (r.subscription != 0) return refresh(r, out);
  // No NOTIFY could carry the line (model/line_uri.hpp).
  if (!line_is_writable(r.line)) return reject(out, r.event, 400, "Bad Line URI", r.event_id);
  request_context ctx;
  ctx.method = request_method::subscribe;
  ctx.package = r.event;
  ctx.line = r.line;
  ctx.identity = r.watcher;
  ctx.source = r.source;
  if (r.event == event_package::line_seize) ctx.appearance = asked_index(r);
  if (!authorizer_.authorize(ctx)) return reject(out, r.event, 403, "Forbidden", r.event_id);

  std::uint32_t const expires = granted_expires(r.event, r.expires);
  if (expires != 0 && expires < limits_.min_expires) return too_brief(out, r.event, r.event_id);

  line_record* rec = storage_.find_line(r.line);
  if (storage_.subscription_count() >= limits_.max_subscriptions ||
      storage_.subscriptions_of(r.watcher) >= limits_.max_subscriptions_per_watcher ||
      (rec != nullptr && rec->watchers.size() >= limits_.max_subscriptions_per_line) ||
      (rec == nullptr && storage_.line_count() >= limits_.max_lines))
    return reject(out, r.event, 503, "Service Unavailable", r.event_id);

  std::uint32_t seize_index = 0;
  if (r.event == event_package::line_seize) {
    seize_outcome const s = choose_seize_index(r, rec, expires != 0);
    if (s.code != 0) {
      response resp = make_response(s.code, s.reason, r.event);
      resp.event_id = r.event_id;
      if (s.code == 480 && dialect::seize_retry_after != 0) resp.retry_after = dialect::seize_retry_after;
      out(effect{resp});
      return;
    }
    seize_index = s.index;
  }

  subscription_id const id = ids_.next_subscription();
  if (expires == 0) {
    // RFC 6665 §4.4.3: a fetch. One NOTIFY, then the subscription is over;
    // a line-seize fetch seizes nothing.
    out(effect{subscribe_ok(r, id, 0u)});
    notify n = make_notify(nullptr, id, r.event, r.line, rec, seize_index);
    n.event_id = r.event_id;
    n.state = substate::terminated;
    n.reason = event_reason::timeout;
    n.initial = true;
    out(effect{n});
    return;
  }

  rec = &storage_.make_line(r.line);
  subscription& sub = storage_.add_subscription(
      subscription{id, r.event, std::string(r.line), std::string(r.watcher), deadline(expires), seize_index, 0,
                   std::string(r.event_id)});
  rec->watchers.push_back(id);
  out(effect{subscribe_ok(r, id, expires)});
  out(effect{arm_timer{{timer_kind::subscription, id}, sub.expires_at}});

  if (r.event == event_package::line_seize) {
    state_change const c = rec->state.set_state(seize_index, appearance_state::seized, dialect::transitions,
                                                {driver_kind::seize, id});
    notify n = make_notify(&sub, id, r.event, rec->state.uri(), rec, seize_index);
    n.initial = true;
    out(effect{n});
    if (c.result == transition::applied) changed(*rec, seize_index, c, driver_kind::seize, out);
    notify_watchers(*rec, out);
  } else {
    notify n = make_notify(&sub, id, r.event, rec->state.uri(), rec, 0);
    n.initial = true;
    out(effect{n});
  }
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_timer(timer_id t, Out& out) -> void {
  time_point const now = clock_.now();
  if (t.kind == timer_kind::subscription) {
    subscription* s = storage_.find_subscription(t.id);
    if (s == nullptr) return;
    if (now < s->expires_at) return out(effect{arm_timer{t, s->expires_at}});  // refreshed since
    bool const tell = s->event != event_package::line_seize ? limits_.call_info_timeout_notification
                                                            : limits_.line_seize_timeout_notification;
    end_subscription(*s, event_reason::timeout, tell, false, out);
  } else {
    publication* p = storage_.find_publication(t.id);
    if (p == nullptr) return;
    if (now < p->expires_at) return out(effect{arm_timer{t, p->expires_at}});
    remove_publication(p->id, out);
  }
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_end(subscription_id id, event_reason reason, Out& out) -> subscription_end {
  subscription* s = storage_.find_subscription(id);
  if (s == nullptr) return subscription_end::unknown;
  end_subscription(*s, writable_reason(reason), true, true, out);
  return subscription_end::ended;
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_notify_failed(subscription_id id, std::uint16_t status, Out& out) -> subscription_end {
  subscription* s = storage_.find_subscription(id);
  if (s == nullptr) return subscription_end::unknown;
  if (!notify_failure_ends_subscription(status)) return subscription_end::kept;
  end_subscription(*s, std::nullopt, false, true, out);
  return subscription_end::ended;
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::handle_end_all(event_reason reason, Out& out) -> std::size_t {
  std::vector<std::string> uris;
  storage_.for_each_line([&](line_record const& r) {
    if (!r.watchers.empty()) uris.emplace_back(r.state.uri());
  });
  std::optional<event_reason> const why = writable_reason(reason);
  std::size_t n = 0;
  for (std::string const& uri : uris) {
    line_record* rec = storage_.find_line(uri);
    if (rec == nullptr) continue;
    std::vector<subscription_id> ids = rec->watchers;
    std::erase_if(ids, [&](subscription_id id) { return !storage_.owns(id); });
    for (subscription_id id : ids) {
      if (subscription const* s = storage_.find_subscription(id)) release_seize(*rec, *s, out);
    }
    for (subscription_id id : ids)
      if (subscription* s = storage_.find_subscription(id)) {
        end_subscription(*s, why, true, true, out);
        ++n;
      }
  }
  return n;
}

template <class Policies>
inline auto basic_server<Policies>::choose_seize_index(subscribe_request const& r, line_record const* rec, bool seizing) const -> seize_outcome {
  if (!r.seize) return {400, "Missing Call-Info header"};
  if (!r.seize->index) return {400, "Missing appearance-index"};
  if (r.seize->index->is_wildcard()) return {400, "Bad appearance-index"};
  std::uint32_t index = r.seize->index->value();
  if (index > limits_.max_appearances) return {400, "appearance-index out of range"};
  if (index == 0) {
    if (!dialect::zero_index_seizes_any) return {400, "Bad appearance-index"};
    index = rec ? rec->state.first_idle(limits_.max_appearances) : 1;
    if (index == 0) return {480, "Temporarily Unavailable"};
  }
  if (seizing && rec != nullptr) {
    if (rec->state.state_of(index) != appearance_state::idle) return {480, "Temporarily Unavailable"};
    if (dialect::seize_conflicts == seize_scope::per_line)
      for (appearance const& b : rec->state.busy())
        if (b.driver.kind == driver_kind::seize) return {480, "Temporarily Unavailable"};
  }
  return {0, {}, index};
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::release_seize(line_record& rec, subscription const& s, Out& out) -> bool {
  if (s.event != event_package::line_seize || s.seized_index == 0) return false;
  state_change const c{transition::applied, rec.state.state_of(s.seized_index), appearance_state::idle};
  if (!rec.state.release_if_driven_by(s.seized_index, {driver_kind::seize, s.id})) return false;
  changed(rec, s.seized_index, c, driver_kind::seize, out);
  return true;
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::end_subscription(subscription& s, std::optional<event_reason> reason, bool tell, bool timer_armed, Out& out) -> void {
  subscription_id const id = s.id;
  line_record* rec = line_of(s);
  bool const line_changed = rec != nullptr && release_seize(*rec, s, out);
  if (timer_armed) out(effect{cancel_timer{{timer_kind::subscription, id}}});
  if (tell) {
    // The line URI is read from the line (which outlives this call), and
    // the Event id from retired_event_ids_, not from the subscription
    // about to be erased.
    notify n = make_notify(&s, id, s.event, rec ? std::string_view(rec->state.uri()) : std::string_view{},
                           rec, s.seized_index);
    if (!s.event_id.empty()) n.event_id = retired_event_ids_.emplace_back(std::move(s.event_id));
    n.state = substate::terminated;
    n.reason = reason;
    n.expires.reset();
    out(effect{n});
  }
  if (rec != nullptr) std::erase(rec->watchers, id);
  storage_.erase_subscription(id);
  if (rec != nullptr) {
    if (line_changed) notify_watchers(*rec, out);
    forget_if_empty(*rec);
  }
}

template <class Policies>
template <effect_sink Out>
inline auto basic_server<Policies>::refresh(subscribe_request const& r, Out& out) -> void {
  subscription* s = storage_.find_subscription(r.subscription);
  // Inside the dialog the stack may not know the line: compare it only when given.
  // RFC 6665 §4.2.1.2: the Event header, id included, names the subscription.
  if (s == nullptr || s->event != r.event || (!r.line.empty() && s->line != r.line) || s->event_id != r.event_id)
    return reject(out, r.event, 481, "Subscription Does Not Exist", r.event_id);
  // OpenSIPS and Kamailio answer 400 to a line-seize refresh or unsubscribe
  // without Call-Info, and the seize stays.
  if (r.event == event_package::line_seize && dialect::seize_refresh_needs_call_info && !r.seize)
    return reject(out, r.event, 400, "Missing Call-Info header", r.event_id);
  std::uint32_t const expires = granted_expires(r.event, r.expires);
  // The dialect's success code for every SUBSCRIBE of the package, as
  // Kamailio sca answers refreshes and unsubscribes too.
  if (expires == 0) {  // unsubscribe: 2xx, then the final NOTIFY
    out(effect{subscribe_ok(r, s->id, 0u)});
    end_subscription(*s, dialect::unsubscribe_reason, true, true, out);
    return;
  }
  if (expires < limits_.min_expires) return too_brief(out, r.event, r.event_id);
  s->expires_at = deadline(expires);
  out(effect{subscribe_ok(r, s->id, expires)});
  out(effect{arm_timer{{timer_kind::subscription, s->id}, s->expires_at}});
  line_record* rec = line_of(*s);
  out(effect{make_notify(s, s->id, s->event, s->line, rec, s->seized_index)});
}

}  // namespace callinfo::v1
