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
// inside effects stay valid until the next call into the server. A
// SUBSCRIBE or PUBLISH whose line no NOTIFY could carry (not an
// absoluteURI, model/line_uri.hpp) is answered 400 "Bad Line URI".
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
#include <callinfo/model/line_uri.hpp>
#include <callinfo/model/token.hpp>
#include <callinfo/policy/bundles.hpp>
#include <callinfo/presence/subscription_end.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callinfo::inline v1 {


/// The presence server of the call-info, line-seize and dialog;shared packages, without I/O: each
/// call takes a typed request and writes effects to a sink, in the order the stack carries them
/// out. Policies: a bundle such as default_policies. The rules per method: docs/presence-server.md.
template <class Policies = default_policies>
class basic_server {
  static_assert(detail::check_policies<Policies>());

 public:
  using clock_type = typename Policies::clock;            ///< the Clock policy
  using storage_type = typename Policies::storage;        ///< the Storage policy
  using limits_type = typename Policies::limits;          ///< the Limits policy
  using dialect = typename Policies::dialect;             ///< the Dialect policy
  using authorizer_type = typename Policies::authorizer;  ///< the Authorizer policy
  using ids_type = typename Policies::ids;                ///< the Ids policy

  basic_server() = default;
  /// A server with these limits, authorizer, clock and storage.
  explicit basic_server(limits_type limits, authorizer_type authorizer = {}, clock_type clock = {},
                        storage_type storage = {})
      : clock_(std::move(clock)), storage_(std::move(storage)), limits_(std::move(limits)),
        authorizer_(std::move(authorizer)) {}
  /// A storage that needs arguments (callinfo::redis::storage: its connection).
  explicit basic_server(storage_type storage) : storage_(std::move(storage)) {}

  /// The clock (a manual_clock is advanced through it).
  clock_type& clock() noexcept { return clock_; }
  /// The clock.
  clock_type const& clock() const noexcept { return clock_; }
  /// The storage, for stacks that inspect or persist it.
  storage_type& storage() noexcept { return storage_; }
  /// The storage.
  storage_type const& storage() const noexcept { return storage_; }
  /// The limits the server enforces.
  limits_type const& limits() const noexcept { return limits_; }
  /// An Authorizer configured after construction (a stack reads its users
  /// and lines at start, next to a storage given its connection).
  authorizer_type& authorizer() noexcept { return authorizer_; }
  /// The Authorizer.
  authorizer_type const& authorizer() const noexcept { return authorizer_; }
  /// The Ids policy (snapshots read and restore its counters).
  ids_type& ids() noexcept { return ids_; }

  /// Every call below is one storage transaction (storage_policy): with
  /// map_storage it simply runs. A storage that can fail (a shared one) makes
  /// a SUBSCRIBE or PUBLISH it could not serve answer 500 with Retry-After: 1,
  /// and the other calls change nothing and return what a refused call
  /// returns; last_storage_status() says why.
  storage_status last_storage_status() const noexcept { return last_status_; }

  // ---- SUBSCRIBE --------------------------------------------------------
  /// A SUBSCRIBE (initial, refresh, unsubscribe or fetch): its response, its timer and its NOTIFYs.
  template <effect_sink Out>
  void on_subscribe(subscribe_request const& r, Out&& out) {
    if (!transact(transaction_scope::of_request(r.line, r.subscription), out, [&](auto& o) { handle_subscribe(r, o); }))
      out(effect{storage_failure(r.event, r.event_id)});
  }

  // ---- PUBLISH ----------------------------------------------------------
  /// A PUBLISH (initial, refresh, modify or remove): its response, its timer and the NOTIFYs of the
  /// watchers of the line.
  template <effect_sink Out>
  void on_publish(publish_request const& r, Out&& out) {
    if (!transact(transaction_scope::of_line(r.line), out, [&](auto& o) { handle_publish(r, o); }))
      out(effect{storage_failure(r.event == event_package::dialog_shared ? r.event : event_package::call_info, {})});
  }

  // ---- Dialog-driven mode -------------------------------------------------
  /// Returns what happened to the appearance; a refused event changes nothing
  /// and sends nothing.
  template <effect_sink Out>
  state_change on_dialog(dialog_event const& d, Out&& out) {
    state_change c{transition::refused, appearance_state::idle, appearance_state::idle};
    transact(transaction_scope::of_line(d.line), out, [&](auto& o) { c = handle_dialog(d, o); });
    return c;
  }

