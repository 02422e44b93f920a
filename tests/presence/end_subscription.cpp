// The notifier ends subscriptions (RFC 6665 §4.2.2): of its own accord with
// a reason, on a failed NOTIFY, and all at once at shutdown.
#include "support.hpp"

using namespace callinfo;
using namespace callinfo::test;

namespace {

template <class T>
std::size_t count_for(effect_list const& l, subscription_id id) {
  std::size_t n = 0;
  for (effect const& e : l.items)
    if (auto const* x = std::get_if<T>(&e)) n += x->timer.id == id && x->timer.kind == timer_kind::subscription;
  return n;
}
}  // namespace

TEST_CASE("RFC 6665 §4.2.2: the notifier ends a call-info subscription with reason deactivated") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  h.last.clear();
  CHECK(h.server.end_subscription(w, event_reason::deactivated, h.last) == subscription_end::ended);
  auto const n = h.notifies(w);
  REQUIRE(n.size() == 1);
  CHECK(n[0].state == substate::terminated);
  CHECK(n[0].reason == event_reason::deactivated);
  CHECK_FALSE(n[0].expires.has_value());
  CHECK(h.states(n[0].line) == "1=active");  // the final NOTIFY still shows the line
  CHECK(count_for<cancel_timer>(h.last, w) == 1);
  CHECK(h.server.storage().find_subscription(w) == nullptr);
  CHECK(h.server.storage().subscription_count() == 0);
  // In-dialog SUBSCRIBE after the end: the subscription no longer exists.
  h.refresh(w, event_package::call_info, 60);
  CHECK(h.reply().code == 481);
}

TEST_CASE("RFC 6665 §4.2.2: ending a line-seize frees its appearance and NOTIFYs the call-info watchers") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.seize("sip:phone@x", 2);
  subscription_id const seizer = h.reply().subscription;
  REQUIRE(h.line_states() == "2=seized");
  h.last.clear();
  CHECK(h.server.end_subscription(seizer, event_reason::noresource, h.last) == subscription_end::ended);
  CHECK(h.line_states() == "idle");
  auto const to_seizer = h.notifies(seizer);
  REQUIRE(to_seizer.size() == 1);
  CHECK(to_seizer[0].state == substate::terminated);
  CHECK(to_seizer[0].reason == event_reason::noresource);
  CHECK(to_seizer[0].seized_index == 2);
  auto const to_watcher = h.notifies(w);
  REQUIRE(to_watcher.size() == 1);
  CHECK(to_watcher[0].state == substate::active);
  CHECK(h.states(to_watcher[0].line) == "idle");
  CHECK(h.last.count<appearance_changed>() == 1);
  // The appearance may be seized again at once.
  h.seize("sip:other@x", 2);
  CHECK(h.reply().code == 200);
}

TEST_CASE("RFC 6665 §4.2.2: a NOTIFY answered 481 removes the subscription without another NOTIFY") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.last.clear();
  CHECK(h.server.on_notify_failed(w, 481, h.last) == subscription_end::ended);
  CHECK(h.notifies().empty());
  CHECK(count_for<cancel_timer>(h.last, w) == 1);
  CHECK(h.server.storage().find_subscription(w) == nullptr);
  // Later changes of the line NOTIFY nobody.
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  CHECK(h.notifies().empty());
}

TEST_CASE("RFC 6665 §4.2.2: a NOTIFY's Timer F (408) removes a seize; the appearance is freed, watchers NOTIFYed") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.seize("sip:phone@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.last.clear();
  CHECK(h.server.on_notify_failed(seizer, 408, h.last) == subscription_end::ended);
  CHECK(h.notifies(seizer).empty());  // its dialog is gone
  REQUIRE(h.notifies(w).size() == 1);
  CHECK(h.states(h.notifies(w)[0].line) == "idle");
  CHECK(h.line_states() == "idle");
  CHECK(count_for<cancel_timer>(h.last, seizer) == 1);
}

TEST_CASE("RFC 5057 §5.1: a NOTIFY failure that affects only its transaction keeps the subscription") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.seize("sip:phone@x", 1);
  subscription_id const seizer = h.reply().subscription;
  for (std::uint16_t status : {401, 407, 491, 500, 503, 302, 200}) {
    CAPTURE(status);
    CHECK_FALSE(notify_failure_ends_subscription(status));
    h.last.clear();
    CHECK(h.server.on_notify_failed(w, status, h.last) == subscription_end::kept);
    CHECK(h.server.on_notify_failed(seizer, status, h.last) == subscription_end::kept);
    CHECK(h.last.size() == 0);
  }
  CHECK(h.server.storage().subscription_count() == 2);
  CHECK(h.line_states() == "1=seized");
  // ... and the dialog- or usage-ending ones of RFC 6665 §4.1.2.2 do end it.
  for (std::uint16_t status : {404, 405, 408, 410, 416, 480, 481, 482, 483, 484, 485, 489, 501, 604}) {
    CAPTURE(status);
    CHECK(notify_failure_ends_subscription(status));
  }
}

