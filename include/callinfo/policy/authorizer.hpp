// callinfo — Authorizer policies: who may watch, seize or publish a line.
//
// Neither OpenSIPS presence_callinfo nor Kamailio sca authorize anything
// themselves (they leave it to the routing script); a library user plugs
// in the rule of their deployment here. The server asks before it changes
// anything, for every initial SUBSCRIBE and every PUBLISH (refresh, modify
// and removal included), with what it knows of the request; a refusal is
// answered 403 and changes nothing.
#pragma once

#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>

#include <concepts>
#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

enum class request_method : std::uint8_t { subscribe, publish };

/// What the Authorizer sees of a request. Views are valid during the call.
struct request_context {
  request_method method = request_method::subscribe;
  event_package package = event_package::call_info;
  std::string_view line;      ///< the shared line
  std::string_view identity;  ///< SUBSCRIBE: the watcher; PUBLISH: the publisher (as the stack gave them)
  std::string_view source;    ///< the request's source, as the stack gave it (may be empty)
  /// line-seize: the appearance-index asked for (0: none given, or 0 = any idle one).
  std::uint32_t appearance = 0;
  /// PUBLISH with SIP-If-Match naming a live publication: who published it,
  /// and whether that is someone else than `identity` (a takeover).
  std::string_view owner{};
  bool foreign_publication = false;
};

template <class A>
concept authorizer_policy = requires(A const& a, request_context const& c) {
  { a.authorize(c) } -> std::convertible_to<bool>;
};

struct allow_all {
  constexpr bool authorize(request_context const&) const noexcept { return true; }
};

/// Everyone may watch and seize; a publication may be refreshed, modified or
/// removed only by the identity that created it.
struct publishers_own_their_publications {
  constexpr bool authorize(request_context const& c) const noexcept { return !c.foreign_publication; }
};

}  // namespace callinfo::v1
