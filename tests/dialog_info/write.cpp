// write_dialog_info(): a line as an RFC 4235 / RFC 7463 dialog-info
// document; escaping, refusals, overflow.
#include <callinfo/dialog_info/write.hpp>

#include "../write/support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {
using namespace callinfo_build_test;
using callinfo::appearance_state;
using callinfo::build_errc;

callinfo::dialog_info_options version(std::uint32_t v, callinfo::dialog_info_state s = callinfo::dialog_info_state::full) {
  return {v, s};
}
}  // namespace

TEST_CASE("dialog-info: an idle line is a document without dialogs") {
  auto const line = view_of("sip:bob@example.com");
  CHECK(ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(0), out); }) ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" "
        "xmlns:sa=\"urn:ietf:params:xml:ns:sa-dialog-info\" version=\"0\" state=\"full\" "
        "entity=\"sip:bob@example.com\">\n"
        "</dialog-info>\n");
}

TEST_CASE("dialog-info: one dialog per busy appearance, RFC 7463 elements") {
  std::vector<callinfo::appearance> busy{
      make_appearance(1, appearance_state::alerting, "\"Carol\" <sip:carol@example.com>"),
      make_appearance(2, appearance_state::held_private, "sip:dave@example.com"),
      make_appearance(3, appearance_state::seized)};
  auto const line = view_of("sip:bob@example.com", busy);
  std::string const text = ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(7), out); });
  CHECK(text ==
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" "
        "xmlns:sa=\"urn:ietf:params:xml:ns:sa-dialog-info\" version=\"7\" state=\"full\" "
        "entity=\"sip:bob@example.com\">\n"
        "<dialog id=\"a1\" direction=\"recipient\"><state>early</state>"
        "<local><identity>sip:bob@example.com</identity></local>"
        "<remote><identity display=\"Carol\">sip:carol@example.com</identity></remote>"
        "<sa:appearance>1</sa:appearance><sa:exclusive>false</sa:exclusive></dialog>\n"
        "<dialog id=\"a2\"><state>confirmed</state>"
        "<local><identity>sip:bob@example.com</identity><target uri=\"sip:bob@example.com\">"
        "<param pname=\"+sip.rendering\" pval=\"no\"/></target></local>"
        "<remote><identity>sip:dave@example.com</identity></remote>"
        "<sa:appearance>2</sa:appearance><sa:exclusive>true</sa:exclusive></dialog>\n"
        "<dialog id=\"a3\" direction=\"initiator\"><state>trying</state>"
        "<local><identity>sip:bob@example.com</identity></local>"
        "<sa:appearance>3</sa:appearance><sa:exclusive>true</sa:exclusive></dialog>\n"
        "</dialog-info>\n");
  check_every_capacity([&](auto& out) { return callinfo::write_dialog_info(line, version(7), out); });
}

TEST_CASE("dialog-info: markup in a remote party or URI is escaped, quoted-pairs resolved") {
  std::vector<callinfo::appearance> busy{
      make_appearance(1, appearance_state::active, "\"A \\\"B\\\" & <C> 'D'\" <sip:x@y;a=1&b=2>"),
      make_appearance(2, appearance_state::active, "</identity><evil/>")};
  auto const line = view_of("sip:bob@example.com;x=a&b", busy);
  std::string const text = ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(1), out); });
  CHECK(text.find("entity=\"sip:bob@example.com;x=a&amp;b\"") != std::string::npos);
  CHECK(text.find("<identity display=\"A &quot;B&quot; &amp; &lt;C&gt; &apos;D&apos;\">sip:x@y;a=1&amp;b=2</identity>") !=
        std::string::npos);
  CHECK(text.find("<identity>&lt;/identity&gt;&lt;evil/&gt;</identity>") != std::string::npos);
  CHECK(text.find("<evil") == std::string::npos);
}

TEST_CASE("dialog-info: a long remote party crosses the staging buffer whole") {
  std::string remote = "\"" + std::string(300, '&') + "\\\"" + std::string(300, 'x') + "\" <sip:a@b>";
  std::vector<callinfo::appearance> busy{make_appearance(4, appearance_state::held, remote)};
  auto const line = view_of("sip:bob@example.com", busy);
  std::string const text = ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(1), out); });
  std::string display;
  for (int i = 0; i < 300; ++i) display += "&amp;";
  display += "&quot;" + std::string(300, 'x');
  CHECK(text.find("display=\"" + display + "\">sip:a@b<") != std::string::npos);
  check_every_capacity([&](auto& out) { return callinfo::write_dialog_info(line, version(1), out); });
}

TEST_CASE("dialog-info: a partial document writes an idle appearance as terminated") {
  std::vector<callinfo::appearance> busy{make_appearance(2, appearance_state::idle)};
  auto const line = view_of("sip:bob@example.com", busy);
  std::string const partial = ok_text([&](auto& out) {
    return callinfo::write_dialog_info(line, version(3, callinfo::dialog_info_state::partial), out);
  });
  CHECK(partial.find("state=\"partial\"") != std::string::npos);
  CHECK(partial.find("<dialog id=\"a2\"><state>terminated</state>") != std::string::npos);
  std::string const full = ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(3), out); });
  CHECK(full.find("<dialog ") == std::string::npos);
}

