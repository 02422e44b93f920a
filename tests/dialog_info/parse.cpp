// parse_dialog_info(): RFC 4235 / RFC 7463 bodies in, appearances out;
// round trips through write_dialog_info(); what it refuses, and where.
#include <callinfo/dialog_info/write.hpp>
#include <callinfo/dialog_info/parse.hpp>
#include <callinfo/presence/server.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace {

using callinfo::appearance_state;
using callinfo::dialog_info_errc;

std::string vector_text(std::string const& name) {
  std::ifstream in(std::string(CALLINFO_SOURCE_DIR) + "/tests/dialog_info/vectors/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct update {
  std::uint32_t index;
  appearance_state state;
  std::string remote;
  friend bool operator==(update const&, update const&) = default;
};

std::vector<update> updates_of(callinfo::dialog_info_document const& doc) {
  std::vector<update> v;
  for (auto const& u : doc.appearances()) v.push_back({u.index, u.state, std::string(u.remote)});
  return v;
}

// The appearances as the busy part of a line (sorted, idle left out), and
// the document write_dialog_info() makes of it.
std::string rebuild(callinfo::dialog_info_document const& doc, std::uint32_t version) {
  std::vector<callinfo::appearance> busy;
  for (auto const& u : doc.appearances()) {
    if (u.state == appearance_state::idle || u.index == 0) continue;
    callinfo::appearance a;
    a.index = u.index;
    a.state = u.state;
    a.remote = std::string(u.remote);
    busy.push_back(a);
  }
  std::sort(busy.begin(), busy.end(), [](auto const& a, auto const& b) { return a.index < b.index; });
  callinfo::line_view line;
  line.uri = doc.entity();
  line.busy = busy;
  std::string out;
  callinfo::string_sink sink(out);
  REQUIRE(callinfo::write_dialog_info(line, {version, callinfo::dialog_info_state::full}, sink).ok());
  return out;
}

callinfo::dialog_info_error parse(std::string_view body, callinfo::dialog_info_limits const& l = {}) {
  callinfo::dialog_info_document doc;
  return callinfo::parse_dialog_info(body, doc, l);
}

void check_refused(std::string_view body, dialog_info_errc code, std::uint32_t offset,
                   callinfo::dialog_info_limits const& l = {}) {
  callinfo::dialog_info_document doc;
  auto const e = callinfo::parse_dialog_info(body, doc, l);
  INFO(body.substr(0, 200));
  CHECK(name(e.code) == name(code));
  CHECK(e.offset == offset);
  CHECK(doc.dialogs().empty());
  CHECK(doc.appearances().empty());
}

// A PUBLISH with Event: dialog;shared carrying `doc`'s appearances, as a
// stack makes it from a parsed body.
callinfo::publish_request shared_publish(callinfo::dialog_info_document const& doc) {
  callinfo::publish_request p;
  p.event = callinfo::event_package::dialog_shared;
  p.line = doc.entity();
  p.appearances = doc.appearances();
  return p;
}

std::string const head =
    "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" xmlns:sa=\"urn:ietf:params:xml:ns:sa-dialog-info\" "
    "version=\"1\" state=\"full\" entity=\"sip:l@x\">";

}  // namespace

TEST_CASE("RFC 4235 §4.4: the sample body parses (no shared appearance in it)") {
  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(vector_text("rfc4235-4.4-sample.xml"), doc).ok());
  CHECK(doc.entity() == "sip:alice@example.com");
  CHECK(doc.version() == 0);
  CHECK(doc.state() == callinfo::dialog_info_state::full);
  REQUIRE(doc.dialogs().size() == 1);
  CHECK(doc.dialogs()[0].id == "as7d900as8");
  CHECK(doc.dialogs()[0].facts.dialog == callinfo::dialog_state::trying);
  CHECK(doc.dialogs()[0].facts.direction == callinfo::dialog_direction::initiator);
  CHECK_FALSE(doc.dialogs()[0].appearance.has_value());
  // RFC 7463 §5.2: no sa:appearance, so an update with index 0 (the server assigns one).
  REQUIRE(doc.appearances().size() == 1);
  CHECK(doc.appearances()[0].index == 0);
  CHECK(doc.appearances()[0].dialog == "as7d900as8");
  CHECK(doc.appearances()[0].state == callinfo::to_appearance_state(doc.dialogs()[0].facts));
}

