// RFC 7463 watchers and publishers (Event: dialog;shared) beside call-info
// ones on the same line: what each sees, the dialog-info version counter,
// and a dialog-info PUBLISH driving the line.
#include "support.hpp"

#include <callinfo/presence/snapshot.hpp>
#include <callinfo/syntax/event.hpp>

#include <array>

using namespace callinfo;
using namespace callinfo::test;

namespace {
struct broadworks : test_policies {
  using dialect = broadworks_dialect;
};
}  // namespace

TEST_CASE("RFC 7463 §5.1: a dialog;shared SUBSCRIBE is served like call-info: 200, initial NOTIFY version 0") {
  harness<broadworks> h;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463-phone@example.com");
  CHECK(h.reply().code == 200);  // RFC 6665: 200 (the 202 is the BroadWorks call-info habit)
  CHECK(h.reply().event == event_package::dialog_shared);
  CHECK(h.reply().expires == 3600u);
  subscription_id const id = h.reply().subscription;
  REQUIRE(h.notifies(id).size() == 1);
  CHECK(h.notifies(id)[0].event == event_package::dialog_shared);
  CHECK(h.notifies(id)[0].initial);
  CHECK(h.notifies(id)[0].version == 0);
  CHECK(h.notifies(id)[0].line.uri == bob);
}

TEST_CASE("RFC 7463 bridge: a call-info phone and a dialog;shared phone watch the same line and both see the call") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:broadworks@example.com");
  subscription_id const ci = h.reply().subscription;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;

  h.dialog(7, dialog_side::callee, dialog_phase::early, 1, "sip:carol@example.com");
  REQUIRE(h.notifies(ci).size() == 1);
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(h.notifies(ci)[0].event == event_package::call_info);
  CHECK(h.notifies(ds)[0].event == event_package::dialog_shared);
  CHECK(h.states(h.notifies(ds)[0].line) == "1=alerting");
  CHECK(h.notifies(ds)[0].version == 1);
  CHECK(h.notifies(ci)[0].version == 0);  // call-info NOTIFYs carry no version

  h.dialog(7, dialog_side::callee, dialog_phase::confirmed, 1);
  CHECK(h.notifies(ds)[0].version == 2);
  CHECK(h.states(h.notifies(ci)[0].line) == "1=active");
  h.dialog(7, dialog_side::callee, dialog_phase::terminated, 1);
  CHECK(h.notifies(ds)[0].version == 3);
  CHECK(h.states(h.notifies(ds)[0].line) == "idle");

  // A refresh NOTIFYs with the next version; the unsubscribe's terminated one too.
  h.refresh(ds, event_package::dialog_shared, 600);
  CHECK(h.reply().code == 200);
  CHECK(h.notifies(ds)[0].version == 4);
  h.refresh(ds, event_package::dialog_shared, 0);
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(h.notifies(ds)[0].state == substate::terminated);
  CHECK(h.notifies(ds)[0].version == 5);
  // A refresh that names the wrong package is 481.
  h.refresh(ci, event_package::dialog_shared, 600);
  CHECK(h.reply().code == 481);
}

