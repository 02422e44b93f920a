// Randomized exploration of the presence server: 1 line x 3 appearances x
// 3 subscribers, random walks of SUBSCRIBE / line-seize / refresh /
// unsubscribe / PUBLISH / dialog / management / clock+timers / snapshot-
// restore / server-ended subscriptions and failed NOTIFYs (RFC 6665
// §4.2.2) events, well over 1 M events in all, with the invariants of
// server.hpp checked after every step:
//   - each live call-info or dialog;shared watcher's latest NOTIFY shows the
//     line as it is; a dialog;shared watcher's NOTIFYs are numbered 0, 1, 2, ...
//     (RFC 4235 §4.1), across snapshot/restore too;
//   - at most one seizer per appearance, and it is a live line-seize subscription;
//   - no NOTIFY to a subscription after its terminated NOTIFY, nor after a
//     failed NOTIFY removed it (its dialog is gone);
//   - end_subscription / on_notify_failed answer `unknown` exactly for ids
//     that are not live, and leave no trace of a subscription they ended;
//   - exactly one initial NOTIFY per accepted SUBSCRIBE;
//   - a timer armed for every live subscription and publication, at its
//     deadline, and no subscription timer left armed for a dead one;
//   - snapshot -> restore -> the restored server answers every later event
//     exactly as the original does.
#include "support.hpp"

#include <callinfo/presence/snapshot.hpp>

#include <map>
#include <random>
#include <set>
#include <sstream>

using namespace callinfo;

namespace {

struct timer_key {
  timer_kind kind;
  std::uint64_t id;
  friend auto operator<=>(timer_key const&, timer_key const&) = default;
};

using seen_line = std::vector<std::pair<std::uint32_t, appearance_state>>;

seen_line copy(line_view const& l) {
  seen_line v;
  for (appearance const& a : l.busy) v.emplace_back(a.index, a.state);
  return v;
}

// One effect as text, to compare two servers' answers.
std::string describe(effect const& e) {
  std::ostringstream o;
  std::visit(
      [&](auto const& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, response>) {
          o << "response " << x.code << ' ' << x.reason << ' ' << x.subscription << ' '
            << (x.expires ? int(*x.expires) : -1) << ' ' << x.etag;
        } else if constexpr (std::is_same_v<T, notify>) {
          o << "notify " << x.subscription << ' ' << to_string(x.state) << ' ' << (x.expires ? int(*x.expires) : -1)
            << ' ' << x.seized_index << ' ' << x.initial << ' ' << x.version << ' ' << x.line.uri;
          for (appearance const& a : x.line.busy) o << ' ' << a.index << to_string(a.state) << a.remote;
        } else if constexpr (std::is_same_v<T, arm_timer>) {
          o << "arm " << int(x.timer.kind) << ' ' << x.timer.id << ' ' << x.at.count();
        } else if constexpr (std::is_same_v<T, cancel_timer>) {
          o << "cancel " << int(x.timer.kind) << ' ' << x.timer.id;
        } else {
          o << "changed " << x.index << to_string(x.from) << to_string(x.to);
        }
      },
      e);
  return o.str();
}

// Fails the test case with a message (cheaper than a CHECK per step).
#define EXPLORE_REQUIRE(cond, what)                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      FAIL("invariant broken at step " << step << " (seed " << seed << "): " << what); \
    }                                                                            \
  } while (0)

template <class Policies>
struct explorer {
  using server_t = basic_server<Policies>;
  std::uint32_t seed;
  std::mt19937 rng;
  std::uint64_t step = 0;

  server_t server;
  std::optional<server_t> twin;  // a restored copy run in lockstep
  std::map<timer_key, time_point> armed;
  std::set<subscription_id> ended;
  std::map<subscription_id, int> initial;
  std::map<subscription_id, seen_line> seen;
  std::array<subscription_id, 3> watching{};  // per subscriber: its call-info subscription
  std::array<subscription_id, 3> seizing{};   // per subscriber: its line-seize subscription
  std::array<subscription_id, 3> sharing{};   // per subscriber: its dialog;shared subscription
  std::map<subscription_id, std::uint32_t> next_version;  // dialog;shared: the version its next NOTIFY must carry
  std::vector<appearance_update> dialogs;     // the last dialog-info PUBLISH's appearances
  std::string etag;
  std::vector<std::string> texts;

  explicit explorer(std::uint32_t s) : seed(s), rng(s) {}