TEST_CASE("RFC 4235 §5: identities, targets and +sip.rendering=yes") {
  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(vector_text("rfc4235-5-confirmed.xml"), doc).ok());
  REQUIRE(doc.dialogs().size() == 1);
  auto const& d = doc.dialogs()[0];
  CHECK(d.facts.dialog == callinfo::dialog_state::confirmed);
  CHECK_FALSE(d.facts.held);
  CHECK(d.remote_uri == "sip:bob@example.org");
  CHECK(d.remote_display == "Bob");
}

TEST_CASE("RFC 7463 §10: a PUBLISHed seize, and the line NOTIFY, parse and round-trip through the builder") {
  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(vector_text("rfc7463-10-publish-seize.xml"), doc).ok());
  CHECK(doc.state() == callinfo::dialog_info_state::partial);
  CHECK(doc.version() == 7);
  CHECK(updates_of(doc) == std::vector<update>{{1, appearance_state::seized, ""}});

  REQUIRE(callinfo::parse_dialog_info(vector_text("rfc7463-10-notify-line.xml"), doc).ok());
  std::vector<update> const expected{{1, appearance_state::active, "sip:carol@example.com"},
                                     {2, appearance_state::alerting, "\"Dave\" <sip:dave@example.org>"},
                                     {3, appearance_state::held_private, "sip:erin@example.org"}};
  CHECK(updates_of(doc) == expected);
  CHECK(doc.entity() == "sip:HelpDesk@example.com");

  for (char const* name : {"rfc7463-10-publish-seize.xml", "rfc7463-10-notify-line.xml"}) {
    INFO(name);
    REQUIRE(callinfo::parse_dialog_info(vector_text(name), doc).ok());
    std::vector<update> const first = updates_of(doc);
    std::string const built = rebuild(doc, 5);
    callinfo::dialog_info_document again;
    REQUIRE(callinfo::parse_dialog_info(built, again).ok());
    CHECK(updates_of(again) == first);
    CHECK(again.entity() == doc.entity());
    CHECK(again.version() == 5);
    CHECK(rebuild(again, 5) == built);  // a fixed point
  }
}

TEST_CASE("RFC 7463 §6: namespaces by any prefix; a terminated dialog is an idle appearance") {
  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(vector_text("rfc7463-5.2-prefixed.xml"), doc).ok());
  CHECK(updates_of(doc) == std::vector<update>{{2, appearance_state::idle, ""}});
}

TEST_CASE("RFC 7463 mapping round trip: state -> XML -> state for every appearance state") {
  for (appearance_state s : callinfo::all_appearance_states) {
    INFO(to_string(s));
    std::vector<callinfo::appearance> busy(1);
    busy[0].index = 4;
    busy[0].state = s;
    busy[0].remote = "\"Zoe \\\"Z\\\"\" <sip:zoe@example.com>";
    callinfo::line_view line;
    line.uri = "sip:bob@example.com";
    line.busy = busy;
    std::string xml;
    callinfo::string_sink sink(xml);
    // An idle appearance only appears in a partial document (as terminated).
    REQUIRE(callinfo::write_dialog_info(line, {1, callinfo::dialog_info_state::partial}, sink).ok());
    callinfo::dialog_info_document doc;
    REQUIRE(callinfo::parse_dialog_info(xml, doc).ok());
    REQUIRE(doc.appearances().size() == 1);
    CHECK(doc.appearances()[0].index == 4);
    CHECK(doc.appearances()[0].state == s);
    CHECK(doc.appearances()[0].remote == busy[0].remote);
    CHECK(doc.dialogs()[0].facts == callinfo::to_dialog_facts(s));
  }
}

