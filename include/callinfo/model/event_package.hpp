// callinfo — the event packages the presence server serves (RFC 6665 §7.2:
// call-info and line-seize of BroadWorks SCA, dialog;shared of RFC 7463).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

/// The event packages the presence server serves. dialog_shared is the
/// dialog package with the `shared` param (RFC 7463 §5.1, RFC 4235): a
/// watcher of the same line that reads dialog-info+xml bodies.
enum class event_package : std::uint8_t { call_info, line_seize, dialog_shared };

/// The Event header value (package and, for dialog_shared, its param).
constexpr std::string_view to_string(event_package e) noexcept {
  constexpr std::string_view names[] = {"call-info", "line-seize", "dialog;shared"};
  return static_cast<std::size_t>(e) < 3 ? names[static_cast<std::size_t>(e)] : std::string_view{};
}

/// A set of packages (Allow-Events, RFC 6665 §8.2.2): one bit per package.
using event_package_set = std::uint8_t;
/// The bit of `e` in an event_package_set.
constexpr event_package_set package_bit(event_package e) noexcept {
  return static_cast<event_package_set>(1u << static_cast<unsigned>(e));
}
/// The event type an Allow-Events header lists for a package (no params:
/// dialog;shared is served under the `dialog` type).
constexpr std::string_view allow_events_name(event_package e) noexcept {
  return e == event_package::dialog_shared ? std::string_view("dialog") : to_string(e);
}

}  // namespace callinfo::v1
