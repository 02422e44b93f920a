// callinfo — appearance_state: the states of a shared line appearance.
//
// The SCA values of the Call-Info `appearance-state` param (BroadWorks SCA,
// as sent by OpenSIPS presence_callinfo and Kamailio sca). Parsing a header
// never rejects an unknown state token; to_appearance_state() says whether
// a token is one of these.
#pragma once

#include <callinfo/model/token.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace callinfo::inline v1 {

/// The state of one appearance of a shared line (the `appearance-state` values).
enum class appearance_state : std::uint8_t { idle, seized, progressing, alerting, active, held, held_private };

/// How many states there are: the size of a transition table's rows and columns.
inline constexpr std::size_t appearance_state_count = 7;

/// Every state, in declaration order, for loops and exhaustive tests.
inline constexpr std::array<appearance_state, appearance_state_count> all_appearance_states = {
    appearance_state::idle,   appearance_state::seized, appearance_state::progressing,
    appearance_state::alerting, appearance_state::active, appearance_state::held,
    appearance_state::held_private};

/// The token as written on the wire ("held-private", not "held_private").
constexpr std::string_view to_string(appearance_state s) noexcept {
  constexpr std::string_view names[] = {"idle", "seized", "progressing", "alerting", "active", "held", "held-private"};
  return names[static_cast<std::size_t>(s)];
}

/// Case-insensitive, like every SIP token value.
constexpr std::optional<appearance_state> to_appearance_state(std::string_view token) noexcept {
  for (appearance_state s : all_appearance_states)
    if (detail::iequals(token, to_string(s))) return s;
  return std::nullopt;
}

}  // namespace callinfo::v1
