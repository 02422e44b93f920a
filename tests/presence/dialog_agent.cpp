// RFC 7463's appearance agent: the dialogs the server knows on a line
// (line/line_dialogs.hpp), sa:replaced-dialog and sa:joined-dialog, a taken
// appearance, the Call-ID and tags dialog;shared watchers see, and that the
// memory survives snapshot/restore.
#include "support.hpp"

#include <callinfo/dialog_info/write.hpp>
#include <callinfo/presence/snapshot.hpp>

#include <array>
#include <string>

using namespace callinfo;
using namespace callinfo::test;

namespace {

appearance_update dialog_on(std::uint32_t index, appearance_state s, std::string_view id, dialog_ref ids) {
  appearance_update u;
  u.index = index;
  u.state = s;
  u.dialog = id;
  u.identifiers = ids;
  return u;
}

std::string body_of(notify const& n) {
  std::string out;
  string_sink sink(out);
  REQUIRE(write_dialog_info(n, sink).ok());
  return out;
}

bool has(std::string const& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Phone A's call to Carol on appearance 1: Call-ID c1, A's tag a, Carol's tag c.
constexpr dialog_ref call_a{"c1@ws1", "tag-a", "tag-c"};

}  // namespace

TEST_CASE("RFC 7463 §5.2: dialog;shared NOTIFYs carry the published dialog's id, call-id and tags") {
  harness<> h;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;
  std::array<appearance_update, 1> const a{{dialog_on(1, appearance_state::active, "dlg-a", call_a)}};
  publish_dialogs(h, a);
  REQUIRE(h.reply().code == 200);
  REQUIRE(h.notifies(ds).size() == 1);
  std::string const body = body_of(h.notifies(ds)[0]);
  CHECK(has(body, "<dialog id=\"dlg-a\" call-id=\"c1@ws1\" local-tag=\"tag-a\" remote-tag=\"tag-c\"><state>confirmed</state>"));
  CHECK(has(body, "<sa:appearance>1</sa:appearance>"));
}

TEST_CASE("RFC 7463 §5.2: a dialog that replaces a known one takes its appearance and keeps it when the old one ends") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:broadworks@example.com");
  subscription_id const ci = h.reply().subscription;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;
  std::array<appearance_update, 1> const a{{dialog_on(0, appearance_state::active, "dlg-a", call_a)}};
  publish_dialogs(h, a);
  REQUIRE(h.reply().code == 200);
  std::string const etag_a(h.reply().etag);
  CHECK(h.line_states() == "1=active");

  // Phone B picks the call up (INVITE with Replaces): its new dialog, without
  // sa:appearance, names A's dialog with the tags in the other order.
  appearance_update b = dialog_on(0, appearance_state::active, "dlg-b", {"c2@ws2", "tag-b", "tag-c2"});
  b.replaced = dialog_ref{"c1@ws1", "tag-c", "tag-a"};
  std::array<appearance_update, 1> const bs{{b}};
  publish_dialogs(h, bs);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "1=active");  // appearance 1, not the lowest idle 2
  // The call-info phone sees no change; the RFC 7463 phone sees B's dialog.
  CHECK(h.notifies(ci).empty());
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(has(body_of(h.notifies(ds)[0]), "<dialog id=\"dlg-b\" call-id=\"c2@ws2\""));

  // A's dialog ends (terminated in its body): appearance 1 stays B's call.
  std::array<appearance_update, 1> const a_ends{{dialog_on(1, appearance_state::idle, "dlg-a", call_a)}};
  publish_dialogs(h, a_ends, etag_a);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "1=active");
  CHECK(h.notifies(ci).empty());  // nothing a watcher sees changed
  CHECK(h.notifies(ds).empty());
  line_view const v = h.server.line(bob);
  REQUIRE(v.dialogs.size() == 1);
  CHECK(v.dialogs[0].id == "dlg-b");
  CHECK(v.busy[0].driver.kind == driver_kind::publication);
}

