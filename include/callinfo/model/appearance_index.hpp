// callinfo — appearance_index: which appearance of a shared line.
//
// `appearance-index = 1*DIGIT / "*"`: a number (0 is "any free appearance"
// to Kamailio sca on line-seize), or the wildcard that OpenSIPS and Kamailio
// use to fold every idle appearance into one entry of a NOTIFY.
#pragma once

#include <compare>
#include <cstdint>

namespace callinfo::inline v1 {

class appearance_index {
 public:
  constexpr appearance_index() noexcept = default;
  constexpr explicit appearance_index(std::uint32_t n) noexcept : value_(n) {}
  static constexpr appearance_index wildcard() noexcept {
    appearance_index i;
    i.wildcard_ = true;
    return i;
  }

  constexpr bool is_wildcard() const noexcept { return wildcard_; }
  /// The number; 0 for the wildcard.
  constexpr std::uint32_t value() const noexcept { return value_; }

  friend constexpr bool operator==(appearance_index, appearance_index) noexcept = default;
  friend constexpr auto operator<=>(appearance_index, appearance_index) noexcept = default;

 private:
  std::uint32_t value_ = 0;
  bool wildcard_ = false;
};

}  // namespace callinfo::v1
