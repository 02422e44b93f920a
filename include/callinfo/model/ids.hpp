// callinfo — identifiers shared by the line and presence layers.
//
// The library names its subscriptions and publications with numbers it
// hands out (through the Ids policy); the SIP stack keeps the mapping to its
// own dialogs. Dialogs that drive appearances are named by the stack with a
// number of its choosing (a dialog table index, a hash of Call-ID and tags).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace callinfo {

using subscription_id = std::uint64_t;  // 0: none
using publication_id = std::uint64_t;   // 0: none
using dialog_id = std::uint64_t;        // 0: none

// Milliseconds on the Clock policy's own time line (no epoch implied).
using time_point = std::chrono::milliseconds;

// The event packages the presence server serves. dialog_shared is the
// dialog package with the `shared` param (RFC 7463 §5.1, RFC 4235): a
// watcher of the same line that reads dialog-info+xml bodies.
enum class event_package : std::uint8_t { call_info, line_seize, dialog_shared };

// The Event header value (package and, for dialog_shared, its param).
constexpr std::string_view to_string(event_package e) noexcept {
  constexpr std::string_view names[] = {"call-info", "line-seize", "dialog;shared"};
  return static_cast<std::size_t>(e) < 3 ? names[static_cast<std::size_t>(e)] : std::string_view{};
}

}  // namespace callinfo