TEST_CASE("dialog-info: dialogs sharing an appearance: the first live one gives its state") {
  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(head +
                                          "<dialog id=\"a\"><sa:appearance>1</sa:appearance><state>terminated</state></dialog>"
                                          "<dialog id=\"b\"><sa:appearance>1</sa:appearance><state>confirmed</state></dialog>"
                                          "<dialog id=\"c\"><sa:appearance>1</sa:appearance><state>early</state></dialog>"
                                          "</dialog-info>",
                                      doc)
              .ok());
  CHECK(updates_of(doc) == std::vector<update>{{1, appearance_state::active, ""}});
}

TEST_CASE("dialog-info refused: malformed XML, with pugixml's offset") {
  // Unclosed tags: the input ends inside them (pugixml points at its last byte).
  std::string b = head + "<dialog id=\"a\"><state>trying</state>";
  check_refused(b, dialog_info_errc::malformed, static_cast<std::uint32_t>(b.size() - 1));
  check_refused("<dialog-info", dialog_info_errc::malformed, 11);
  // An end tag that closes the wrong element: at the end tag's name.
  b = head + "<dialog id=\"a\"><state>trying</dialog></dialog-info>";
  check_refused(b, dialog_info_errc::malformed, static_cast<std::uint32_t>(b.find("</dialog>") + 2));
  // No element at all: at the end.
  check_refused("", dialog_info_errc::malformed, 0);
  check_refused("just text", dialog_info_errc::malformed, 9);
  // Two roots: at the second.
  b = head + "</dialog-info><dialog-info/>";
  check_refused(b, dialog_info_errc::malformed, static_cast<std::uint32_t>(head.size() + 14));
  check_refused("<dialog-info a=1/>", dialog_info_errc::malformed, 15);
}

TEST_CASE("dialog-info refused: wrong root, wrong namespace, bad root attributes") {
  check_refused("<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>", dialog_info_errc::not_dialog_info, 0);
  check_refused("<dialog-info version=\"1\" state=\"full\" entity=\"sip:a@b\"/>", dialog_info_errc::wrong_namespace, 0);
  check_refused("  <dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info2\" version=\"1\" state=\"full\" entity=\"sip:a@b\"/>",
                dialog_info_errc::wrong_namespace, 2);
  check_refused("<d:dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"1\" state=\"full\" entity=\"x\"/>",
                dialog_info_errc::wrong_namespace, 0);  // the prefix d: is bound to nothing
  std::string const ns = "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" ";
  check_refused(ns + "state=\"full\" entity=\"sip:a@b\"/>", dialog_info_errc::bad_version, 0);
  check_refused(ns + "version=\"-1\" state=\"full\" entity=\"sip:a@b\"/>", dialog_info_errc::bad_version, 0);
  check_refused(ns + "version=\"4294967296\" state=\"full\" entity=\"sip:a@b\"/>", dialog_info_errc::bad_version, 0);
  check_refused(ns + "version=\"1\" state=\"whole\" entity=\"sip:a@b\"/>", dialog_info_errc::bad_state, 0);
  check_refused(ns + "version=\"1\" state=\"full\"/>", dialog_info_errc::missing_entity, 0);
  check_refused(ns + "version=\"1\" state=\"full\" entity=\"sip:a&#10;b\"/>", dialog_info_errc::control_character, 0);
}

