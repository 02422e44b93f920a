// Ids policies: unguessable entity-tags by default (RFC 3903 §13), ids that
// survive snapshot/restore for every policy.
#include "support.hpp"

#include <callinfo/policy/detail/siphash.hpp>
#include <callinfo/presence/snapshot.hpp>
#include <callinfo/redis/cluster_ids.hpp>
#include <callinfo/version.hpp>

#include "../support/allocation_counter.hpp"

#include <array>
#include <cstdint>
#include <set>
#include <string>

using namespace callinfo;
using namespace callinfo::test;

TEST_CASE("SipHash-2-4: the reference vectors (key 00..0f)") {
  detail::siphash_key const key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  std::array<std::uint8_t, 15> msg{};
  for (std::size_t i = 0; i < msg.size(); ++i) msg[i] = static_cast<std::uint8_t>(i);
  // Empty input: the first vector of the reference implementation's vectors.h.
  CHECK(detail::siphash24(key, std::span<std::uint8_t const>(msg.data(), 0)) == 0x726fdb47dd0e0e31ull);
  // 15 bytes 00..0e: the worked example of the paper's appendix A.
  CHECK(detail::siphash24(key, std::span<std::uint8_t const>(msg)) == 0xa129ca6149be45e5ull);
  // The u64 form is the 8-byte little-endian message.
  std::uint64_t const n = 0x0706050403020100ull;
  CHECK(detail::siphash24(key, n) == detail::siphash24(key, std::span<std::uint8_t const>(msg.data(), 8)));
}

namespace {
struct random_policies : test_policies {
  using ids = random_ids;
};
struct cluster_policies : test_policies {
  using ids = redis::cluster_ids;
};
template <class P>
std::string publish_etag(harness<P>& h) {
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  REQUIRE(h.reply().code == 200);
  return std::string(h.reply().etag);
}
}  // namespace

TEST_CASE("RFC 3903 §13: default entity-tags carry 64 unguessable bits; counter_ids stays deterministic") {
  static_assert(std::is_same_v<default_policies::ids, random_ids>);
  harness<random_policies> a, b;
  std::string const ta = publish_etag(a), tb = publish_etag(b);
  INFO(ta << " " << tb);
  // `<serial>.<secret>`: the same serial, secrets from independent keys.
  CHECK(ta.rfind("1.", 0) == 0);
  CHECK(tb.rfind("1.", 0) == 0);
  CHECK(ta != tb);
  CHECK(ta.size() > 2 + 8);  // 64 bits in base 36: 13 digits at most, 8 or more but for 1 in 36^5
  // The next tag of the same server is not the old one plus one.
  a.publish("<sip:bob@example.com>;appearance-index=2;appearance-state=active", std::nullopt, std::nullopt,
            "sip:carol@example.com");
  std::string const ta2(a.reply().etag);
  CHECK(ta2.rfind("2.", 0) == 0);
  CHECK(ta2.substr(2) != ta.substr(2));
  // The counter before the secret keeps tags unique; a guessed serial alone matches nothing.
  a.publish(std::nullopt, std::string_view("1"));
  CHECK(a.reply().code == 412);
  // counter_ids (test_policies): 1, 2, ...
  harness<> t;
  CHECK(publish_etag(t) == "1");
}

TEST_CASE("random_ids with a fixed key: reproducible tags; SipHash of the serial") {
  detail::siphash_key const key{1, 2};
  random_ids ids(key);
  etag_value const v = ids.next_etag();
  CHECK(v.serial == 1);
  CHECK(v.secret == detail::siphash24(key, std::uint64_t{1}));
  CHECK(ids.next_subscription() == 1);
  CHECK(ids.next_publication() == 1);
  CHECK(ids.counters() == id_counters{1, 1, 1});
}

TEST_CASE("cluster_ids: tags unguessable, counters() and reserve() keep node and boot") {
  redis::cluster_ids ids;
  ids.start(3, 7);
  subscription_id const s = ids.next_subscription();
  etag_value const e = ids.next_etag();
  CHECK(redis::owner_of(s) == 3);
  CHECK(e.secret != 0);
  CHECK(ids.counters() == id_counters{s, 0, e.serial});
  // A snapshot's ids of this node and boot are skipped; another boot's cannot collide.
  redis::cluster_ids again;
  again.start(3, 7);
  again.reserve({s + 5, 0, e.serial});
  CHECK(again.next_subscription() == s + 6);
  CHECK(again.next_etag().serial == e.serial + 1);
  redis::cluster_ids other_boot;
  other_boot.start(3, 8);
  other_boot.reserve({s + 5, 0, 0});
  CHECK((other_boot.next_subscription() & 0xffffffffu) == 1);
}

