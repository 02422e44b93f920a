// callinfo — the Subscription-State header: view, parser, printer.
//
//   Subscription-State  = "Subscription-State" HCOLON substate-value *( SEMI subexp-params )  RFC 6665 §8.4
//   substate-value      = "active" / "pending" / "terminated" / extension-substate
//   extension-substate  = token
//   subexp-params       = ("reason" EQUAL event-reason-value)
//                       / ("expires" EQUAL delta-seconds)
//                       / ("retry-after" EQUAL delta-seconds)
//                       / generic-param
//   event-reason-value  = "deactivated" / "probation" / "rejected" / "timeout" / "giveup"
//                       / "noresource" / "invariant" / event-reason-extension
//
// reason, expires and retry-after may each appear once; a second one is
// duplicate_param (which value would a peer act on?).
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/result.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/model/substate.hpp>
#include <callinfo/syntax/params.hpp>

#include <cstdint>
#include <optional>
#include <concepts>
#include <string>
#include <type_traits>
#include <string_view>

namespace callinfo::inline v1 {

/// A parsed Subscription-State value: views into the header, the known params read out.
struct subscription_state_view {
  std::string_view state_token;                  ///< substate-value as written
  std::optional<std::string_view> reason_token;  ///< the reason param's value as written, if present
  std::optional<std::uint32_t> expires;          ///< the expires param, if present
  std::optional<std::uint32_t> retry_after;      ///< the retry-after param, if present
  param_range params;                            ///< every param, the known ones included

  /// The substate; extension for any other token.
  constexpr substate state() const noexcept { return to_substate(state_token); }
  /// The reason, if the header has one; extension for an unknown token.
  constexpr std::optional<event_reason> reason() const noexcept {
    return reason_token ? std::optional(to_event_reason(*reason_token)) : std::nullopt;
  }
  /// Same state (case-insensitive), same params (as params_equal()).
  friend constexpr bool operator==(subscription_state_view const& a, subscription_state_view const& b) noexcept {
    // The state is printed lower-cased, so it compares case-insensitively;
    // param values (the reason among them) are printed as written.
    return detail::iequals(a.state_token, b.state_token) && a.expires == b.expires &&
           a.retry_after == b.retry_after && a.reason_token == b.reason_token && params_equal(a.params, b.params);
  }
};

/// Parses a Subscription-State header value.
CALLINFO_DECL result<subscription_state_view> parse_subscription_state(std::string_view value,
                                                                      parse_limits const& limits = {}) noexcept;
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<subscription_state_view> parse_subscription_state(S&&, parse_limits const& = {}) = delete;

/// Canonical form: state and param names lower-cased, values as written.
template <sink Sink>
void print(subscription_state_view const& s, Sink& out) {
  detail::append_lower(out, s.state_token);
  print_params(s.params, out);
}

}  // namespace callinfo::v1

#ifndef CALLINFO_SEPARATE_COMPILATION
#include <callinfo/syntax/impl/subscription_state.ipp>
#endif