TEST_CASE("dialog-info refused: bad dialogs, at the offending element") {
  auto const at = [&](std::string_view body, std::string_view what) {
    return static_cast<std::uint32_t>(body.find(what));
  };
  std::string b = head + "<dialog><state>trying</state></dialog></dialog-info>";
  check_refused(b, dialog_info_errc::missing_dialog_id, at(b, "<dialog>"));
  b = head + "<dialog id=\"a\"><state>ringing</state></dialog></dialog-info>";
  check_refused(b, dialog_info_errc::bad_dialog_state, at(b, "<state>"));
  b = head + "<dialog id=\"a\"><sa:appearance>1</sa:appearance></dialog></dialog-info>";
  check_refused(b, dialog_info_errc::bad_dialog_state, at(b, "<dialog "));
  for (char const* bad : {"0", "x", "1.5", "-2", "1024", "99999999999", ""}) {
    b = head + "<dialog id=\"a\"><state>trying</state><sa:appearance>" + bad + "</sa:appearance></dialog></dialog-info>";
    check_refused(b, dialog_info_errc::bad_appearance, at(b, "<sa:appearance>"));
  }
  b = head + "<dialog id=\"a\"><state>trying</state><sa:exclusive>yes</sa:exclusive></dialog></dialog-info>";
  check_refused(b, dialog_info_errc::bad_exclusive, at(b, "<sa:exclusive>"));
  b = head + "<dialog id=\"a\"><state>trying</state><remote><identity>sip:a@b&#13;&#10;X: y</identity></remote></dialog></dialog-info>";
  check_refused(b, dialog_info_errc::control_character, at(b, "<identity>"));
  b = head + "<dialog id=\"a\"><state>trying</state><remote><identity display=\"&#1;\">sip:a@b</identity></remote></dialog></dialog-info>";
  check_refused(b, dialog_info_errc::control_character, at(b, "<identity "));
  // An sa: element in the wrong namespace is not an appearance: skipped.
  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(head + "<dialog id=\"a\"><state>trying</state><appearance>x</appearance></dialog></dialog-info>", doc).ok());
  REQUIRE(doc.appearances().size() == 1);
  CHECK(doc.appearances()[0].index == 0);
}

TEST_CASE("dialog-info refused: DOCTYPE and entity declarations, before pugixml sees them") {
  std::string const laughs =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;\">]>\n" + head +
      "<dialog id=\"&lol2;\"><state>trying</state></dialog></dialog-info>";
  check_refused(laughs, dialog_info_errc::doctype, 22);
  check_refused("<!DOCTYPE dialog-info SYSTEM \"file:///etc/passwd\">" + head + "</dialog-info>",
                dialog_info_errc::doctype, 0);
  std::string const inner = head + "<!ENTITY x \"y\"></dialog-info>";
  check_refused(inner, dialog_info_errc::doctype, static_cast<std::uint32_t>(head.size()));
  // Comments and CDATA are not declarations.
  callinfo::dialog_info_document doc;
  CHECK(callinfo::parse_dialog_info("<!-- c -->" + head + "<![CDATA[x]]></dialog-info>", doc).ok());
  // An undeclared entity reference is not expanded: pugixml keeps it as text.
  REQUIRE(callinfo::parse_dialog_info(head + "<dialog id=\"a\"><state>trying</state><sa:appearance>1</sa:appearance>"
                                             "<remote><identity>&xxe;</identity></remote></dialog></dialog-info>",
                                      doc)
              .ok());
  CHECK(doc.appearances()[0].remote == "&xxe;");
}

TEST_CASE("dialog-info refused: documents over the limits, at limit-1, limit, limit+1") {
  std::string body = head;
  while (body.size() < 70000) body += "<dialog id=\"a\"><state>trying</state></dialog>";
  body += "</dialog-info>";
  check_refused(body, dialog_info_errc::too_large, 65536);  // default max_body
  callinfo::dialog_info_limits l;
  l.max_body = body.size();
  l.max_dialogs = 100000;
  CHECK(parse(body, l).ok());
  l.max_body = body.size() - 1;
  check_refused(body, dialog_info_errc::too_large, static_cast<std::uint32_t>(l.max_body), l);

  std::string const one = "<dialog id=\"a\"><state>trying</state></dialog>";
  for (std::size_t n : {63u, 64u, 65u}) {
    std::string b = head;
    for (std::size_t i = 0; i < n; ++i) b += one;
    b += "</dialog-info>";
    INFO(n);
    if (n <= 64)
      CHECK(parse(b).ok());
    else
      check_refused(b, dialog_info_errc::too_many_dialogs, static_cast<std::uint32_t>(head.size() + 64 * one.size()));
  }
}

