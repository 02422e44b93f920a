// callinfo — delta-seconds conversion and decimal printing, free of X3.
//
// Shared by the Expires parser, the Subscription-State params and the
// builders; kept apart so the scanner can use it without a cycle.
#pragma once

#include <callinfo/error.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

// 1*DIGIT to a number: ok, bad_delta_seconds or delta_seconds_out_of_range.
constexpr errc to_delta_seconds(std::string_view v, std::uint32_t& out) noexcept {
  if (v.empty()) return errc::bad_delta_seconds;
  std::uint64_t n = 0;
  bool overflow = false;
  for (char c : v) {
    if (c < '0' || c > '9') return errc::bad_delta_seconds;
    if (!overflow) {
      n = n * 10 + static_cast<unsigned>(c - '0');
      overflow = n > 0xffffffffu;
    }
  }
  if (overflow) return errc::delta_seconds_out_of_range;
  out = static_cast<std::uint32_t>(n);
  return errc::ok;
}

// Writes the decimal form of `n`.
template <sink Sink>
void print_uint(std::uint32_t n, Sink& out) {
  char buf[10];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.append(std::string_view(p, static_cast<std::size_t>(buf + sizeof buf - p)));
}

}  // namespace callinfo::v1
