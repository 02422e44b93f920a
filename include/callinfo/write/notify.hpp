// callinfo — the headers of a call-info / line-seize NOTIFY, from a `notify`
// effect.
//
//   NOTIFY headers         RFC 6665 §8.1.2 (Event, Subscription-State)
//   Subscription-State     RFC 6665 §4.1.3, §8.4
//   Call-Info              RFC 3261 §20.9 with the SCA params (build/call_info.hpp)
//
// Writes the block the stack adds to its in-dialog NOTIFY (the stack owns
// the request line, Via, From, To, Call-ID, CSeq, Contact, ...):
//
//   Event: call-info\r\n                  (`;id=<id>` when the subscription has one)
//   Subscription-State: active;expires=3599\r\n
//   Call-Info: <sip:bob@example.com>;appearance-index=*;appearance-state=idle\r\n
//   Content-Length: 0\r\n
//
// - Subscription-State: `terminated` carries the reason (when the effect has
//   one) and never expires; `active` / `pending` carry the seconds left,
//   except in the initial NOTIFY when the effect says so
//   (notify::expires_in_initial false: Kamailio sca sends a bare `active`
//   right after the SUBSCRIBE). A reason on a state other than terminated is
//   not written.
// - Call-Info of a call-info NOTIFY: the whole line in the effect's
//   notify::format (the server's dialect); of a line-seize NOTIFY: `<uri>;appearance-index=N` for the
//   seized index, and no Call-Info when seized_index is 0.
// - No Call-Info either when the effect's line URI is empty (a terminated
//   NOTIFY for a line the server no longer stores).
// - dialog;shared (RFC 7463): no Call-Info; when the effect has a line URI,
//   `Content-Type: application/dialog-info+xml` and no Content-Length: the
//   stack writes the body with write_dialog_info() (dialog_info/write.hpp)
//   and its Content-Length. Without a line URI there is no body
//   (`Content-Length: 0`).
// - notify_options::entry_uri replaces the line's URI inside the Call-Info
//   entries (Kamailio writes `sip:` + the line's domain there).
//
// Refused, with nothing written: see build/error.hpp and build/call_info.hpp.
#pragma once

#include <callinfo/write/call_info.hpp>
#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/write/subscription_state.hpp>
#include <callinfo/policy/dialect.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace callinfo::inline v1 {

// What the stack may change in a NOTIFY: the URI of the Call-Info entries.
// (The dialect's format comes with the effect, set by the server.)
struct notify_options {
  std::string_view entry_uri{};  // empty: the line's own URI
};

template <sink Sink>
build_result write_notify_headers(notify const& n, notify_options const& o, Sink& out) {
  // Everything is checked before the first byte is written.
  if (!detail::is_known_value(n.event) || !detail::is_writable(n.state)) return build_errc::bad_value;
  if (!n.event_id.empty() && !detail::is_token_value(n.event_id)) return build_errc::bad_token;
  bool const terminated = n.state == substate::terminated;
  event_reason const* const reason = terminated && n.reason ? &*n.reason : nullptr;
  if (reason != nullptr && !detail::is_writable(*reason)) return build_errc::bad_value;
  bool const with_expires = n.expires && !terminated && !(n.initial && !n.expires_in_initial);
  std::uint32_t const* const expires = with_expires ? &*n.expires : nullptr;

  bool const call_info = n.event == event_package::call_info;
  std::string_view const uri = o.entry_uri.empty() ? n.line.uri : o.entry_uri;
  bool const dialog_body = n.event == event_package::dialog_shared && !n.line.uri.empty();
  bool const with_call_info =
      n.event != event_package::dialog_shared && !n.line.uri.empty() && (call_info || n.seized_index != 0);
  if (with_call_info) {
    build_errc const e = call_info ? detail::check_call_info(n.line, n.format, uri)
                                   : (detail::is_absolute_uri(uri) ? build_errc::ok : build_errc::bad_uri);
    if (e != build_errc::ok) return e;
  }

  detail::staging_writer<Sink> w(out);
  w.put("Event: ");
  detail::put_event(w, n.event, n.event_id);
  w.put("\r\nSubscription-State: ");
  detail::put_subscription_state(w, n.state, reason, expires);
  w.put("\r\n");
  if (with_call_info) {
    w.put("Call-Info: ");
    if (call_info)
      detail::put_call_info(w, n.line, n.format, uri);
    else
      detail::put_line_seize(w, uri, n.seized_index);
    w.put("\r\n");
  }
  if (dialog_body)
    w.put("Content-Type: application/dialog-info+xml\r\n");
  else
    w.put("Content-Length: 0\r\n");
  w.flush();
  return detail::finish_build(out);
}

// The same, with the line's own URI in the entries.
template <sink Sink>
build_result write_notify_headers(notify const& n, Sink& out) {
  return write_notify_headers(n, notify_options{}, out);
}

}  // namespace callinfo::v1
