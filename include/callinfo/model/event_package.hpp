// callinfo — the event packages the presence server serves (RFC 6665 §7.2:
// call-info and line-seize of BroadWorks SCA, dialog;shared of RFC 7463).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

// The event packages the presence server serves. dialog_shared is the
// dialog package with the `shared` param (RFC 7463 §5.1, RFC 4235): a
// watcher of the same line that reads dialog-info+xml bodies.
enum class event_package : std::uint8_t { call_info, line_seize, dialog_shared };

// The Event header value (package and, for dialog_shared, its param).
constexpr std::string_view to_string(event_package e) noexcept {
  constexpr std::string_view names[] = {"call-info", "line-seize", "dialog;shared"};
  return static_cast<std::size_t>(e) < 3 ? names[static_cast<std::size_t>(e)] : std::string_view{};
}

}  // namespace callinfo::v1
