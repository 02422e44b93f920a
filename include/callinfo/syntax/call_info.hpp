// callinfo — the Call-Info header: parse_call_info.
//
//   Call-Info   = "Call-Info" HCOLON info *(COMMA info)          RFC 3261 §20.9, §25.1
//   info        = LAQUOT absoluteURI RAQUOT *( SEMI info-param)
//
// The views, the SCA param accessors and the printer are in
// call_info_view.hpp (included here).
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/result.hpp>
#include <callinfo/syntax/call_info_view.hpp>

#include <concepts>
#include <string>
#include <type_traits>
#include <string_view>

namespace callinfo::inline v1 {

/// Parses a Call-Info header value (the text after "Call-Info:").
CALLINFO_DECL result<call_info_view> parse_call_info(std::string_view value, parse_limits const& limits = {}) noexcept;
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<call_info_view> parse_call_info(S&&, parse_limits const& = {}) = delete;

}  // namespace callinfo::v1

#ifndef CALLINFO_SEPARATE_COMPILATION
#include <callinfo/syntax/impl/call_info.ipp>
#endif
