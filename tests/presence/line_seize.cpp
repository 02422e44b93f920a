// line-seize: seize, conflict, refresh, expiry, release (BroadWorks SCA as
// served by OpenSIPS presence_callinfo and Kamailio sca).
#include "support.hpp"

using namespace callinfo;
using namespace callinfo::test;

TEST_CASE("line-seize success: 200, the seizer's NOTIFY names the index, every call-info watcher sees seized") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:watcher@x");
  subscription_id const watcher = h.reply().subscription;
  h.seize("sip:phone1@x", 2);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().expires == 15u);  // line-seize default
  subscription_id const seizer = h.reply().subscription;
  REQUIRE(h.notifies(seizer).size() == 1);
  CHECK(h.notifies(seizer)[0].initial);
  CHECK(h.notifies(seizer)[0].event == event_package::line_seize);
  CHECK(h.notifies(seizer)[0].seized_index == 2);
  REQUIRE(h.notifies(watcher).size() == 1);
  CHECK(h.states(h.notifies(watcher)[0].line) == "2=seized");
  CHECK(h.last.count<appearance_changed>() == 1);
}

TEST_CASE("line-seize without Call-Info, without appearance-index, with * or out of range: 400") {
  harness<> h;
  h.subscribe(event_package::line_seize, "sip:p@x");
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Missing Call-Info header");
  h.subscribe(event_package::line_seize, "sip:p@x", {}, "<sip:bob@example.com>;purpose=info");
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Missing appearance-index");
  h.subscribe(event_package::line_seize, "sip:p@x", {}, "<sip:bob@example.com>;appearance-index=*");
  CHECK(h.reply().code == 400);
  h.subscribe(event_package::line_seize, "sip:p@x", {}, "<sip:bob@example.com>;appearance-index=65");
  CHECK(h.reply().code == 400);
  CHECK(h.server.storage().subscription_count() == 0);
  CHECK(h.line_states() == "idle");
}

TEST_CASE("seize conflict on the same index: 480, the first seize stands") {
  harness<> h;
  h.seize("sip:phone1@x", 1);
  h.seize("sip:phone2@x", 1);
  CHECK(h.reply().code == 480);
  CHECK_FALSE(h.reply().retry_after.has_value());
  CHECK(h.line_states() == "1=seized");
  h.seize("sip:phone2@x", 2);  // per-index rule: another appearance is free
  CHECK(h.reply().code == 200);
  CHECK(h.line_states() == "1=seized 2=seized");
}

TEST_CASE("Kamailio dialect: seize conflict is 480 with Retry-After: 1") {
  harness<kamailio> h;
  h.seize("sip:phone1@x", 1);
  h.seize("sip:phone2@x", 1);
  CHECK(h.reply().code == 480);
  CHECK(h.reply().retry_after == 1u);
}

TEST_CASE("OpenSIPS dialect: a second seize on the line is 480 whatever the index") {
  harness<opensips> h;
  h.seize("sip:phone1@x", 1);
  h.seize("sip:phone2@x", 2);
  CHECK(h.reply().code == 480);
  CHECK(h.line_states() == "1=seized");
}

TEST_CASE("seizing an appearance that carries a call is 480") {
  harness<> h;
  h.dialog(7, dialog_side::caller, dialog_phase::confirmed, 1);
  h.seize("sip:phone1@x", 1);
  CHECK(h.reply().code == 480);
}

TEST_CASE("Kamailio dialect: appearance-index=0 seizes the first idle appearance; default dialect refuses it") {
  harness<kamailio> k;
  k.seize("sip:phone1@x", 1);
  k.seize("sip:phone2@x", 0);
  CHECK(k.reply().code == 200);
  CHECK(k.notifies(k.reply().subscription)[0].seized_index == 2);
  harness<> d;
  d.seize("sip:phone1@x", 0);
  CHECK(d.reply().code == 400);
}

TEST_CASE("seize expiry returns the appearance to idle and every watcher sees it (OpenSIPS leaves it seized)") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:watcher@x");
  subscription_id const watcher = h.reply().subscription;
  h.seize("sip:phone1@x", 1);
  subscription_id const seizer = h.reply().subscription;
  auto const& fx = h.advance_and_fire(15, {timer_kind::subscription, seizer});
  CHECK(h.notifies(seizer).empty());  // line-seize timeout notification is off by default
  REQUIRE(h.notifies(watcher).size() == 1);
  CHECK(h.states(h.notifies(watcher)[0].line) == "idle");
  CHECK(fx.count<appearance_changed>() == 1);
  CHECK(h.line_states() == "idle");
}

