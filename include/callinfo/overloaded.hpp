// callinfo — overloaded: one visitor from several lambdas, for std::visit
// over an effect (presence/effects.hpp):
//
//   std::visit(callinfo::overloaded{
//       [&](callinfo::response const& r) { ... },
//       [&](auto const&) {}}, e);
//
// The deduction guide is spelled out: clang 14 does not deduce aggregate
// template arguments from the braces without it.
#pragma once

namespace callinfo::inline v1 {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace callinfo::v1
