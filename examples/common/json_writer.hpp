// callinfo examples — a small JSON writer shared by callinfo-inspect and
// callinfo-play (the examples keep to the standard library).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo_examples {

// Length of the well-formed UTF-8 sequence starting at s[i] (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  auto const byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char const c = byte(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (s.size() - i < n || byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  return n;
}

// Writes JSON into a std::string, inserting the commas itself.
class json_writer {
 public:
  explicit json_writer(std::string& out) : out_(out) {}

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }

  json_writer& key(std::string_view k) {
    separate();
    quote(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  json_writer& string(std::string_view s) {
    separate();
    quote(s);
    return *this;
  }
  // A string, or null when absent.
  json_writer& string_or_null(std::optional<std::string_view> s) { return s ? string(*s) : null(); }
  json_writer& number(std::uint64_t n) {
    separate();
    out_ += std::to_string(n);
    return *this;
  }
  json_writer& number_or_null(std::optional<std::uint32_t> n) { return n ? number(*n) : null(); }
  // A value written as given (already valid JSON, e.g. "12.5").
  json_writer& raw(std::string_view text) {
    separate();
    out_ += text;
    return *this;
  }
  json_writer& boolean(bool b) {
    separate();
    out_ += b ? "true" : "false";
    return *this;
  }
  json_writer& null() {
    separate();
    out_ += "null";
    return *this;
  }

 private:
  json_writer& open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  json_writer& close(char c) {
    out_ += c;
    first_.pop_back();
    return *this;
  }
  // A ',' before every value of an object or array but the first; none
  // between a key and its value.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_ += ',';
    first_.back() = false;
  }
  // RFC 8259 §7: '"', '\' and U+0000..U+001F escaped (DEL too, so a
  // terminal never sees it); well-formed UTF-8 passes through, any other
  // byte becomes U+FFFD so the output is always valid JSON.
  void quote(std::string_view s) {
    out_ += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto const c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        out_ += '\\';
        out_ += static_cast<char>(c);
      } else if (c < 0x20 || c == 0x7f) {
        constexpr char hex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += hex[c >> 4];
        out_ += hex[c & 0xf];
      } else if (c < 0x80) {
        out_ += static_cast<char>(c);
      } else if (std::size_t const n = utf8_sequence(s, i); n != 0) {
        out_.append(s.substr(i, n));
        i += n - 1;
      } else {
        out_ += "\\ufffd";
      }
    }
    out_ += '"';
  }

  std::string& out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace callinfo_examples