TEST_CASE("RFC 7463 bridge: a dialog;shared PUBLISH drives the line the call-info watcher sees") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:broadworks@example.com");
  subscription_id const ci = h.reply().subscription;

  std::array<appearance_update, 2> const trying{{{1, appearance_state::seized, {}}, {2, appearance_state::alerting, "sip:dave@example.org"}}};
  publish_dialogs(h, trying);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().event == event_package::dialog_shared);
  std::string const etag(h.reply().etag);
  REQUIRE(h.notifies(ci).size() == 1);
  CHECK(h.states(h.notifies(ci)[0].line) == "1=seized 2=alerting");
  CHECK(h.notifies(ci)[0].line.busy[1].remote == "sip:dave@example.org");

  // Modify (RFC 3903 §4.4): the body replaces the publication: 2 is gone.
  std::array<appearance_update, 1> const confirmed{{{1, appearance_state::active, "\"Carol\" <sip:carol@example.com>"}}};
  publish_dialogs(h, confirmed, etag);
  CHECK(h.reply().code == 200);
  CHECK(h.states(h.notifies(ci)[0].line) == "1=active");

  // Refused as a whole: a duplicate appearance, an out-of-range one.
  std::array<appearance_update, 2> const dup{{{3, appearance_state::active, {}}, {3, appearance_state::held, {}}}};
  publish_dialogs(h, dup);
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Duplicate appearance-index");
  std::array<appearance_update, 1> const far{{{65, appearance_state::active, {}}}};
  publish_dialogs(h, far);
  CHECK(h.reply().code == 400);
  std::array<appearance_update, 1> const ctl{{{4, appearance_state::active, "sip:a\r\nb"}}};
  publish_dialogs(h, ctl);
  CHECK(h.reply().reason == "Bad appearance-uri");
  CHECK(h.line_states() == "1=active");

  // No body: 400, in the dialog package.
  publish_request r;
  r.event = event_package::dialog_shared;
  r.line = bob;
  h.last = h.server.on_publish(r);
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Missing dialog-info body");
  CHECK(h.reply().event == event_package::dialog_shared);
}

TEST_CASE("RFC 7463 bridge: a call-info PUBLISH is NOTIFYed to dialog;shared watchers") {
  harness<> h;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;
  h.publish("<sip:bob@example.com>;appearance-index=2;appearance-state=held");
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(h.notifies(ds)[0].event == event_package::dialog_shared);
  CHECK(h.notifies(ds)[0].version == 1);
  CHECK(h.states(h.notifies(ds)[0].line) == "2=held");
}

TEST_CASE("RFC 7463 bridge: dialog;shared subscriptions expire like call-info ones and survive snapshot/restore") {
  harness<> h;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com", 60);
  subscription_id const ds = h.reply().subscription;
  h.dialog(1, dialog_side::caller, dialog_phase::early, 1);
  h.dialog(1, dialog_side::caller, dialog_phase::confirmed, 1);  // versions 1, 2 sent

  std::string snap;
  string_sink sink(snap);
  snapshot(h.server, sink);
  CHECK(snap.find(" dialog-shared ") != std::string::npos);
  harness<> g;
  effect_list fx;
  REQUIRE(restore(g.server, snap, fx));
  g.dialog(1, dialog_side::caller, dialog_phase::hold, 1);
  REQUIRE(g.notifies(ds).size() == 1);
  CHECK(g.notifies(ds)[0].version == 3);  // the counter went on

  g.advance_and_fire(61, {timer_kind::subscription, ds});
  REQUIRE(g.notifies(ds).size() == 1);
  CHECK(g.notifies(ds)[0].state == substate::terminated);
  CHECK(g.notifies(ds)[0].reason == event_reason::timeout);
}

TEST_CASE("RFC 7463 §5.1: the Event header names the package the server serves") {
  auto const pkg = [](std::string_view v) -> std::optional<event_package> {
    auto const e = parse_event(v);
    REQUIRE(e.has_value());
    return to_event_package(*e);
  };
  CHECK(pkg("call-info") == event_package::call_info);
  CHECK(pkg("line-seize;id=4") == event_package::line_seize);
  CHECK(pkg("dialog;shared") == event_package::dialog_shared);
  CHECK(pkg("dialog ; SHARED ; id=7") == event_package::dialog_shared);
  CHECK(pkg("dialog;id=7;shared") == event_package::dialog_shared);
  CHECK_FALSE(pkg("dialog").has_value());  // plain RFC 4235 dialog package: not served
  CHECK_FALSE(pkg("dialog.winfo;shared").has_value());
  CHECK_FALSE(pkg("Call-Info").has_value());  // packages compare exactly (RFC 6665 §8.2.1)
  CHECK_FALSE(pkg("presence").has_value());
}

