// line_state: the appearances of one line and the rules that change them.
#include <callinfo/line/line_state.hpp>

#include <doctest/doctest.h>

using namespace callinfo;
using enum appearance_state;

namespace {
constexpr appearance_driver seize1{driver_kind::seize, 1};
constexpr appearance_driver dialog7{driver_kind::dialog, 7};
}  // namespace

TEST_CASE("an idle line stores no appearance") {
  line_state l("sip:bob@example.com");
  CHECK(l.idle());
  CHECK(l.state_of(1) == idle);
  CHECK(l.find(1) == nullptr);
  CHECK(l.first_idle(3) == 1);
}

TEST_CASE("set_state applies, keeps index order and idles by erasing") {
  line_state l("sip:bob@example.com");
  CHECK(l.set_state(3, active, broadworks_transitions, dialog7).result == transition::applied);
  CHECK(l.set_state(1, seized, broadworks_transitions, seize1).result == transition::applied);
  REQUIRE(l.busy().size() == 2);
  CHECK(l.busy()[0].index == 1);
  CHECK(l.busy()[1].index == 3);
  CHECK(l.first_idle(3) == 2);
  auto const c = l.set_state(3, idle, broadworks_transitions, dialog7);
  CHECK(c.result == transition::applied);
  CHECK(c.from == active);
  CHECK(l.busy().size() == 1);
}

TEST_CASE("a refused transition changes nothing, not even the driver or the remote") {
  line_state l("sip:bob@example.com");
  l.set_state(1, seized, opensips_transitions, seize1);
  auto const c = l.set_state(1, alerting, opensips_transitions, dialog7, "<sip:x@y>", true);
  CHECK(c.result == transition::refused);
  CHECK(c.from == seized);
  REQUIRE(l.find(1) != nullptr);
  CHECK(l.find(1)->state == seized);
  CHECK(l.find(1)->driver == seize1);
  CHECK(l.find(1)->remote.empty());
}

TEST_CASE("the same state is unchanged and still takes the remote party") {
  line_state l("sip:bob@example.com");
  l.set_state(1, active, opensips_transitions, dialog7);
  auto const c = l.set_state(1, active, opensips_transitions, dialog7, "<sip:carol@example.com>", true);
  CHECK(c.result == transition::unchanged);
  CHECK(l.find(1)->remote == "<sip:carol@example.com>");
}

TEST_CASE("release_if_driven_by: a seize released after the call moved on leaves the call alone") {
  line_state l("sip:bob@example.com");
  l.set_state(1, seized, opensips_transitions, seize1);
  l.set_state(1, progressing, opensips_transitions, dialog7);
  CHECK_FALSE(l.release_if_driven_by(1, seize1));
  CHECK(l.state_of(1) == progressing);
  CHECK(l.release_if_driven_by(1, dialog7));
  CHECK(l.idle());
}

TEST_CASE("first_idle is 0 when every appearance is busy") {
  line_state l("sip:bob@example.com");
  for (std::uint32_t i = 1; i <= 3; ++i) l.set_state(i, active, broadworks_transitions, {driver_kind::dialog, i});
  CHECK(l.first_idle(3) == 0);
  CHECK(l.first_idle(4) == 4);
  CHECK(l.release_all() == 3);
  CHECK(l.idle());
}
