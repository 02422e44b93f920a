// callinfo — result<T>: a value or a parse_error, without exceptions.
//
// C++20 has no std::expected; this is the small subset the library needs:
// has_value/operator bool, value(), error(), operator* and ->. Accessing the
// wrong alternative is a precondition violation (asserted), never a throw.
#pragma once

#include <callinfo/error.hpp>

#include <cassert>
#include <type_traits>
#include <utility>

namespace callinfo::inline v1 {

/// What a parser returns: the parsed value (a view) or the parse_error, without exceptions or allocation.
template <class T>
class result {
  static_assert(std::is_trivially_destructible_v<T> || std::is_nothrow_destructible_v<T>);

 public:
  using value_type = T;  ///< the parsed type

  /// A success holding `value`.
  constexpr result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
      : value_(std::move(value)), ok_(true) {}
  /// A failure holding `error`.
  constexpr result(parse_error error) noexcept : error_(error), ok_(false) {}
  /// Turns this result into an error in place: a parser that builds its value
  /// inside the result it returns need not copy a large value to fail.
  constexpr result& operator=(parse_error error) noexcept {
    error_ = error;
    ok_ = false;
    return *this;
  }

  /// Whether the parse succeeded.
  [[nodiscard]] constexpr bool has_value() const noexcept { return ok_; }
  /// Whether the parse succeeded.
  constexpr explicit operator bool() const noexcept { return ok_; }

  /// The value; only on success (asserted).
  constexpr T const& value() const& noexcept {
    assert(ok_);
    return value_;
  }
  /// The value; only on success (asserted).
  constexpr T& value() & noexcept {
    assert(ok_);
    return value_;
  }
  /// The value; only on success (asserted).
  constexpr T const& operator*() const& noexcept { return value(); }
  /// The value's members; only on success (asserted).
  constexpr T const* operator->() const noexcept { return &value(); }

  /// The error; only on failure (asserted).
  constexpr parse_error const& error() const noexcept {
    assert(!ok_);
    return error_;
  }

 private:
  // Views are trivially copyable, so a plain pair of members keeps result<T>
  // trivially copyable too and costs one bool.
  T value_{};
  parse_error error_{};
  bool ok_;
};

}  // namespace callinfo::v1
