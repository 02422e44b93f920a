// The Redis component's records, without Redis: a line's share of the
// storage survives encode/decode, change messages and expiry members
// round-trip, malformed text is refused, and cluster ids name their owner.
#include <callinfo/redis/cluster_ids.hpp>
#include <callinfo/redis/line_codec.hpp>

#include "../presence/support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

using namespace callinfo;
using namespace callinfo::redis;
using callinfo::test::bob;

namespace {
struct node_policies : test_policies {
  using ids = cluster_ids;
};

// A line with a seize, a call, a publication, watchers of both packages.
test::harness<node_policies> busy_line() {
  test::harness<node_policies> h;
  h.server.ids().start(7, 3);
  h.subscribe(event_package::call_info, "sip:alice@example.com", 600);
  h.seize("sip:carol@example.com", 2, 10);
  h.dialog(42, dialog_side::caller, dialog_phase::confirmed, 1, "<sip:dave@example.com>");
  h.publish("<sip:bob@example.com>;appearance-index=3;appearance-state=held");
  return h;
}
}  // namespace

TEST_CASE("line record: encode then decode gives the same line, subscriptions and publications") {
  auto h = busy_line();
  std::string text;
  encode_line(h.server.storage(), bob, text);
  map_storage copy;
  REQUIRE(decode_line(bob, text, copy));
  CHECK(*copy.find_line(bob) == *h.server.storage().find_line(bob));
  CHECK(copy.subscription_count() == 2);
  CHECK(copy.publication_count() == 1);
  h.server.storage().for_each_subscription([&](subscription const& s) { CHECK(*copy.find_subscription(s.id) == s); });
  h.server.storage().for_each_publication([&](publication const& p) {
    CHECK(*copy.find_publication(p.id) == p);
    CHECK(copy.find_publication(std::string_view(p.etag)) != nullptr);
  });
  std::string again;
  encode_line(copy, bob, again);
  CHECK(again == text);
}

TEST_CASE("line record: every package round-trips, a dialog;shared watcher keeps its NOTIFY version (RFC 4235 4.1)") {
  auto h = busy_line();
  h.subscribe(event_package::dialog_shared, "sip:erin@example.com", 600);
  subscription_id const shared = h.reply().subscription;
  h.dialog(42, dialog_side::caller, dialog_phase::terminated, 1, "<sip:dave@example.com>");
  h.dialog(43, dialog_side::callee, dialog_phase::early, 4, "<sip:frank@example.com>");
  subscription const* s = h.server.storage().find_subscription(shared);
  REQUIRE(s != nullptr);
  REQUIRE(s->version == 3);  // the initial NOTIFY and two changes
  std::string text;
  encode_line(h.server.storage(), bob, text);
  map_storage copy;
  REQUIRE(decode_line(bob, text, copy));
  std::vector<event_package> packages;
  h.server.storage().for_each_subscription([&](subscription const& o) {
    packages.push_back(o.event);
    CHECK(*copy.find_subscription(o.id) == o);
  });
  for (auto e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared})
    CHECK_MESSAGE(std::count(packages.begin(), packages.end(), e) == 1, to_string(e));
  CHECK(copy.find_subscription(shared)->version == 3);
  CHECK(copy.find_subscription(shared)->seized_index == 0);
  std::string again;
  encode_line(copy, bob, again);
  CHECK(again == text);
}

TEST_CASE("line record: a record written before dialog;shared was known still reads") {
  map_storage st;
  REQUIRE(decode_line(bob, "app 2 seized seize 9 0:\nsub 9 line-seize 10000 2 3:bob\nsub 8 call-info 600000 0 5:alice\n", st));
  CHECK(st.find_subscription(9)->seized_index == 2);
  CHECK(st.find_subscription(9)->version == 0);
  CHECK(st.find_subscription(8)->event == event_package::call_info);
  REQUIRE(decode_line("sip:x", "sub 7 dialog-shared 600000 12 3:eve\n", st));
  CHECK(st.find_subscription(7)->event == event_package::dialog_shared);
  CHECK(st.find_subscription(7)->version == 12);
}

TEST_CASE("line record: the dialogs known on the line (RFC 7463 appearance agent) round-trip") {
  auto h = busy_line();
  line_record* rec = h.server.storage().find_line(bob);
  REQUIRE(rec != nullptr);
  rec->dialogs.push_back({{driver_kind::publication, 5}, 3, appearance_state::held, "d 1", "c1@h", "lt", "rt"});
  rec->dialogs.push_back({{driver_kind::dialog, 42}, 1, appearance_state::active, "", "inv@p", "", ""});
  std::string text;
  encode_line(h.server.storage(), bob, text);
  CHECK(text.find("dlg publication 5 3 held 3:d 1 4:c1@h 2:lt 2:rt\n") != std::string::npos);
  map_storage copy;
  REQUIRE(decode_line(bob, text, copy));
  CHECK(copy.find_line(bob)->dialogs == rec->dialogs);
  for (std::string_view bad : {"dlg seize 5 3 held 0: 0: 0: 0:\n", "dlg publication 5 0 held 0: 0: 0: 0:\n",
                               "dlg publication 5 3 idle 0: 0: 0: 0:\n", "dlg publication 5 3 held 0: 2:a\n 0: 0:\n",
                               "dlg publication 5 3 held 0: 0: 0:\n"}) {
    map_storage st;
    CHECK_MESSAGE(!decode_line(bob, bad, st), bad);
  }
}

