// callinfo — parse_subscription_state (Spirit X3; see subscription_state.hpp).
#pragma once

#include <callinfo/syntax/detail/scanner.hpp>
#include <callinfo/syntax/subscription_state.hpp>

namespace callinfo::inline v1 {

CALLINFO_DECL result<subscription_state_view> parse_subscription_state(std::string_view value,
                                                                      parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "Subscription-State");
    return s.error();
  }
  subscription_state_view v;
  if (!s.token(v.state_token, errc::expected_token, "substate-value")) return s.error();
  char const* const params_start = s.pos();
  std::uint32_t count = 0;
  bool const ok = s.params(count, [&v](detail::scanner& sc, param_view const& p) {
    char const* const at = p.has_value ? p.value.data() : p.name.data();
    auto const once = [&](bool seen) { return !seen || sc.fail(errc::duplicate_param, p.name.data(), "subexp-params"); };
    if (p.is("expires") || p.is("retry-after")) {
      auto& slot = p.is("expires") ? v.expires : v.retry_after;
      if (!once(slot.has_value())) return false;
      std::uint32_t n = 0;
      if (!p.has_value) return sc.fail(errc::bad_delta_seconds, at, "delta-seconds");
      if (!sc.check_delta_seconds(p.value, n, "delta-seconds")) return false;
      slot = n;
    } else if (p.is("reason")) {
      if (!once(v.reason_token.has_value())) return false;
      if (!p.has_value || p.quoted() || p.value.front() == '[')
        return sc.fail(errc::expected_param_value, at, "event-reason-value");
      v.reason_token = p.value;
    }
    return true;
  });
  if (!ok) return s.error();
  v.params = param_range(std::string_view(params_start, static_cast<std::size_t>(s.pos() - params_start)));
  if (!s.finish("subexp-params")) return s.error();
  return v;
}

}  // namespace callinfo::v1
