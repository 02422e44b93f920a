// The appearance state <-> dialog state table (dialog_info/mapping.hpp),
// both ways, for every state and every combination a <dialog> can say.
#include <callinfo/dialog_info/mapping.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <string>

namespace {

using callinfo::appearance_state;
using callinfo::dialog_direction;
using callinfo::dialog_facts;
using callinfo::dialog_state;

// The reading rules, written out case by case (docs/rfc7463.md, the mapping table),
// independently of the table's row order.
appearance_state expected_reading(dialog_facts f) {
  switch (f.dialog) {
    case dialog_state::terminated: return appearance_state::idle;
    case dialog_state::trying: return appearance_state::seized;
    case dialog_state::proceeding: return appearance_state::progressing;
    case dialog_state::early:
      return f.direction == dialog_direction::initiator ? appearance_state::progressing : appearance_state::alerting;
    case dialog_state::confirmed:
      if (!f.held) return appearance_state::active;
      return f.exclusive ? appearance_state::held_private : appearance_state::held;
  }
  return appearance_state::idle;
}

}  // namespace

TEST_CASE("RFC 7463 mapping: one canonical row per appearance state") {
  for (appearance_state s : callinfo::all_appearance_states) {
    std::size_t n = 0;
    for (auto const& m : callinfo::dialog_mappings) n += m.canonical && m.state == s;
    INFO(to_string(s));
    CHECK(n == 1);
  }
  CHECK(callinfo::canonical_mapping(static_cast<appearance_state>(7)) == nullptr);
}

TEST_CASE("RFC 7463 mapping: state -> dialog facts -> state for every state") {
  for (appearance_state s : callinfo::all_appearance_states) {
    dialog_facts const f = callinfo::to_dialog_facts(s);
    INFO(to_string(s) << " -> " << to_string(f.dialog));
    CHECK(callinfo::to_appearance_state(f) == s);
  }
}

TEST_CASE("RFC 7463 mapping: what each state is written as") {
  struct row {
    appearance_state s;
    dialog_state d;
    dialog_direction dir;
    bool exclusive, held;
  };
  // RFC 4235 §3.7.1 states; sa:exclusive for a seize and a private hold
  // (RFC 7463 §5.2.3); hold as +sip.rendering=no (RFC 4235 §4.1.6).
  row const expected[] = {
      {appearance_state::idle, dialog_state::terminated, dialog_direction::none, false, false},
      {appearance_state::seized, dialog_state::trying, dialog_direction::initiator, true, false},
      {appearance_state::progressing, dialog_state::proceeding, dialog_direction::initiator, false, false},
      {appearance_state::alerting, dialog_state::early, dialog_direction::recipient, false, false},
      {appearance_state::active, dialog_state::confirmed, dialog_direction::none, false, false},
      {appearance_state::held, dialog_state::confirmed, dialog_direction::none, false, true},
      {appearance_state::held_private, dialog_state::confirmed, dialog_direction::none, true, true},
  };
  for (row const& r : expected) {
    INFO(to_string(r.s));
    dialog_facts const f = callinfo::to_dialog_facts(r.s);
    CHECK(f.dialog == r.d);
    CHECK(f.direction == r.dir);
    CHECK(f.exclusive == r.exclusive);
    CHECK(f.held == r.held);
  }
}

TEST_CASE("RFC 7463 mapping: every dialog state, direction, exclusive and hold reads as one state") {
  std::size_t n = 0;
  for (std::size_t d = 0; d < callinfo::dialog_state_count; ++d)
    for (auto dir : {dialog_direction::none, dialog_direction::initiator, dialog_direction::recipient})
      for (bool exclusive : {false, true})
        for (bool held : {false, true}) {
          dialog_facts const f{static_cast<dialog_state>(d), dir, exclusive, held};
          INFO(to_string(f.dialog) << " direction=" << to_string(dir) << " exclusive=" << exclusive
                                   << " held=" << held);
          CHECK(callinfo::to_appearance_state(f) == expected_reading(f));
          ++n;
        }
  CHECK(n == 60);
}

TEST_CASE("RFC 4235 dialog state tokens") {
  for (std::size_t d = 0; d < callinfo::dialog_state_count; ++d) {
    auto const s = static_cast<dialog_state>(d);
    CHECK(callinfo::to_dialog_state(to_string(s)) == s);
  }
  CHECK_FALSE(callinfo::to_dialog_state("Confirmed").has_value());  // an XML enumeration: exact
  CHECK_FALSE(callinfo::to_dialog_state("").has_value());
  static_assert(callinfo::to_appearance_state(callinfo::to_dialog_facts(appearance_state::held_private)) ==
                appearance_state::held_private);
}
