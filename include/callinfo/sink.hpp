// callinfo — output sinks for printers and builders.
//
// A sink is anything with `append(std::string_view)`. fixed_sink writes into
// caller memory and, when a write would not fit, writes nothing more and
// reports overflow (never a partial header past the end of the buffer).
#pragma once

#include <concepts>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace callinfo::inline v1 {

/// Where builders and printers write text: anything with append(std::string_view). An overflowed()
/// member, when present, reports a text that did not fit.
template <class S>
concept sink = requires(S& s, std::string_view v) { s.append(v); };

/// Appends into a caller's buffer of fixed capacity; never allocates. An append that does not fit
/// sets overflowed() and writes nothing more.
class fixed_sink {
 public:
  /// Writes into `data`, at most `capacity` bytes.
  constexpr fixed_sink(char* data, std::size_t capacity) noexcept : data_(data), capacity_(capacity) {}

  /// Appends `v` whole, or nothing and marks the sink overflowed.
  void append(std::string_view v) noexcept {
    if (overflow_ || v.size() > capacity_ - size_) {
      overflow_ = true;
      return;
    }
    if (!v.empty()) std::memcpy(data_ + size_, v.data(), v.size());
    size_ += v.size();
  }
  /// Whether an append did not fit: the text is then incomplete and must not be sent.
  constexpr bool overflowed() const noexcept { return overflow_; }
  /// Bytes written.
  constexpr std::size_t size() const noexcept { return size_; }
  /// The text written so far.
  constexpr std::string_view view() const noexcept { return {data_, size_}; }
  /// Empties the buffer and clears the overflow mark.
  constexpr void clear() noexcept {
    size_ = 0;
    overflow_ = false;
  }

 private:
  char* data_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  bool overflow_ = false;
};

/// A fixed_sink with its own N-byte array (on the stack, say); not copyable, since the sink points into it.
template <std::size_t N>
class static_buffer : public fixed_sink {
 public:
  static_buffer() noexcept : fixed_sink(storage_, N) {}
  static_buffer(static_buffer const&) = delete;
  static_buffer& operator=(static_buffer const&) = delete;

 private:
  char storage_[N];
};

/// Appends to a std::string the caller owns (allocates as the string grows).
class string_sink {
 public:
  /// Appends to `s`, which must outlive the sink.
  explicit string_sink(std::string& s) noexcept : s_(&s) {}
  /// Appends `v` to the string.
  void append(std::string_view v) { s_->append(v); }
  /// Never: the string grows.
  constexpr bool overflowed() const noexcept { return false; }

 private:
  std::string* s_;
};

namespace detail {
// Appends `v` lower-cased, in chunks, without allocating.
template <sink Sink>
void append_lower(Sink& out, std::string_view v) {
  char buf[64];
  while (!v.empty()) {
    std::size_t const n = v.size() < sizeof buf ? v.size() : sizeof buf;
    for (std::size_t i = 0; i < n; ++i) buf[i] = (v[i] >= 'A' && v[i] <= 'Z') ? static_cast<char>(v[i] + 32) : v[i];
    out.append(std::string_view(buf, n));
    v.remove_prefix(n);
  }
}
// Appends a validated param value with the CRLF of any fold removed: the
// canonical form is one line (the WSP after the fold stays, so a folded
// quoted-string keeps its meaning, RFC 3261 §7.3.1).
template <sink Sink>
void append_unfolded(Sink& out, std::string_view v) {
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i] == '\r' && v[i + 1] == '\n') {
      out.append(v.substr(start, i - start));
      start = i + 2;
      ++i;
    }
  }
  out.append(v.substr(start));
}
// Equality of two validated values up to folding.
constexpr bool equal_unfolded(std::string_view a, std::string_view b) noexcept {
  std::size_t i = 0, j = 0;
  for (;;) {
    while (i < a.size() && (a[i] == '\r' || a[i] == '\n')) ++i;
    while (j < b.size() && (b[j] == '\r' || b[j] == '\n')) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a[i++] != b[j++]) return false;
  }
}
}  // namespace detail

}  // namespace callinfo::v1