TEST_CASE("line-seize timeout notification on: the seizer gets terminated;reason=timeout") {
  default_limits l;
  l.line_seize_timeout_notification = true;
  harness<> h(l);
  h.seize("sip:phone1@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.advance_and_fire(15, {timer_kind::subscription, seizer});
  REQUIRE(h.notifies(seizer).size() == 1);
  CHECK(h.notifies(seizer)[0].state == substate::terminated);
  CHECK(h.notifies(seizer)[0].reason == event_reason::timeout);
}

TEST_CASE("line-seize refresh extends the seize") {
  harness<> h;
  h.seize("sip:phone1@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.server.clock().advance(std::chrono::seconds(10));
  h.refresh(seizer, event_package::line_seize, 15, h.seize_call_info(1));
  CHECK(h.reply().code == 200);
  REQUIRE(h.notifies(seizer).size() == 1);
  CHECK(h.notifies(seizer)[0].seized_index == 1);
  h.advance_and_fire(5, {timer_kind::subscription, seizer});  // the old deadline
  CHECK(h.line_states() == "1=seized");
  h.advance_and_fire(10, {timer_kind::subscription, seizer});
  CHECK(h.line_states() == "idle");
}

TEST_CASE("line-seize unsubscribe releases the appearance") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:watcher@x");
  subscription_id const watcher = h.reply().subscription;
  h.seize("sip:phone1@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.refresh(seizer, event_package::line_seize, 0, h.seize_call_info(1));
  CHECK(h.reply().code == 200);
  REQUIRE(h.notifies(seizer).size() == 1);
  CHECK(h.notifies(seizer)[0].state == substate::terminated);
  REQUIRE(h.notifies(watcher).size() == 1);
  CHECK(h.states(h.notifies(watcher)[0].line) == "idle");
}

TEST_CASE("a seize whose call has moved on does not idle the call when it expires") {
  harness<> h;
  h.seize("sip:phone1@x", 1);
  subscription_id const seizer = h.reply().subscription;
  CHECK(h.dialog(7, dialog_side::caller, dialog_phase::early, 1).result == transition::applied);
  h.advance_and_fire(15, {timer_kind::subscription, seizer});
  CHECK(h.line_states() == "1=progressing");
}

TEST_CASE("Kamailio dialect: the seizer's line-seize subscription ends with noresource when its call is early") {
  harness<kamailio> h;
  h.seize("sip:phone1@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.dialog(7, dialog_side::caller, dialog_phase::early, 1);
  auto const n = h.notifies(seizer);
  REQUIRE(n.size() == 1);
  CHECK(n[0].state == substate::terminated);
  CHECK(n[0].reason == event_reason::noresource);
  CHECK(h.last.count<cancel_timer>() == 1);
  CHECK(h.server.storage().subscription_count() == 0);
  CHECK(h.line_states() == "1=progressing");
}

TEST_CASE("line-seize refresh or unsubscribe without Call-Info is 400 and the seize stays (OpenSIPS, Kamailio)") {
  auto check = [](auto h) {
    h.subscribe(event_package::call_info, "sip:watcher@x");
    subscription_id const watcher = h.reply().subscription;
    h.seize("sip:phone1@x", 1);
    subscription_id const seizer = h.reply().subscription;
    for (std::uint32_t expires : {15u, 0u}) {
      h.refresh(seizer, event_package::line_seize, expires);
      CHECK(h.reply().code == 400);
      CHECK(h.reply().reason == "Missing Call-Info header");
      CHECK(h.notifies().empty());
      CHECK(h.last.size() == 1);
      CHECK(h.line_states() == "1=seized");
      CHECK(h.server.storage().find_subscription(seizer) != nullptr);
    }
    CHECK(h.server.storage().find_subscription(watcher) != nullptr);
    h.refresh(seizer, event_package::line_seize, 0, h.seize_call_info(1));
    CHECK(h.reply().code == 200);
    CHECK(h.line_states() == "idle");
  };
  check(harness<>{});
  check(harness<kamailio>{});
  check(harness<opensips>{});
}