  std::uint32_t pick(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); }

  // Runs one call on the server (and its twin), checks the answers agree,
  // then feeds them to the stack model.
  template <class Call>
  void run(Call&& call) {
    effect_list fx;
    call(server, fx);
    if (twin) {
      effect_list tfx;
      call(*twin, tfx);
      auto const all = [](effect_list const& l) {
        std::string t;
        for (effect const& e : l.items) t += describe(e) + " | ";
        return t;
      };
      EXPLORE_REQUIRE(fx.size() == tfx.size(), "restored server answered differently: " << all(fx) << " vs " << all(tfx));
      for (std::size_t i = 0; i < fx.size(); ++i)
        EXPLORE_REQUIRE(describe(fx.items[i]) == describe(tfx.items[i]),
                        "restored server answered differently: " << describe(fx.items[i]) << " vs "
                                                                 << describe(tfx.items[i]));
    }
    for (effect const& e : fx.items) observe(e);
  }

  void observe(effect const& e) {
    if (auto const* n = std::get_if<notify>(&e)) {
      EXPLORE_REQUIRE(!ended.count(n->subscription), "NOTIFY after terminated to " << n->subscription);
      if (n->initial) EXPLORE_REQUIRE(++initial[n->subscription] == 1, "two initial NOTIFYs");
      else EXPLORE_REQUIRE(initial.count(n->subscription), "NOTIFY before the initial one");
      if (n->event == event_package::dialog_shared)
        EXPLORE_REQUIRE(n->version == next_version[n->subscription]++, "dialog-info version out of sequence");
      if (n->state == substate::terminated) ended.insert(n->subscription);
      else if (n->event != event_package::line_seize) seen[n->subscription] = copy(n->line);
    } else if (auto const* a = std::get_if<arm_timer>(&e)) {
      armed[{a->timer.kind, a->timer.id}] = a->at;
    } else if (auto const* c = std::get_if<cancel_timer>(&e)) {
      armed.erase({c->timer.kind, c->timer.id});
    }
  }

  void check_invariants() {
    auto& st = server.storage();
    line_view const line = server.line(test::bob);
    std::size_t live = 0;
    st.for_each_subscription([&](subscription const& s) {
      ++live;
      EXPLORE_REQUIRE(initial.count(s.id) && initial[s.id] == 1, "live subscription without one initial NOTIFY");
      auto const t = armed.find({timer_kind::subscription, s.id});
      EXPLORE_REQUIRE(t != armed.end() && t->second == s.expires_at, "live subscription without its timer");
      if (s.event != event_package::line_seize)
        EXPLORE_REQUIRE(seen[s.id] == copy(line), "watcher " << s.id << " has a stale view of the line");
    });
    for (auto const& [key, at] : armed)
      EXPLORE_REQUIRE(key.kind != timer_kind::subscription || st.find_subscription(key.id) != nullptr,
                      "timer left armed for ended subscription " << key.id);
    st.for_each_publication([&](publication const& p) {
      auto const t = armed.find({timer_kind::publication, p.id});
      EXPLORE_REQUIRE(t != armed.end() && t->second == p.expires_at, "publication without its timer");
    });
    if (line_record* rec = st.find_line(test::bob)) {
      EXPLORE_REQUIRE(rec->watchers.size() == live, "line watchers and subscriptions disagree");
      for (appearance const& a : rec->state.busy()) {
        if (a.driver.kind != driver_kind::seize) continue;
        subscription const* s = st.find_subscription(a.driver.id);
        EXPLORE_REQUIRE(s && s->event == event_package::line_seize && s->seized_index == a.index,
                        "appearance " << a.index << " seized by a dead or foreign subscription");
      }
    } else {
      EXPLORE_REQUIRE(live == 0, "subscriptions to a forgotten line");
    }
  }

  std::optional<call_info_view> keep(std::string text) {
    texts.push_back(std::move(text));
    if (texts.size() > 64) texts.erase(texts.begin());
    return *parse_call_info(texts.back());
  }
  call_info_updates reader;  // a PUBLISH's Call-Info as the stack passes it

  void subscribe(std::uint32_t who, event_package pkg) {
    auto& slot = pkg == event_package::call_info ? watching[who] : pkg == event_package::line_seize ? seizing[who] : sharing[who];
    subscribe_request r;
    r.event = pkg;
    r.line = test::bob;
    r.watcher = who == 0 ? "sip:a@x" : who == 1 ? "sip:b@x" : "sip:c@x";
    std::uint32_t const e = pick(4);
    r.expires = e == 0 ? std::optional<std::uint32_t>{} : std::optional<std::uint32_t>{(e - 1) * 10};  // absent, 0, 10, 20
    bool const in_dialog = slot != 0 && server.storage().find_subscription(slot) != nullptr;
    if (in_dialog) r.subscription = slot;
    // A seize's refresh or unsubscribe without Call-Info is 400 (both peers):
    // mostly with it, sometimes without.
    if (pkg == event_package::line_seize && (!in_dialog || pick(4) != 0))
      r.seize = seize_target_of(*keep("<sip:bob@example.com>;appearance-index=" + std::to_string(pick(4))));
    subscription_id granted = 0;
    run([&](server_t& s, effect_list& fx) {
      s.on_subscribe(r, fx);
      for (effect const& e2 : fx.items)
        if (auto const* resp = std::get_if<response>(&e2); resp && resp->code < 300) granted = resp->subscription;
    });
    if (!in_dialog && granted != 0) slot = granted;
  }

  void publish() {
    publish_request r;
    r.line = test::bob;
    std::string const tag = etag;  // etag changes when the answer arrives; the twin must see the same request
    if (!tag.empty() && pick(3) != 0) r.if_match = tag;
    std::uint32_t const e = pick(5);
    if (e < 3) r.expires = e * 15;  // 0, 15, 30, or absent
    if (pick(4) == 0) {  // a dialog-info PUBLISH (RFC 7463) instead of Call-Info
      r.event = event_package::dialog_shared;
      if (!r.if_match || pick(2) == 0) {
        dialogs.clear();
        for (std::uint32_t i = 1 + pick(2); i-- > 0;)
          dialogs.push_back({1 + pick(3), all_appearance_states[pick(appearance_state_count)],
                             pick(2) ? "sip:dave@example.org" : ""});
        r.appearances = std::span<appearance_update const>(dialogs);
      }
    } else if (!r.if_match || pick(2) == 0) {
      std::string ci = "<sip:bob@example.com>";
      std::uint32_t const n = 1 + pick(2);
      for (std::uint32_t i = 0; i < n; ++i)
        ci += ";appearance-index=" + std::to_string(1 + pick(3)) + ";appearance-state=" +
              std::string(to_string(all_appearance_states[pick(appearance_state_count)]));
      if (reader.read(*keep(ci))) FAIL("the adapter refused " << ci);  // every state here is an SCA state
      r.appearances = reader.updates();
    }
    run([&](server_t& s, effect_list& fx) {
      s.on_publish(r, fx);
      for (effect const& e2 : fx.items)
        if (auto const* resp = std::get_if<response>(&e2); resp && resp->code == 200 && !resp->etag.empty())
          etag = std::string(resp->etag);
    });
  }

  void dialog() {
    dialog_event d;
    d.line = test::bob;
    d.dialog = 1 + pick(3);
    d.side = pick(2) ? dialog_side::caller : dialog_side::callee;
    d.phase = static_cast<dialog_phase>(pick(6));
    d.appearance_index = 1 + pick(3);
    d.remote = pick(2) ? "<sip:carol@example.com>" : "";
    run([&](server_t& s, effect_list& fx) { s.on_dialog(d, fx); });
  }

  void manage() {
    std::uint32_t const index = 1 + pick(3);
    switch (pick(3)) {
      case 0: run([&](server_t& s, effect_list& fx) { s.release(test::bob, index, fx); }); break;
      case 1: run([&](server_t& s, effect_list& fx) { s.release(test::bob, std::nullopt, fx); }); break;
      default: {
        auto const to = all_appearance_states[pick(appearance_state_count)];
        run([&](server_t& s, effect_list& fx) { s.update(test::bob, index, to, {}, fx); });
      }
    }
  }

  // The server ends a subscription (RFC 6665 §4.2.2), a NOTIFY to one
  // fails, or the server shuts down; ids may be stale or 0.
  void end() {
    auto const& slots = pick(3) == 0 ? watching : pick(2) ? seizing : sharing;
    subscription_id const id = slots[pick(3)];
    bool const live = id != 0 && server.storage().find_subscription(id) != nullptr;
    constexpr event_reason reasons[] = {event_reason::deactivated, event_reason::probation, event_reason::rejected,
                                        event_reason::timeout,     event_reason::giveup,    event_reason::noresource,
                                        event_reason::invariant,   event_reason::extension};
    constexpr std::uint16_t statuses[] = {481, 408, 404, 489, 501, 604, 500, 503, 401, 491, 200};
    auto const reason = reasons[pick(std::size(reasons))];
    std::uint32_t const what = pick(8);
    if (what == 0) {
      std::size_t n = 0;
      run([&](server_t& s, effect_list& fx) {
        std::size_t const k = s.end_all_subscriptions(reason, fx);
        if (&s == &server) n = k;
      });
      std::size_t left = 0;
      server.storage().for_each_subscription([&](subscription const&) { ++left; });
      EXPLORE_REQUIRE(left == 0, "end_all_subscriptions left " << left << " after ending " << n);
      return;
    }
    subscription_end got = subscription_end::kept;
    bool const failed = what >= 4;
    std::uint16_t const status = statuses[pick(std::size(statuses))];
    run([&](server_t& s, effect_list& fx) {
      subscription_end const r = failed ? s.on_notify_failed(id, status, fx) : s.end_subscription(id, reason, fx);
      if (&s != &server) return;
      got = r;
      if (failed && r == subscription_end::ended)
        for (effect const& e : fx.items)
          if (auto const* n = std::get_if<notify>(&e))
            EXPLORE_REQUIRE(n->subscription != id, "NOTIFY to " << id << " whose NOTIFY failed with " << status);
    });
    EXPLORE_REQUIRE((got == subscription_end::unknown) == !live, "unknown for a live id, or not for a dead one");
    if (live && failed)
      EXPLORE_REQUIRE((got == subscription_end::ended) == notify_failure_ends_subscription(status),
                      "status " << status << " answered wrongly");
    if (got == subscription_end::ended) {
      EXPLORE_REQUIRE(server.storage().find_subscription(id) == nullptr, "ended subscription " << id << " still stored");
      ended.insert(id);  // its dialog is gone: any later NOTIFY to it is a bug
    }
  }

  void advance() {
    auto const by = std::chrono::seconds(1 + pick(20));
    server.clock().advance(by);
    if (twin) twin->clock().advance(by);
    for (;;) {
      auto due = armed.end();
      for (auto it = armed.begin(); it != armed.end(); ++it)
        if (it->second <= server.clock().now() && (due == armed.end() || it->second < due->second)) due = it;
      if (due == armed.end()) break;
      timer_id const t{due->first.kind, due->first.id};
      armed.erase(due);
      run([&](server_t& s, effect_list& fx) { s.on_timer(t, fx); });
    }
  }

  void restart() {
    std::string text;
    string_sink out(text);
    snapshot(server, out);
    twin.emplace();
    twin->clock().set(server.clock().now());
    effect_list timers;
    EXPLORE_REQUIRE(restore(*twin, text, timers), "restore failed on a snapshot");
    // The restored server asks for the timers the stack already has armed.
    for (effect const& e : timers.items) {
      auto const& a = std::get<arm_timer>(e);
      auto const it = armed.find(timer_key{a.timer.kind, a.timer.id});
      EXPLORE_REQUIRE(it != armed.end() && it->second == a.at, "restore armed a timer the original did not have");
    }
    std::string again;
    string_sink out2(again);
    snapshot(*twin, out2);
    EXPLORE_REQUIRE(again.size() == text.size(), "snapshot of the restored server differs");
  }

  void walk(std::uint64_t events) {
    for (step = 0; step < events; ++step) {
      if (step % 64 == 0) {  // start afresh now and then: many short walks
        server = server_t{};
        twin.reset();
        armed.clear();
        ended.clear();
        initial.clear();
        seen.clear();
        watching = {};
        seizing = {};
        sharing = {};
        next_version.clear();
        etag.clear();
      }
      switch (pick(13)) {
        case 0: subscribe(pick(3), event_package::call_info); break;
        case 1: subscribe(pick(3), event_package::dialog_shared); break;
        case 2: case 3: subscribe(pick(3), event_package::line_seize); break;
        case 4: case 5: publish(); break;
        case 6: case 7: dialog(); break;
        case 8: manage(); break;
        case 9: case 10: advance(); break;
        case 11: end(); break;
        default:
          if (!twin) restart();
          else advance();
      }
      check_invariants();
    }
  }
};


}  // namespace

TEST_CASE("exploration: default dialect, 400k random events, invariants after each") {
  explorer<test_policies> x(20261129);
  x.walk(400000);
}

TEST_CASE("exploration: OpenSIPS dialect, 400k random events, invariants after each") {
  explorer<test::opensips> x(7);
  x.walk(400000);
}

TEST_CASE("exploration: BroadWorks/Kamailio dialect, 400k random events, invariants after each") {
  explorer<test::kamailio> x(42);
  x.walk(400000);
}
