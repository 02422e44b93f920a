// sca-server — logging (log.hpp).
#include "log.hpp"

#include <cstdio>

namespace sca {

bool trace_messages = true;

std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\r') continue;
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void log_line(std::string const& s) {
  std::string const line = "sca-server: " + one_line(s) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace sca