TEST_CASE("RFC 7463 §5.2: a joined appearance stays busy until its last dialog leaves") {
  harness<> h;
  std::array<appearance_update, 1> const a{{dialog_on(2, appearance_state::active, "dlg-a", call_a)}};
  publish_dialogs(h, a);
  std::string const etag_a(h.reply().etag);
  appearance_update b = dialog_on(2, appearance_state::active, "dlg-b", {"c3@ws2", "tag-b", "tag-x"});
  b.joined = call_a;
  std::array<appearance_update, 1> const bs{{b}};
  publish_dialogs(h, bs);
  REQUIRE(h.reply().code == 200);
  std::string const etag_b(h.reply().etag);
  CHECK(h.server.line(bob).dialogs.size() == 2);

  // A holds its leg; B leaves (removes its publication): the appearance is
  // A's again, in the state A last stated.
  std::array<appearance_update, 1> const a_holds{{dialog_on(2, appearance_state::held, "dlg-a", call_a)}};
  publish_dialogs(h, a_holds, etag_a);
  std::string const etag_a2(h.reply().etag);
  std::array<appearance_update, 1> const b_active{{b}};
  publish_dialogs(h, b_active, etag_b);  // B drives it again
  std::string const etag_b2(h.reply().etag);
  CHECK(h.line_states() == "2=active");
  publish_dialogs(h, {}, etag_b2, 0u);  // B's publication removed
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "2=held");
  // A leaves: idle.
  publish_dialogs(h, {}, etag_a2, 0u);
  CHECK(h.line_states() == "idle");
  CHECK(h.server.line(bob).dialogs.empty());
}

TEST_CASE("RFC 7463 appearance agent: an appearance another phone's dialog holds is refused unless joined or replaced") {
  harness<> h;
  std::array<appearance_update, 1> const a{{dialog_on(1, appearance_state::active, "dlg-a", call_a)}};
  publish_dialogs(h, a);
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;

  std::array<appearance_update, 1> const grab{{dialog_on(1, appearance_state::seized, "dlg-b", {"c9", "t1", "t2"})}};
  publish_dialogs(h, grab);
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Appearance in use");
  CHECK(h.notifies(ds).empty());
  CHECK(h.line_states() == "1=active");

  // A reference to a dialog the server does not know joins nothing: a
  // dialog without sa:appearance gets the lowest idle appearance instead.
  appearance_update stray = dialog_on(0, appearance_state::active, "dlg-c", {"c8", "t3", "t4"});
  stray.joined = dialog_ref{"c1@ws1", "tag-a", "other"};
  std::array<appearance_update, 1> const ss{{stray}};
  publish_dialogs(h, ss);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "1=active 2=active");
  // Naming appearance 1 with that reference is still refused.
  stray.index = 1;
  std::array<appearance_update, 1> const s1{{stray}};
  publish_dialogs(h, s1);
  CHECK(h.reply().reason == "Appearance in use");
}

TEST_CASE("RFC 7463 bridge: a call the stack names by Call-ID and tags is shown with them, and forgotten when it ends") {
  harness<> h;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;
  dialog_event d;
  d.line = bob;
  d.dialog = 42;
  d.side = dialog_side::callee;
  d.phase = dialog_phase::confirmed;
  d.appearance_index = 3;
  d.identifiers = {"inv-1@proxy", "bob-tag", "carol-tag"};
  h.last.clear();
  h.server.on_dialog(d, h.last);
  REQUIRE(h.notifies(ds).size() == 1);
  std::string const body = body_of(h.notifies(ds)[0]);
  CHECK(has(body, "<dialog id=\"a3\" call-id=\"inv-1@proxy\" local-tag=\"bob-tag\" remote-tag=\"carol-tag\""));

  // An RFC 7463 phone picks it up: its dialog replaces the call's.
  appearance_update b = dialog_on(0, appearance_state::active, "pickup", {"c5", "t5", "t6"});
  b.replaced = dialog_ref{"inv-1@proxy", "carol-tag", "bob-tag"};
  std::array<appearance_update, 1> const bs{{b}};
  publish_dialogs(h, bs);
  REQUIRE(h.reply().code == 200);
  CHECK(h.line_states() == "3=active");
  CHECK(h.server.line(bob).busy[0].driver.kind == driver_kind::publication);

  d.phase = dialog_phase::terminated;  // the replaced call ends: not the driver any more
  h.last.clear();
  h.server.on_dialog(d, h.last);
  CHECK(h.line_states() == "3=active");
  CHECK(h.server.line(bob).dialogs.size() == 1);  // the ended call is forgotten, the pickup kept
}

