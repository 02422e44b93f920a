// callinfo — the Call-Info header: parse_call_info.
//
//   Call-Info   = "Call-Info" HCOLON info *(COMMA info)          RFC 3261 §20.9, §25.1
//   info        = LAQUOT absoluteURI RAQUOT *( SEMI info-param)
//
// The views, the SCA param accessors and the printer are in
// call_info_view.hpp (included here).
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/limits.hpp>
#include <callinfo/result.hpp>
#include <callinfo/syntax/call_info_view.hpp>

#include <string_view>

namespace callinfo {

// Parses a Call-Info header value (the text after "Call-Info:").
CALLINFO_DECL result<call_info_view> parse_call_info(std::string_view value, parse_limits const& limits = {}) noexcept;

}  // namespace callinfo

#ifndef CALLINFO_SEPARATE_COMPILATION
#include <callinfo/syntax/impl/call_info.ipp>
#endif
