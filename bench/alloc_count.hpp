// callinfo benchmark — heap allocation counter.
//
// alloc_count.cpp interposes malloc, calloc, realloc, the aligned
// allocators and free in the benchmark binary and forwards them to glibc's
// __libc_* entry points. The dynamic linker binds every shared library's
// malloc to the executable's definition, so C allocations made inside
// Sofia-SIP and oSIP are counted as well as operator new (which calls
// malloc in libstdc++).
#pragma once

#include <cstdint>

namespace callinfo_bench {

// Calls to malloc/calloc/realloc/aligned allocators since start-up.
std::uint64_t allocation_count() noexcept;
// Calls to free with a non-null pointer since start-up.
std::uint64_t free_count() noexcept;

}  // namespace callinfo_bench
