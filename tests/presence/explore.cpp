// Randomized exploration of the presence server: 1 line x 3 appearances x
// 3 subscribers, random walks of SUBSCRIBE / line-seize / refresh /
// unsubscribe / PUBLISH / dialog / management / clock+timers / snapshot-
// restore / server-ended subscriptions and failed NOTIFYs (RFC 6665
// §4.2.2) events, well over 1 M events in all, with the invariants of
// server.hpp checked after every step by the checker the server fuzz harness
// shares (tests/support/server_invariants.hpp, which lists them): among
// them, each live watcher's latest NOTIFY shows the line as it is, at most
// one live seizer per appearance, no NOTIFY after a terminated one or after
// the subscription ended, exactly one initial NOTIFY per accepted
// SUBSCRIBE, a timer at every deadline and none for a dead subscription,
// every NOTIFY and response writable, and a restored server answering every
// later event exactly as the original does.
#include "support.hpp"

#include "../support/server_invariants.hpp"

#include <callinfo/presence/snapshot.hpp>

#include <array>
#include <random>
#include <string_view>

using namespace callinfo;

namespace {

inline constexpr std::string_view explored_lines[] = {test::bob};

template <class Policies>
struct explorer {
  using server_t = basic_server<Policies>;
  std::uint32_t seed;
  std::mt19937 rng;
  std::uint64_t step = 0;

  server_t server;
  std::optional<server_t> twin;  // a restored copy run in lockstep
  test::server_model<server_t> model;
  std::array<subscription_id, 3> watching{};  // per subscriber: its call-info subscription
  std::array<subscription_id, 3> seizing{};   // per subscriber: its line-seize subscription
  std::array<subscription_id, 3> sharing{};   // per subscriber: its dialog;shared subscription
  std::vector<appearance_update> dialogs;     // the last dialog-info PUBLISH's appearances
  std::string etag;
  std::vector<std::string> texts;

  explicit explorer(std::uint32_t s) : seed(s), rng(s) {}

  std::uint32_t pick(std::uint32_t n) { return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng); }

  // Fails the test case (cheaper than a CHECK per step).
  auto fail() {
    return [this](std::string_view what) {
      FAIL("invariant broken at step " << step << " (seed " << seed << "): " << what);
    };
  }

  // Runs one call on the server (and its twin): the checker compares their
  // answers, checks the effects and feeds them to the stack model.
  template <class Call>
  effect_list run(Call&& call) {
    return model.run(server, twin ? &*twin : nullptr, call, fail());
  }

  void check_invariants() { model.check_state(server, twin ? &*twin : nullptr, explored_lines, fail()); }

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
    effect_list const fx = run([&](server_t& s, effect_list& out) { s.on_subscribe(r, out); });
    response const& resp = model.check_subscribe(r, fx, fail());
    if (!in_dialog && resp.code < 300 && resp.subscription != 0) slot = resp.subscription;
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
    effect_list const fx = run([&](server_t& s, effect_list& out) { s.on_publish(r, out); });
    response const& resp = model.check_publish(fx, fail());
    if (resp.code == 200 && !resp.etag.empty()) etag = std::string(resp.etag);
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
      run([&](server_t& s, effect_list& fx) { s.end_all_subscriptions(reason, fx); });
      model.check_end_all(server, fail());
      return;
    }
    subscription_end got = subscription_end::kept;
    bool const failed = what >= 4;
    std::uint16_t const status = statuses[pick(std::size(statuses))];
    effect_list const fx = run([&](server_t& s, effect_list& out) {
      subscription_end const r = failed ? s.on_notify_failed(id, status, out) : s.end_subscription(id, reason, out);
      if (&s == &server) got = r;
    });
    model.check_end(server, id, live, failed ? std::optional<std::uint16_t>(status) : std::nullopt, got, fx, fail());
  }

  void advance() {
    auto const by = std::chrono::seconds(1 + pick(20));
    server.clock().advance(by);
    if (twin) twin->clock().advance(by);
    while (std::optional<timer_id> const t = model.take_due(server.clock().now()))
      run([&](server_t& s, effect_list& fx) { s.on_timer(*t, fx); });
  }

  void restart() {
    std::string text;
    string_sink out(text);
    snapshot(server, out);
    twin.emplace();
    twin->clock().set(server.clock().now());
    effect_list timers;
    bool const restored = restore(*twin, text, timers);
    model.check_restore(server, *twin, text, restored, timers, fail());
  }

  void walk(std::uint64_t events) {
    for (step = 0; step < events; ++step) {
      if (step % 64 == 0) {  // start afresh now and then: many short walks
        server = server_t{};
        twin.reset();
        model.reset();
        watching = {};
        seizing = {};
        sharing = {};
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
