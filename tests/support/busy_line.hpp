// Test support: a line with nine busy appearances in every non-idle state,
// every other one with a remote party, the last one's longer than the
// builders' staging buffer: the input of the allocation tests.
#pragma once

#include <callinfo/line/line_state.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::test {

// `display` is the odd appearances' remote party; the ninth one's is 700
// times `filler`.
inline std::vector<appearance> busy_appearances(std::string_view display, char filler) {
  std::vector<appearance> busy;
  for (std::uint32_t i = 1; i <= 8; ++i) {
    appearance a;
    a.index = i;
    a.state = all_appearance_states[1 + i % 6];
    a.remote = i % 2 ? std::string(display) : "sip:callee@127.0.0.1";
    busy.push_back(a);
  }
  busy.push_back(busy.back());
  busy.back().index = 9;
  busy.back().remote = std::string(700, filler);
  return busy;
}

}  // namespace callinfo::test
