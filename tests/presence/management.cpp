// Management operations (OpenSIPS MI list_lines/release_line, Kamailio
// sca.all_appearances / sca.release_appearance / sca.update_appearance /
// sca.seize_appearance), and snapshot/restore.
#include "support.hpp"

#include <callinfo/presence/snapshot.hpp>

using namespace callinfo;
using namespace callinfo::test;

TEST_CASE("list lines: every known line with its busy appearances") {
  harness<> h;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  h.publish("<sip:alice@example.com>;appearance-index=2;appearance-state=held", std::nullopt, std::nullopt,
            "sip:alice@example.com");
  std::vector<std::string> seen;
  h.server.for_each_line([&](line_view const& l) { seen.push_back(std::string(l.uri) + " " + h.states(l)); });
  std::sort(seen.begin(), seen.end());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "sip:alice@example.com 2=held");
  CHECK(seen[1] == "sip:bob@example.com 1=active");
}

TEST_CASE("release one appearance: idle, NOTIFY to watchers, the seize that held it ends with noresource") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const watcher = h.reply().subscription;
  h.seize("sip:phone@x", 2);
  subscription_id const seizer = h.reply().subscription;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  h.last.clear();
  CHECK(h.server.release(bob, 2u, h.last) == 1);
  CHECK(h.line_states() == "1=active");
  auto const to_seizer = h.notifies(seizer);
  REQUIRE(to_seizer.size() == 1);
  CHECK(to_seizer[0].state == substate::terminated);
  CHECK(to_seizer[0].reason == event_reason::noresource);
  REQUIRE(h.notifies(watcher).size() == 1);
  CHECK(h.states(h.notifies(watcher)[0].line) == "1=active");
}

TEST_CASE("release the whole line") {
  harness<> h;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  h.dialog(6, dialog_side::callee, dialog_phase::early, 2);
  h.last.clear();
  CHECK(h.server.release(bob, std::nullopt, h.last) == 2);
  CHECK(h.line_states() == "idle");
  CHECK(h.server.release("sip:nobody@x", std::nullopt, h.last) == 0);
}

TEST_CASE("update and seize from outside follow the transition table") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  h.last.clear();
  CHECK(h.server.update(bob, 3, appearance_state::seized, {}, h.last).result == transition::applied);
  CHECK(h.notifies().size() == 1);
  h.last.clear();
  CHECK(h.server.update(bob, 3, appearance_state::alerting, {}, h.last).result == transition::refused);
  CHECK(h.last.size() == 0);
  CHECK(h.server.update(bob, 3, appearance_state::active, "<sip:dave@example.com>", h.last).result ==
        transition::applied);
  CHECK(h.server.line(bob).busy[0].remote == "<sip:dave@example.com>");
  CHECK(h.server.update(bob, 3, appearance_state::seized, {}, h.last).result == transition::refused);
}

TEST_CASE("snapshot then restore: a restarted server keeps every subscription, publication and appearance") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const watcher = h.reply().subscription;
  h.seize("sip:phone@x", 2);
  h.publish(R"(<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-uri="<sip:c@x>")");
  std::string const etag(h.reply().etag);
  h.dialog(9, dialog_side::callee, dialog_phase::early, 3, "\"Eve\" <sip:eve@x>");
  h.server.clock().advance(std::chrono::seconds(5));

  std::string text;
  string_sink out(text);
  snapshot(h.server, out);

  harness<> r;
  r.server.clock().set(std::chrono::seconds(1000));  // another time line
  effect_list timers;
  REQUIRE(restore(r.server, text, timers));
  CHECK(timers.count<arm_timer>() == 3);
  CHECK(r.line_states() == "1=active 2=seized 3=alerting");
  CHECK(r.server.line(bob).busy[0].remote == "<sip:c@x>");
  CHECK(r.server.line(bob).busy[2].remote == "\"Eve\" <sip:eve@x>");

  // Same behaviour afterwards: the restored ETag works, the watcher is NOTIFYed,
  // the seize expires 10 s later (15 s minus the 5 s before the snapshot).
  r.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=held", etag);
  CHECK(r.reply().code == 200);
  REQUIRE(r.notifies(watcher).size() == 1);
  CHECK(r.notifies(watcher)[0].expires == 3595u);
  r.subscribe(event_package::call_info, "sip:w2@x");
  CHECK(r.reply().subscription == 3);  // ids continue after the snapshot's
  r.advance_and_fire(10, {timer_kind::subscription, 2});
  CHECK(r.line_states() == "1=held 3=alerting");

  std::string again;
  string_sink out2(again);
  snapshot(h.server, out2);
  CHECK(again == text);  // snapshot does not change the server
}

TEST_CASE("restore refuses malformed snapshots and keeps the state it had") {
  harness<> h;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  effect_list fx;
  char const* const bad[] = {
      "",
      "callinfo-snapshot 2\nids 0 0 0\nend\n",
      "callinfo-snapshot 1\nids 0 0 0\nline 9:sip:a\nend\n",                  // length past the string
      "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\napp 1 ringing none 0 0:\nend\n",
      "callinfo-snapshot 1\nids 0 0 0\napp 1 active none 0 0:\nend\n",          // appearance before any line
      "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\napp 0 active none 0 0:\nend\n",
      "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\nsub 1 presence 10 0 3:w@x\nend\n",
      "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\nsub 1 call-info 10 0 3:w@x\nsub 1 call-info 10 0 3:w@x\nend\n",
      "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\n",                         // no end
      // a remote party no NOTIFY could carry (a CR), as the server never stores one
      "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\napp 1 active management 0 3:a\rb\nend\n",
  };
  for (char const* b : bad) {
    CAPTURE(b);
    CHECK_FALSE(restore(h.server, b, fx));
    CHECK(h.line_states() == "1=active");
  }
  CHECK(fx.size() == 0);
}

TEST_CASE("restore tells where it stopped: past the end record, or at the refused record") {
  harness<> h;
  effect_list fx;
  std::string const good = "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\napp 1 active none 0 0:\nend\n";
  std::size_t stop = 0;
  REQUIRE(restore(h.server, good + "call 1 x\n", fx, stop));
  CHECK(stop == good.size());  // what follows the snapshot is the caller's

  harness<> r;
  std::string const head = "callinfo-snapshot 1\nids 0 0 0\nline 5:sip:a\n";
  std::string const bad_record = "app 1 ringing none 0 0:\n";
  stop = 0;
  CHECK_FALSE(restore(r.server, head + bad_record + "end\n", fx, stop));
  CHECK(stop == head.size());
  stop = 0;
  CHECK_FALSE(restore(r.server, "callinfo-snapshot 1\nids 0 0 0\nend junk\n", fx, stop));
  CHECK(stop == std::string_view("callinfo-snapshot 1\nids 0 0 0\n").size());
  stop = 99;
  CHECK_FALSE(restore(r.server, "callinfo-snapshot 2\n", fx, stop));
  CHECK(stop == 0);
}
