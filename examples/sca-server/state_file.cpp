// sca-server — the --state file's text helpers (state_file.hpp).
#include "state_file.hpp"

#include "log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sca {

namespace {

// How many records of a kind ("line ", "sub ", ...) a state text holds.
std::size_t records(std::string_view text, std::string_view kind) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    if (text.substr(at, kind.size()) == kind) ++n;
    std::size_t const end = text.find('\n', at);
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return n;
}

}  // namespace

std::string position_of(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

std::string record_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t const end = text.find('\n', offset);
  std::string r = one_line(text.substr(offset, end == std::string_view::npos ? std::string_view::npos : end - offset));
  if (r.size() > 80) r = r.substr(0, 77) + "...";
  return r.empty() ? "(the end of the file)" : "'" + r + "'";
}

std::optional<std::string> write_atomically(std::string const& path, std::string_view text) {
  std::string const tmp = path + ".tmp";
  int const fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string const why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return "cannot write " + tmp + ": " + why;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string const why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot flush " + tmp + ": " + why;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string const why = std::strerror(errno);
    ::unlink(tmp.c_str());
    return "cannot rename " + tmp + " to " + path + ": " + why;
  }
  return std::nullopt;
}

std::string state_summary(std::string_view text, std::size_t calls) {
  return std::to_string(records(text, "line ")) + " lines, " + std::to_string(records(text, "app ")) +
         " busy appearances, " + std::to_string(records(text, "sub ")) + " subscriptions, " +
         std::to_string(records(text, "pub ")) + " publications, " + std::to_string(calls) + " calls";
}

}  // namespace sca
