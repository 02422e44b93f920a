// callinfo — the Subscription-State header value.
//
//   Subscription-State = "Subscription-State" HCOLON substate-value *( SEMI subexp-params )  RFC 6665 §8.4
//   substate-value     = "active" / "pending" / "terminated" / extension-substate
//   subexp-params      = ("reason" EQUAL event-reason-value) / ("expires" EQUAL delta-seconds) / ...
//
// Writes `active;expires=N`, `pending;expires=N`, `terminated;reason=timeout`,
// `terminated`: the substate, then `;reason=` when a reason is given, then
// `;expires=` when seconds are given, exactly as asked (RFC 6665 §4.1.3 puts
// expires on active and pending, reason on terminated; the NOTIFY builder
// applies that). parse_subscription_state() reads the text back to the same
// state, reason and expires.
//
// Refused, with nothing written: substate::extension or
// event_reason::extension (no token to write) or a value out of range:
// bad_value.
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/model/substate.hpp>

#include <cstdint>
#include <optional>

namespace callinfo::inline v1 {

namespace detail {

constexpr bool is_writable(substate s) noexcept {
  return s == substate::active || s == substate::pending || s == substate::terminated;
}
constexpr bool is_writable(event_reason r) noexcept {
  return static_cast<std::uint8_t>(r) < static_cast<std::uint8_t>(event_reason::extension);
}

// Plain values rather than optionals: gcc 12 reports a copied
// std::optional<uint32_t> as maybe-uninitialized here.
template <class Writer>
void put_subscription_state(Writer& w, substate state, event_reason const* reason, std::uint32_t const* expires) {
  w.append(to_string(state));
  if (reason != nullptr) {
    w.put(";reason=");
    w.append(to_string(*reason));
  }
  if (expires != nullptr) {
    w.put(";expires=");
    w.put_uint(*expires);
  }
}

}  // namespace detail

/// A Subscription-State value: the substate, then ;reason and ;expires when given.
template <sink Sink>
build_result write_subscription_state(substate state, std::optional<event_reason> reason,
                                      std::optional<std::uint32_t> expires, Sink& out) {
  if (!detail::is_writable(state) || (reason && !detail::is_writable(*reason))) return build_errc::bad_value;
  detail::staging_writer<Sink> w(out);
  detail::put_subscription_state(w, state, reason ? &*reason : nullptr, expires ? &*expires : nullptr);
  w.flush();
  return detail::finish_build(out);
}

}  // namespace callinfo::v1