TEST_CASE("an unknown or already ended subscription: no effect, unknown") {
  harness<> h;
  effect_list fx;
  CHECK(h.server.end_subscription(99, event_reason::deactivated, fx) == subscription_end::unknown);
  CHECK(h.server.on_notify_failed(99, 481, fx) == subscription_end::unknown);
  CHECK(h.server.on_notify_failed(99, 500, fx) == subscription_end::unknown);
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  CHECK(h.server.end_subscription(w, event_reason::rejected, fx) == subscription_end::ended);
  fx.clear();
  // The terminated NOTIFY's own failure arrives after the end.
  CHECK(h.server.on_notify_failed(w, 481, fx) == subscription_end::unknown);
  CHECK(h.server.end_subscription(w, event_reason::rejected, fx) == subscription_end::unknown);
  CHECK(fx.size() == 0);
}

TEST_CASE("an extension reason has no token: a bare terminated is sent") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.last.clear();
  CHECK(h.server.end_subscription(w, event_reason::extension, h.last) == subscription_end::ended);
  REQUIRE(h.notifies(w).size() == 1);
  CHECK(h.notifies(w)[0].state == substate::terminated);
  CHECK_FALSE(h.notifies(w)[0].reason.has_value());
}

TEST_CASE("RFC 6665 §4.2.2 / §4.1.3: shutdown ends every subscription with deactivated, seizes freed first") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w1@x");
  subscription_id const w1 = h.reply().subscription;
  h.subscribe(event_package::dialog_shared, "sip:w2@x");
  subscription_id const w2 = h.reply().subscription;
  h.seize("sip:phone@x", 2);
  subscription_id const seizer = h.reply().subscription;
  h.subscribe(event_package::call_info, "sip:w3@x", {}, {}, "sip:alice@example.com");
  subscription_id const w3 = h.reply().subscription;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  h.last.clear();
  CHECK(h.server.end_all_subscriptions(event_reason::deactivated, h.last) == 4);
  CHECK(h.server.storage().subscription_count() == 0);
  for (subscription_id id : {w1, w2, seizer, w3}) {
    CAPTURE(id);
    auto const n = h.notifies(id);
    REQUIRE(n.size() == 1);  // only the terminated one: no active NOTIFY just before it
    CHECK(n[0].state == substate::terminated);
    CHECK(n[0].reason == event_reason::deactivated);
    CHECK(count_for<cancel_timer>(h.last, id) == 1);
  }
  CHECK(h.states(h.notifies(w1)[0].line) == "1=active");  // the seize is gone, the call stays
  CHECK(h.notifies(seizer)[0].seized_index == 2);
  CHECK(h.line_states() == "1=active");
  CHECK(h.last.count<appearance_changed>() == 1);
  h.last.clear();
  CHECK(h.server.end_all_subscriptions(event_reason::deactivated, h.last) == 0);
  CHECK(h.last.size() == 0);
  // deactivated: the watcher may resubscribe at once.
  h.subscribe(event_package::call_info, "sip:w1@x");
  CHECK(h.reply().code < 300);
}

TEST_CASE("OpenSIPS dialect: ending a seize whose call went on leaves the call's appearance alone") {
  harness<opensips> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.seize("sip:phone@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.dialog(5, dialog_side::caller, dialog_phase::early, 1);
  REQUIRE(h.line_states() == "1=progressing");
  REQUIRE(h.server.storage().find_subscription(seizer) != nullptr);  // OpenSIPS keeps the seize subscription
  h.last.clear();
  CHECK(h.server.end_subscription(seizer, event_reason::noresource, h.last) == subscription_end::ended);
  CHECK(h.line_states() == "1=progressing");
  REQUIRE(h.notifies(seizer).size() == 1);
  CHECK(h.notifies(w).empty());  // the line did not change
  CHECK(h.last.count<appearance_changed>() == 0);
}

TEST_CASE("BroadWorks dialect: the seize already ended when its call went on; ending it again is unknown") {
  harness<kamailio> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  h.seize("sip:phone@x", 1);
  subscription_id const seizer = h.reply().subscription;
  h.dialog(5, dialog_side::caller, dialog_phase::early, 1);
  REQUIRE(h.line_states() == "1=progressing");
  effect_list fx;
  CHECK(h.server.end_subscription(seizer, event_reason::noresource, fx) == subscription_end::unknown);
  CHECK(h.server.on_notify_failed(seizer, 481, fx) == subscription_end::unknown);
  CHECK(fx.size() == 0);
  CHECK(h.line_states() == "1=progressing");
}

TEST_CASE("BroadWorks dialect: a failed NOTIFY frees a seize like an unsubscribe does") {
  harness<kamailio> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const w = h.reply().subscription;
  h.seize("sip:phone@x", 3);
  subscription_id const seizer = h.reply().subscription;
  h.last.clear();
  CHECK(h.server.on_notify_failed(seizer, 481, h.last) == subscription_end::ended);
  CHECK(h.notifies(seizer).empty());
  REQUIRE(h.notifies(w).size() == 1);
  CHECK(h.states(h.notifies(w)[0].line) == "idle");
  h.seize("sip:other@x", 3);
  CHECK(h.reply().code == 200);
}