TEST_CASE("RFC 7463 appearance agent: a dialog PUBLISHed without sa:appearance gets the lowest idle appearance") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:broadworks@example.com");
  subscription_id const ci = h.reply().subscription;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;
  h.dialog(9, dialog_side::callee, dialog_phase::confirmed, 1, "sip:carol@example.com");  // 1 is busy

  // Two dialogs without an appearance, one naming 2: they get 3 and 4.
  std::array<appearance_update, 3> const body{{{0, appearance_state::progressing, "sip:dave@example.org", "d1"},
                                               {2, appearance_state::seized, {}, "d2"},
                                               {0, appearance_state::alerting, {}, "d3"}}};
  publish_dialogs(h, body);
  REQUIRE(h.reply().code == 200);
  std::string const etag(h.reply().etag);
  REQUIRE(h.notifies(ci).size() == 1);
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(h.states(h.notifies(ci)[0].line) == "1=active 2=seized 3=progressing 4=alerting");
  CHECK(h.states(h.notifies(ds)[0].line) == "1=active 2=seized 3=progressing 4=alerting");
  CHECK(h.notifies(ds)[0].line.busy[2].remote == "sip:dave@example.org");

  // The dialog call frees 1; a modify still without appearances: the known
  // dialogs keep theirs, a new one takes the lowest idle (1), d2 is gone.
  h.dialog(9, dialog_side::callee, dialog_phase::terminated, 1);
  std::array<appearance_update, 3> const again{{{0, appearance_state::active, {}, "d1"},
                                                {0, appearance_state::alerting, {}, "d3"},
                                                {0, appearance_state::progressing, {}, "d4"}}};
  publish_dialogs(h, again, etag);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "1=progressing 3=active 4=alerting");

  // A terminated dialog without an appearance asks for none.
  std::string const etag2(h.reply().etag);
  std::array<appearance_update, 2> const ended{{{0, appearance_state::idle, {}, "d1"}, {0, appearance_state::active, {}, "d4"}}};
  publish_dialogs(h, ended, etag2);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "1=active");
}

TEST_CASE("RFC 7463 appearance agent: no idle appearance left is 500, and nothing changes") {
  default_limits l;
  l.max_appearances = 2;
  harness<> h(l);
  std::array<appearance_update, 2> const two{{{0, appearance_state::active, {}, "a"}, {0, appearance_state::held, {}, "b"}}};
  publish_dialogs(h, two);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "1=active 2=held");
  std::array<appearance_update, 1> const third{{{0, appearance_state::alerting, {}, "c"}}};
  publish_dialogs(h, third);
  CHECK(h.reply().code == 500);
  CHECK(h.reply().event == event_package::dialog_shared);
  CHECK(h.line_states() == "1=active 2=held");
  // The same dialog id twice without an appearance is one appearance named twice.
  harness<> g;
  std::array<appearance_update, 2> const twice{{{0, appearance_state::active, {}, "x"}, {0, appearance_state::held, {}, "x"}}};
  publish_dialogs(g, twice);
  CHECK(g.reply().code == 400);
  CHECK(g.reply().reason == "Duplicate appearance-index");
}

TEST_CASE("RFC 6665 §8.2.2: Allow-Events lists what the server serves; dialog;shared off is 489") {
  harness<> on;
  on.subscribe(event_package::call_info, "sip:w@x");
  CHECK(on.reply().allow_events == (package_bit(event_package::call_info) | package_bit(event_package::line_seize) |
                                    package_bit(event_package::dialog_shared)));
  default_limits l;
  l.serve_dialog_shared = false;
  harness<> off(l);
  off.subscribe(event_package::call_info, "sip:w@x");
  CHECK(off.reply().allow_events == (package_bit(event_package::call_info) | package_bit(event_package::line_seize)));
  off.subscribe(event_package::dialog_shared, "sip:w2@x");
  CHECK(off.reply().code == 489);
  CHECK(off.reply().allow_events == (package_bit(event_package::call_info) | package_bit(event_package::line_seize)));
  CHECK(off.server.storage().subscription_count() == 1);
  std::vector<appearance_update> const d = {{1, appearance_state::active, "sip:carol@example.com"}};
  off.last = publish_dialogs(off, d);
  CHECK(off.reply().code == 489);
  CHECK(off.line_states() == "idle");
}
