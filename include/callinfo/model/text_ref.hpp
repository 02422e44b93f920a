// callinfo — text_ref: a std::string_view that cannot be made from a
// temporary std::string.
//
// The presence server's requests borrow their strings from the caller's
// buffers for the length of one call. A plain string_view field accepts
// `r.line = std::string(...)` (or `= uri.substr(4)` on a std::string) and
// dangles before the server reads it; text_ref refuses those at compile
// time (tests/compile_fail/) and is a string_view everywhere else.
#pragma once

#include <string>
#include <string_view>

namespace callinfo::inline v1 {

/// A string_view that does not bind to a temporary std::string: the type of request strings, so a
/// view into a dead string does not compile.
class text_ref : public std::string_view {
 public:
  constexpr text_ref() noexcept = default;
  /// Any view: the caller keeps its text alive for the call.
  constexpr text_ref(std::string_view v) noexcept : std::string_view(v) {}
  /// A NUL-terminated string (a literal).
  constexpr text_ref(char const* s) noexcept : std::string_view(s) {}
  /// `n` bytes at `s`.
  constexpr text_ref(char const* s, size_type n) noexcept : std::string_view(s, n) {}
  /// A std::string that outlives the call (an lvalue).
  text_ref(std::string const& s) noexcept : std::string_view(s) {}
  /// A temporary std::string would be destroyed before the server reads it.
  text_ref(std::string&&) = delete;
};

}  // namespace callinfo::v1
