// callinfo — headers one by one: the per-header form of the NOTIFY and
// response writers.
//
//   message-header = field-name ":" [ field-value ] CRLF   RFC 3261 §7.3, §25.1
//
// A SIP stack that sets headers through its own API (Sofia-SIP tags, PJSIP
// generic string headers, libre) takes a NOTIFY's or a response's headers
// as (name, value) pairs instead of a CRLF block it would cut apart:
//
//   for_each_notify_header(n, f)     write/notify.hpp
//   for_each_response_header(r, f)   write/response.hpp
//
// call f(std::string_view name, std::string_view value) once per header, in
// the order the block writers (write_notify_headers(), write_response())
// write them. Both forms run the same sequence with the same checks and the
// same value writers, so a value never holds CR, LF, NUL or another control
// byte, and a name is the header's full name without the colon.
//
// - Everything is checked and every value written before f is first
//   called: a refusal (any build_errc but overflow) or a buffer too small
//   for the values (overflow) is returned with f never called.
// - Values are written into a buffer: the caller's (`std::span<char>`), or
//   one of header_values_capacity bytes on the stack for the overloads
//   without one. A view given to f stays valid until for_each_*_header()
//   returns (for the caller's buffer: until the caller reuses it); copy
//   what is kept longer. Names are string literals (static storage).
// - No Content-Length: the stack writes it with the message's body, as it
//   does for any request or response it sends. The block writers alone add
//   `Content-Length: 0` to a NOTIFY without a body.
// - Nothing is allocated.
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/sink.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string_view>

namespace callinfo::inline v1 {

/// Where the per-header writers hand out headers: anything callable as
/// f(std::string_view name, std::string_view value) (a return value is
/// ignored).
template <class F>
concept header_sink = requires(F& f, std::string_view name, std::string_view value) { f(name, value); };

/// The values buffer of the for_each_*_header() overloads that take none:
/// room for the headers of a NOTIFY for a line of 8 busy appearances with
/// remote parties in either Call-Info format. Larger lines need the
/// caller's buffer (or report overflow).
inline constexpr std::size_t header_values_capacity = 2048;

namespace detail {

// The block writers' side of a header sequence: each header as the line
// `Name: value\r\n`, written straight into the writer. A line's CRLF goes
// out with the next header's name (one copy instead of two); end() writes
// the last one.
template <class Writer>
class header_lines {
 public:
  explicit header_lines(Writer& w) noexcept : w_(&w) {}

  template <std::size_t N, class Value>
  void operator()(char const (&name)[N], Value const& value) {
    char* p = w_->reserve(N + 3);
    if (open_) p = put_literal(p, "\r\n");
    p = put_literal(p, name);
    p = put_literal(p, ": ");
    w_->commit(p);
    value(*w_);
    open_ = true;
  }
  void end() {
    if (open_) w_->put("\r\n");
    open_ = false;
  }

 private:
  Writer* w_;
  bool open_ = false;
};

// The per-header side: each value written into `buffer` after the one
// before, with its name; hand_out() then gives them to f, once all are
// written. At most MaxHeaders headers (the sequence's own bound).
template <std::size_t MaxHeaders>
class header_values {
 public:
  explicit header_values(std::span<char> buffer) noexcept : values_(buffer.data(), buffer.size()) {}
  header_values(header_values const&) = delete;
  header_values& operator=(header_values const&) = delete;

  template <std::size_t N, class Value>
  void operator()(char const (&name)[N], Value const& value) {
    std::size_t const start = values_.size();
    staging_writer<fixed_sink> w(values_);
    value(w);
    w.flush();
    if (count_ == MaxHeaders) {  // a sequence longer than its bound: never handed out
      too_many_ = true;
      return;
    }
    entries_[count_++] = entry{std::string_view(name, N - 1), start, values_.size() - start};
  }

  // overflow when the buffer was too small, and then f is never called.
  template <class F>
  build_result hand_out(F& f) const {
    if (values_.overflowed() || too_many_) return build_errc::overflow;
    std::string_view const all = values_.view();
    for (std::size_t i = 0; i < count_; ++i) f(entries_[i].name, all.substr(entries_[i].start, entries_[i].size));
    return build_errc::ok;
  }

 private:
  struct entry {
    std::string_view name;
    std::size_t start = 0;
    std::size_t size = 0;
  };
  fixed_sink values_;
  std::array<entry, MaxHeaders> entries_{};
  std::size_t count_ = 0;
  bool too_many_ = false;
};

template <class F>
constexpr void check_header_sink() noexcept {
  static_assert(header_sink<F>,
                "header_sink requirements not met: f(std::string_view name, std::string_view value) must compile");
}

}  // namespace detail

}  // namespace callinfo::v1
