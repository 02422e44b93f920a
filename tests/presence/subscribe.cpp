// call-info SUBSCRIBE lifecycle (RFC 6665 §4): initial NOTIFY, refresh,
// unsubscribe, fetch, expiry, and the limits around them.
#include "support.hpp"

using namespace callinfo;
using namespace callinfo::test;

TEST_CASE("RFC 6665 §4.2.1: call-info SUBSCRIBE without Expires gets the 3600 s default and an initial NOTIFY") {
  harness<> h;
  auto const& fx = h.subscribe(event_package::call_info, "sip:watcher@example.com");
  REQUIRE(fx.size() == 3);
  response const& r = std::get<response>(fx.items[0]);
  CHECK(r.code == 200);
  CHECK(r.expires == 3600u);
  CHECK(r.subscription != 0);
  arm_timer const& t = std::get<arm_timer>(fx.items[1]);
  CHECK(t.timer == timer_id{timer_kind::subscription, r.subscription});
  CHECK(t.at == std::chrono::seconds(3600));
  notify const& n = std::get<notify>(fx.items[2]);
  CHECK(n.initial);
  CHECK(n.subscription == r.subscription);
  CHECK(n.state == substate::active);
  CHECK(n.expires == 3600u);
  CHECK(n.line.uri == bob);
  CHECK(h.states(n.line) == "idle");
}

TEST_CASE("Expires above the package maximum is capped, below it is kept") {
  harness<> h;
  CHECK(h.subscribe(event_package::call_info, "sip:w@x", 7200).size() == 3);
  CHECK(h.reply().expires == 3600u);
  h.subscribe(event_package::call_info, "sip:w@x", 60);
  CHECK(h.reply().expires == 60u);
  CHECK(h.notifies()[0].expires == 60u);
}

TEST_CASE("the Kamailio dialect answers a call-info SUBSCRIBE with 202") {
  struct p : test_policies {
    using dialect = broadworks_dialect;
  };
  harness<p> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  CHECK(h.reply().code == 202);
}

TEST_CASE("the Kamailio dialect answers call-info refreshes and unsubscribes with 202, line-seize ones with 200") {
  // Kamailio sca: sca_ok_status_for_event() for every SUBSCRIBE it accepts.
  struct p : test_policies {
    using dialect = broadworks_dialect;
  };
  harness<p> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const id = h.reply().subscription;
  h.refresh(id, event_package::call_info, 600);
  CHECK(h.reply().code == 202);
  CHECK(h.reply().reason == "Accepted");
  h.refresh(id, event_package::call_info, 0);
  CHECK(h.reply().code == 202);
  CHECK(h.notifies(id).back().state == substate::terminated);
  h.seize("sip:phone@x", 1);
  CHECK(h.reply().code == 200);
  subscription_id const seize = h.reply().subscription;
  h.refresh(seize, event_package::line_seize, 0, h.seize_call_info(1));
  CHECK(h.reply().code == 200);
}

TEST_CASE("RFC 6665 §4.2.1.2: a refresh re-arms the timer and NOTIFYs the current state") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x", 600);
  subscription_id const id = h.reply().subscription;
  h.server.clock().advance(std::chrono::seconds(500));
  auto const& fx = h.refresh(id, event_package::call_info, 600);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().expires == 600u);
  REQUIRE(fx.count<arm_timer>() == 1);
  CHECK(std::get<arm_timer>(fx.items[1]).at == std::chrono::seconds(1100));
  REQUIRE(h.notifies(id).size() == 1);
  CHECK_FALSE(h.notifies(id)[0].initial);
  CHECK(h.notifies(id)[0].expires == 600u);
}

TEST_CASE("RFC 6665 §4.2.1.4: unsubscribe (Expires: 0) gets 200 and a final terminated NOTIFY, then nothing") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const id = h.reply().subscription;
  auto const& fx = h.refresh(id, event_package::call_info, 0);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().expires == 0u);
  CHECK(fx.count<cancel_timer>() == 1);
  REQUIRE(h.notifies(id).size() == 1);
  CHECK(h.notifies(id)[0].state == substate::terminated);
  CHECK_FALSE(h.notifies(id)[0].expires.has_value());
  CHECK(h.server.storage().subscription_count() == 0);
  // Kamailio keeps NOTIFYing an unsubscribed phone until its purge; we do not.
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting");
  CHECK(h.notifies().empty());
}

