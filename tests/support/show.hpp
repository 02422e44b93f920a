// Test support: a printable form of a header value for failure messages.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace callinfo_test_support {

// Control and non-ASCII bytes escaped, so a NUL or CR in an input is visible.
inline std::string show(std::string_view v) {
  std::string out = "\"";
  for (char ch : v) {
    auto const c = static_cast<unsigned char>(ch);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace callinfo_test_support
