// sca-server — the --state file's text helpers: where a refused record
// is, the summary logged at start and stop, and the write that replaces the
// file at once. The records themselves are sca_server's (server_state.hpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sca {

// "line L, column C" of an offset in a text, for the state file's errors.
std::string position_of(std::string_view text, std::size_t offset);

// The record (text line) at an offset, for an error message.
std::string record_at(std::string_view text, std::size_t offset);

// Writes FILE.tmp, flushes it to disk and renames it over FILE, so that FILE
// is always either the old state or the new one.
std::optional<std::string> write_atomically(std::string const& path, std::string_view text);

// The summary of a state text logged at start and stop: how many lines,
// busy appearances, subscriptions, publications and calls.
std::string state_summary(std::string_view text, std::size_t calls);

}  // namespace sca
