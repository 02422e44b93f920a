// The transition tables, walked exhaustively against readable expectations.
#include <callinfo/line/transitions.hpp>

#include <doctest/doctest.h>

#include <string_view>

using namespace callinfo;

namespace {
// One row per source state (idle, seized, progressing, alerting, active,
// held, held-private), one column per target state in the same order:
// 'A' applied, '=' unchanged, '.' refused.
constexpr std::string_view opensips_expected[] = {
    "=AAAAAA",  // idle -> any
    "A=A.A..",  // seized -> idle, progressing, active
    "A.=.A..",  // progressing -> idle, active
    "A..=A..",  // alerting -> idle, active
    "A...=AA",  // active -> idle, held (held-private as held)
    "A...A=.",  // held -> idle, active
    "A...A.=",  // held-private -> idle, active
};
constexpr std::string_view broadworks_expected[] = {
    "=AAAAAA", "A=AAAAA", "AA=AAAA", "AAA=AAA", "AAAA=AA", "AAAAA=A", "AAAAAA=",
};

char code(transition t) {
  switch (t) {
    case transition::applied: return 'A';
    case transition::unchanged: return '=';
    case transition::refused: return '.';
  }
  return '?';
}

void walk(transition_table const& table, std::string_view const (&expected)[appearance_state_count]) {
  for (appearance_state from : all_appearance_states)
    for (appearance_state to : all_appearance_states) {
      CAPTURE(to_string(from));
      CAPTURE(to_string(to));
      CHECK(code(lookup(table, from, to)) ==
            expected[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)]);
    }
}
}  // namespace

TEST_CASE("OpenSIPS presence_callinfo transitions: every (from, to) pair") { walk(opensips_transitions, opensips_expected); }

TEST_CASE("BroadWorks/Kamailio transitions: every (from, to) pair") { walk(broadworks_transitions, broadworks_expected); }

TEST_CASE("A zero-initialised cell means refused, never idle") {
  transition_table const zero{};
  for (appearance_state from : all_appearance_states)
    for (appearance_state to : all_appearance_states) CHECK(lookup(zero, from, to) == transition::refused);
}

TEST_CASE("appearance_state tokens round-trip and compare case-insensitively") {
  for (appearance_state s : all_appearance_states) {
    CHECK(to_appearance_state(to_string(s)) == s);
  }
  CHECK(to_appearance_state("HELD-PRIVATE") == appearance_state::held_private);
  CHECK(to_appearance_state("held_private") == std::nullopt);
  CHECK(to_appearance_state("") == std::nullopt);
}
