// Test support: replaces global operator new/delete for the whole test
// binary and counts allocations, with a test that the counter itself works.
// Include it in exactly one TU of a binary.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

#include <doctest/doctest.h>

#include "allocation_counter.hpp"

namespace {
using callinfo_test_support::allocations;

void* counted_alloc(std::size_t n) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void* operator new(std::size_t n, std::nothrow_t const&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, std::nothrow_t const&) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::nothrow_t const&) noexcept { std::free(p); }
void operator delete[](void* p, std::nothrow_t const&) noexcept { std::free(p); }

TEST_CASE("allocation: the counter sees allocations (the test can fail)") {
  std::size_t const before = allocations.load();
  void* const p = ::operator new(16);
  std::size_t const after = allocations.load();
  ::operator delete(p);
  CHECK(after - before == 1);
}