TEST_CASE("RFC 7463 appearance agent: the memory survives snapshot/restore and a management release clears it") {
  harness<> h;
  std::array<appearance_update, 1> const a{{dialog_on(0, appearance_state::active, "dlg-a", call_a)}};
  publish_dialogs(h, a);
  std::string const etag(h.reply().etag);
  std::array<appearance_update, 1> const b{{dialog_on(0, appearance_state::alerting, "dlg-b", {})}};
  publish_dialogs(h, b);
  CHECK(h.line_states() == "1=active 2=alerting");

  std::string snap;
  string_sink sink(snap);
  snapshot(h.server, sink);
  CHECK(has(snap, "dlg publication 1 1 active 5:dlg-a 6:c1@ws1 5:tag-a 5:tag-c\n"));
  harness<> g;
  effect_list fx;
  REQUIRE(restore(g.server, snap, fx));
  CHECK(g.server.line(bob).dialogs.size() == 2);
  // A's dialog, republished without sa:appearance after the restart, keeps 1.
  std::array<appearance_update, 1> const held{{dialog_on(0, appearance_state::held, "dlg-a", call_a)}};
  publish_dialogs(g, held, etag);
  REQUIRE(g.reply().code == 200);
  CHECK(g.line_states() == "1=held 2=alerting");

  // A bad dlg record is refused with the record's offset.
  std::string bad = snap;
  bad.replace(bad.find("dlg publication 1 1 active"), 26, "dlg publication 1 1 idle");
  std::size_t stop = 0;
  harness<> k;
  CHECK_FALSE(restore(k.server, bad, fx, stop));
  CHECK(bad.compare(stop, 4, "dlg ") == 0);

  g.last.clear();
  CHECK(g.server.release(bob, 1u, g.last) == 1);
  CHECK(g.server.line(bob).dialogs.size() == 1);
  CHECK(g.server.line(bob).dialogs[0].id == "dlg-b");
}

TEST_CASE("RFC 7463 bridge: a new remote party alone reaches dialog;shared watchers in every dialect") {
  // The default dialect's Call-Info (single entry) does not carry appearance-uri,
  // so its call-info watchers get nothing; the dialog-info body shows <remote>.
  harness<> h;
  h.subscribe(event_package::call_info, "sip:bw@example.com");
  subscription_id const ci = h.reply().subscription;
  h.subscribe(event_package::dialog_shared, "sip:rfc7463@example.com");
  subscription_id const ds = h.reply().subscription;
  h.dialog(5, dialog_side::callee, dialog_phase::confirmed, 1, "sip:carol@example.com");
  h.dialog(5, dialog_side::callee, dialog_phase::confirmed, 1, "sip:dave@example.com");  // transferred: new remote
  CHECK(h.notifies(ci).empty());
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(h.notifies(ds)[0].line.busy[0].remote == "sip:dave@example.com");
  // The same through a dialog-info PUBLISH and a management update.
  std::array<appearance_update, 1> const a{{{2, appearance_state::active, "sip:erin@example.com", "d"}}};
  publish_dialogs(h, a);
  std::string const etag(h.reply().etag);
  std::array<appearance_update, 1> const b{{{2, appearance_state::active, "sip:frank@example.com", "d"}}};
  publish_dialogs(h, b, etag);
  CHECK(h.notifies(ci).empty());
  REQUIRE(h.notifies(ds).size() == 1);
  CHECK(has(body_of(h.notifies(ds)[0]), "<identity>sip:frank@example.com</identity>"));
  h.last.clear();
  h.server.update(bob, 1, appearance_state::active, "sip:gina@example.com", h.last);
  CHECK(h.notifies(ci).empty());
  CHECK(h.notifies(ds).size() == 1);
}
