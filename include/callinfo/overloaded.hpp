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

/// One visitor from several lambdas, for std::visit over an effect.
template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
/// The deduction guide: clang 14 does not deduce the lambdas' types from the braces without it.
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace callinfo::v1
