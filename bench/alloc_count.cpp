// callinfo benchmark — malloc interposition (see alloc_count.hpp).
//
// The benchmark runs on one thread; the counters are atomics updated with
// a relaxed load and store rather than a locked read-modify-write, so that
// counting does not slow the C parsers down measurably. A lost update under
// contention would only undercount, never crash.
#include "alloc_count.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>

extern "C" {
void* __libc_malloc(std::size_t size) noexcept;
void* __libc_calloc(std::size_t count, std::size_t size) noexcept;
void* __libc_realloc(void* p, std::size_t size) noexcept;
void* __libc_memalign(std::size_t alignment, std::size_t size) noexcept;
void __libc_free(void* p) noexcept;
}

namespace {

std::atomic<std::uint64_t> allocations{0};
std::atomic<std::uint64_t> frees{0};

inline void bump(std::atomic<std::uint64_t>& c) noexcept {
  c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

}  // namespace

namespace callinfo_bench {

std::uint64_t allocation_count() noexcept { return allocations.load(std::memory_order_relaxed); }
std::uint64_t free_count() noexcept { return frees.load(std::memory_order_relaxed); }

}  // namespace callinfo_bench

extern "C" {

void* malloc(std::size_t size) noexcept {
  bump(allocations);
  return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
  bump(allocations);
  return __libc_calloc(count, size);
}

void* realloc(void* p, std::size_t size) noexcept {
  bump(allocations);
  return __libc_realloc(p, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  bump(allocations);
  return __libc_memalign(alignment, size);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
  bump(allocations);
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  if (alignment == 0 || alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  bump(allocations);
  void* const p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}

void free(void* p) noexcept {
  if (p != nullptr) bump(frees);
  __libc_free(p);
}

}  // extern "C"
