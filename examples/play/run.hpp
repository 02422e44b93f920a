// callinfo-play — what main() runs: play<Policies>() plays a scenario with
// one dialect's policies. Defined and instantiated for the three dialects in
// run.cpp, the one translation unit that compiles the player (and with it the
// library's Call-Info parser).
#pragma once

#include "scenario.hpp"

#include <callinfo/policy/bundles.hpp>

namespace callinfo_play {

struct opensips_policies : callinfo::test_policies {
  using dialect = callinfo::opensips_dialect;
};
struct broadworks_policies : callinfo::test_policies {
  using dialect = callinfo::broadworks_dialect;
};

template <class Policies>
void play(scenario const& s, bool sip);

extern template void play<callinfo::test_policies>(scenario const& s, bool sip);
extern template void play<opensips_policies>(scenario const& s, bool sip);
extern template void play<broadworks_policies>(scenario const& s, bool sip);

}  // namespace callinfo_play
