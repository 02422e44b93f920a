// callinfo — the inputs of the presence server, as typed values.
//
// A SIP stack builds these from a request it has parsed (with the syntax
// layer's views: string_views into its own buffer, valid for the duration
// of the call into the server). Nothing here is kept by reference: what the
// server stores, it copies. String fields are text_ref (model/text_ref.hpp):
// assigning a temporary std::string to one does not compile.
//
//   SUBSCRIBE  (RFC 6665 §4.2) for Event: call-info or line-seize
//   PUBLISH    (RFC 3903 §4)  third-party, Event: call-info, state in Call-Info
//   dialog events             the stack's own view of a call on a shared line
//   timers                    that the server asked the stack to arm
#pragma once

#include <callinfo/line/line_dialogs.hpp>
#include <callinfo/model/appearance_index.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/model/text_ref.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace callinfo::inline v1 {

/// What a line-seize SUBSCRIBE's Call-Info asks for: the first entry's
/// appearance-index (absent when it has none). adapters/call_info.hpp's
/// seize_target_of() reads it from a parsed header.
struct seize_target {
  std::optional<appearance_index> index;  ///< the first entry's appearance-index; nullopt when it has none
};

/// A SUBSCRIBE the stack parsed, as the server takes it (call-info, line-seize or dialog;shared).
struct subscribe_request {
  event_package event = event_package::call_info;  ///< the Event header's package
  text_ref line;     ///< the shared line's AOR (Request-URI / To URI)
  text_ref watcher;  ///< the subscriber's AOR (From URI, or the identity the stack authenticated):
                     ///< authorization and per-watcher limits
  /// The Event header's `id` param (RFC 6665 §7.2.1, §8.2.1), empty when
  /// absent: part of the subscription's identity. A refresh must name the
  /// same id (else 481); the 2xx and every NOTIFY echo it. A token (else 400).
  text_ref event_id;
  /// Where the request came from, as the stack names it (e.g.
  /// "udp:192.0.2.1:5060"): passed to the Authorizer, never parsed.
  text_ref source;
  /// 0 for an initial SUBSCRIBE; for a refresh or an unsubscribe inside the
  /// subscription's dialog, the id the server gave in its 2xx.
  subscription_id subscription = 0;
  std::optional<std::uint32_t> expires;  ///< the Expires header; nullopt when absent (=> the package default)
  /// line-seize: the Call-Info's appearance (nullopt: the request had no
  /// Call-Info). Required on the initial SUBSCRIBE, a refresh and an
  /// unsubscribe (400 otherwise, as OpenSIPS and Kamailio answer).
  std::optional<seize_target> seize;
};

/// One appearance as a dialog-info body states it (RFC 7463 §5.2: a
/// `<dialog>` with `<sa:appearance>`), read through dialog_info/mapping.hpp.
/// dialog_info/parse.hpp makes these from a PUBLISH body.
///
/// index 0 asks for an appearance (RFC 7463's appearance agent: a
/// `<dialog>` published without `<sa:appearance>`): the server gives it the
/// appearance of the dialog it joins or replaces, else the one the same
/// dialog id already holds in this publication, else the lowest idle one. An
/// index-0 update in the idle state (a terminated dialog) asks for nothing
/// and is skipped.
///
/// The server remembers each non-idle update's dialog (line/line_dialogs.hpp):
/// a dialog;shared publication may take an appearance that another
/// publisher's known dialog holds only by joining or replacing that dialog
/// (else 400 "Appearance in use"), and a joined appearance stays busy while
/// one of its dialogs is left.
struct appearance_update {
  std::uint32_t index = 0;                          ///< the appearance-index; 0 asks for one (below)
  appearance_state state = appearance_state::idle;  ///< the state the body gives it
  text_ref remote;  ///< the remote party, as a name-addr or URI; may be empty
  text_ref dialog{};  ///< the RFC 4235 dialog id; may be empty
  dialog_ref identifiers{};   ///< its call-id, local-tag, remote-tag (RFC 4235 §4.1.1); may be empty
  /// The dialog this one joins / replaces (RFC 7463 §5.2), as published.
  std::optional<dialog_ref> joined{};
  /// The dialog this one replaces (RFC 7463 §5.2), as published.
  std::optional<dialog_ref> replaced{};
  /// An empty remote leaves the appearance's remote party as it was, unless
  /// the publication stated it (Call-Info `appearance-uri=""`): then it clears it.
  bool remote_stated = false;
};

