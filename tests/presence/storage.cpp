// The Storage policy's transaction (policy/storage.hpp): every server call
// runs inside storage.transact() with the scope it touches, and a storage
// that cannot serve a call leaves the server as it was.
#include <callinfo/presence/server.hpp>

#include "support.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace callinfo;
using callinfo::test::bob;

namespace {

// An in-memory storage that records each transaction's scope, holds the
// effects back until the body has run (as a durable or shared store must),
// and can be told to fail.
class recording_storage : public map_storage {
 public:
  template <class Body, class Out>
  storage_status transact(transaction_scope const& scope, Body&& body, Out& out) {
    scopes.push_back({std::string(scope.line), scope.subscription, scope.timer, scope.every_line, scope.in_dialog});
    if (fail) return storage_status::unavailable;
    effect_list held;
    body(held);
    for (effect const& e : held.items) out(e);
    return storage_status::ok;
  }
  bool owns(subscription_id) const noexcept { return true; }

  struct scope_seen {
    std::string line;
    subscription_id subscription = 0;
    std::optional<timer_id> timer;
    bool every_line = false;
    bool in_dialog = false;
  };
  std::vector<scope_seen> scopes;
  bool fail = false;
};
static_assert(storage_policy<recording_storage>);

struct recording_policies : test_policies {
  using storage = recording_storage;
};

}  // namespace

TEST_CASE("storage policy: every server call is one transaction on the line, subscription or timer it touches") {
  test::harness<recording_policies> h;
  auto& seen = h.server.storage().scopes;

  h.subscribe(event_package::call_info, "sip:alice@example.com", 600);
  subscription_id const w = h.reply().subscription;
  REQUIRE(seen.size() == 1);
  CHECK(seen.back().line == bob);
  CHECK(seen.back().subscription == 0);
  CHECK_FALSE(seen.back().in_dialog);

  h.refresh(w, event_package::call_info, 600);
  CHECK(seen.back().subscription == w);
  CHECK(seen.back().in_dialog);  // its NOTIFY goes out where the request came in

  h.publish("<sip:carol@example.com>;appearance-index=1;appearance-state=active");
  CHECK(seen.back().line == bob);
  h.dialog(7, dialog_side::caller, dialog_phase::early, 2);
  CHECK(seen.back().line == bob);

  h.last = h.server.on_timer(timer_id{timer_kind::subscription, w});
  CHECK(seen.back().timer == timer_id{timer_kind::subscription, w});
  CHECK(seen.back().line.empty());

  effect_list out;
  h.server.update(bob, 3, appearance_state::alerting, {}, out);
  CHECK(seen.back().line == bob);
  h.server.release(bob, 3, out);
  CHECK(seen.back().line == bob);
  CHECK(h.server.line(bob).busy.size() == 2);  // a read brings the line in too
  CHECK(seen.back().line == bob);
  CHECK(h.server.first_idle_appearance(bob) == 3);

  h.server.on_notify_failed(w, 500, out);
  CHECK(seen.back().subscription == w);
  CHECK_FALSE(seen.back().in_dialog);  // a storage may route its NOTIFYs to the dialog's holder
  h.server.end_subscription(w, event_reason::deactivated, out);
  CHECK(seen.back().subscription == w);
  CHECK(h.server.end_all_subscriptions(event_reason::deactivated, out) == 0);
  CHECK(seen.back().every_line);
  CHECK(h.server.last_storage_status() == storage_status::ok);
}

TEST_CASE("storage policy: a call the storage cannot serve changes nothing; a request gets 500 with Retry-After") {
  test::harness<recording_policies> h;
  h.seize("sip:alice@example.com", 1, 60);
  REQUIRE(h.reply().code == 200);
  subscription_id const seize = h.reply().subscription;
  auto const before = h.server.storage().subscription_count();

  h.server.storage().fail = true;
  h.subscribe(event_package::call_info, "sip:bob@example.com", 600);
  REQUIRE(h.last.items.size() == 1);
  CHECK(h.reply().code == 500);
  CHECK(h.reply().retry_after == 1u);
  CHECK(h.reply().event == event_package::call_info);
  CHECK(h.server.last_storage_status() == storage_status::unavailable);

  h.publish("<sip:carol@example.com>;appearance-index=2;appearance-state=active");
  REQUIRE(h.last.items.size() == 1);
  CHECK(h.reply().code == 500);

  state_change const c = h.dialog(7, dialog_side::caller, dialog_phase::confirmed, 2);
  CHECK(c.result == transition::refused);
  CHECK(h.last.items.empty());
  effect_list out;
  CHECK(h.server.release(bob, std::nullopt, out) == 0);
  CHECK(h.server.end_subscription(seize, event_reason::deactivated, out) == subscription_end::unknown);
  CHECK(out.items.empty());

  // Nothing was lost: the seize is still there once the storage serves again.
  h.server.storage().fail = false;
  CHECK(h.server.storage().subscription_count() == before);
  CHECK(h.server.line(bob).busy.size() == 1);
  CHECK(h.server.last_storage_status() == storage_status::ok);
  h.refresh(seize, event_package::line_seize, 0, test::harness<>::seize_call_info(1));
  CHECK(h.reply().code == 200);
  CHECK(h.server.line(bob).busy.empty());
}

namespace {
subscription watching(subscription_id id, std::string line) {
  subscription s;
  s.id = id;
  s.line = std::move(line);
  s.watcher = "sip:w@example.com";
  return s;
}
}  // namespace

TEST_CASE("map_storage: the line a subscription remembers follows erasure, re-creation and copies") {
  map_storage st;
  line_record& first = st.make_line("sip:l@example.com");
  first.watchers.push_back(7);
  subscription& s = st.add_subscription(watching(7, "sip:l@example.com"));
  CHECK(st.line_of(s) == &first);
  CHECK(st.line_of(s) == st.find_line("sip:l@example.com"));

  // A subscription whose line is not stored finds it once it is made.
  subscription& orphan = st.add_subscription(watching(8, "sip:m@example.com"));
  CHECK(st.line_of(orphan) == nullptr);
  line_record& made = st.make_line("sip:m@example.com");
  CHECK(st.line_of(orphan) == &made);

  // Erased and made again: the remembered record is not trusted.
  st.erase_line("sip:l@example.com");
  CHECK(st.line_of(s) == nullptr);
  line_record& again = st.make_line("sip:l@example.com");
  CHECK(st.line_of(s) == &again);

  // A copy finds its own lines, never the original's.
  map_storage copy = st;
  subscription* held = copy.find_subscription(7);
  REQUIRE(held != nullptr);
  CHECK(copy.line_of(*held) == copy.find_line("sip:l@example.com"));
  CHECK(copy.line_of(*held) != &again);
  map_storage assigned;
  assigned = st;
  CHECK(assigned.line_of(*assigned.find_subscription(8)) == assigned.find_line("sip:m@example.com"));
  // Moved: the records move with it, so what it remembers still holds.
  map_storage moved = std::move(copy);
  CHECK(moved.line_of(*moved.find_subscription(7)) == moved.find_line("sip:l@example.com"));
}
