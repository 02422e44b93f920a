// callinfo — Dialect policies: how the peers a server talks to behave.
//
// Two dialects are shipped, each taken from the peer's sources and from
// running it (transcripts in tests/interop/opensips/golden, tests/interop/kamailio):
//
// opensips_dialect   OpenSIPS presence_callinfo: its transition table; one
//                    seize per line (a second seize on any index is 480);
//                    a PUBLISH without Call-Info gets 500 (kept for
//                    compatibility: the client's mistake is really a 400);
//                    NOTIFY Call-Info in one entry with repeated params;
//                    an unsubscribe's final NOTIFY says
//                    terminated;reason=timeout (as OpenSIPS sends it).
// broadworks_dialect Kamailio sca / BroadWorks phones: any state change on
//                    an appearance in use; seize conflicts per index with
//                    Retry-After: 1; appearance-index=0 seizes the first
//                    idle appearance; every call-info SUBSCRIBE (refresh and
//                    unsubscribe too) answered 202; the seizer's line-seize
//                    subscription ends (noresource) once its call is early;
//                    one Call-Info entry per appearance with appearance-uri;
//                    the first NOTIFY has no ;expires.
// Both peers answer 400 to a line-seize refresh or unsubscribe without
// Call-Info (seize_refresh_needs_call_info), and the seize stays.
#pragma once

#include <callinfo/line/transitions.hpp>
#include <callinfo/model/substate.hpp>

#include <concepts>
#include <cstdint>
#include <optional>

namespace callinfo::inline v1 {

/// Which seizes conflict: one per appearance index, or one per line.
enum class seize_scope : std::uint8_t { per_index, per_line };
/// How a NOTIFY's Call-Info lists the line: one entry with repeated params, or one entry per
/// appearance.
enum class notify_format : std::uint8_t { single_entry, entry_per_appearance };

/// OpenSIPS presence_callinfo, as its sources and transcripts show it.
struct opensips_dialect {
  static constexpr transition_table const& transitions = opensips_transitions;  ///< the transition table
  /// One seize per line: a second one on any index is 480.
  static constexpr seize_scope seize_conflicts = seize_scope::per_line;
  static constexpr std::uint32_t seize_retry_after = 0;  ///< 0: no Retry-After
  /// appearance-index=0 is refused (400), not read as the first idle one.
  static constexpr bool zero_index_seizes_any = false;
  /// A PUBLISH without Call-Info: 500, as OpenSIPS answers.
  static constexpr std::uint16_t publish_without_call_info = 500;
  static constexpr std::uint16_t call_info_subscribe_ok = 200;  ///< the 2xx status of a call-info SUBSCRIBE
  static constexpr bool end_seize_when_early = false;           ///< a seize outlives its call's early phase
  /// One Call-Info entry with repeated params.
  static constexpr notify_format format = notify_format::single_entry;
  static constexpr bool expires_in_initial_notify = true;  ///< the first NOTIFY carries ;expires
  /// A line-seize refresh or unsubscribe without Call-Info: 400.
  static constexpr bool seize_refresh_needs_call_info = true;
  /// An unsubscribe's final NOTIFY: terminated;reason=timeout.
  static constexpr std::optional<event_reason> unsubscribe_reason = event_reason::timeout;
};

/// Kamailio sca and BroadWorks phones, as their sources and transcripts show them.
struct broadworks_dialect {
  /// Any state may follow any other.
  static constexpr transition_table const& transitions = broadworks_transitions;
  /// Seizes conflict per appearance index.
  static constexpr seize_scope seize_conflicts = seize_scope::per_index;
  static constexpr std::uint32_t seize_retry_after = 1;  ///< a seize conflict's Retry-After, in seconds
  static constexpr bool zero_index_seizes_any = true;  ///< appearance-index=0 seizes the first idle appearance
  static constexpr std::uint16_t publish_without_call_info = 400;  ///< a PUBLISH without Call-Info: 400
  /// Every call-info SUBSCRIBE (refresh, unsubscribe) answered 202.
  static constexpr std::uint16_t call_info_subscribe_ok = 202;
  /// The seizer's subscription ends (noresource) once its call is early.
  static constexpr bool end_seize_when_early = true;
  /// One Call-Info entry per appearance, with appearance-uri.
  static constexpr notify_format format = notify_format::entry_per_appearance;
  static constexpr bool expires_in_initial_notify = false;  ///< the first NOTIFY is a bare `active`
  /// A line-seize refresh or unsubscribe without Call-Info: 400.
  static constexpr bool seize_refresh_needs_call_info = true;
  /// An unsubscribe's final NOTIFY has no reason.
  static constexpr std::optional<event_reason> unsubscribe_reason = std::nullopt;
};

/// The library's own default: OpenSIPS' table and NOTIFY format (the stricter
/// table catches publisher bugs), the per-index seize rule (a second phone may
/// seize appearance 2 while appearance 1 is seized), 400 for a PUBLISH without
/// Call-Info, and no NOTIFYs for a state that did not change.
struct default_dialect : opensips_dialect {
  /// A second phone may seize another index.
  static constexpr seize_scope seize_conflicts = seize_scope::per_index;
  static constexpr std::uint16_t publish_without_call_info = 400;  ///< the client's mistake: 400
  /// An unsubscribe's final NOTIFY has no reason.
  static constexpr std::optional<event_reason> unsubscribe_reason = std::nullopt;
};

/// The Dialect policy: the constants a dialect struct gives (opensips_dialect lists them).
template <class D>
concept dialect_policy = requires {
  { D::transitions } -> std::convertible_to<transition_table const&>;
  { D::seize_conflicts } -> std::convertible_to<seize_scope>;
  { D::seize_retry_after } -> std::convertible_to<std::uint32_t>;
  { D::zero_index_seizes_any } -> std::convertible_to<bool>;
  { D::publish_without_call_info } -> std::convertible_to<std::uint16_t>;
  { D::call_info_subscribe_ok } -> std::convertible_to<std::uint16_t>;
  { D::end_seize_when_early } -> std::convertible_to<bool>;
  { D::format } -> std::convertible_to<notify_format>;
  { D::expires_in_initial_notify } -> std::convertible_to<bool>;
  { D::seize_refresh_needs_call_info } -> std::convertible_to<bool>;
  { D::unsubscribe_reason } -> std::convertible_to<std::optional<event_reason>>;
};

}  // namespace callinfo::v1
