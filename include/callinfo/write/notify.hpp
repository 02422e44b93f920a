// callinfo — the headers of a call-info / line-seize NOTIFY, from a `notify`
// effect.
//
//   NOTIFY headers         RFC 6665 §8.1.2 (Event, Subscription-State)
//   Subscription-State     RFC 6665 §4.1.3, §8.4
//   Call-Info              RFC 3261 §20.9 with the SCA params (write/call_info.hpp)
//
// The headers the stack adds to its in-dialog NOTIFY (the stack owns the
// request line, Via, From, To, Call-ID, CSeq, Contact, ...), in this order:
//
//   Event: call-info                     (`;id=<id>` when the subscription has one)
//   Subscription-State: active;expires=3599
//   Call-Info: <sip:bob@example.com>;appearance-index=*;appearance-state=idle
//   Content-Type: application/dialog-info+xml    (dialog;shared with a body only)
//
// write_notify_headers() writes them as a block, each line ending in CRLF,
// and then `Content-Length: 0` when the NOTIFY has no body.
// for_each_notify_header() hands them out one by one as (name, value) pairs
// (write/header_sink.hpp) and leaves Content-Length to the stack. Both run
// the same sequence (detail::put_notify_headers()) after the same checks.
//
// - Subscription-State: `terminated` carries the reason (when the effect has
//   one) and never expires; `active` / `pending` carry the seconds left,
//   except in the initial NOTIFY when the effect says so
//   (notify::expires_in_initial false: Kamailio sca sends a bare `active`
//   right after the SUBSCRIBE). A reason on a state other than terminated is
//   not written.
// - Call-Info of a call-info NOTIFY: the whole line in the effect's
//   notify::format (the server's dialect); of a line-seize NOTIFY:
//   `<uri>;appearance-index=N` for the seized index, and no Call-Info when
//   seized_index is 0.
// - No Call-Info either when the effect's line URI is empty (a terminated
//   NOTIFY for a line the server no longer stores).
// - dialog;shared (RFC 7463): no Call-Info; when the effect has a line URI,
//   `Content-Type: application/dialog-info+xml` and, in the block, no
//   Content-Length: the stack writes the body with write_dialog_info()
//   (dialog_info/write.hpp) and its Content-Length. Without a line URI
//   there is no body (the block ends in `Content-Length: 0`).
// - notify_options::entry_uri replaces the line's URI inside the Call-Info
//   entries (Kamailio writes `sip:` + the line's domain there).
//
// Refused, with nothing written and no header handed out: see
// write/error.hpp and write/call_info.hpp.
#pragma once

#include <callinfo/write/call_info.hpp>
#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/write/header_sink.hpp>
#include <callinfo/write/subscription_state.hpp>
#include <callinfo/policy/dialect.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