TEST_CASE("RFC 6665 §4.4.3: an initial SUBSCRIBE with Expires: 0 is a fetch: one terminated NOTIFY, nothing kept") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  auto const& fx = h.subscribe(event_package::call_info, "sip:w@x", 0);
  CHECK(h.reply().code == 200);
  CHECK(fx.count<arm_timer>() == 0);
  REQUIRE(h.notifies().size() == 1);
  CHECK(h.notifies()[0].initial);
  CHECK(h.notifies()[0].state == substate::terminated);
  CHECK(h.notifies()[0].reason == event_reason::timeout);
  CHECK(h.states(h.notifies()[0].line) == "1=active");
  CHECK(h.server.storage().subscription_count() == 0);
}

TEST_CASE("expiry with call-info timeout notification on: terminated;reason=timeout") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x", 60);
  subscription_id const id = h.reply().subscription;
  h.advance_and_fire(60, {timer_kind::subscription, id});
  REQUIRE(h.notifies(id).size() == 1);
  CHECK(h.notifies(id)[0].state == substate::terminated);
  CHECK(h.notifies(id)[0].reason == event_reason::timeout);
  CHECK(h.server.storage().subscription_count() == 0);
}

TEST_CASE("expiry with timeout notification off: the subscription ends silently") {
  default_limits l;
  l.call_info_timeout_notification = false;
  harness<> h(l);
  h.subscribe(event_package::call_info, "sip:w@x", 60);
  subscription_id const id = h.reply().subscription;
  auto const& fx = h.advance_and_fire(60, {timer_kind::subscription, id});
  CHECK(fx.size() == 0);
  CHECK(h.server.storage().subscription_count() == 0);
}

TEST_CASE("a timer that fires after a refresh is re-armed, not obeyed") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x", 60);
  subscription_id const id = h.reply().subscription;
  h.server.clock().advance(std::chrono::seconds(30));
  h.refresh(id, event_package::call_info, 60);
  auto const& fx = h.advance_and_fire(30, {timer_kind::subscription, id});
  REQUIRE(fx.size() == 1);
  CHECK(std::get<arm_timer>(fx.items[0]).at == std::chrono::seconds(90));
  CHECK(h.server.storage().subscription_count() == 1);
}

TEST_CASE("a refresh of an unknown subscription is 481 Subscription Does Not Exist") {
  harness<> h;
  h.refresh(42, event_package::call_info, 60);
  CHECK(h.reply().code == 481);
  h.subscribe(event_package::call_info, "sip:w@x");
  h.refresh(h.reply().subscription, event_package::line_seize, 60, h.seize_call_info(1));
  CHECK(h.reply().code == 481);
}

TEST_CASE("limits: subscriptions per watcher and per line are bounded with 503, state untouched") {
  default_limits l;
  l.max_subscriptions_per_watcher = 2;
  l.max_subscriptions_per_line = 3;
  harness<> h(l);
  h.subscribe(event_package::call_info, "sip:a@x");
  h.subscribe(event_package::call_info, "sip:a@x");
  CHECK(h.subscribe(event_package::call_info, "sip:a@x").size() == 1);
  CHECK(h.reply().code == 503);
  h.subscribe(event_package::call_info, "sip:b@x");
  CHECK(h.reply().code == 200);
  h.subscribe(event_package::call_info, "sip:c@x");
  CHECK(h.reply().code == 503);
  CHECK(h.server.storage().subscription_count() == 3);
}

TEST_CASE("limits: min_expires answers 423 Interval Too Brief with Min-Expires") {
  default_limits l;
  l.min_expires = 60;
  harness<> h(l);
  h.subscribe(event_package::call_info, "sip:w@x", 30);
  CHECK(h.reply().code == 423);
  CHECK(h.reply().min_expires == 60u);
  CHECK(h.server.storage().subscription_count() == 0);
}

namespace {
struct only_alice {
  bool authorize(request_context const& c) const {
    return c.method == request_method::subscribe && c.identity == "sip:alice@x";
  }
};
struct guarded : test_policies {
  using authorizer = only_alice;
};
}  // namespace

TEST_CASE("the Authorizer policy refuses with 403 and nothing is stored") {
  harness<guarded> h;
  h.subscribe(event_package::call_info, "sip:mallory@x");
  CHECK(h.reply().code == 403);
  h.subscribe(event_package::call_info, "sip:alice@x");
  CHECK(h.reply().code == 200);
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  CHECK(h.reply().code == 403);
  CHECK(h.line_states() == "idle");
}