TEST_CASE("RFC 7463 bridge: a dialog;shared PUBLISH drives the line a call-info watcher sees") {
  callinfo::server s;
  callinfo::subscribe_request w;
  w.line = "sip:HelpDesk@example.com";
  w.watcher = "sip:broadworks-phone@example.com";
  s.on_subscribe(w);

  callinfo::dialog_info_document doc;
  REQUIRE(callinfo::parse_dialog_info(vector_text("rfc7463-10-notify-line.xml"), doc).ok());
  callinfo::publish_request const p = shared_publish(doc);
  auto const fx = s.on_publish(p);
  REQUIRE(!fx.items.empty());
  auto const& resp = std::get<callinfo::response>(fx.items[0]);
  CHECK(resp.code == 200);
  CHECK(resp.event == callinfo::event_package::dialog_shared);
  REQUIRE(fx.count<callinfo::notify>() == 1);
  callinfo::notify const* n = nullptr;
  for (auto const& e : fx.items)
    if (auto const* x = std::get_if<callinfo::notify>(&e)) n = x;
  CHECK(n->event == callinfo::event_package::call_info);
  REQUIRE(n->line.busy.size() == 3);
  CHECK(n->line.busy[0].state == appearance_state::active);
  CHECK(n->line.busy[1].state == appearance_state::alerting);
  CHECK(n->line.busy[1].remote == "\"Dave\" <sip:dave@example.org>");
  CHECK(n->line.busy[2].state == appearance_state::held_private);
}

TEST_CASE("RFC 7463 §5.2: a dialog without sa:appearance is an update with index 0 and its dialog id, for the server to assign") {
  callinfo::dialog_info_document doc;
  std::string const b = head +
                        "<dialog id=\"with\"><state>confirmed</state><sa:appearance>2</sa:appearance></dialog>"
                        "<dialog id=\"without\" direction=\"recipient\"><state>early</state>"
                        "<remote><identity display=\"Dave\">sip:dave@example.org</identity></remote></dialog>"
                        "<dialog id=\"gone\"><state>terminated</state></dialog></dialog-info>";
  REQUIRE(callinfo::parse_dialog_info(b, doc).ok());
  CHECK(updates_of(doc) == std::vector<update>{{2, appearance_state::active, ""},
                                               {0, appearance_state::alerting, "\"Dave\" <sip:dave@example.org>"},
                                               {0, appearance_state::idle, ""}});
  CHECK(doc.appearances()[1].dialog == "without");
  CHECK(doc.appearances()[2].dialog == "gone");
  // The builder's round trip leaves index-0 updates out: they are not on the line yet.
  CHECK(rebuild(doc, 1).find("<sa:appearance>2</sa:appearance>") != std::string::npos);

  // The server gives "without" the lowest idle appearance: 1.
  callinfo::server s;
  callinfo::publish_request const p = shared_publish(doc);
  auto const fx = s.on_publish(p);
  REQUIRE(!fx.items.empty());
  CHECK(std::get<callinfo::response>(fx.items[0]).code == 200);
  CHECK(s.line(doc.entity()).busy.size() == 2);
  CHECK(s.line(doc.entity()).busy[0].index == 1);
  CHECK(s.line(doc.entity()).busy[0].state == appearance_state::alerting);
  CHECK(s.first_idle_appearance(doc.entity()) == 3);
}

