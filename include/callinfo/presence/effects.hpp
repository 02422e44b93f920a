// callinfo — the outputs of the presence server: effects as data.
//
// The server never sends, never arms a timer and never reads a clock: each
// call returns what the stack must do, in order, as values of `effect`.
// Views inside an effect (reason phrases, the line's appearances) stay valid
// until the next call into the server; the stack builds its messages (with
// the build/ writers) before calling again.
#pragma once

#include <callinfo/line/line_dialogs.hpp>
#include <callinfo/line/line_state.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/presence/events.hpp>
#include <callinfo/model/substate.hpp>
#include <callinfo/overloaded.hpp>
#include <callinfo/policy/dialect.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

namespace callinfo::inline v1 {

/// The final response to the request just handled. (Fields are ordered to
/// pack: every call writes its effects, so their size is on the hot path.)
struct response {
  std::uint16_t code = 200;                        ///< the status code
  event_package event = event_package::call_info;  ///< the package the request was for (its Event header)
  /// Allow-Events (RFC 6665 §8.2.2): the packages the server serves, on a 2xx
  /// to SUBSCRIBE and on a 489; 0: no header.
  event_package_set allow_events = 0;
  std::optional<std::uint32_t> expires;      ///< Expires header of a 2xx to SUBSCRIBE / PUBLISH
  std::string_view reason = "OK";            ///< the reason phrase
  subscription_id subscription = 0;          ///< SUBSCRIBE 2xx: the id for later refreshes
  std::string_view etag;                     ///< PUBLISH 2xx: SIP-ETag (empty otherwise)
  std::optional<std::uint32_t> retry_after;  ///< Retry-After (seize conflicts in the Kamailio dialect)
  std::optional<std::uint32_t> min_expires;  ///< 423 Interval Too Brief: Min-Expires
  std::string_view event_id;                 ///< SUBSCRIBE: the Event header's id param to echo (empty: none)
};

/// What a line looks like to a NOTIFY: its URI and every busy appearance
/// (everything else is idle), and the dialogs known to hold them (read by
/// write_dialog_info() for their ids, Call-IDs and tags).
struct line_view {
  std::string_view uri;              ///< the line's URI (the NOTIFY's entity)
  std::span<appearance const> busy;  ///< the busy appearances, sorted by index
  /// The dialogs known to hold them (RFC 7463 agent).
  std::span<line_dialog const> dialogs{};
};

/// A NOTIFY inside subscription `subscription`'s dialog (fields ordered to
/// pack, as response's).
struct notify {
  subscription_id subscription = 0;  ///< the subscription whose dialog carries it
  event_package event = event_package::call_info;  ///< the package: what the body and the Event header say
  substate state = substate::active;     ///< the Subscription-State value
  std::optional<event_reason> reason;    ///< with terminated
  std::optional<std::uint32_t> expires;  ///< seconds left, for Subscription-State ;expires=
  std::uint32_t seized_index = 0;        ///< line-seize: the seized appearance (0: none)
  line_view line;                        ///< call-info: the whole line
  std::string_view event_id;  ///< the subscription's Event id param (RFC 6665 §8.2.1), echoed in Event
  /// dialog;shared: the dialog-info version (RFC 4235 §4.1), counted per
  /// subscription from 0; the body is written by write_dialog_info().
  std::uint32_t version = 0;
  bool initial = false;                  ///< the NOTIFY that follows an accepted SUBSCRIBE
  /// How the dialect writes it (set by the server from its Dialect policy, so
  /// a writer cannot be given another): the Call-Info format, and whether the
  /// first NOTIFY carries ;expires (Kamailio sca sends a bare `active`).
  notify_format format = notify_format::single_entry;
  bool expires_in_initial = true;  ///< whether the first NOTIFY carries ;expires (Kamailio sca: no)
};

/// Arms the timer, or moves it when it is already armed; when it fires, the
/// stack calls on_timer(timer). A timer that fires late or after a refresh
/// is harmless: the server checks the deadline itself.
struct arm_timer {
  timer_id timer;  ///< which timer
  time_point at;   ///< on the Clock policy's time line
};

/// Cancels the timer, if armed (the subscription or publication it guarded ended).
struct cancel_timer {
  timer_id timer;  ///< which timer
};

/// An appearance changed: for logs and for stacks that mirror state.
struct appearance_changed {
  std::string_view line;                           ///< the line's URI
  std::uint32_t index = 0;                         ///< the appearance-index
  appearance_state from = appearance_state::idle;  ///< the state before
  appearance_state to = appearance_state::idle;    ///< the state after
  driver_kind cause = driver_kind::none;           ///< what moved it (seize, publication, dialog, management)
};

/// What the server asks of the stack: a value of one of these types, written to the call's effect
/// sink in order.
using effect = std::variant<response, notify, arm_timer, cancel_timer, appearance_changed>;

/// Where the server writes effects: anything callable with an effect.
template <class S>
concept effect_sink = requires(S& s, effect const& e) { s(e); };

/// A sink that keeps the effects in a vector (allocates; convenient for
/// tests and simple stacks).
struct effect_list {
  std::vector<effect> items;  ///< the effects, in the order they were written
  /// Appends `e`.
  void operator()(effect const& e) { items.push_back(e); }
  /// Forgets the effects (one list reused across calls).
  void clear() noexcept { items.clear(); }
  /// How many effects.
  std::size_t size() const noexcept { return items.size(); }
  /// How many effects of type T (`count<notify>()`).
  template <class T>
  std::size_t count() const noexcept {
    std::size_t n = 0;
    for (effect const& e : items) n += std::holds_alternative<T>(e);
    return n;
  }
};

}  // namespace callinfo::v1
