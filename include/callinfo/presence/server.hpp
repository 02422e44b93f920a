// callinfo — basic_server: the presentity server of the call-info and
// line-seize event packages, without I/O.
//
//   SUBSCRIBE / NOTIFY lifecycle   RFC 6665 §4 (initial NOTIFY, refresh,
//                                  unsubscribe, fetch, expiry)
//   ending by the notifier         RFC 6665 §4.2.2 (end_subscription with a
//                                  reason, end_all_subscriptions, a failed
//                                  NOTIFY: on_notify_failed)
//   PUBLISH and entity-tags        RFC 3903 §4–6 (200 + SIP-ETag, refresh and
//                                  modify with SIP-If-Match, 412, removal)
//   line-seize                     BroadWorks SCA as served by OpenSIPS
//                                  presence_callinfo and Kamailio sca
//   dialog;shared                  RFC 7463 watchers and publishers of the
//                                  same line (dialog-info+xml bodies): a
//                                  watcher is served like a call-info one,
//                                  its NOTIFYs numbered (notify::version)
//
// Each on_* call takes a typed request and writes effects (responses,
// NOTIFYs, timers, state changes) to a sink, in the order the stack must
// carry them out: the response first, then timers, then NOTIFYs. Views
// inside effects stay valid until the next call into the server.
//
// Invariants kept after every call (checked by tests/presence/explore.cpp):
//   - a subscription that is alive has a timer armed at its expiry;
//   - an appearance is seized by at most one subscription;
//   - no NOTIFY is addressed to a subscription after its terminated NOTIFY,
//     nor after on_notify_failed() removed it;
//   - a subscription timer stays armed only while its subscription lives;
//   - every accepted SUBSCRIBE gets exactly one initial NOTIFY;
//   - every call-info watcher's latest NOTIFY shows the line as it is.
#pragma once

#include <callinfo/presence/effects.hpp>
#include <callinfo/presence/events.hpp>
#include <callinfo/model/token.hpp>
#include <callinfo/presence/policies.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo {

// ---- Ending subscriptions: outcomes (RFC 6665 §4.2.2) ---------------------
// What basic_server::end_subscription() / on_notify_failed() did.
enum class subscription_end : std::uint8_t {
  ended,    // the subscription is gone; the effects say how
  kept,     // on_notify_failed(): that status does not end a subscription
  unknown,  // no live subscription has that id (never one, or already ended): nothing done
};

// Whether the final status of a failed NOTIFY ends its subscription
// (RFC 6665 §4.2.2). A stack reports a NOTIFY's transaction timeout (Timer F)
// as 408, as RFC 3261 §8.1.3.1 has it.
//   481                 MUST remove the subscription (RFC 6665 §4.2.2).
//   408                 Timer F: SHOULD remove it (RFC 6665 §4.2.2). A 408
//                       a proxy sends affects only the transaction in RFC
//                       5057 §5.1, but stacks give both the same code and
//                       a watcher that stopped answering is the common case
//                       (OpenSIPS presence also drops the subscription).
//   404 410 416 480     the dialog is gone (RFC 5057 §5.1); with 405 489 501
//   482-485 604         (the usage is gone) this is the set RFC 6665 §4.1.2.2
//                       ends a subscription on for a refresh's response: the
//                       notifier reads its NOTIFY's answer the same way.
// Everything else (401/407 ask for credentials, 491, 500, 503 and the other
// 3xx-6xx) affects only that NOTIFY's transaction (RFC 5057 §5.1): the
// subscription stays, and its next NOTIFY or its expiry settles it. 1xx and
// 2xx are not failures.
constexpr bool notify_failure_ends_subscription(std::uint16_t status) noexcept {
  switch (status) {
    case 404: case 405: case 408: case 410: case 416: case 480: case 481: case 482: case 483: case 484: case 485:
    case 489: case 501: case 604:
      return true;
    default:
      return false;
  }
}
// ---- end of ending subscriptions: outcomes ---------------------------------