// After a restore no id or entity-tag of the snapshot is handed out again,
// whichever Ids policy the server has (a build with the Redis component
// used to write `ids 0 0 0` for cluster_ids and repeat them).
template <class P>
void check_ids_survive_restore() {
  harness<P> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  subscription_id const sub = h.reply().subscription;
  std::string const etag = publish_etag(h);
  std::string text;
  string_sink sink(text);
  snapshot(h.server, sink);
  INFO(text);
  CHECK(text.find("ids 0 0 0") == std::string::npos);

  harness<P> restored;
  effect_list timers;
  REQUIRE(restore(restored.server, text, timers));
  restored.subscribe(event_package::call_info, "sip:w2@x");
  CHECK(restored.reply().subscription != sub);
  restored.publish("<sip:bob@example.com>;appearance-index=2;appearance-state=active", std::nullopt, std::nullopt,
                   "sip:carol@example.com");
  std::string const next(restored.reply().etag);
  CHECK(next != etag);
  CHECK(next.substr(0, next.find('.')) != etag.substr(0, etag.find('.')));  // the serial moved on
  // The restored publication still answers to its tag (the key is not needed).
  restored.publish(std::nullopt, std::string_view(etag));
  CHECK(restored.reply().code == 200);
}

TEST_CASE("snapshot/restore round-trips every Ids policy: counter_ids, random_ids, cluster_ids") {
  check_ids_survive_restore<test_policies>();
  check_ids_survive_restore<random_policies>();
  check_ids_survive_restore<cluster_policies>();
}

TEST_CASE("snapshot/restore keeps a subscription's Event id and a publication's publisher; old records still read") {
  harness<> h;
  subscribe_request r = h.subscribe_of(event_package::call_info, "sip:w@x");
  r.event_id = "x7";
  h.subscribe(r);
  subscription_id const id = h.reply().subscription;
  publish_request p;
  p.line = bob;
  p.publisher = "sip:alice@example.com";
  p.appearances = h.updates("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  h.last = h.server.on_publish(p);
  std::string text;
  string_sink sink(text);
  snapshot(h.server, sink);
  INFO(text);
  harness<> back;
  effect_list timers;
  REQUIRE(restore(back.server, text, timers));
  REQUIRE(back.server.storage().find_subscription(id) != nullptr);
  CHECK(back.server.storage().find_subscription(id)->event_id == "x7");
  bool found = false;
  back.server.storage().for_each_publication([&](publication const& pub) {
    found = true;
    CHECK(pub.publisher == "sip:alice@example.com");
  });
  CHECK(found);
  back.refresh(id, event_package::call_info, 60, {}, "x7");
  CHECK(back.reply().code == 200);

  // A record written before the two fields existed reads as empty ones.
  std::string const old_text =
      "callinfo-snapshot 1\nids 4 1 1\nline 19:sip:bob@example.com\n"
      "sub 4 call-info 1000 0 7:sip:w@x\npub 1 1000 19:sip:bob@example.com 1:1\nend\n";
  harness<> old;
  REQUIRE(restore(old.server, old_text, timers));
  REQUIRE(old.server.storage().find_subscription(4) != nullptr);
  CHECK(old.server.storage().find_subscription(4)->event_id.empty());
  // A bad Event id in a record is refused.
  std::string bad = text;
  bad.replace(bad.find("2:x7"), 4, "2:x ");
  harness<> refused;
  CHECK(!restore(refused.server, bad, timers));
}

TEST_CASE("the library's names live in the inline namespace callinfo::v1") {
  static_assert(std::is_same_v<callinfo::basic_server<>, callinfo::v1::basic_server<>>);
  static_assert(std::is_same_v<callinfo::call_info_view, callinfo::v1::call_info_view>);
  static_assert(std::is_same_v<callinfo::redis::cluster_ids, callinfo::v1::redis::cluster_ids>);
  CHECK(std::string_view(callinfo::v1::version_string) == CALLINFO_VERSION_STRING);
}

TEST_CASE("a PUBLISH modify with unguessable tags allocates nothing once warm") {
  harness<random_policies> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  std::string etag(h.reply().etag);
  auto const active = h.call_info("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  auto const held = h.call_info("<sip:bob@example.com>;appearance-index=1;appearance-state=held");
  call_info_updates reader;
  struct null_sink {
    std::string_view* tag;
    void operator()(effect const& e) const {
      if (auto const* r = std::get_if<response>(&e)) *tag = r->etag;
    }
  };
  std::size_t before = 0, longest = 0;
  for (int i = 0; i < 128; ++i) {
    if (i == 48) before = callinfo_test_support::allocations.load();  // warm: serials of 2 digits from 36 on
    REQUIRE(!reader.read(i % 2 ? *active : *held));
    publish_request r;
    r.line = bob;
    r.if_match = etag;
    r.appearances = reader.updates();
    std::string_view tag;
    h.server.on_publish(r, null_sink{&tag});
    longest = std::max(longest, tag.size());
    etag.assign(tag);
  }
  CHECK(longest > 15);  // <serial>.<secret>: past the small-string buffer
  CHECK(callinfo_test_support::allocations.load() == before);
}
