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

/// Which request is being authorized.
enum class request_method : std::uint8_t { subscribe, publish };

/// What the Authorizer sees of a request. Views are valid during the call.
struct request_context {
  request_method method = request_method::subscribe;  ///< SUBSCRIBE or PUBLISH
  event_package package = event_package::call_info;  ///< the event package asked for
  std::string_view line;      ///< the shared line
  std::string_view identity;  ///< SUBSCRIBE: the watcher; PUBLISH: the publisher (as the stack gave them)
  std::string_view source;    ///< the request's source, as the stack gave it (may be empty)
  /// line-seize: the appearance-index asked for (0: none given, or 0 = any idle one).
  std::uint32_t appearance = 0;
  /// PUBLISH with SIP-If-Match naming a live publication: who published it,
  /// and whether that is someone else than `identity` (a takeover).
  std::string_view owner{};
  bool foreign_publication = false;  ///< `owner` is not `identity`: a takeover of someone else's publication
};

/// The Authorizer policy: authorize(request_context) says whether a SUBSCRIBE or PUBLISH may go on
/// (false: 403).
template <class A>
concept authorizer_policy = requires(A const& a, request_context const& c) {
  { a.authorize(c) } -> std::convertible_to<bool>;
};

/// Authorizes everything: the default, for stacks that authenticate and authorize before calling
/// the server.
struct allow_all {
  /// Always true.
  constexpr bool authorize(request_context const&) const noexcept { return true; }
};

/// Everyone may watch and seize; a publication may be refreshed, modified or
/// removed only by the identity that created it.
struct publishers_own_their_publications {
  /// False for a takeover of another identity's publication.
  constexpr bool authorize(request_context const& c) const noexcept { return !c.foreign_publication; }
};

}  // namespace callinfo::v1
