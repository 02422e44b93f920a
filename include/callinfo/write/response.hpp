// callinfo — the status line and headers of a response, from a `response`
// effect.
//
//   Status-Line   = SIP-Version SP Status-Code SP Reason-Phrase CRLF   RFC 3261 §7.2, §25.1
//   Event         RFC 6665 §8.2.1 (responses to SUBSCRIBE echo the package)
//   Expires       RFC 3261 §20.19, RFC 6665 §4.2.1.1, RFC 3903 §4.1 (2xx to SUBSCRIBE / PUBLISH)
//   SIP-ETag      RFC 3903 §11.3.1 (2xx to PUBLISH)
//   Min-Expires   RFC 3261 §20.23 (423 Interval Too Brief)
//   Retry-After   RFC 3261 §20.33 (480 to a conflicting line-seize, Kamailio sca)
//   Allow-Events  RFC 6665 §8.2.2 (2xx to SUBSCRIBE as Kamailio sca sends it, 489)
//
// The headers, in this order:
//   Event: <package>[;id=<id>]             always (the SUBSCRIBE's Event id echoed)
//   Expires: N                             when the effect has expires
//   SIP-ETag: <etag>                       when the effect's etag is not empty
//   Min-Expires: N                         when set
//   Retry-After: N                         when set
//   Allow-Events: call-info, line-seize[, dialog]   when the effect lists packages
//                                          (the server does on a 2xx to SUBSCRIBE and a 489)
//
// write_status_line():        `SIP/2.0 <code> <reason>\r\n`
// write_response_headers():   the headers as a block, each line ending in CRLF
// write_response():           both
// for_each_response_header(): the headers one by one as (name, value) pairs
//                             (write/header_sink.hpp), for a stack that sets
//                             the status line from `code` and `reason` and
//                             the headers through its own API; it checks the
//                             status code and reason phrase too, so one call
//                             vets all the stack takes from the effect.
// All of them run the same sequence (detail::put_response_headers()). The
// stack adds Via, From, To, Call-ID, CSeq, Contact and Content-Length.
//
// Refused, with nothing written and no header handed out: a status code
// outside 100..699 (bad_status_code), a reason phrase with a CTL other than
// HTAB (bad_reason_phrase), an etag or Event id that is not a token
// (bad_token), an event_package out of range (bad_value).
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/write/header_sink.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>

namespace callinfo::inline v1 {

namespace detail {

constexpr build_errc check_status_line(response const& r) noexcept {
  if (r.code < 100 || r.code > 699) return build_errc::bad_status_code;
  if (!is_safe_phrase(r.reason)) return build_errc::bad_reason_phrase;
  return build_errc::ok;
}
constexpr build_errc check_response_headers(response const& r) noexcept {
  if (!is_known_value(r.event)) return build_errc::bad_value;
  if (!r.etag.empty() && !is_token_value(r.etag)) return build_errc::bad_token;
  if (!r.event_id.empty() && !is_token_value(r.event_id)) return build_errc::bad_token;
  return build_errc::ok;
}
// The headers' checks, after the status line's when it is written too.
constexpr build_errc check_response(response const& r, bool status_line) noexcept {
  if (status_line)
    if (build_errc const e = check_status_line(r); e != build_errc::ok) return e;
  return check_response_headers(r);
}

template <class Writer>
void put_status_line(Writer& w, response const& r) {
  w.put("SIP/2.0 ");
  w.put_uint(r.code);
  w.push(' ');
  w.append(r.reason);
  w.put("\r\n");
}

template <class Writer>
void put_allow_events(Writer& w, event_package_set packages) {
  bool first = true;
  for (event_package e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared}) {
    if ((packages & package_bit(e)) == 0) continue;
    if (!first) w.put(", ");
    w.append(allow_events_name(e));
    first = false;
  }
}

// The headers of a checked response, in order: the one sequence behind
// write_response_headers(), write_response() and for_each_response_header().
// `h(name, value)` takes each header's name and a function writing its
// value. Inlined into each caller, as put_notify_headers() is.
inline constexpr std::size_t max_response_headers = 6;

template <class Headers>
[[gnu::always_inline]] inline void put_response_headers(Headers& h, response const& r) {
  h("Event", [&](auto& w) { put_event(w, r.event, r.event_id); });
  if (r.expires) h("Expires", [&](auto& w) { w.put_uint(*r.expires); });
  if (!r.etag.empty()) h("SIP-ETag", [&](auto& w) { w.append(r.etag); });
  if (r.min_expires) h("Min-Expires", [&](auto& w) { w.put_uint(*r.min_expires); });
  if (r.retry_after) h("Retry-After", [&](auto& w) { w.put_uint(*r.retry_after); });
  if (r.allow_events != 0) h("Allow-Events", [&](auto& w) { put_allow_events(w, r.allow_events); });
}

// The block writers: the status line when asked, then each header as a line.
template <sink Sink>
build_result write_response_block(response const& r, bool status_line, Sink& out) {
  if (build_errc const e = check_response(r, status_line); e != build_errc::ok) return e;
  staging_writer<Sink> w(out);
  if (status_line) put_status_line(w, r);
  header_lines lines(w);
  put_response_headers(lines, r);
  lines.end();
  w.flush();
  return finish_build(out);
}

}  // namespace detail

/// The status line of `r`, CRLF included: `SIP/2.0 200 OK\r\n`.
template <sink Sink>
build_result write_status_line(response const& r, Sink& out) {
  if (build_errc const e = detail::check_status_line(r); e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  detail::put_status_line(w, r);
  w.flush();
  return detail::finish_build(out);
}

/// The header block of `r` without the status line (Expires, SIP-ETag, Retry-After, ...).
template <sink Sink>
build_result write_response_headers(response const& r, Sink& out) {
  return detail::write_response_block(r, false, out);
}

/// The status line, then the headers.
template <sink Sink>
build_result write_response(response const& r, Sink& out) {
  return detail::write_response_block(r, true, out);
}

/// The headers one by one, their values written into `buffer`: f(name,
/// value) for each, in the order above, once the status line and every
/// header have passed their checks and every value is written
/// (write/header_sink.hpp).
template <class F>
build_result for_each_response_header(response const& r, std::span<char> buffer, F&& f) {
  detail::check_header_sink<std::remove_reference_t<F>>();
  if (build_errc const e = detail::check_response(r, true); e != build_errc::ok) return e;
  detail::header_values<detail::max_response_headers> values(buffer);
  detail::put_response_headers(values, r);
  return values.hand_out(f);
}

/// The same, the values in header_values_capacity bytes on the stack.
template <class F>
build_result for_each_response_header(response const& r, F&& f) {
  char buffer[header_values_capacity];
  return for_each_response_header(r, std::span<char>(buffer), f);
}

}  // namespace callinfo::v1