TEST_CASE("line record: an unknown line encodes empty, and empty decodes to nothing") {
  map_storage st;
  std::string text = "stale";
  encode_line(st, bob, text);
  CHECK(text.empty());
  CHECK(decode_line(bob, "", st));
  CHECK(st.line_count() == 0);
}

TEST_CASE("line record: malformed text is refused") {
  for (std::string_view bad : {"app 0 seized seize 1 0:\n", "app 1 idle seize 1 0:\n", "app 1 seized bogus 1 0:\n",
                               "sub 5 presence 100 0 3:bob\n", "sub 5 dialog;shared 100 0 3:bob\n", "sub 5 dialog 100 0 3:bob\n", "sub 0 call-info 100 0 3:bob\n", "pub 1 100 9:abc\n",
                               "foo 1\n", "app 1 seized seize 1 0:\napp 1 seized seize 1 0:\n",
                               "pub 1 100 1:a\npub 2 100 1:a\n"}) {
    map_storage st;
    CHECK_MESSAGE(!decode_line(bob, bad, st), bad);
  }
}

TEST_CASE("expiry entries list each subscription and publication with its deadline") {
  auto h = busy_line();
  std::vector<expiry_entry> e;
  expiry_entries(h.server.storage(), bob, e);
  REQUIRE(e.size() == 3);
  CHECK(e[0].timer.kind == timer_kind::subscription);
  CHECK(e[0].at == time_point(600'000));
  CHECK(e[1].at == time_point(10'000));
  CHECK(e[2].timer.kind == timer_kind::publication);
  auto const m = expiry_member(e[1].timer, bob);
  auto const p = parse_expiry_member(m);
  REQUIRE(p);
  CHECK(p->timer == e[1].timer);
  CHECK(p->line == bob);
  for (std::string_view bad : {"", "s", "x 1 sip:a", "s 0 sip:a", "s 12", "s 1x sip:a", "p  sip:a"})
    CHECK_MESSAGE(!parse_expiry_member(bad), bad);
}

TEST_CASE("change message: round trip, with and without a reason") {
  change_message m;
  m.origin = 4095;
  m.line = "sip:line one@example.com";
  m.entries = {{1, false, event_package::call_info, std::nullopt, 0, 0, {}},
               {2, true, event_package::line_seize, event_reason::timeout, 3, 0, "id-7"},
               {3, true, event_package::call_info, std::nullopt, 0, 0, {}},
               {4, false, event_package::call_info, std::nullopt, 0, 0, {}},  // a dialog;shared NOTIFY due: no version
               {5, true, event_package::dialog_shared, event_reason::noresource, 0, 17, {}}};
  std::string text;
  encode_change(m, text);
  change_message back;
  REQUIRE(decode_change(text, back));
  CHECK(back == m);
  for (std::string_view bad : {"", "1 3:abc\nxyz 1\n", "1 3:abc\nntf 0\n", "1 3:abc\nend 2 presence - 0\n",
                            "1 3:abc\nend 2 dialog;shared - 0\n"})
    CHECK_MESSAGE(!decode_change(bad, back), bad);
}

TEST_CASE("cluster ids carry their node and differ across boots; not started, they count as counter_ids") {
  cluster_ids a, b;
  a.start(5, 1);
  b.start(5, 2);
  auto const x = a.next_subscription();
  CHECK(owner_of(x) == 5);
  CHECK(x != b.next_subscription());
  cluster_ids c;
  c.start(max_node, 0);
  CHECK(owner_of(c.next_publication()) == max_node);
  // Not started: the same numbers as counter_ids (entity-tags with a secret besides).
  cluster_ids d;
  counter_ids e;
  for (int i = 0; i < 3; ++i) {
    CHECK(d.next_subscription() == e.next_subscription());
    etag_value const t = d.next_etag();
    CHECK(t.serial == e.next_etag().serial);
    CHECK(t.secret != 0);
  }
  CHECK(d.next_publication() == e.next_publication());
}

TEST_CASE("notify_watchers_of: a NOTIFY to each call-info watcher, none to seizers") {
  auto h = busy_line();
  effect_list out;
  h.server.notify_watchers_of(bob, out);
  REQUIRE(out.count<notify>() == 1);
  auto const& n = std::get<notify>(out.items[0]);
  CHECK(n.event == event_package::call_info);
  CHECK(h.states(n.line) == "1=active 2=seized 3=held");
  out.clear();
  h.server.notify_watchers_of("sip:nobody@example.com", out);
  CHECK(out.size() == 0);
}
