// redis::storage without a connection: the state stays in the process and
// the server behaves exactly as on map_storage (one program serves alone or
// shared, chosen at run time). No Redis needed.
#include <callinfo/overloaded.hpp>
#include <callinfo/presence/snapshot.hpp>
#include <callinfo/redis/storage.hpp>

#include "../presence/support.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace callinfo;
using callinfo::test::bob;

namespace {
struct memory_policies : test_policies {
  using ids = redis::cluster_ids;
};
struct detached_policies : memory_policies {
  using storage = redis::storage;
};
static_assert(storage_policy<redis::storage>);
static_assert(redis::server_on_redis<basic_server<detached_policies>>);

// The effects of a call as text: kind, code or subscription, state and line.
std::string text_of(effect_list const& l) {
  std::string s;
  for (effect const& e : l.items)
    std::visit(overloaded{
                   [&](response const& r) { s += "response " + std::to_string(r.code) + " " + std::string(r.etag) + "\n"; },
                   [&](notify const& n) {
                     s += "notify " + std::to_string(n.subscription) + " " + std::string(to_string(n.state)) + " " +
                          std::to_string(n.line.busy.size()) + " " + std::to_string(n.version) + "\n";
                   },
                   [&](arm_timer const& t) { s += "arm " + std::to_string(t.timer.id) + "\n"; },
                   [&](cancel_timer const& t) { s += "cancel " + std::to_string(t.timer.id) + "\n"; },
                   [&](appearance_changed const& c) {
                     s += "changed " + std::to_string(c.index) + " " + std::string(to_string(c.to)) + "\n";
                   },
               },
               e);
  return s;
}

// One session of every kind of call; returns its effects and the snapshot.
template <class P>
std::string session() {
  test::harness<P> h;
  h.server.ids() = redis::cluster_ids(callinfo::detail::siphash_key{1, 2});  // the same tags on both
  h.server.ids().start(5, 9);
  std::string log;
  h.subscribe(event_package::call_info, "sip:alice@example.com", 600);
  subscription_id const w = h.reply().subscription;
  log += text_of(h.last);
  log += text_of(h.subscribe(event_package::dialog_shared, "sip:dave@example.com", 600));
  log += text_of(h.seize("sip:carol@example.com", 2, 30));
  subscription_id const s = h.reply().subscription;
  log += text_of(h.publish("<sip:erin@example.com>;appearance-index=1;appearance-state=alerting"));
  h.dialog(7, dialog_side::callee, dialog_phase::confirmed, 3, "<sip:frank@example.com>");
  log += text_of(h.last);
  log += text_of(h.refresh(w, event_package::call_info, 300));
  log += text_of(h.advance_and_fire(31, {timer_kind::subscription, s}));
  effect_list out;
  h.server.on_notify_failed(w, 481, out);
  log += text_of(out);
  std::string snap;
  string_sink sink(snap);
  snapshot(h.server, sink);
  return log + snap;
}
}  // namespace

TEST_CASE("redis::storage without a connection serves as map_storage: same effects, same state") {
  std::string const memory = session<memory_policies>();
  std::string const detached = session<detached_policies>();
  CHECK(memory == detached);
  CHECK(memory.find("notify") != std::string::npos);
}

TEST_CASE("redis::storage without a connection takes a restored snapshot; it owns every subscription") {
  test::harness<detached_policies> h;
  h.subscribe(event_package::call_info, "sip:alice@example.com", 600);
  subscription_id const w = h.reply().subscription;
  CHECK(h.server.storage().owns(w));
  CHECK_FALSE(h.server.storage().shared());
  std::string snap;
  string_sink sink(snap);
  snapshot(h.server, sink);

  test::harness<detached_policies> back;
  effect_list timers;
  std::size_t stop = 0;
  REQUIRE(restore(back.server, snap, timers, stop));
  CHECK(back.server.storage().find_subscription(w) != nullptr);
  CHECK(back.server.storage().subscription_count() == 1);
}
