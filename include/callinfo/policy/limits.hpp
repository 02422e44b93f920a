// callinfo — Limits policy: bounds and expiry rules of the presence server.
//
// Every collection the server keeps is bounded here; going past a bound
// gets a clear response (never unbounded growth, never a silent drop).
// Expiry values are those of OpenSIPS presence_callinfo and Kamailio sca:
// call-info 3600 s default and maximum, line-seize 15 s.
#pragma once

#include <concepts>
#include <cstdint>

namespace callinfo::inline v1 {

/// The server's limits (the Limits policy), with safe defaults; a member set to another value
/// changes only that limit. Expires values are in seconds.
struct default_limits {
  std::uint32_t max_lines = 100000;                  ///< lines stored at once
  std::uint32_t max_appearances = 64;                ///< appearance-index 1..max_appearances
  std::uint32_t max_subscriptions = 1000000;         ///< subscriptions stored at once
  std::uint32_t max_subscriptions_per_line = 256;    ///< watchers of one line
  std::uint32_t max_subscriptions_per_watcher = 64;  ///< subscriptions of one watcher
  std::uint32_t max_publications = 100000;           ///< publications stored at once

  std::uint32_t call_info_default_expires = 3600;  ///< a call-info SUBSCRIBE without Expires
  std::uint32_t call_info_max_expires = 3600;      ///< longer requests are granted this
  std::uint32_t line_seize_default_expires = 15;   ///< a line-seize SUBSCRIBE without Expires
  std::uint32_t line_seize_max_expires = 15;       ///< longer requests are granted this
  std::uint32_t min_expires = 0;                   ///< above 0: shorter non-zero requests get 423 Interval Too Brief
  std::uint32_t publish_default_expires = 3600;    ///< a PUBLISH without Expires
  std::uint32_t publish_max_expires = 3600;        ///< longer requests are granted this

  /// NOTIFY "terminated;reason=timeout" when a subscription expires
  /// (OpenSIPS call_info_timeout_notification / line_seize_timeout_notification).
  bool call_info_timeout_notification = true;
  bool line_seize_timeout_notification = false;  ///< the same for line-seize

  /// Serve Event: dialog;shared (RFC 7463) watchers and publishers; when off,
  /// such requests get 489 and Allow-Events lists call-info, line-seize only.
  bool serve_dialog_shared = true;
};

/// The Limits policy: the members of default_limits, with their types.
template <class L>
concept limits_policy = requires(L const& l) {
  { l.max_lines } -> std::convertible_to<std::uint32_t>;
  { l.max_appearances } -> std::convertible_to<std::uint32_t>;
  { l.max_subscriptions } -> std::convertible_to<std::uint32_t>;
  { l.max_subscriptions_per_line } -> std::convertible_to<std::uint32_t>;
  { l.max_subscriptions_per_watcher } -> std::convertible_to<std::uint32_t>;
  { l.max_publications } -> std::convertible_to<std::uint32_t>;
  { l.call_info_default_expires } -> std::convertible_to<std::uint32_t>;
  { l.call_info_max_expires } -> std::convertible_to<std::uint32_t>;
  { l.line_seize_default_expires } -> std::convertible_to<std::uint32_t>;
  { l.line_seize_max_expires } -> std::convertible_to<std::uint32_t>;
  { l.min_expires } -> std::convertible_to<std::uint32_t>;
  { l.publish_default_expires } -> std::convertible_to<std::uint32_t>;
  { l.publish_max_expires } -> std::convertible_to<std::uint32_t>;
  { l.call_info_timeout_notification } -> std::convertible_to<bool>;
  { l.line_seize_timeout_notification } -> std::convertible_to<bool>;
  { l.serve_dialog_shared } -> std::convertible_to<bool>;
};

}  // namespace callinfo::v1
