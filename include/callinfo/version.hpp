// callinfo — library version (kept in step with meson.build).
#pragma once

#define CALLINFO_VERSION_MAJOR 0
#define CALLINFO_VERSION_MINOR 1
#define CALLINFO_VERSION_PATCH 0
#define CALLINFO_VERSION_STRING "0.1.0"

// Every name lives in the inline namespace callinfo::v1: code says
// callinfo::basic_server, the symbols say callinfo::v1::basic_server, so two
// plugins in one process that embed different major versions link side by
// side instead of breaking the one-definition rule. A release that breaks
// the API or the layout of a type moves to v2.

/// SIP call-info / line-seize (Shared Call Appearances): the parsers, the line state, the presence
/// server and the builders. Every name is in the inline namespace `v1`.
namespace callinfo::inline v1 {
/// The library's version, "major.minor.patch".
inline constexpr char const version_string[] = CALLINFO_VERSION_STRING;
}  // namespace callinfo::v1