  // ---- Timers -------------------------------------------------------------
  /// A timer the stack armed for an arm_timer effect has fired: the subscription or publication
  /// expires unless it was refreshed.
  template <effect_sink Out>
  void on_timer(timer_id t, Out&& out) {
    transact(transaction_scope::of_timer(t), out, [&](auto& o) { handle_timer(t, o); });
  }

  // ---- Management (OpenSIPS MI list_lines / release_line, Kamailio sca.*) --
  /// Idles one appearance, or every appearance of the line; a seize that held
  /// a released appearance ends (terminated;reason=noresource). Returns how
  /// many appearances were released.
  template <effect_sink Out>
  std::size_t release(std::string_view line, std::optional<std::uint32_t> index, Out&& out) {
    std::size_t n = 0;
    transact(transaction_scope::of_line(line), out, [&](auto& o) { n = handle_release(line, index, o); });
    return n;
  }

  /// Sets an appearance from outside (Kamailio sca.update_appearance /
  /// sca.seize_appearance), under the dialect's transition table.
  template <effect_sink Out>
  state_change update(std::string_view line, std::uint32_t index, appearance_state to, std::string_view remote,
                      Out&& out) {
    state_change c{transition::refused, appearance_state::idle, to};
    transact(transaction_scope::of_line(line), out, [&](auto& o) { c = handle_update(line, index, to, remote, o); });
    return c;
  }

  /// The lowest idle appearance of a line (for an incoming call without an
  /// appearance-index), or 0 when all max_appearances are busy.
  std::uint32_t first_idle_appearance(std::string_view uri) {
    read_line(uri);
    return std::as_const(*this).first_idle_appearance(uri);
  }
  /// The same from what the storage holds now, without a transaction (a
  /// shared storage holds the line of the last call).
  std::uint32_t first_idle_appearance(std::string_view uri) const {
    auto* rec = const_cast<storage_type&>(storage_).find_line(uri);
    return rec ? rec->state.first_idle(limits_.max_appearances) : (limits_.max_appearances ? 1u : 0u);
  }

  /// The line as a NOTIFY shows it.
  static line_view view_of(line_record const& rec) noexcept {
    return {rec.state.uri(), rec.state.busy(), rec.dialogs};
  }
  /// The line as a NOTIFY would show it (an unknown line is all idle); valid
  /// until the next call into the server.
  line_view line(std::string_view uri) {
    read_line(uri);
    return std::as_const(*this).line(uri);
  }
  /// The same from what the storage holds now, without a transaction.
  line_view line(std::string_view uri) const {
    auto* rec = const_cast<storage_type&>(storage_).find_line(uri);
    return rec ? view_of(*rec) : line_view{uri, {}, {}};
  }
  /// Calls f(line_view) for every line the storage holds now (a shared
  /// storage: the line of the last call; list its lines there).
  template <class F>
  void for_each_line(F&& f) const {
    storage_.for_each_line([&](line_record const& r) { f(view_of(r)); });
  }

  // ---- Shared storage (callinfo/redis) -------------------------------------
  /// A NOTIFY to every call-info and dialog;shared watcher of the line,
  /// showing the line as the storage now holds it: for a change another
  /// server sharing the storage made (the caller picks the NOTIFYs whose
  /// dialogs it holds).
  template <effect_sink Out>
  void notify_watchers_of(std::string_view uri, Out&& out) {
    transact<false>(transaction_scope::of_line(uri), out, [&](auto& o) {
      if (line_record const* rec = storage_.find_line(uri)) notify_watchers(*rec, o);
    });
  }
  // ---- end of shared storage ------------------------------------------------

  // ---- Ending subscriptions (RFC 6665 §4.2.2) --------------------------------
  /// The server ends subscription `id` of its own accord (RFC 6665 §4.2.2
  /// lets a notifier do so at any time): its terminated NOTIFY with
  /// `reason`, its timer cancelled, and for a line-seize its appearance back
  /// to idle when the seize still holds it (under the dialect's rules a call
  /// may have taken the appearance over; then it stays) and the line's
  /// call-info watchers NOTIFYed. RFC 6665 §4.1.3 tells the watcher what to
  /// do: deactivated (a node shutting down or moving it) and timeout:
  /// resubscribe at once; probation, giveup: later; rejected, noresource,
  /// invariant: not. The notify effect carries no retry-after.
  /// event_reason::extension has no token to write: a bare `terminated` is
  /// sent instead.
  template <effect_sink Out>
  subscription_end end_subscription(subscription_id id, event_reason reason, Out&& out) {
    subscription_end e = subscription_end::unknown;
    transact(transaction_scope::of_subscription(id), out, [&](auto& o) { e = handle_end(id, reason, o); });
    return e;
  }