TEST_CASE("RFC 7463 §5.2: sa:joined-dialog and sa:replaced-dialog are read, their three attributes required") {
  callinfo::dialog_info_document doc;
  std::string const b = head +
                        "<dialog id=\"j\"><state>confirmed</state><sa:appearance>1</sa:appearance>"
                        "<sa:joined-dialog call-id=\"c1@x\" local-tag=\"lt1\" remote-tag=\"rt1\"/>"
                        "<sa:joined-dialog call-id=\"c9@x\" local-tag=\"lt9\" remote-tag=\"rt9\"/></dialog>"
                        "<dialog id=\"r\"><state>trying</state>"
                        "<sa:replaced-dialog call-id=\"c2@x\" local-tag=\"lt2\" remote-tag=\"rt2\"/></dialog></dialog-info>";
  REQUIRE(callinfo::parse_dialog_info(b, doc).ok());
  REQUIRE(doc.dialogs().size() == 2);
  REQUIRE(doc.dialogs()[0].joined.has_value());
  CHECK(doc.dialogs()[0].joined->call_id == "c1@x");  // the first one
  CHECK(doc.dialogs()[0].joined->local_tag == "lt1");
  CHECK(doc.dialogs()[0].joined->remote_tag == "rt1");
  CHECK_FALSE(doc.dialogs()[0].replaced.has_value());
  REQUIRE(doc.dialogs()[1].replaced.has_value());
  CHECK(doc.dialogs()[1].replaced->call_id == "c2@x");
  CHECK(doc.dialogs()[1].replaced->remote_tag == "rt2");
  REQUIRE(doc.appearances().size() == 2);
  REQUIRE(doc.appearances()[0].joined.has_value());
  CHECK(doc.appearances()[0].joined->local_tag == "lt1");
  REQUIRE(doc.appearances()[1].replaced.has_value());
  CHECK(doc.appearances()[1].replaced->local_tag == "lt2");
  CHECK_FALSE(doc.appearances()[1].joined.has_value());

  // Refused at the element: a missing, misspelt, empty or control-bearing attribute.
  auto const at = [](std::string_view body, std::string_view what) { return static_cast<std::uint32_t>(body.find(what)); };
  for (std::string const attrs : {"local-tag=\"a\" remote-tag=\"b\"", "callid=\"c\" local-tag=\"a\" remote-tag=\"b\"",
                                  "call-id=\"c\" localtag=\"a\" remote-tag=\"b\"", "call-id=\"c\" local-tag=\"a\"",
                                  "call-id=\"c\" local-tag=\"\" remote-tag=\"b\"", "call-id=\"c&#10;\" local-tag=\"a\" remote-tag=\"b\""}) {
    for (std::string const el : {"sa:joined-dialog", "sa:replaced-dialog"}) {
      std::string const bad =
          head + "<dialog id=\"a\"><state>trying</state><" + el + " " + attrs + "/></dialog></dialog-info>";
      check_refused(bad, dialog_info_errc::bad_dialog_ref, at(bad, "<" + el));
    }
  }
  // Outside the sa namespace: not RFC 7463's element, read past.
  REQUIRE(callinfo::parse_dialog_info(head + "<dialog id=\"a\"><state>trying</state><joined-dialog/></dialog></dialog-info>", doc).ok());
  CHECK_FALSE(doc.dialogs()[0].joined.has_value());
}

TEST_CASE("RFC 4235 §4.1.1: a dialog's call-id and tags are read; a control byte in one is refused") {
  callinfo::dialog_info_document doc;
  std::string const b = head +
                        "<dialog id=\"d1\" call-id=\" c1@ws1 \" local-tag=\"lt\" remote-tag=\"rt\"><state>confirmed</state>"
                        "<sa:appearance>1</sa:appearance></dialog></dialog-info>";
  REQUIRE(callinfo::parse_dialog_info(b, doc).ok());
  CHECK(doc.dialogs()[0].identifiers.call_id == "c1@ws1");
  CHECK(doc.appearances()[0].identifiers.local_tag == "lt");
  CHECK(doc.appearances()[0].identifiers.remote_tag == "rt");
  for (std::string const attrs : {"id=\"a\" call-id=\"c&#13;\"", "id=\"a\" local-tag=\"&#1;x\"",
                                  "id=\"a\" remote-tag=\"&#127;\"", "id=\"x&#10;\""}) {
    std::string const bad = head + "<dialog " + attrs + "><state>trying</state></dialog></dialog-info>";
    check_refused(bad, dialog_info_errc::control_character, static_cast<std::uint32_t>(bad.find("<dialog ")));
  }
}

