// callinfo — subscription states and termination reasons (RFC 6665 §4.1.3,
// §8.4): the vocabulary of Subscription-State, shared by the parser, the
// presence server's NOTIFY effects and the builders.
#pragma once

#include <callinfo/model/token.hpp>

#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

/// The substate of Subscription-State (RFC 6665 §4.1.3); extension: any other token.
enum class substate : std::uint8_t { active, pending, terminated, extension };

/// The reason param of a terminated Subscription-State (RFC 6665 §8.4); extension: any other token.
enum class event_reason : std::uint8_t {
  deactivated, probation, rejected, timeout, giveup, noresource, invariant, extension
};

/// The token as written on the wire.
constexpr std::string_view to_string(substate s) noexcept {
  constexpr std::string_view names[] = {"active", "pending", "terminated", "extension"};
  return names[static_cast<std::size_t>(s)];
}
/// The token as written on the wire.
constexpr std::string_view to_string(event_reason r) noexcept {
  constexpr std::string_view names[] = {"deactivated", "probation", "rejected",  "timeout",
                                        "giveup",      "noresource", "invariant", "extension"};
  return names[static_cast<std::size_t>(r)];
}
/// Case-insensitive (RFC 3261 §7.3.1: tokens compare case-insensitively).
constexpr substate to_substate(std::string_view token) noexcept {
  for (auto s : {substate::active, substate::pending, substate::terminated})
    if (detail::iequals(token, to_string(s))) return s;
  return substate::extension;
}
/// Case-insensitive; an unknown token is extension.
constexpr event_reason to_event_reason(std::string_view token) noexcept {
  for (std::uint8_t i = 0; i < static_cast<std::uint8_t>(event_reason::extension); ++i)
    if (detail::iequals(token, to_string(static_cast<event_reason>(i)))) return static_cast<event_reason>(i);
  return event_reason::extension;
}

}  // namespace callinfo::v1
