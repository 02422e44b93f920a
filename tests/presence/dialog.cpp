// Dialog-driven mode: the stack reports calls on a shared line.
#include "support.hpp"

using namespace callinfo;
using namespace callinfo::test;

TEST_CASE("dialog mapping: state_for every side and phase") {
  using enum dialog_phase;
  CHECK(state_for(dialog_side::caller, early) == appearance_state::progressing);
  CHECK(state_for(dialog_side::callee, early) == appearance_state::alerting);
  CHECK(state_for(dialog_side::caller, confirmed) == appearance_state::active);
  CHECK(state_for(dialog_side::callee, hold) == appearance_state::held);
  CHECK(state_for(dialog_side::callee, hold, true) == appearance_state::held_private);
  CHECK(state_for(dialog_side::caller, resume) == appearance_state::active);
  CHECK(state_for(dialog_side::caller, terminated) == appearance_state::idle);
  CHECK(state_for(dialog_side::callee, failed) == appearance_state::idle);
}

TEST_CASE("caller side: early -> progressing -> active -> held -> active -> idle, one NOTIFY each") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  std::pair<dialog_phase, char const*> const steps[] = {
      {dialog_phase::early, "1=progressing"}, {dialog_phase::confirmed, "1=active"}, {dialog_phase::hold, "1=held"},
      {dialog_phase::resume, "1=active"},     {dialog_phase::terminated, "idle"},
  };
  for (auto const& step : steps) {
    dialog_phase const phase = step.first;
    std::string const expect = step.second;
    CAPTURE(to_string(phase));
    CHECK(h.dialog(5, dialog_side::caller, phase, 1, "<sip:carol@example.com>").result == transition::applied);
    REQUIRE(h.notifies().size() == 1);
    CHECK(h.states(h.notifies()[0].line) == expect);
  }
}

TEST_CASE("callee side: early is alerting; a missing appearance-index means 1") {
  harness<> h;
  h.dialog(5, dialog_side::callee, dialog_phase::early);
  CHECK(h.line_states() == "1=alerting");
}

TEST_CASE("no NOTIFY when nothing changed (Kamailio NOTIFYs on every re-INVITE)") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  CHECK(h.dialog(5, dialog_side::caller, dialog_phase::resume, 1).result == transition::unchanged);
  CHECK(h.last.size() == 0);
}

TEST_CASE("a second call cannot take or end an appearance that another call drives") {
  harness<> h;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  CHECK(h.dialog(6, dialog_side::callee, dialog_phase::early, 1).result == transition::refused);
  CHECK(h.dialog(6, dialog_side::callee, dialog_phase::failed, 1).result == transition::refused);
  CHECK(h.line_states() == "1=active");
  CHECK(h.last.size() == 0);
}

TEST_CASE("an incoming call ended by the outside caller idles the appearance (Kamailio leaves it active)") {
  harness<> h;
  h.dialog(5, dialog_side::callee, dialog_phase::early, 1);
  h.dialog(5, dialog_side::callee, dialog_phase::confirmed, 1);
  CHECK(h.dialog(5, dialog_side::callee, dialog_phase::terminated, 1).result == transition::applied);
  CHECK(h.line_states() == "idle");
}

TEST_CASE("two calls on appearances 1 and 2 are independent") {
  harness<> h;
  h.dialog(5, dialog_side::caller, dialog_phase::confirmed, 1);
  h.dialog(6, dialog_side::callee, dialog_phase::early, 2);
  CHECK(h.line_states() == "1=active 2=alerting");
  h.dialog(5, dialog_side::caller, dialog_phase::terminated, 1);
  CHECK(h.line_states() == "2=alerting");
  CHECK(h.server.first_idle_appearance(bob) == 1);
}

TEST_CASE("an illegal dialog transition (OpenSIPS table) changes nothing and sends nothing") {
  harness<> h;
  h.dialog(5, dialog_side::callee, dialog_phase::early, 1);  // alerting
  auto const c = h.dialog(5, dialog_side::callee, dialog_phase::hold, 1);
  CHECK(c.result == transition::refused);
  CHECK(c.from == appearance_state::alerting);
  CHECK(h.line_states() == "1=alerting");
}

TEST_CASE("appearance-index 0 or above the limit is refused") {
  harness<> h;
  CHECK(h.dialog(5, dialog_side::caller, dialog_phase::early, 0).result == transition::refused);
  CHECK(h.dialog(5, dialog_side::caller, dialog_phase::early, 65).result == transition::refused);
  CHECK(h.server.storage().line_count() == 0);
}

TEST_CASE("a new remote party alone is NOTIFYed where the format shows it (appearance-uri)") {
  harness<kamailio> k;
  k.subscribe(event_package::call_info, "sip:w@x");
  k.dialog(5, dialog_side::caller, dialog_phase::early, 1, "<sip:carol@example.com>");
  auto const c = k.dialog(5, dialog_side::caller, dialog_phase::early, 1, "<sip:dave@example.com>");
  CHECK(c.result == transition::unchanged);
  CHECK(c.remote_changed);
  REQUIRE(k.notifies().size() == 1);
  CHECK(k.notifies()[0].line.busy[0].remote == "<sip:dave@example.com>");
  CHECK(k.last.count<appearance_changed>() == 0);  // the state did not change
  // The OpenSIPS format has no appearance-uri: nothing to tell the watchers.
  harness<> d;
  d.subscribe(event_package::call_info, "sip:w@x");
  d.dialog(5, dialog_side::caller, dialog_phase::early, 1, "<sip:carol@example.com>");
  d.dialog(5, dialog_side::caller, dialog_phase::early, 1, "<sip:dave@example.com>");
  CHECK(d.last.size() == 0);
}

TEST_CASE("a remote party no NOTIFY could carry is not stored; the state change still is") {
  harness<> h;
  CHECK(h.dialog(5, dialog_side::caller, dialog_phase::early, 1, std::string_view("<sip:a@x>\r\nX: y")).result ==
        transition::applied);
  REQUIRE(h.server.line(bob).busy.size() == 1);
  CHECK(h.server.line(bob).busy[0].remote.empty());
  h.last.clear();
  CHECK(h.server.update(bob, 1, appearance_state::active, std::string_view("a\0b", 3), h.last).result ==
        transition::refused);
  CHECK(h.line_states() == "1=progressing");
}
