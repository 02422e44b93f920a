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
//   Event: call-info\r\n
//   Subscription-State: active;expires=3599\r\n
//   Call-Info: <sip:bob@example.com>;appearance-index=*;appearance-state=idle\r\n
//   Content-Length: 0\r\n
//
// - Subscription-State: `terminated` carries the reason (when the effect has
//   one) and never expires; `active` / `pending` carry the seconds left,
//   except in the initial NOTIFY when the dialect says so (Kamailio sca sends
//   a bare `active` right after the SUBSCRIBE). A reason on a state other
//   than terminated is not written.
// - Call-Info of a call-info NOTIFY: the whole line in the dialect's
//   notify_format; of a line-seize NOTIFY: `<uri>;appearance-index=N` for the
//   seized index, and no Call-Info when seized_index is 0.
// - No Call-Info either when the effect's line URI is empty (a terminated
//   NOTIFY for a line the server no longer stores).
// - dialog;shared (RFC 7463): no Call-Info; when the effect has a line URI,
//   `Content-Type: application/dialog-info+xml` and no Content-Length: the
//   stack writes the body with write_dialog_info() (dialog_info/build.hpp)
//   and its Content-Length. Without a line URI there is no body
//   (`Content-Length: 0`).
// - notify_options::entry_uri replaces the line's URI inside the Call-Info
//   entries (Kamailio writes `sip:` + the line's domain there).
//
// Refused, with nothing written: see build/error.hpp and build/call_info.hpp.
#pragma once

#include <callinfo/build/call_info.hpp>
#include <callinfo/build/detail/writer.hpp>
#include <callinfo/build/error.hpp>
#include <callinfo/build/event.hpp>
#include <callinfo/build/subscription_state.hpp>
#include <callinfo/policy/dialect.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace callinfo {

// How a NOTIFY is written: the dialect's two NOTIFY settings, and the URI of
// the Call-Info entries.
struct notify_options {
  notify_format format = notify_format::single_entry;
  bool expires_in_initial_notify = true;
  std::string_view entry_uri{};  // empty: the line's own URI
};

// The options a Dialect policy implies (its entry_uri is left empty).
template <dialect_policy D>
constexpr notify_options notify_options_for() noexcept {
  notify_options o;
  o.format = D::format;
  o.expires_in_initial_notify = D::expires_in_initial_notify;
  return o;
}

template <sink Sink>
build_result write_notify_headers(notify const& n, notify_options const& o, Sink& out) {
  // Everything is checked before the first byte is written.
  if (!detail::is_known_value(n.event) || !detail::is_writable(n.state)) return build_errc::bad_value;
  bool const terminated = n.state == substate::terminated;
  event_reason const* const reason = terminated && n.reason ? &*n.reason : nullptr;
  if (reason != nullptr && !detail::is_writable(*reason)) return build_errc::bad_value;
  bool const with_expires = n.expires && !terminated && !(n.initial && !o.expires_in_initial_notify);
  std::uint32_t const* const expires = with_expires ? &*n.expires : nullptr;

  bool const call_info = n.event == event_package::call_info;
  std::string_view const uri = o.entry_uri.empty() ? n.line.uri : o.entry_uri;
  bool const dialog_body = n.event == event_package::dialog_shared && !n.line.uri.empty();
  bool const with_call_info =
      n.event != event_package::dialog_shared && !n.line.uri.empty() && (call_info || n.seized_index != 0);
  if (with_call_info) {
    build_errc const e = call_info ? detail::check_call_info(n.line, o.format, uri)
                                   : (detail::is_absolute_uri(uri) ? build_errc::ok : build_errc::bad_uri);
    if (e != build_errc::ok) return e;
  }

  detail::staging_writer<Sink> w(out);
  w.put("Event: ");
  w.append(to_string(n.event));
  w.put("\r\nSubscription-State: ");
  detail::put_subscription_state(w, n.state, reason, expires);
  w.put("\r\n");
  if (with_call_info) {
    w.put("Call-Info: ");
    if (call_info)
      detail::put_call_info(w, n.line, o.format, uri);
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

// The same, with the options of Dialect policy D.
template <dialect_policy D, sink Sink>
build_result write_notify_headers(notify const& n, Sink& out) {
  return write_notify_headers(n, notify_options_for<D>(), out);
}

}  // namespace callinfo