  /// The stack reports that a NOTIFY to subscription `id` failed with final
  /// status `status` (408 for a transaction timeout). When the status ends the
  /// subscription (notify_failure_ends_subscription()), it is removed without
  /// another NOTIFY (its dialog, or its usage, is gone): timer cancelled, a
  /// seize released as above and the line's other watchers NOTIFYed. Any other
  /// status keeps it (subscription_end::kept) and changes nothing. The failure
  /// of a terminated NOTIFY finds the subscription already gone: unknown.
  template <effect_sink Out>
  subscription_end on_notify_failed(subscription_id id, std::uint16_t status, Out&& out) {
    subscription_end e = subscription_end::unknown;
    transact(transaction_scope::of_subscription(id), out, [&](auto& o) { e = handle_notify_failed(id, status, o); });
    return e;
  }

  /// Ends every subscription (a clean shutdown: reason deactivated lets each
  /// watcher resubscribe at once, RFC 6665 §4.1.3, to whichever node takes
  /// over). Line by line, the seizes are released first, so every terminated
  /// NOTIFY shows the line as it is left and no watcher gets an active NOTIFY
  /// just before its terminated one. Returns how many subscriptions ended.
  /// With a shared storage: the subscriptions this server holds the dialogs
  /// of (storage.owns()), line by line.
  template <effect_sink Out>
  std::size_t end_all_subscriptions(event_reason reason, Out&& out) {
    std::size_t n = 0;
    transact(transaction_scope::of_every_line(), out, [&](auto& o) { n += handle_end_all(reason, o); });
    return n;
  }
  // ---- end of ending subscriptions --------------------------------------------

  // Convenience forms that collect the effects in a vector.
  /// on_subscribe() with the effects in a vector.
  effect_list on_subscribe(subscribe_request const& r) { return collect([&](effect_list& o) { on_subscribe(r, o); }); }
  /// on_publish() with the effects in a vector.
  effect_list on_publish(publish_request const& r) { return collect([&](effect_list& o) { on_publish(r, o); }); }
  /// on_timer() with the effects in a vector.
  effect_list on_timer(timer_id t) { return collect([&](effect_list& o) { on_timer(t, o); }); }

 private:
  // One call as a storage transaction; false when the storage could not
  // serve it (nothing changed, nothing sent).
  // Lines left empty by the previous call are forgotten first, unless
  // `collect` is false: a read, or NOTIFYs asked for while the previous
  // call's effects may still be carried out.
  template <bool collect = true, class Out, class Body>
  [[gnu::always_inline]] bool transact(transaction_scope const& scope, Out& out, Body&& body) {
    last_status_ = storage_.transact(scope, [&](auto& sink) {
      if constexpr (collect) collect_garbage();
      body(sink);
    }, out);
    return last_status_ == storage_status::ok;
  }
  // Brings the line into the storage (a shared storage loads it).
  void read_line(std::string_view uri) {
    auto none = [](effect const&) {};
    transact<false>(transaction_scope::of_line(uri), none, [](auto&) {});
  }
  // A request the storage could not serve: 500, try again in a second.
  static response storage_failure(event_package e, std::string_view event_id) noexcept {
    response r = make_response(500, "Server Internal Error", e);
    r.retry_after = 1;
    r.event_id = event_id;
    return r;
  }

  // The calls themselves, inside their transaction.
  template <effect_sink Out>
  void handle_subscribe(subscribe_request const& r, Out& out);
  template <effect_sink Out>
  void handle_publish(publish_request const& r, Out& out);
  template <effect_sink Out>
  state_change handle_dialog(dialog_event const& d, Out& out);
  template <effect_sink Out>
  void handle_timer(timer_id t, Out& out);
  template <effect_sink Out>
  std::size_t handle_release(std::string_view line, std::optional<std::uint32_t> index, Out& out);
  template <effect_sink Out>
  state_change handle_update(std::string_view line, std::uint32_t index, appearance_state to, std::string_view remote,
                             Out& out);
  template <effect_sink Out>
  subscription_end handle_end(subscription_id id, event_reason reason, Out& out);
  template <effect_sink Out>
  subscription_end handle_notify_failed(subscription_id id, std::uint16_t status, Out& out);
  template <effect_sink Out>
  std::size_t handle_end_all(event_reason reason, Out& out);

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

