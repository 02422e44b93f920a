// callinfo — fuzz harness of the Call-Info builders (write/call_info.hpp):
// run_build_round_trip, plus the byte reader the server harness shares. The
// Call-Info read-back check is the one the server invariants use
// (tests/support/read_back.hpp).
//
// Builds on harness.hpp; included by fuzz_target.cpp and replay.cpp.
//
// The input is read as:
//   byte 0-1  the fixed_sink's capacity (little-endian, modulo 4097)
//   byte 2    bits 0-1: notify_format (2 and 3: values out of range)
//             bits 2-3: the line URI (well-formed, IPv6, raw bytes, "sip:" + raw bytes)
//             bits 4-5: the entry URI (empty, well-formed, raw bytes, "sip:" + raw bytes)
//   byte 3    how many busy appearances (modulo 11)
//   each appearance: an index (one byte, or four when the first is 255),
//             a state (modulo 9: the seven states, two values out of range),
//             a remote (preset with quotes, backslashes, '<' '>', or raw bytes)
//   then      the line-seize index (four bytes)
// A raw text is a length byte, then that many bytes of the input.
//
// Checks, trapping on any violation:
//   - a refusal names the first fault of the input (bad_value for a format
//     or state out of range, bad_uri for a URI that is not an absoluteURI,
//     bad_remote for a remote with a CTL or %xFE-FF in entry_per_appearance)
//     and nothing was written to the buffer;
//   - an overflow writes nothing past the capacity, keeps a prefix of the
//     full text, and happens exactly when the full text does not fit;
//   - a success writes the full text, with no CTL (CR, LF, NUL, HTAB, ...),
//     and parse_call_info() reads back exactly the appearances written
//     (index, state, unescaped remote), then the idle wildcard.
#pragma once

#include "../tests/support/read_back.hpp"
#include "harness.hpp"

#include <callinfo/callinfo.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::fuzz {