/// A PUBLISH the stack parsed (RFC 3903): a new publication (no SIP-If-Match), or a refresh, modify
/// or remove of one.
struct publish_request {
  text_ref line;                     ///< the presentity: the shared line's AOR
  std::optional<text_ref> if_match;  ///< SIP-If-Match entity-tag (RFC 3903 §11.3.2)
  /// Who publishes (From URI, or the identity the stack authenticated): kept
  /// with the publication, so the Authorizer can tell whether a SIP-If-Match
  /// names another publisher's publication.
  text_ref publisher;
  text_ref source;                                 ///< as in subscribe_request
  std::optional<std::uint32_t> expires;            ///< nullopt => the package default
  event_package event = event_package::call_info;  ///< call_info, or dialog_shared for a dialog-info body
  /// The published state, required on an initial PUBLISH: the appearances
  /// of its Call-Info (adapters/call_info.hpp) or, with Event: dialog;shared
  /// (RFC 7463), of its dialog-info body (dialog_info/parse.hpp). nullopt: the
  /// request carried none (a refresh). Both kinds drive the same line.
  std::optional<std::span<appearance_update const>> appearances;
};

/// Which side of the call the shared line is on: the caller (outgoing call) or the callee.
enum class dialog_side : std::uint8_t { caller, callee };
/// Where a call is: what the stack saw happen to its dialog.
enum class dialog_phase : std::uint8_t { early, confirmed, hold, resume, terminated, failed };

/// The value's name, for logs.
constexpr std::string_view to_string(dialog_side s) noexcept { return s == dialog_side::caller ? "caller" : "callee"; }
/// The value's name, for logs.
constexpr std::string_view to_string(dialog_phase p) noexcept {
  constexpr std::string_view names[] = {"early", "confirmed", "hold", "resume", "terminated", "failed"};
  return names[static_cast<std::size_t>(p)];
}

/// A call on a shared line, seen by the stack (dialog-driven mode, what
/// OpenSIPS' dialog callbacks and Kamailio's sca_call_info_update() see).
struct dialog_event {
  text_ref line;                             ///< the shared line the call is on
  dialog_id dialog = 0;                      ///< the stack's name for the dialog, stable across its events
  dialog_side side = dialog_side::caller;    ///< the line's side of the call
  dialog_phase phase = dialog_phase::early;  ///< what just happened to the call
  /// From the INVITE's Call-Info; nullopt means 1 (OpenSIPS' rule).
  std::optional<std::uint32_t> appearance_index;
  text_ref remote;            ///< the other party (appearance-uri), may be empty
  bool private_hold = false;  ///< hold: held-private instead of held
  /// The call's Call-ID and tags, as the shared line's side sees them (local:
  /// the tag of the line's phone), when the stack wants dialog;shared
  /// watchers to see them (RFC 4235 §4.1.1): with them an RFC 7463 phone can
  /// join or pick up the call. Empty call_id: not given.
  dialog_ref identifiers{};
};

/// Maps a dialog phase to the appearance state it means.
constexpr appearance_state state_for(dialog_side side, dialog_phase phase, bool private_hold = false) noexcept {
  switch (phase) {
    case dialog_phase::early: return side == dialog_side::caller ? appearance_state::progressing : appearance_state::alerting;
    case dialog_phase::confirmed:
    case dialog_phase::resume: return appearance_state::active;
    case dialog_phase::hold: return private_hold ? appearance_state::held_private : appearance_state::held;
    case dialog_phase::terminated:
    case dialog_phase::failed: break;
  }
  return appearance_state::idle;
}

}  // namespace callinfo::v1