TEST_CASE("RFC 7463 §5.2: a pickup by dialog-info, through parser, server and builder") {
  callinfo::server s;
  callinfo::subscribe_request w;
  w.event = callinfo::event_package::dialog_shared;
  w.line = "sip:l@x";
  w.watcher = "sip:rfc7463-phone@x";
  s.on_subscribe(w);
  auto const publish = [&](std::string const& body, std::optional<std::string> etag = {}) {
    callinfo::dialog_info_document doc;
    REQUIRE(callinfo::parse_dialog_info(body, doc).ok());
    callinfo::publish_request p = shared_publish(doc);
    if (etag) p.if_match = *etag;
    auto const fx = s.on_publish(p);
    REQUIRE(!fx.items.empty());
    auto const& r = std::get<callinfo::response>(fx.items[0]);
    std::string body_out;
    for (auto const& e : fx.items)
      if (auto const* n = std::get_if<callinfo::notify>(&e)) {
        body_out.clear();
        callinfo::string_sink sink(body_out);
        REQUIRE(callinfo::write_dialog_info(*n, sink).ok());
      }
    return std::tuple{r.code, std::string(r.etag), body_out};
  };
  // Phone A: a call on an appearance the agent picks.
  auto const [code_a, etag_a, notified_a] = publish(
      head + "<dialog id=\"call-a\" call-id=\"c1@ws1\" local-tag=\"ta\" remote-tag=\"tc\"><state>confirmed</state>"
             "<remote><identity>sip:carol@x</identity></remote></dialog></dialog-info>");
  CHECK(code_a == 200);
  // What the watcher reads back names the call by its Call-ID and tags.
  callinfo::dialog_info_document seen;
  REQUIRE(callinfo::parse_dialog_info(notified_a, seen).ok());
  REQUIRE(seen.dialogs().size() == 1);
  CHECK(seen.dialogs()[0].id == "call-a");
  CHECK(seen.dialogs()[0].appearance == 1u);
  CHECK(seen.dialogs()[0].identifiers.call_id == "c1@ws1");
  CHECK(seen.dialogs()[0].identifiers.local_tag == "ta");
  CHECK(seen.dialogs()[0].identifiers.remote_tag == "tc");

  // Phone B picks it up with those identifiers (tags from Carol's side).
  auto const [code_b, etag_b, notified_b] = publish(
      head + "<dialog id=\"call-b\" call-id=\"c2@ws2\" local-tag=\"tb\" remote-tag=\"tc2\"><state>confirmed</state>"
             "<sa:replaced-dialog call-id=\"c1@ws1\" local-tag=\"tc\" remote-tag=\"ta\"/></dialog></dialog-info>");
  CHECK(code_b == 200);
  REQUIRE(callinfo::parse_dialog_info(notified_b, seen).ok());
  REQUIRE(seen.dialogs().size() == 1);
  CHECK(seen.dialogs()[0].id == "call-b");
  CHECK(seen.dialogs()[0].appearance == 1u);
  // A's dialog ends: appearance 1 stays B's.
  auto const [code_end, etag_end, notified_end] =
      publish(head + "<dialog id=\"call-a\"><state>terminated</state><sa:appearance>1</sa:appearance></dialog></dialog-info>",
              etag_a);
  CHECK(code_end == 200);
  CHECK(notified_end.empty());  // nothing a watcher sees changed
  REQUIRE(s.line("sip:l@x").busy.size() == 1);
  CHECK(s.line("sip:l@x").busy[0].index == 1);
}
