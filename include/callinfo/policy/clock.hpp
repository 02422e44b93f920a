// callinfo — Clock policies: where the presence server's "now" comes from.
//
// The server reads time only through its Clock (to compute expiry
// deadlines and the seconds left in a NOTIFY); tests and the scenario
// runner use manual_clock and never wait.
#pragma once

#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>

#include <chrono>
#include <concepts>

namespace callinfo::inline v1 {

/// The Clock policy: now() on the time line of time_point, in milliseconds.
template <class C>
concept clock_policy = requires(C const& c) {
  { c.now() } -> std::same_as<time_point>;
};

/// Time moves only when told to.
class manual_clock {
 public:
  /// The time it was set to.
  time_point now() const noexcept { return now_; }
  /// Moves time forward by `by`.
  void advance(time_point by) noexcept { now_ += by; }
  /// Sets the time to `t`.
  void set(time_point t) noexcept { now_ = t; }

 private:
  time_point now_{0};
};

/// std::chrono::steady_clock, for stacks that do not keep their own time.
struct steady_clock {
  /// Milliseconds since the steady clock's epoch.
  time_point now() const noexcept {
    return std::chrono::duration_cast<time_point>(std::chrono::steady_clock::now().time_since_epoch());
  }
};

/// std::chrono::system_clock (milliseconds since the Unix epoch): one time
/// line for servers on several hosts that share deadlines (redis::storage),
/// as long as NTP keeps the hosts together.
struct system_clock {
  /// Milliseconds since the Unix epoch.
  time_point now() const noexcept {
    return std::chrono::duration_cast<time_point>(std::chrono::system_clock::now().time_since_epoch());
  }
};

}  // namespace callinfo::v1
