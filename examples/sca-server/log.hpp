// sca-server — logging: one line per event on stderr, and the counters of
// the line logged at shutdown.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sca {

// Control bytes (CR, LF of a folded header, ...) never break a log line.
std::string one_line(std::string_view s);

// One write(2) per line (stderr is unbuffered): lines of concurrent writers
// do not interleave, and a busy server makes one system call per event.
void log_line(std::string const& s);

// The per-message lines (each request, response, NOTIFY, timer); --quiet
// leaves only state changes, calls, errors, start and stop.
extern bool trace_messages;
inline void trace_line(std::string const& s) {
  if (trace_messages) log_line(s);
}

// What the server did, for the line it logs at shutdown: a load run compares
// the NOTIFYs its watchers received with notify_sent.
struct counters {
  std::uint64_t requests = 0;              // requests handed over by nta (not its absorbed retransmissions)
  std::array<std::uint64_t, 7> sent{};     // responses this server sent, by class (index 1..6)
  std::array<std::uint64_t, 7> relayed{};  // responses relayed for the proxied requests
  std::uint64_t notify_sent = 0;           // NOTIFY transactions started
  std::uint64_t notify_2xx = 0;            // ... answered with a 2xx
  std::uint64_t notify_failed = 0;         // ... answered >= 300, timed out or not deliverable
  std::uint64_t notify_not_sent = 0;       // NOTIFYs of the server with no dialog to go in (restored subscriptions)

  static void count(std::array<std::uint64_t, 7>& by_class, int code) {
    if (code >= 100 && code <= 699) ++by_class[static_cast<std::size_t>(code / 100)];
  }
  std::string text() const {
    auto classes = [](std::array<std::uint64_t, 7> const& c) {
      std::string out;
      for (std::size_t k = 1; k <= 6; ++k) out += " " + std::to_string(k) + "xx=" + std::to_string(c[k]);
      return out;
    };
    return "counters: requests " + std::to_string(requests) + " responses" + classes(sent) + " relayed" +
           classes(relayed) + " notify-sent " + std::to_string(notify_sent) + " notify-2xx " +
           std::to_string(notify_2xx) + " notify-failed " + std::to_string(notify_failed) + " notify-not-sent " +
           std::to_string(notify_not_sent);
  }
};

}  // namespace sca
