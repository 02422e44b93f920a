// callinfo — parse_sip_etag (Spirit X3; see etag.hpp).
#pragma once

#include <callinfo/syntax/detail/scanner.hpp>
#include <callinfo/syntax/etag.hpp>

namespace callinfo::inline v1 {

CALLINFO_DECL result<entity_tag_view> parse_sip_etag(std::string_view value, parse_limits const& limits) noexcept {
  detail::scanner s(value, limits);
  if (!s.check_length()) return s.error();
  s.sws();
  if (s.at_end()) {
    s.fail(errc::empty_value, s.pos(), "entity-tag");
    return s.error();
  }
  entity_tag_view e;
  if (!s.token(e.tag, errc::expected_token, "entity-tag") || !s.finish("entity-tag")) return s.error();
  return e;
}

}  // namespace callinfo::v1
