// callinfo — appearance_index: which appearance of a shared line.
//
// `appearance-index = 1*DIGIT / "*"`: a number (0 is "any free appearance"
// to Kamailio sca on line-seize), or the wildcard that OpenSIPS and Kamailio
// use to fold every idle appearance into one entry of a NOTIFY.
#pragma once

#include <compare>
#include <cstdint>

namespace callinfo::inline v1 {

/// An appearance-index value: a number, or the `*` wildcard.
class appearance_index {
 public:
  constexpr appearance_index() noexcept = default;
  /// Appearance `n`.
  constexpr explicit appearance_index(std::uint32_t n) noexcept : value_(n) {}
  /// The `*` wildcard (one NOTIFY entry for every idle appearance, as OpenSIPS and Kamailio write it).
  static constexpr appearance_index wildcard() noexcept {
    appearance_index i;
    i.wildcard_ = true;
    return i;
  }

  /// Whether this is `*` rather than a number.
  constexpr bool is_wildcard() const noexcept { return wildcard_; }
  /// The number; 0 for the wildcard.
  constexpr std::uint32_t value() const noexcept { return value_; }

  /// Same number, or both the wildcard.
  friend constexpr bool operator==(appearance_index, appearance_index) noexcept = default;
  /// Ordered by number, so appearances sort as a line lists them.
  friend constexpr auto operator<=>(appearance_index, appearance_index) noexcept = default;

 private:
  std::uint32_t value_ = 0;
  bool wildcard_ = false;
};

}  // namespace callinfo::v1