TEST_CASE("dialog-info: refusals write nothing") {
  for (char const* uri : {"", "sip:a\r\nb@c", "sip:a\"b", "sip:<a>", "sip:a b", "bob"}) {
    INFO(show(uri));
    auto const line = view_of(uri);
    check_refused([&](auto& out) { return callinfo::write_dialog_info(line, version(0), out); }, build_errc::bad_uri);
  }
  for (std::string remote : {std::string("sip:a\r\n<x/>"), std::string("a\0b", 3), std::string("\t"),
                             std::string("\xff")}) {
    std::vector<callinfo::appearance> busy{make_appearance(1, appearance_state::active, remote)};
    auto const line = view_of("sip:bob@example.com", busy);
    check_refused([&](auto& out) { return callinfo::write_dialog_info(line, version(0), out); },
                  build_errc::bad_remote);
  }
  std::vector<callinfo::appearance> busy{make_appearance(1, static_cast<appearance_state>(9))};
  auto const line = view_of("sip:bob@example.com", busy);
  check_refused([&](auto& out) { return callinfo::write_dialog_info(line, version(0), out); }, build_errc::bad_value);
}

TEST_CASE("dialog-info: the body of a dialog;shared NOTIFY effect") {
  std::vector<callinfo::appearance> busy{make_appearance(1, appearance_state::active)};
  callinfo::notify n;
  n.event = callinfo::event_package::dialog_shared;
  n.line = view_of("sip:bob@example.com", busy);
  n.version = 12;
  std::string const text = ok_text([&](auto& out) { return callinfo::write_dialog_info(n, out); });
  CHECK(text.find("version=\"12\" state=\"full\"") != std::string::npos);
  CHECK(text.find("<sa:appearance>1</sa:appearance>") != std::string::npos);
  n.line = {};
  CHECK(ok_text([&](auto& out) { return callinfo::write_dialog_info(n, out); }).empty());

  // Its headers: the package, no Call-Info, the body's Content-Type.
  n.line = view_of("sip:bob@example.com", busy);
  n.expires = 60u;
  CHECK(ok_text([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); }) ==
        "Event: dialog;shared\r\nSubscription-State: active;expires=60\r\n"
        "Content-Type: application/dialog-info+xml\r\n");
  n.line = {};
  n.state = callinfo::substate::terminated;
  CHECK(ok_text([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); }) ==
        "Event: dialog;shared\r\nSubscription-State: terminated\r\nContent-Length: 0\r\n");
  CHECK(ok_text([&](auto& out) { return callinfo::write_event(callinfo::event_package::dialog_shared, "3", out); }) ==
        "dialog;shared;id=3");
}

TEST_CASE("dialog-info: blanks at the edges of a remote's parts are not written; an empty remote is no <remote>") {
  std::vector<callinfo::appearance> busy{
      make_appearance(1, appearance_state::active, "  \"\\  Carol \\ \"  < sip:carol@example.com >  "),
      make_appearance(2, appearance_state::active, "<>"),
      make_appearance(3, appearance_state::active, "   "),
      make_appearance(4, appearance_state::active, "  sip:dave@example.com ")};
  auto const line = view_of("sip:bob@example.com", busy);
  std::string const text = ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(1), out); });
  CHECK(text.find("<identity display=\"Carol\">sip:carol@example.com</identity>") != std::string::npos);
  CHECK(text.find("<identity>sip:dave@example.com</identity>") != std::string::npos);
  std::size_t remotes = 0;
  for (std::size_t at = text.find("<remote>"); at != std::string::npos; at = text.find("<remote>", at + 1)) ++remotes;
  CHECK(remotes == 2);
}

TEST_CASE("RFC 4235 §4.1.1: a known dialog's id, call-id and tags are written; ids stay unique in the document") {
  using callinfo::line_dialog;
  std::vector<callinfo::appearance> busy{make_appearance(1, appearance_state::active),
                                         make_appearance(2, appearance_state::held),
                                         make_appearance(3, appearance_state::alerting),
                                         make_appearance(4, appearance_state::progressing)};
  busy[0].driver = {callinfo::driver_kind::publication, 5};
  std::vector<line_dialog> dialogs{
      // Two on appearance 1: the driver's is the one shown.
      {{callinfo::driver_kind::publication, 6}, 1, appearance_state::active, "other", "c0", "x", "y"},
      {{callinfo::driver_kind::publication, 5}, 1, appearance_state::active, "d&1", "c1@h", "t<1", "t2"},
      {{callinfo::driver_kind::publication, 7}, 2, appearance_state::held, "d&1", "c2", "", ""},  // id taken: a2
      {{callinfo::driver_kind::dialog, 9}, 3, appearance_state::alerting, "a1", "c3", "l3", "r3"},  // builder's form: a3
  };
  auto line = view_of("sip:bob@example.com", busy);
  line.dialogs = dialogs;
  std::string const text = ok_text([&](auto& out) { return callinfo::write_dialog_info(line, version(2), out); });
  CHECK(text.find("<dialog id=\"d&amp;1\" call-id=\"c1@h\" local-tag=\"t&lt;1\" remote-tag=\"t2\">") != std::string::npos);
  CHECK(text.find("<dialog id=\"a2\" call-id=\"c2\"><state>") != std::string::npos);
  CHECK(text.find("<dialog id=\"a3\" call-id=\"c3\" local-tag=\"l3\" remote-tag=\"r3\" direction=\"recipient\">") !=
        std::string::npos);
  CHECK(text.find("<dialog id=\"a4\" direction=\"initiator\">") != std::string::npos);  // nothing known
  CHECK(text.find("other") == std::string::npos);

  // A control byte or %xFF in a known dialog's field: refused, nothing written.
  for (std::string bad : {std::string("c\r\n"), std::string("c\0", 2), std::string("\xff")}) {
    std::vector<line_dialog> d{{{callinfo::driver_kind::publication, 5}, 1, appearance_state::active, "id", bad, "", ""}};
    line.dialogs = d;
    check_refused([&](auto& out) { return callinfo::write_dialog_info(line, version(0), out); }, build_errc::bad_value);
  }
}