namespace callinfo::inline v1 {

/// What the stack may change in a NOTIFY: the URI of the Call-Info entries.
/// (The dialect's format comes with the effect, set by the server.)
struct notify_options {
  std::string_view entry_uri{};  ///< empty: the line's own URI
};

namespace detail {

// A notify effect checked for writing, and what its headers carry.
struct notify_plan {
  event_reason const* reason = nullptr;   // Subscription-State ;reason=
  std::uint32_t const* expires = nullptr;  // Subscription-State ;expires=
  std::string_view entry_uri;              // the URI of the Call-Info entries
  bool with_call_info = false;
  bool call_info = false;    // the Call-Info is the whole line (else line-seize's one appearance)
  bool dialog_body = false;  // dialog;shared with a line: Content-Type, and a body the stack writes
};

// Checks everything the headers of `n` would carry; fills `p` when ok.
// Inlined into each caller, like the sequence below.
[[gnu::always_inline]] inline build_errc plan_notify(notify const& n, notify_options const& o, notify_plan& p) noexcept {
  if (!is_known_value(n.event) || !is_writable(n.state)) return build_errc::bad_value;
  if (!n.event_id.empty() && !is_token_value(n.event_id)) return build_errc::bad_token;
  bool const terminated = n.state == substate::terminated;
  p.reason = terminated && n.reason ? &*n.reason : nullptr;
  if (p.reason != nullptr && !is_writable(*p.reason)) return build_errc::bad_value;
  bool const with_expires = n.expires && !terminated && !(n.initial && !n.expires_in_initial);
  p.expires = with_expires ? &*n.expires : nullptr;
  p.call_info = n.event == event_package::call_info;
  p.entry_uri = o.entry_uri.empty() ? n.line.uri : o.entry_uri;
  p.dialog_body = n.event == event_package::dialog_shared && !n.line.uri.empty();
  p.with_call_info =
      n.event != event_package::dialog_shared && !n.line.uri.empty() && (p.call_info || n.seized_index != 0);
  if (p.with_call_info) {
    build_errc const e = p.call_info ? check_call_info(n.line, n.format, p.entry_uri)
                                     : (is_absolute_uri(p.entry_uri) ? build_errc::ok : build_errc::bad_uri);
    if (e != build_errc::ok) return e;
  }
  return build_errc::ok;
}

// The headers of a checked NOTIFY, in order: the one sequence behind
// write_notify_headers() and for_each_notify_header(). `h(name, value)`
// takes each header's name and a function writing its value. No
// Content-Length: that is the block writer's. Inlined into each caller
// with plan_notify(), so the block is written about as fast as by the
// hand-written body it replaced (gcc 12 otherwise keeps both out of line
// and calls put_event() and put_subscription_state() from the sequence:
// 3-8% slower on bench/'s BM_write_notify_headers_8).
inline constexpr std::size_t max_notify_headers = 4;

template <class Headers>
[[gnu::always_inline]] inline void put_notify_headers(Headers& h, notify const& n, notify_plan const& p) {
  h("Event", [&](auto& w) { put_event(w, n.event, n.event_id); });
  h("Subscription-State", [&](auto& w) { put_subscription_state(w, n.state, p.reason, p.expires); });
  if (p.with_call_info)
    h("Call-Info", [&](auto& w) {
      if (p.call_info)
        put_call_info(w, n.line, n.format, p.entry_uri);
      else
        put_line_seize(w, p.entry_uri, n.seized_index);
    });
  if (p.dialog_body) h("Content-Type", [](auto& w) { w.put("application/dialog-info+xml"); });
}

}  // namespace detail

/// The header block, each header ending in CRLF, `Content-Length: 0` last
/// unless the NOTIFY has a dialog-info body (then the stack writes the body
/// and its Content-Length).
template <sink Sink>
build_result write_notify_headers(notify const& n, notify_options const& o, Sink& out) {
  // Everything is checked before the first byte is written.
  detail::notify_plan p;
  if (build_errc const e = detail::plan_notify(n, o, p); e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  detail::header_lines lines(w);
  detail::put_notify_headers(lines, n, p);
  lines.end();
  if (!p.dialog_body) w.put("Content-Length: 0\r\n");
  w.flush();
  return detail::finish_build(out);
}

/// The same, with the line's own URI in the entries.
template <sink Sink>
build_result write_notify_headers(notify const& n, Sink& out) {
  return write_notify_headers(n, notify_options{}, out);
}

/// The same headers one by one, without Content-Length, their values
/// written into `buffer`: f(name, value) for each, in the order above, once
/// every check has passed and every value is written (write/header_sink.hpp).
template <class F>
build_result for_each_notify_header(notify const& n, notify_options const& o, std::span<char> buffer, F&& f) {
  detail::check_header_sink<std::remove_reference_t<F>>();
  detail::notify_plan p;
  if (build_errc const e = detail::plan_notify(n, o, p); e != build_errc::ok) return e;
  detail::header_values<detail::max_notify_headers> values(buffer);
  detail::put_notify_headers(values, n, p);
  return values.hand_out(f);
}

/// The same, the values in header_values_capacity bytes on the stack.
template <class F>
build_result for_each_notify_header(notify const& n, notify_options const& o, F&& f) {
  char buffer[header_values_capacity];
  return for_each_notify_header(n, o, std::span<char>(buffer), f);
}

/// The same with the default notify_options.
template <class F>
build_result for_each_notify_header(notify const& n, F&& f) {
  return for_each_notify_header(n, notify_options{}, f);
}

}  // namespace callinfo::v1
