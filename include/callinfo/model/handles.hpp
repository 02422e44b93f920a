// callinfo — handles shared by the line and presence layers: subscription,
// publication, dialog and timer ids, and the Clock policy's time line.
//
// The library names its subscriptions and publications with numbers it
// hands out (through the Ids policy); the SIP stack keeps the mapping to its
// own dialogs. Dialogs that drive appearances are named by the stack with a
// number of its choosing (a dialog table index, a hash of Call-ID and tags).
#pragma once

#include <chrono>
#include <cstdint>

namespace callinfo::inline v1 {

using subscription_id = std::uint64_t;  ///< 0: none
using publication_id = std::uint64_t;   ///< 0: none
using dialog_id = std::uint64_t;        ///< 0: none

/// Milliseconds on the Clock policy's own time line (no epoch implied).
using time_point = std::chrono::milliseconds;

/// What a timer guards: a subscription's or a publication's expiry.
enum class timer_kind : std::uint8_t { subscription, publication };
/// A timer by what it guards and that thing's id: the value an arm_timer effect carries and
/// on_timer() takes back.
struct timer_id {
  timer_kind kind = timer_kind::subscription;                               ///< whose deadline the timer guards
  std::uint64_t id = 0;                                                     ///< the subscription_id or publication_id
  friend constexpr bool operator==(timer_id, timer_id) noexcept = default;  ///< Same kind and same id.
};

}  // namespace callinfo::v1
