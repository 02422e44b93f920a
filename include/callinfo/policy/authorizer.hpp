// callinfo — Authorizer policies: who may watch, seize or publish a line.
//
// Neither OpenSIPS presence_callinfo nor Kamailio sca authorize anything
// themselves (they leave it to the routing script); a library user plugs
// in the rule of their deployment here. Refusals are answered 403.
#pragma once

#include <callinfo/model/ids.hpp>

#include <concepts>
#include <string_view>

namespace callinfo {

template <class A>
concept authorizer_policy = requires(A const& a, std::string_view s, event_package e) {
  { a.may_subscribe(s, s, e) } -> std::convertible_to<bool>;  // (line, watcher, package)
  { a.may_publish(s) } -> std::convertible_to<bool>;          // (line)
};

struct allow_all {
  constexpr bool may_subscribe(std::string_view, std::string_view, event_package) const noexcept { return true; }
  constexpr bool may_publish(std::string_view) const noexcept { return true; }
};

}  // namespace callinfo
