// Test support: the count of global operator new calls, kept by
// counting_new.hpp (included in exactly one TU of a binary) and readable
// from any TU of that binary.
#pragma once

#include <atomic>
#include <cstddef>

namespace callinfo_test_support {
inline std::atomic<std::size_t> allocations{0};
}  // namespace callinfo_test_support
