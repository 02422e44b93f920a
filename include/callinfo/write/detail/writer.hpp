// callinfo — builders' internals: the staging writer and the input checks.
//
// staging_writer collects small pieces in a stack buffer and hands them to
// the sink in large chunks, so a Call-Info of eight appearances is one or
// two sink appends instead of forty.
//
// The checks read the shared character tables (syntax/detail/chars.hpp):
//   absoluteURI   = scheme ":" 1*( uric / escaped )   RFC 2396 §3, "[" "]" of RFC 2732
//   scheme        = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
//   escaped       = "%" HEX HEX
//   quoted-string = DQUOTE *(qdtext / quoted-pair ) DQUOTE      RFC 3261 §25.1
//   Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB)
// and a remote party by remote_is_writable() (model/remote_party.hpp), so
// nothing from input can carry CR, LF, NUL or another control byte into a
// header, end a <...> early or leave a quote open.
#pragma once

#include <callinfo/model/appearance_state.hpp>
#include <callinfo/model/remote_party.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/detail/chars.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace callinfo::inline v1::detail {

inline constexpr std::size_t max_uint_digits = 10;

// Writes the decimal form of `n` at p (room for max_uint_digits); returns
// the end.
inline char* put_digits(char* p, std::uint32_t n) noexcept {
  if (n < 10) {
    *p = static_cast<char>('0' + n);
    return p + 1;
  }
  char tmp[max_uint_digits];
  char* t = tmp + max_uint_digits;
  do {
    *--t = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  std::size_t const len = static_cast<std::size_t>(tmp + max_uint_digits - t);
  std::memcpy(p, t, len);
  return p + len;
}

// Copies a string literal (without its NUL) to p; returns the end.
template <std::size_t N>
inline char* put_literal(char* p, char const (&lit)[N]) noexcept {
  std::memcpy(p, lit, N - 1);
  return p + (N - 1);
}

template <sink Sink>
class staging_writer {
 public:
  static constexpr std::size_t capacity = 512;

  explicit staging_writer(Sink& out) noexcept : out_(&out) {}
  staging_writer(staging_writer const&) = delete;
  staging_writer& operator=(staging_writer const&) = delete;

  // A string literal: its length is a constant, so the copy is inlined.
  template <std::size_t N>
  void put(char const (&lit)[N]) {
    static_assert(N > 1);
    if (N - 1 > capacity - size_) flush();
    std::memcpy(buf_ + size_, lit, N - 1);
    size_ += N - 1;
  }
  void append(std::string_view v) {
    if (v.size() > capacity - size_) {
      flush();
      if (v.size() > capacity) {
        out_->append(v);
        return;
      }
    }
    if (!v.empty()) std::memcpy(buf_ + size_, v.data(), v.size());
    size_ += v.size();
  }
  void push(char c) {
    if (size_ == capacity) flush();
    buf_[size_++] = c;
  }
  void put_uint(std::uint32_t n) {
    char* const p = reserve(max_uint_digits);
    commit(put_digits(p, n));
  }
  // Room for `n` bytes (n <= capacity) at the returned position; commit()
  // then says where the written text ends.
  char* reserve(std::size_t n) {
    if (n > capacity - size_) flush();
    return buf_ + size_;
  }
  void commit(char* end) noexcept { size_ = static_cast<std::size_t>(end - buf_); }
  void flush() {
    if (size_ != 0) out_->append(std::string_view(buf_, size_));
    size_ = 0;
  }

 private:
  Sink* out_;
  std::size_t size_ = 0;
  char buf_[capacity];
};

// absoluteURI as parse_call_info() accepts it between '<' and '>'.
constexpr bool is_absolute_uri(std::string_view u) noexcept {
  std::size_t i = 0;
  if (u.empty() || !is(u[0], cc_alpha)) return false;
  for (++i; i < u.size() && is(u[i], cc_scheme); ++i) {
  }
  if (i == u.size() || u[i] != ':') return false;
  if (++i == u.size()) return false;  // 1*( uric / escaped )
  for (; i < u.size(); ++i) {
    if (u[i] == '%') {
      if (u.size() - i < 3 || !is(u[i + 1], cc_hex) || !is(u[i + 2], cc_hex)) return false;
      i += 2;
    } else if (!is(u[i], cc_uric)) {
      return false;
    }
  }
  return true;
}

// A remote that is already a name-addr ([display-name] <addr-spec>) is
// written as it is; a bare URI is wrapped in <...>.
constexpr bool is_name_addr(std::string_view r) noexcept { return r.find('<') != std::string_view::npos; }

// Reason-Phrase: anything but a CTL (HTAB is allowed).
constexpr bool is_safe_phrase(std::string_view v) noexcept {
  for (char c : v)
    if (!is(c, cc_header_safe)) return false;
  return true;
}

constexpr bool is_token_value(std::string_view v) noexcept {
  if (v.empty()) return false;
  for (char c : v)
    if (!is(c, cc_token)) return false;
  return true;
}

constexpr bool is_known_value(appearance_state s) noexcept {
  return static_cast<std::size_t>(s) < appearance_state_count;
}

// Any '"' or '\' among the eight bytes of `x`.
constexpr std::uint64_t any_quote_or_backslash(std::uint64_t x) noexcept {
  using namespace byte_swar;
  return any_byte_below(x ^ (ones * '"'), 1) | any_byte_below(x ^ (ones * '\\'), 1);
}

// Writes `content` as the inside of a quoted-string: '"' and '\' become
// quoted-pairs. `content` has passed remote_is_writable().
template <class Writer>
void put_escaped(Writer& w, std::string_view content) {
  std::size_t constexpr piece = Writer::capacity / 2;
  while (!content.empty()) {
    std::size_t const n = content.size() < piece ? content.size() : piece;
    char const* s = content.data();
    char const* const end = s + n;
    char* p = w.reserve(2 * n);
    for (; end - s >= 8; s += 8) {
      std::uint64_t const x = byte_swar::load(s);
      if (any_quote_or_backslash(x) == 0) {
        std::memcpy(p, &x, sizeof x);
        p += 8;
        continue;
      }
      for (int i = 0; i < 8; ++i) {
        if (s[i] == '"' || s[i] == '\\') *p++ = '\\';
        *p++ = s[i];
      }
    }
    for (; s != end; ++s) {
      if (*s == '"' || *s == '\\') *p++ = '\\';
      *p++ = *s;
    }
    w.commit(p);
    content.remove_prefix(n);
  }
}

}  // namespace callinfo::v1::detail