template <class Policies = default_policies>
class basic_server {
  static_assert(detail::check_policies<Policies>());

 public:
  using clock_type = typename Policies::clock;
  using storage_type = typename Policies::storage;
  using limits_type = typename Policies::limits;
  using dialect = typename Policies::dialect;
  using authorizer_type = typename Policies::authorizer;
  using ids_type = typename Policies::ids;

  basic_server() = default;
  explicit basic_server(limits_type limits, authorizer_type authorizer = {}, clock_type clock = {})
      : clock_(std::move(clock)), limits_(std::move(limits)), authorizer_(std::move(authorizer)) {}

  clock_type& clock() noexcept { return clock_; }
  clock_type const& clock() const noexcept { return clock_; }
  storage_type& storage() noexcept { return storage_; }
  storage_type const& storage() const noexcept { return storage_; }
  limits_type const& limits() const noexcept { return limits_; }
  ids_type& ids() noexcept { return ids_; }

  // ---- SUBSCRIBE --------------------------------------------------------
  template <effect_sink Out>
  void on_subscribe(subscribe_request const& r, Out&& out) {
    collect_garbage();
    if (!r.event_id.empty() && !is_token(r.event_id)) return reject(out, r.event, 400, "Bad Event id");
    if (r.subscription != 0) return refresh(r, out);
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
      out(effect{with_event_id(make_response(ok_code(r.event), ok_reason(r.event), r.event, id, 0u), r.event_id)});
      notify n = make_notify(id, r.event, r.line, rec, seize_index);
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
    out(effect{with_event_id(make_response(ok_code(r.event), ok_reason(r.event), r.event, id, expires), r.event_id)});
    out(effect{arm_timer{{timer_kind::subscription, id}, sub.expires_at}});

    if (r.event == event_package::line_seize) {
      state_change const c = rec->state.set_state(seize_index, appearance_state::seized, dialect::transitions,
                                                  {driver_kind::seize, id});
      notify n = make_notify(id, r.event, rec->state.uri(), rec, seize_index);
      n.initial = true;
      out(effect{n});
      if (c.result == transition::applied) changed(*rec, seize_index, c, driver_kind::seize, out);
      notify_watchers(*rec, out);
    } else {
      notify n = make_notify(id, r.event, rec->state.uri(), rec, 0);
      n.initial = true;
      out(effect{n});
    }
  }

  // ---- PUBLISH ----------------------------------------------------------
  template <effect_sink Out>
  void on_publish(publish_request const& r, Out&& out) {
    collect_garbage();
    // dialog;shared: a dialog-info PUBLISH (RFC 7463) answers with its own package.
    auto const ev = r.event == event_package::dialog_shared ? r.event : event_package::call_info;
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
      if (has_state(r)) {  // modify
        publish_check const chk = check_publication(rr, &rec, pid, named);
        if (chk.code != 0) return reject(out, ev, chk.code, chk.reason);
      }
      storage_.set_etag(*pub, make_etag());
      pub->expires_at = deadline(expires);
      out(effect{make_response(200, "OK", ev, 0, expires, pub->etag)});
      out(effect{arm_timer{{timer_kind::publication, pid}, pub->expires_at}});
      if (!has_state(r)) return;
      publish_state(rec, pid, rr, named, out);
      return;
    }