  // The packages this server serves (Allow-Events).
  event_package_set served_packages() const noexcept {
    return static_cast<event_package_set>(package_bit(event_package::call_info) | package_bit(event_package::line_seize) |
                                          (limits_.serve_dialog_shared ? package_bit(event_package::dialog_shared) : 0));
  }
  // The 2xx to a SUBSCRIBE: the dialect's code, the subscription's id and
  // Expires, the Event id echoed, Allow-Events.
  response subscribe_ok(subscribe_request const& r, subscription_id id, std::uint32_t expires) const noexcept {
    response resp = make_response(ok_code(r.event), ok_reason(r.event), r.event, id, expires);
    resp.event_id = r.event_id;
    resp.allow_events = served_packages();
    return resp;
  }
  // 489 Bad Event for a package this server does not serve (RFC 6665 §4.2.1).
  template <effect_sink Out>
  void bad_event(Out& out, event_package e) const {
    response resp = make_response(489, "Bad Event", e);
    resp.allow_events = served_packages();
    out(effect{resp});
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

  struct etag_text {
    char buf[32];
    std::uint8_t begin = sizeof buf;
    std::string_view view() const noexcept { return {buf + begin, sizeof buf - begin}; }
  };
  etag_text make_etag();

  // The appearance-index a line-seize SUBSCRIBE names (0: none, or `*`), for the Authorizer.
  static std::uint32_t asked_index(subscribe_request const& r) noexcept {
    if (!r.seize || !r.seize->index) return 0;
    return r.seize->index->value();
  }

  // Which appearance a line-seize SUBSCRIBE asks for, and whether it may
  // have it.
  seize_outcome choose_seize_index(subscribe_request const& r, line_record const* rec, bool seizing) const;

  // A NOTIFY for subscription `id` showing line `uri` (record `rec`, or all
  // idle when the line is not stored). `sub` is the stored subscription
  // (nullptr for a fetch, which is not stored): its Event id, the time it
  // has left, and for dialog;shared the next version. Callers pass what
  // they already found, so a NOTIFY costs no second lookup.
  notify make_notify(subscription* sub, subscription_id id, event_package e, std::string_view uri,
                     line_record const* rec, std::uint32_t seized) {
    notify n;
    n.subscription = id;
    n.event = e;
    n.format = dialect::format;
    n.expires_in_initial = dialect::expires_in_initial_notify;
    n.line = rec ? line_view{uri, rec->state.busy(), rec->dialogs} : line_view{uri, {}, {}};
    n.seized_index = seized;
    if (sub != nullptr) {
      n.event_id = sub->event_id;
      n.expires = seconds_left(sub->expires_at);
      if (e == event_package::dialog_shared) n.version = sub->version++;  // RFC 4235 §4.1
    }
    return n;
  }

  // A NOTIFY of the whole line to every call-info and dialog;shared watcher
  // (with `dialog_shared_only`, to the dialog;shared ones only).
  template <effect_sink Out>
  void notify_watchers(line_record const& rec, Out& out, bool dialog_shared_only = false) {
    for (subscription_id id : rec.watchers) {
      subscription* s = storage_.find_subscription(id);
      if (s == nullptr || s->event == event_package::line_seize) continue;
      if (dialog_shared_only && s->event != event_package::dialog_shared) continue;
      out(effect{make_notify(s, id, s->event, rec.state.uri(), &rec, 0)});
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
  static std::uint64_t hash_shown_dialogs(line_record const& rec) noexcept;
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
  bool release_seize(line_record& rec, subscription const& s, Out& out);

  template <effect_sink Out>
  void end_subscription(subscription& s, std::optional<event_reason> reason, bool tell, bool timer_armed, Out& out);

  template <effect_sink Out>
  void refresh(subscribe_request const& r, Out& out);

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
  // Calls f(published const&) for each appearance the request states; stops
  // at f's first refusal.
  template <class F>
  static publish_check each_published(publish_request const& r, F&& f);

  // A PUBLISH's appearances (from its Call-Info, where the adapter already
  // skipped the idle wildcard and refused unknown states, or from its
  // dialog-info body) are the whole state its publisher sets: every one must
  // have an index in range, be named once, and be reachable by the
  // transition table. Checked in full before anything changes; `named` collects the indexes for apply_publication().
  // A dialog;shared request that stated dialogs and comes back from
  // with_appearances() without them found no idle appearance: 500 (see there).
  // A dialog;shared dialog may take an appearance that a dialog of another
  // publisher or call holds only by joining or replacing one of them (or
  // when its publisher already has a dialog there).
  publish_check check_publication(publish_request const& r, line_record const* rec, publication_id pid,
                                  index_set& named) const;

  // Applies a checked publication; returns whether the line changed (and sets
  // `remote_changed` for a new remote party only dialog;shared watchers see). Its
  // appearances that the new state no longer names go back to idle
  // (a modify replaces the publication, RFC 3903 §4.4), or to another known
  // dialog that holds them (let_go()). A dialog;shared publication's
  // terminated dialog lets its appearance go the same way: it does not idle
  // an appearance that another publisher's or call's dialog holds.
  template <effect_sink Out>
  bool apply_publication(publish_request const& r, index_set const& named, line_record& rec, publication_id pid,
                         Out& out, bool& remote_changed);

  // An accepted publication's state onto the line (its dialogs remembered
  // first: apply_publication() hands appearances over to them), then the
  // NOTIFYs: every watcher when the line changed, else the dialog;shared ones
  // when the dialog shown on an appearance did. Always inlined, like
  // notify_if_changed() and for the same reason.
  template <effect_sink Out>
  [[gnu::always_inline]] void publish_state(line_record& rec, publication_id pid, publish_request const& rr,
                                            index_set const& named, Out& out);

  // Appearance `index` is no longer held by `self`. When `self` drives it,
  // it goes to another known dialog on it (a joined call's remaining party,
  // in the state that dialog's owner last stated), else back to idle.
  // `self`'s own dialogs are already forgotten. Returns whether the line
  // changed as a NOTIFY shows it.
  template <effect_sink Out>
  bool let_go(line_record& rec, std::uint32_t index, appearance_driver self, Out& out);

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
                                   std::vector<appearance_update>& resolved) const;

  // A known dialog, without the identifiers no NOTIFY or record could carry.
  static line_dialog known_dialog(appearance_driver owner, std::uint32_t index, appearance_state state,
                                  std::string_view id, dialog_ref const& ids);
  // Called once a publication that states its state is accepted: the
  // dialogs it states replace what it stated before (none for a Call-Info
  // body, even in a publication that began as dialog-info).
  void remember_dialogs(line_record& rec, publication_id pid, publish_request const& r);
  // A call the stack reports with its identifiers is remembered while it
  // holds an appearance, so dialog;shared watchers see its Call-ID and tags.
  static void remember_call(line_record& rec, dialog_event const& d, std::uint32_t index, appearance_state to);
  // ---- end of RFC 7463 appearance agent ---------------------------------

  template <effect_sink Out>
  void remove_publication(publication_id pid, Out& out);

  // A line with no appearance in use and no watcher is forgotten, but only
  // at the start of the next call: effects of this call may still point
  // into it.
  void forget_if_empty(line_record const& rec) {
    if (rec.state.idle() && rec.watchers.empty()) garbage_.push_back(rec.state.uri());
  }
  // The line a stored subscription watches: remembered by a storage that
  // offers line_of() (map_storage), else found by its URI.
  line_record* line_of(subscription& s) noexcept {
    if constexpr (requires { storage_.line_of(s); })
      return storage_.line_of(s);
    else
      return storage_.find_line(s.line);
  }
  void collect_garbage() {
    for (std::string const& uri : garbage_)
      if (line_record* r = storage_.find_line(uri); r && r->state.idle() && r->watchers.empty()) storage_.erase_line(uri);
    garbage_.clear();
    if (!retired_event_ids_.empty()) retired_event_ids_.clear();
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
  storage_status last_status_ = storage_status::ok;
};

using server = basic_server<>;  ///< A server with default_policies.

}  // namespace callinfo::v1

#include <callinfo/presence/impl/appearance_agent.ipp>
#include <callinfo/presence/impl/lines.ipp>
#include <callinfo/presence/impl/publications.ipp>
#include <callinfo/presence/impl/subscriptions.ipp>