TEST_CASE("RFC 6665 §8.2.1: the Event id is part of the subscription: echoed in the 2xx and every NOTIFY") {
  harness<> h;
  subscribe_request r = h.subscribe_of(event_package::call_info, "sip:w@x");
  r.event_id = "a1";
  h.subscribe(r);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().event_id == "a1");
  subscription_id const id = h.reply().subscription;
  REQUIRE(h.notifies(id).size() == 1);
  CHECK(h.notifies(id)[0].event_id == "a1");
  // A second subscription of the same watcher with another id is another subscription.
  r.event_id = "b2";
  h.subscribe(r);
  subscription_id const other = h.reply().subscription;
  CHECK(other != id);
  CHECK(h.notifies(other)[0].event_id == "b2");
  // A change NOTIFYs each with its own id.
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting");
  CHECK(h.notifies(id).at(0).event_id == "a1");
  CHECK(h.notifies(other).at(0).event_id == "b2");
  // A refresh names the subscription by its id: another id, or none, is 481.
  h.refresh(id, event_package::call_info, 600, {}, "b2");
  CHECK(h.reply().code == 481);
  h.refresh(id, event_package::call_info, 600);
  CHECK(h.reply().code == 481);
  h.refresh(id, event_package::call_info, 600, {}, "a1");
  CHECK(h.reply().code == 200);
  CHECK(h.reply().event_id == "a1");
  // The unsubscribe's terminated NOTIFY still carries it (after the subscription is gone).
  h.refresh(id, event_package::call_info, 0, {}, "a1");
  REQUIRE(h.notifies(id).size() == 1);
  CHECK(h.notifies(id)[0].state == substate::terminated);
  CHECK(h.notifies(id)[0].event_id == "a1");
  CHECK(h.server.storage().find_subscription(id) == nullptr);
}

TEST_CASE("RFC 6665 §8.4: an Event id that is not a token is 400, nothing stored") {
  harness<> h;
  subscribe_request r = h.subscribe_of(event_package::call_info, "sip:w@x");
  r.event_id = "a b\r\nX: 1";
  h.subscribe(r);
  CHECK(h.reply().code == 400);
  CHECK(h.reply().event_id.empty());
  CHECK(h.server.storage().subscription_count() == 0);
}

TEST_CASE("OpenSIPS dialect: an unsubscribe's final NOTIFY is terminated;reason=timeout, as OpenSIPS sends it") {
  // tests/interop/opensips/golden/publish.norm.txt, steps P25 (unsubscribe) and P26 (expiry): both
  // NOTIFYs say terminated;reason=timeout.
  harness<opensips> o;
  o.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const id = o.reply().subscription;
  o.refresh(id, event_package::call_info, 0);
  REQUIRE(o.notifies(id).size() == 1);
  CHECK(o.notifies(id)[0].state == substate::terminated);
  CHECK(o.notifies(id)[0].reason == event_reason::timeout);
  // The default and Kamailio dialects send a bare terminated.
  harness<> d;
  d.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const id2 = d.reply().subscription;
  d.refresh(id2, event_package::call_info, 0);
  REQUIRE(d.notifies(id2).size() == 1);
  CHECK(!d.notifies(id2)[0].reason.has_value());
}

TEST_CASE("default_policies run on real time: a subscription's deadline is on steady_clock's time line") {
  basic_server<> server;  // default_policies
  static_assert(std::is_same_v<default_policies::clock, steady_clock>);
  subscribe_request r;
  r.event = event_package::call_info;
  r.line = bob;
  r.watcher = "sip:w@x";
  r.expires = 60;
  time_point const before = steady_clock{}.now();
  effect_list const fx = server.on_subscribe(r);
  time_point const after = steady_clock{}.now();
  bool armed = false;
  for (effect const& e : fx.items)
    if (auto const* t = std::get_if<arm_timer>(&e)) {
      armed = true;
      // Under manual_clock the deadline was 60 000 ms from 0: a server on
      // default policies then never expired anything.
      CHECK(t->at >= before + std::chrono::seconds(60));
      CHECK(t->at <= after + std::chrono::seconds(60));
    }
  CHECK(armed);
}