    if (ev == event_package::dialog_shared && !r.appearances) return reject(out, ev, 400, "Missing dialog-info body");
    if (!has_state(r)) {
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
        publication{pid, std::string(r.line), make_etag(), deadline(expires), std::string(r.publisher)});
    out(effect{make_response(200, "OK", ev, 0, expires, pub.etag)});
    out(effect{arm_timer{{timer_kind::publication, pid}, pub.expires_at}});
    publish_state(rec, pid, rr, named, out);
    forget_if_empty(rec);
  }

  // ---- Dialog-driven mode -------------------------------------------------
  // Returns what happened to the appearance; a refused event changes nothing
  // and sends nothing.
  template <effect_sink Out>
  state_change on_dialog(dialog_event const& d, Out&& out) {
    collect_garbage();
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

  // ---- Timers -------------------------------------------------------------
  template <effect_sink Out>
  void on_timer(timer_id t, Out&& out) {
    collect_garbage();
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

  // ---- Management (OpenSIPS MI list_lines / release_line, Kamailio sca.*) --
  // Idles one appearance, or every appearance of the line; a seize that held
  // a released appearance ends (terminated;reason=noresource). Returns how
  // many appearances were released.
  template <effect_sink Out>
  std::size_t release(std::string_view line, std::optional<std::uint32_t> index, Out&& out) {
    collect_garbage();
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

  // Sets an appearance from outside (Kamailio sca.update_appearance /
  // sca.seize_appearance), under the dialect's transition table.
  template <effect_sink Out>
  state_change update(std::string_view line, std::uint32_t index, appearance_state to, std::string_view remote,
                      Out&& out) {
    collect_garbage();
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

  // The lowest idle appearance of a line (for an incoming call without an
  // appearance-index), or 0 when all max_appearances are busy.
  std::uint32_t first_idle_appearance(std::string_view uri) const {
    auto* rec = const_cast<storage_type&>(storage_).find_line(uri);
    return rec ? rec->state.first_idle(limits_.max_appearances) : (limits_.max_appearances ? 1u : 0u);
  }

  // The line as a NOTIFY shows it.
  static line_view view_of(line_record const& rec) noexcept {
    return {rec.state.uri(), rec.state.busy(), rec.dialogs};
  }
  // The line as a NOTIFY would show it (an unknown line is all idle).
  line_view line(std::string_view uri) const {
    auto* rec = const_cast<storage_type&>(storage_).find_line(uri);
    return rec ? view_of(*rec) : line_view{uri, {}, {}};
  }
  // Calls f(line_view) for every line the server knows.
  template <class F>
  void for_each_line(F&& f) const {
    storage_.for_each_line([&](line_record const& r) { f(view_of(r)); });
  }

  // ---- Shared storage (callinfo/redis) -------------------------------------
  // A NOTIFY to every call-info watcher of the line, showing the line as the
  // storage now holds it: for a change another server sharing the storage
  // made (the caller picks the NOTIFYs whose dialogs it holds).
  template <effect_sink Out>
  void notify_watchers_of(std::string_view uri, Out&& out) {
    if (line_record const* rec = storage_.find_line(uri)) notify_watchers(*rec, out);
  }
  // ---- end of shared storage ------------------------------------------------

  // ---- Ending subscriptions (RFC 6665 §4.2.2) --------------------------------
  // The server ends subscription `id` of its own accord (RFC 6665 §4.2.2
  // lets a notifier do so at any time): its terminated NOTIFY with
  // `reason`, its timer cancelled, and for a line-seize its appearance back
  // to idle when the seize still holds it (under the dialect's rules a call
  // may have taken the appearance over; then it stays) and the line's
  // call-info watchers NOTIFYed. RFC 6665 §4.1.3 tells the watcher what to
  // do: deactivated (a node shutting down or moving it) and timeout:
  // resubscribe at once; probation, giveup: later; rejected, noresource,
  // invariant: not. The notify effect carries no retry-after.
  // event_reason::extension has no token to write: a bare `terminated` is
  // sent instead.
  template <effect_sink Out>
  subscription_end end_subscription(subscription_id id, event_reason reason, Out&& out) {
    collect_garbage();
    subscription* s = storage_.find_subscription(id);
    if (s == nullptr) return subscription_end::unknown;
    end_subscription(*s, writable_reason(reason), true, true, out);
    return subscription_end::ended;
  }

  // The stack reports that a NOTIFY to subscription `id` failed with final
  // status `status` (408 for a transaction timeout). When the status ends the
  // subscription (notify_failure_ends_subscription()), it is removed without
  // another NOTIFY (its dialog, or its usage, is gone): timer cancelled, a
  // seize released as above and the line's other watchers NOTIFYed. Any other
  // status keeps it (subscription_end::kept) and changes nothing. The failure
  // of a terminated NOTIFY finds the subscription already gone: unknown.
  template <effect_sink Out>
  subscription_end on_notify_failed(subscription_id id, std::uint16_t status, Out&& out) {
    collect_garbage();
    subscription* s = storage_.find_subscription(id);
    if (s == nullptr) return subscription_end::unknown;
    if (!notify_failure_ends_subscription(status)) return subscription_end::kept;
    end_subscription(*s, std::nullopt, false, true, out);
    return subscription_end::ended;
  }

  // Ends every subscription (a clean shutdown: reason deactivated lets each
  // watcher resubscribe at once, RFC 6665 §4.1.3, to whichever node takes
  // over). Line by line, the seizes are released first, so every terminated
  // NOTIFY shows the line as it is left and no watcher gets an active NOTIFY
  // just before its terminated one. Returns how many subscriptions ended.
  template <effect_sink Out>
  std::size_t end_all_subscriptions(event_reason reason, Out&& out) {
    collect_garbage();
    std::vector<std::string> uris;
    storage_.for_each_line([&](line_record const& r) {
      if (!r.watchers.empty()) uris.emplace_back(r.state.uri());
    });
    std::optional<event_reason> const why = writable_reason(reason);
    std::size_t n = 0;
    for (std::string const& uri : uris) {
      line_record* rec = storage_.find_line(uri);
      if (rec == nullptr) continue;
      std::vector<subscription_id> const ids = rec->watchers;
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
  // ---- end of ending subscriptions --------------------------------------------

  // Convenience forms that collect the effects in a vector.
  effect_list on_subscribe(subscribe_request const& r) { return collect([&](effect_list& o) { on_subscribe(r, o); }); }
  effect_list on_publish(publish_request const& r) { return collect([&](effect_list& o) { on_publish(r, o); }); }
  effect_list on_timer(timer_id t) { return collect([&](effect_list& o) { on_timer(t, o); }); }

 private:
  // ---- Ending subscriptions: helper ------------------------------------------
  static constexpr std::optional<event_reason> writable_reason(event_reason r) noexcept {
    return r == event_reason::extension ? std::nullopt : std::optional<event_reason>(r);
  }
  // ---- end of ending subscriptions: helper ------------------------------------

  struct seize_outcome {
    std::uint16_t code = 0;  // 0: go ahead with `index`
    std::string_view reason{};
    std::uint32_t index = 0;
  };
  struct publish_check {
    std::uint16_t code = 0;
    std::string_view reason;
  };

  template <class F>
  static effect_list collect(F&& f) {
    effect_list l;
    f(l);
    return l;
  }

  static response make_response(std::uint16_t code, std::string_view reason, event_package e, subscription_id sub = 0,
                                std::optional<std::uint32_t> expires = std::nullopt, std::string_view etag = {}) {
    response r;
    r.code = code;
    r.reason = reason;
    r.event = e;
    r.subscription = sub;
    r.expires = expires;
    r.etag = etag;
    return r;
  }

  // Whether watchers see this change: a new state, or a new remote party in
  // a format that shows it (appearance-uri).
  static constexpr bool visible(state_change const& c) noexcept {
    return c.result == transition::applied ||
           (c.remote_changed && c.result != transition::refused && dialect::format == notify_format::entry_per_appearance);
  }
  // A new remote party alone, in a Call-Info format that does not show it:
  // dialog;shared watchers still see it (the dialog-info body's <remote>).
  static constexpr bool remote_only(state_change const& c) noexcept {
    return c.remote_changed && c.result != transition::refused && !visible(c);
  }

  static constexpr std::uint16_t ok_code(event_package e) noexcept {
    return e == event_package::call_info ? dialect::call_info_subscribe_ok : 200;
  }
  static constexpr std::string_view ok_reason(event_package e) noexcept {
    return ok_code(e) == 202 ? "Accepted" : "OK";
  }

  // A response echoes the SUBSCRIBE's Event id (RFC 6665 §8.2.1: the
  // response carries the request's Event header).
  static response with_event_id(response r, std::string_view id) noexcept {
    r.event_id = id;
    return r;
  }
  template <effect_sink Out>
  static void reject(Out& out, event_package e, std::uint16_t code, std::string_view reason,
                     std::string_view event_id = {}) {
    out(effect{with_event_id(make_response(code, reason, e), event_id)});
  }
  template <effect_sink Out>
  void too_brief(Out& out, event_package e, std::string_view event_id = {}) {
    response r = make_response(423, "Interval Too Brief", e);
    r.min_expires = limits_.min_expires;
    r.event_id = event_id;
    out(effect{r});
  }

  std::uint32_t granted_expires(event_package e, std::optional<std::uint32_t> asked) const noexcept {
    bool const ci = e != event_package::line_seize;  // dialog;shared: the call-info values
    std::uint32_t const def = ci ? limits_.call_info_default_expires : limits_.line_seize_default_expires;
    std::uint32_t const max = ci ? limits_.call_info_max_expires : limits_.line_seize_max_expires;
    return asked ? std::min(*asked, max) : def;
  }

  time_point deadline(std::uint32_t seconds) const noexcept {
    return clock_.now() + time_point(static_cast<std::int64_t>(seconds) * 1000);
  }
  std::uint32_t seconds_left(time_point at) const noexcept {
    auto const ms = (at - clock_.now()).count();
    return ms <= 0 ? 0u : static_cast<std::uint32_t>((ms + 999) / 1000);
  }

  std::string make_etag() {
    // `<serial>` or `<serial>.<secret>` in base 36: a token (RFC 3903
    // entity-tag), at most 13 + 1 + 13 bytes.
    etag_value const v = ids_.next_etag();
    char buf[32];
    char* p = buf + sizeof buf;
    auto const base36 = [&](std::uint64_t n) {
      do {
        *--p = "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36];
        n /= 36;
      } while (n != 0);
    };
    if (v.secret != 0) {
      base36(v.secret);
      *--p = '.';
    }
    base36(v.serial);
    return std::string(p, static_cast<std::size_t>(buf + sizeof buf - p));
  }

  // The appearance-index a line-seize SUBSCRIBE names (0: none, or `*`).
  static std::uint32_t asked_index(subscribe_request const& r) noexcept {
    if (!r.seize || !r.seize->index) return 0;
    return r.seize->index->value();
  }

  // Which appearance a line-seize SUBSCRIBE asks for, and whether it may
  // have it.
  seize_outcome choose_seize_index(subscribe_request const& r, line_record const* rec, bool seizing) const {
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

  // A NOTIFY for subscription `id` showing line `uri` (record `rec`, or all
  // idle when the line is not stored). `expires` is the time left of a
  // stored subscription.
  notify make_notify(subscription_id id, event_package e, std::string_view uri, line_record const* rec,
                     std::uint32_t seized) {
    notify n;
    n.subscription = id;
    n.event = e;
    n.format = dialect::format;
    n.expires_in_initial = dialect::expires_in_initial_notify;
    n.line = rec ? line_view{uri, rec->state.busy(), rec->dialogs} : line_view{uri, {}, {}};
    n.seized_index = seized;
    if (subscription* s = storage_.find_subscription(id)) {
      n.event_id = s->event_id;
      n.expires = seconds_left(s->expires_at);
      if (e == event_package::dialog_shared) n.version = s->version++;  // RFC 4235 §4.1
    }
    return n;
  }

  // A NOTIFY of the whole line to every call-info and dialog;shared watcher
  // (with `dialog_shared_only`, to the dialog;shared ones only).
  template <effect_sink Out>
  void notify_watchers(line_record const& rec, Out& out, bool dialog_shared_only = false) {
    for (subscription_id id : rec.watchers) {
      subscription const* s = storage_.find_subscription(id);
      if (s == nullptr || s->event == event_package::line_seize) continue;
      if (dialog_shared_only && s->event != event_package::dialog_shared) continue;
      out(effect{make_notify(id, s->event, rec.state.uri(), &rec, 0)});
    }
  }

  // Which dialog each busy appearance shows a dialog;shared watcher (a hash
  // of the ids, Call-IDs and tags write_dialog_info() writes; 0 when none is
  // known), so that a pickup or a hand-over on an unchanged appearance still
  // reaches those watchers. A line with no known dialog (the common case)
  // costs one test.
  static std::uint64_t shown_dialogs(line_record const& rec) noexcept {
    return rec.dialogs.empty() ? 0 : hash_shown_dialogs(rec);
  }
  static std::uint64_t hash_shown_dialogs(line_record const& rec) noexcept {
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
  // Every watcher when the line changed; else the dialog;shared ones when
  // the dialogs they are shown changed, or a remote party only they see
  // (remote_only()). Always inlined: as a call of its own it keeps the
  // NOTIFY loop out of its callers, which costs a PUBLISH with 10 watchers
  // about 15 % (bench/presence, BM_publish_modify).
  template <effect_sink Out>
  [[gnu::always_inline]] void notify_if_changed(line_record const& rec, bool line_changed, std::uint64_t shown_before,
                                                Out& out, bool remote_changed = false) {
    if (line_changed)
      notify_watchers(rec, out);
    else if (remote_changed || shown_dialogs(rec) != shown_before)
      notify_watchers(rec, out, true);
  }

  template <effect_sink Out>
  static void changed(line_record const& rec, std::uint32_t index, state_change const& c, driver_kind cause, Out& out) {
    out(effect{appearance_changed{rec.state.uri(), index, c.from, c.to, cause}});
  }

  // Ends a subscription: releases its seize, sends the terminated NOTIFY
  // when asked, cancels its timer when it is still armed, and tells the
  // line's watchers if the seize release changed the line.
  // A line-seize subscription's appearance back to idle, when the seize
  // still holds it (a call may have taken it over); returns whether it did.
  template <effect_sink Out>
  bool release_seize(line_record& rec, subscription const& s, Out& out) {
    if (s.event != event_package::line_seize || s.seized_index == 0) return false;
    state_change const c{transition::applied, rec.state.state_of(s.seized_index), appearance_state::idle};
    if (!rec.state.release_if_driven_by(s.seized_index, {driver_kind::seize, s.id})) return false;
    changed(rec, s.seized_index, c, driver_kind::seize, out);
    return true;
  }

  template <effect_sink Out>
  void end_subscription(subscription& s, std::optional<event_reason> reason, bool tell, bool timer_armed, Out& out) {
    subscription_id const id = s.id;
    line_record* rec = storage_.find_line(s.line);
    bool const line_changed = rec != nullptr && release_seize(*rec, s, out);
    if (timer_armed) out(effect{cancel_timer{{timer_kind::subscription, id}}});
    if (tell) {
      // The line URI is read from the line (which outlives this call), and
      // the Event id from retired_event_ids_, not from the subscription
      // about to be erased.
      notify n = make_notify(id, s.event, rec ? std::string_view(rec->state.uri()) : std::string_view{},
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

  template <effect_sink Out>
  void refresh(subscribe_request const& r, Out& out) {
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
      out(effect{with_event_id(make_response(ok_code(r.event), ok_reason(r.event), r.event, s->id, 0u), r.event_id)});
      end_subscription(*s, dialect::unsubscribe_reason, true, true, out);
      return;
    }
    if (expires < limits_.min_expires) return too_brief(out, r.event, r.event_id);
    s->expires_at = deadline(expires);
    out(effect{with_event_id(make_response(ok_code(r.event), ok_reason(r.event), r.event, s->id, expires), r.event_id)});
    out(effect{arm_timer{{timer_kind::subscription, s->id}, s->expires_at}});
    line_record* rec = storage_.find_line(s->line);
    out(effect{make_notify(s->id, s->event, s->line, rec, s->seized_index)});
  }

  // The appearance indexes a PUBLISH names (indexes are at most 1023).
  struct index_set {
    static constexpr std::uint32_t capacity = 1024;
    std::array<std::uint64_t, capacity / 64> bits{};
    bool test(std::uint32_t i) const noexcept { return (bits[i / 64] >> (i % 64)) & 1u; }
    void set(std::uint32_t i) noexcept { bits[i / 64] |= std::uint64_t{1} << (i % 64); }
  };

  // One appearance a PUBLISH states (its Call-Info's or its dialog-info
  // body's appearance_update).
  struct published {
    std::uint32_t index = 1;
    appearance_state state = appearance_state::idle;
    bool has_remote = false;
    std::string_view remote;  // unescaped
    appearance_update const* update = nullptr;
  };
  static bool has_state(publish_request const& r) noexcept { return r.appearances.has_value(); }
  // Calls f(published const&) for each appearance the request states; stops
  // at f's first refusal.
  template <class F>
  static publish_check each_published(publish_request const& r, F&& f) {
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

  // A PUBLISH's Call-Info (or dialog-info body) is the whole state its
  // publisher sets: every appearance it names must be a known index and
  // state, named once, and reachable by the transition table; `*` entries
  // (the idle wildcard) are skipped. Checked in full before anything
  // changes; `named` collects the indexes for apply_publication().
  // A dialog;shared request that stated dialogs and comes back from
  // with_appearances() without them found no idle appearance: 500 (see there).
  // A dialog;shared dialog may take an appearance that a dialog of another
  // publisher or call holds only by joining or replacing one of them (or
  // when its publisher already has a dialog there).
  publish_check check_publication(publish_request const& r, line_record const* rec, publication_id pid,
                                  index_set& named) const {
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

  // Applies a checked publication; returns whether the line changed (and sets
  // `remote_changed` for a new remote party only dialog;shared watchers see). Its
  // appearances that the new state no longer names go back to idle
  // (a modify replaces the publication, RFC 3903 §4.4), or to another known
  // dialog that holds them (let_go()). A dialog;shared publication's
  // terminated dialog lets its appearance go the same way: it does not idle
  // an appearance that another publisher's or call's dialog holds.
  template <effect_sink Out>
  bool apply_publication(publish_request const& r, index_set const& named, line_record& rec, publication_id pid,
                         Out& out, bool& remote_changed) {
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

  // An accepted publication's state onto the line (its dialogs remembered
  // first: apply_publication() hands appearances over to them), then the
  // NOTIFYs: every watcher when the line changed, else the dialog;shared ones
  // when the dialog shown on an appearance did. Always inlined, like
  // notify_if_changed() and for the same reason.
  template <effect_sink Out>
  [[gnu::always_inline]] void publish_state(line_record& rec, publication_id pid, publish_request const& rr,
                                            index_set const& named, Out& out) {
    std::uint64_t const shown = shown_dialogs(rec);
    remember_dialogs(rec, pid, rr);
    bool remote_changed = false;
    bool const line_changed = apply_publication(rr, named, rec, pid, out, remote_changed);
    notify_if_changed(rec, line_changed, shown, out, remote_changed);
  }

  // Appearance `index` is no longer held by `self`. When `self` drives it,
  // it goes to another known dialog on it (a joined call's remaining party,
  // in the state that dialog's owner last stated), else back to idle.
  // `self`'s own dialogs are already forgotten. Returns whether the line
  // changed as a NOTIFY shows it.
  template <effect_sink Out>
  bool let_go(line_record& rec, std::uint32_t index, appearance_driver self, Out& out) {
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

  // ---- RFC 7463 appearance agent ----------------------------------------
  // A dialog;shared PUBLISH's dialogs without sa:appearance (index 0) get
  // one: the appearance of the known dialog it replaces or joins, else the
  // one the same dialog id holds in this publication, else the lowest idle
  // one no other dialog of the body names. `r` comes back with its dialogs
  // resolved into `resolved` (index-0 idle ones dropped), or with no
  // dialogs when the line has no idle appearance left: that is answered
  // 500, not 400, since the body is well-formed and the same PUBLISH
  // succeeds once an appearance frees up (RFC 3261 §21.5.1: the server's
  // condition, not the request's fault). The memory is the line record's
  // `dialogs` (line/line_dialogs.hpp), so storage, snapshots and Redis keep it.
  publish_request with_appearances(publish_request const& r, line_record const* rec, publication_id pid,
                                   std::vector<appearance_update>& resolved) const {
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

  // A known dialog, without the identifiers no NOTIFY or record could carry.
  static line_dialog known_dialog(appearance_driver owner, std::uint32_t index, appearance_state state,
                                  std::string_view id, dialog_ref const& ids) {
    auto const keep = [](std::string_view v) { return dialog_field_is_writable(v) ? std::string(v) : std::string(); };
    return line_dialog{owner, index, state, keep(id), keep(ids.call_id), keep(ids.local_tag), keep(ids.remote_tag)};
  }
  // Called once a publication that states its state is accepted: the
  // dialogs it states replace what it stated before (none for a Call-Info
  // body, even in a publication that began as dialog-info).
  void remember_dialogs(line_record& rec, publication_id pid, publish_request const& r) {
    if (rec.dialogs.empty() && (r.event != event_package::dialog_shared || !r.appearances)) return;
    appearance_driver const self{driver_kind::publication, pid};
    std::erase_if(rec.dialogs, [&](line_dialog const& d) { return d.owner == self; });
    if (r.event != event_package::dialog_shared || !r.appearances) return;
    for (appearance_update const& u : *r.appearances)
      if (u.index != 0 && u.state != appearance_state::idle)
        rec.dialogs.push_back(known_dialog(self, u.index, u.state, u.dialog, u.identifiers));
  }
  // A call the stack reports with its identifiers is remembered while it
  // holds an appearance, so dialog;shared watchers see its Call-ID and tags.
  static void remember_call(line_record& rec, dialog_event const& d, std::uint32_t index, appearance_state to) {
    bool const named = to != appearance_state::idle && !d.identifiers.call_id.empty();
    if (rec.dialogs.empty() && !named) return;  // the common case: nothing known, nothing to know
    appearance_driver const self{driver_kind::dialog, d.dialog};
    std::erase_if(rec.dialogs, [&](line_dialog const& e) { return e.owner == self; });
    if (named) rec.dialogs.push_back(known_dialog(self, index, to, {}, d.identifiers));
  }
  // ---- end of RFC 7463 appearance agent ---------------------------------

  template <effect_sink Out>
  void remove_publication(publication_id pid, Out& out) {
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

  // A line with no appearance in use and no watcher is forgotten, but only
  // at the start of the next call: effects of this call may still point
  // into it.
  void forget_if_empty(line_record const& rec) {
    if (rec.state.idle() && rec.watchers.empty()) garbage_.push_back(rec.state.uri());
  }
  void collect_garbage() {
    for (std::string const& uri : garbage_)
      if (line_record* r = storage_.find_line(uri); r && r->state.idle() && r->watchers.empty()) storage_.erase_line(uri);
    garbage_.clear();
    retired_event_ids_.clear();
  }

  clock_type clock_{};
  storage_type storage_{};
  limits_type limits_{};
  authorizer_type authorizer_{};
  ids_type ids_{};
  std::vector<std::string> garbage_;
  // The Event ids of subscriptions ended in this call, which their
  // terminated NOTIFYs point into (a deque: references stay valid).
  std::deque<std::string> retired_event_ids_;
};

using server = basic_server<>;

}  // namespace callinfo
