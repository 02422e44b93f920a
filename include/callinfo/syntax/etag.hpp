// callinfo — the SIP-ETag and SIP-If-Match headers: view, parsers, printer.
//
//   SIP-ETag     = "SIP-ETag" HCOLON entity-tag              RFC 3903 §11.3.1
//   SIP-If-Match = "SIP-If-Match" HCOLON entity-tag          RFC 3903 §11.3.2
//   entity-tag   = token
//
// Entity tags are opaque and compared byte for byte (RFC 3903 §4.1).
#pragma once

#include <callinfo/config.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/result.hpp>
#include <callinfo/sink.hpp>

#include <concepts>
#include <string>
#include <type_traits>
#include <string_view>

namespace callinfo::inline v1 {

/// A parsed SIP-ETag or SIP-If-Match value: the entity-tag, a view into the header.
struct entity_tag_view {
  std::string_view tag;  ///< the token, compared byte for byte
  /// Same tag, byte for byte.
  friend constexpr bool operator==(entity_tag_view, entity_tag_view) noexcept = default;
};

/// Parses a SIP-ETag header value (a token).
CALLINFO_DECL result<entity_tag_view> parse_sip_etag(std::string_view value, parse_limits const& limits = {}) noexcept;
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<entity_tag_view> parse_sip_etag(S&&, parse_limits const& = {}) = delete;
/// Same grammar as SIP-ETag; a separate name so call sites say what they read.
inline result<entity_tag_view> parse_sip_if_match(std::string_view value, parse_limits const& limits = {}) noexcept {
  return parse_sip_etag(value, limits);
}
/// A temporary std::string would be gone before the view is read: refused.
template <class S>
  requires std::same_as<std::remove_cv_t<S>, std::string>
result<entity_tag_view> parse_sip_if_match(S&&, parse_limits const& = {}) = delete;

/// Writes the tag as it was parsed.
template <sink Sink>
void print(entity_tag_view e, Sink& out) {
  out.append(e.tag);
}

}  // namespace callinfo::v1

#ifndef CALLINFO_SEPARATE_COMPILATION
#include <callinfo/syntax/impl/etag.ipp>
#endif
