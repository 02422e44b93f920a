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
// write_status_line():      `SIP/2.0 <code> <reason>\r\n`
// write_response_headers(): in this order, each ending in CRLF:
//   Event: <package>[;id=<id>]             always (the SUBSCRIBE's Event id echoed)
//   Expires: N                             when the effect has expires
//   SIP-ETag: <etag>                       when the effect's etag is not empty
//   Min-Expires: N                         when set
//   Retry-After: N                         when set
//   Allow-Events: call-info, line-seize[, dialog]   when the effect lists packages
//                                          (the server does on a 2xx to SUBSCRIBE and a 489)
// write_response(): both. The stack adds Via, From, To, Call-ID, CSeq,
// Contact and Content-Length.
//
//
// Refused, with nothing written: a status code outside 100..699
// (bad_status_code), a reason phrase with a CTL other than HTAB
// (bad_reason_phrase), an etag that is not a token (bad_token), an
// event_package out of range (bad_value).
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <string_view>

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

template <class Writer>
void put_status_line(Writer& w, response const& r) {
  w.put("SIP/2.0 ");
  w.put_uint(r.code);
  w.push(' ');
  w.append(r.reason);
  w.put("\r\n");
}

template <class Writer>
void put_response_headers(Writer& w, response const& r) {
  w.put("Event: ");
  put_event(w, r.event, r.event_id);
  w.put("\r\n");
  if (r.expires) {
    w.put("Expires: ");
    w.put_uint(*r.expires);
    w.put("\r\n");
  }
  if (!r.etag.empty()) {
    w.put("SIP-ETag: ");
    w.append(r.etag);
    w.put("\r\n");
  }
  if (r.min_expires) {
    w.put("Min-Expires: ");
    w.put_uint(*r.min_expires);
    w.put("\r\n");
  }
  if (r.retry_after) {
    w.put("Retry-After: ");
    w.put_uint(*r.retry_after);
    w.put("\r\n");
  }
  if (r.allow_events != 0) {
    w.put("Allow-Events: ");
    bool first = true;
    for (event_package e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared}) {
      if ((r.allow_events & package_bit(e)) == 0) continue;
      if (!first) w.put(", ");
      w.append(allow_events_name(e));
      first = false;
    }
    w.put("\r\n");
  }
}

}  // namespace detail

template <sink Sink>
build_result write_status_line(response const& r, Sink& out) {
  if (build_errc const e = detail::check_status_line(r); e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  detail::put_status_line(w, r);
  w.flush();
  return detail::finish_build(out);
}

template <sink Sink>
build_result write_response_headers(response const& r, Sink& out) {
  if (build_errc const e = detail::check_response_headers(r); e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  detail::put_response_headers(w, r);
  w.flush();
  return detail::finish_build(out);
}

// The status line, then the headers.
template <sink Sink>
build_result write_response(response const& r, Sink& out) {
  build_errc e = detail::check_status_line(r);
  if (e == build_errc::ok) e = detail::check_response_headers(r);
  if (e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  detail::put_status_line(w, r);
  detail::put_response_headers(w, r);
  w.flush();
  return detail::finish_build(out);
}

}  // namespace callinfo::v1
