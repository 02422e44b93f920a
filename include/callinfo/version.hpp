// callinfo — library version (kept in step with meson.build).
#pragma once

#define CALLINFO_VERSION_MAJOR 0
#define CALLINFO_VERSION_MINOR 1
#define CALLINFO_VERSION_PATCH 0
#define CALLINFO_VERSION_STRING "0.1.0"

namespace callinfo {
inline constexpr char const version_string[] = CALLINFO_VERSION_STRING;
}  // namespace callinfo