// Reads an input front to back; reads past its end give zeros.
class byte_reader {
 public:
  explicit byte_reader(std::string_view in) noexcept : in_(in) {}
  bool done() const noexcept { return pos_ >= in_.size(); }
  std::uint8_t byte() noexcept { return pos_ < in_.size() ? static_cast<std::uint8_t>(in_[pos_++]) : 0; }
  std::uint32_t below(std::uint32_t n) noexcept { return byte() % n; }
  std::uint32_t u32() noexcept {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | byte();
    return v;
  }
  // Up to `n` bytes of the input.
  std::string_view bytes(std::size_t n) noexcept {
    std::size_t const left = pos_ < in_.size() ? in_.size() - pos_ : 0;
    if (n > left) n = left;
    std::string_view const v = in_.substr(pos_ < in_.size() ? pos_ : in_.size(), n);
    pos_ += n;
    return v;
  }
  // A length byte (modulo `max` + 1), then that many bytes.
  std::string_view text(std::size_t max) noexcept { return bytes(byte() % (max + 1)); }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

using test::is_ctl_byte;

// absoluteURI as the builders accept it (RFC 2396 §3 with RFC 2732's
// brackets): scheme ":" 1*( reserved / unreserved / escaped ).
inline bool expect_absolute_uri(std::string_view u) noexcept {
  auto const alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto const digit = [](char c) { return c >= '0' && c <= '9'; };
  auto const hex = [&](char c) { return digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
  if (u.empty() || !alpha(u[0])) return false;
  std::size_t i = 1;
  while (i < u.size() && (alpha(u[i]) || digit(u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.')) ++i;
  if (i == u.size() || u[i] != ':' || i + 1 == u.size()) return false;
  for (++i; i < u.size(); ++i) {
    char const c = u[i];
    if (c == '%') {
      if (u.size() - i < 3 || !hex(u[i + 1]) || !hex(u[i + 2])) return false;
      i += 2;
    } else if (!alpha(c) && !digit(c) && std::string_view(";/?:@&=+$,-_.!~*'()[]").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// What a quoted-string can carry as the appearance-uri: no CTL, no %xFE-FF.
inline bool expect_safe_remote(std::string_view r) noexcept {
  for (char c : r) {
    auto const u = static_cast<unsigned char>(c);
    if (is_ctl_byte(c) || u == 0xfe || u == 0xff) return false;
  }
  return true;
}

namespace build_fuzz {

inline constexpr std::size_t buffer_size = 4096;
inline constexpr char guard = static_cast<char>(0xa5);

inline std::string_view pick_uri(byte_reader& in, std::uint32_t how, std::string& storage) {
  switch (how) {
    case 0: return "sip:bob@example.com";
    case 1: return "sips:line@[2001:db8::1]:5061;transport=tls?x=%41";
    case 2: storage.assign(in.text(48)); return storage;
    default:
      storage = "sip:";
      storage += in.text(48);
      return storage;
  }
}

inline std::string pick_remote(byte_reader& in) {
  static constexpr std::string_view presets[] = {
      "",
      "sip:carol@example.com",
      "<sip:carol@example.com>",
      "\"Carol \\\"C\\\"\" <sip:carol@example.com>",
      "\"back\\\\slash\" <sip:b@example.com>",
      "\\",
      "\"",
      ">",
      "<",
      "\"J\xc3\xbcrgen\" <sip:j@example.de>",
  };
  std::uint8_t const b = in.byte();
  if (b < 160) return std::string(presets[b % std::size(presets)]);
  return std::string(in.text(64));
}

// One writer run into a fixed buffer of `capacity` bytes (inside a bigger
// one filled with a guard byte); `expect` is the refusal the input calls
// for (ok when none). `full` is the writer run into a string_sink.
template <class Write>
std::string check_writer(Write const& write, std::size_t capacity, build_errc expect) {
  std::string full;
  string_sink all(full);
  build_result const whole = write(all);
  require(whole.code == expect);
  if (expect != build_errc::ok) require(full.empty());

  auto const buf = std::make_unique<char[]>(buffer_size);
  std::memset(buf.get(), guard, buffer_size);
  fixed_sink out(buf.get(), capacity);
  build_result const r = write(out);
  for (std::size_t i = expect == build_errc::ok ? capacity : 0; i < buffer_size; ++i) require(buf[i] == guard);
  if (expect != build_errc::ok) {
    require(r.code == expect && out.size() == 0 && !out.overflowed());
    return {};
  }
  if (full.size() > capacity) {
    require(r.code == build_errc::overflow && out.overflowed());
    require(out.size() <= capacity && full.compare(0, out.size(), out.view()) == 0);
    return {};
  }
  require(r.ok() && !out.overflowed() && out.view() == full);
  return full;
}

}  // namespace build_fuzz

inline void run_build_round_trip(std::string_view data) {
  using namespace build_fuzz;
  byte_reader in(data);
  std::size_t const capacity = (in.byte() | std::size_t{in.byte()} << 8) % (buffer_size + 1);
  std::uint8_t const flags = in.byte();
  auto const format = static_cast<notify_format>(flags & 3u);
  std::string uri_storage, entry_storage;
  std::string_view const line_uri = pick_uri(in, (flags >> 2) & 3u, uri_storage);
  std::uint32_t const entry_how = (flags >> 4) & 3u;
  std::string_view const entry_uri = entry_how == 0 ? std::string_view{} : pick_uri(in, entry_how, entry_storage);

  std::vector<appearance> busy(in.below(11));
  for (appearance& a : busy) {
    std::uint8_t const i = in.byte();
    a.index = i == 255 ? in.u32() : i;
    std::uint8_t const s = static_cast<std::uint8_t>(in.below(9));
    a.state = static_cast<appearance_state>(s < appearance_state_count ? s : 7 + (s - 7) * 100);
    a.remote = pick_remote(in);
  }
  std::uint32_t const seize_index = in.u32();
  line_view const line{line_uri, busy};
  std::string_view const uri = entry_uri.empty() ? line_uri : entry_uri;

  for (notify_format f : {format, static_cast<notify_format>(1u - (flags & 1u))}) {
    bool const known = f == notify_format::single_entry || f == notify_format::entry_per_appearance;
    build_errc expect = build_errc::ok;
    if (!known) expect = build_errc::bad_value;
    else if (!expect_absolute_uri(uri)) expect = build_errc::bad_uri;
    else
      for (appearance const& a : busy) {
        if (static_cast<std::uint8_t>(a.state) >= appearance_state_count) {
          expect = build_errc::bad_value;
          break;
        }
        if (f == notify_format::entry_per_appearance && !expect_safe_remote(a.remote)) {
          expect = build_errc::bad_remote;
          break;
        }
      }
    std::string const text = check_writer(
        [&](auto& out) { return write_call_info(line, f, entry_uri, out); }, capacity, expect);
    if (!text.empty()) test::check_call_info_read_back(text, busy, f, uri, trap{});
  }

  build_errc const seize_expect = expect_absolute_uri(uri) ? build_errc::ok : build_errc::bad_uri;
  std::string const seize = check_writer(
      [&](auto& out) { return write_line_seize_call_info(uri, seize_index, out); }, capacity, seize_expect);
  if (!seize.empty()) test::check_line_seize_read_back(seize, uri, seize_index, trap{});
}

}  // namespace callinfo::fuzz
