// callinfo-play — the player, instantiated for each dialect.
#include "run.hpp"

#include "player_output.hpp"

namespace callinfo_play {

template <class Policies>
void play(scenario const& s, bool sip) {
  player<Policies> p(s, sip);
  p.run();
}

template void play<callinfo::test_policies>(scenario const& s, bool sip);
template void play<opensips_policies>(scenario const& s, bool sip);
template void play<broadworks_policies>(scenario const& s, bool sip);

}  // namespace callinfo_play
