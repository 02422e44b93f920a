// callinfo — the Event header value of the call-info and line-seize packages.
//
//   Event       = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )   RFC 6665 §8.4
//   event-param = generic-param / ( "id" EQUAL token )
//
// Writes `call-info`, `line-seize`, or either with `;id=<token>`.
// parse_event() reads the text back to the same package and id.
//
// Refused, with nothing written: an id that is not a token (bad_token), an
// event_package out of range (bad_value).
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/sink.hpp>

#include <cstdint>
#include <string_view>

namespace callinfo::inline v1 {

namespace detail {

constexpr bool is_known_value(event_package e) noexcept {
  return e == event_package::call_info || e == event_package::line_seize || e == event_package::dialog_shared;
}

// The Event value, checked by the caller: the package, `;id=<id>` when
// there is one (NOTIFYs and responses echo the subscription's id).
template <class Writer>
void put_event(Writer& w, event_package event, std::string_view id) {
  w.append(to_string(event));
  if (!id.empty()) {
    w.put(";id=");
    w.append(id);
  }
}

}  // namespace detail

/// `call-info` / `line-seize`, with `;id=` when `id` is not empty.
template <sink Sink>
build_result write_event(event_package event, std::string_view id, Sink& out) {
  if (!detail::is_known_value(event)) return build_errc::bad_value;
  if (!id.empty() && !detail::is_token_value(id)) return build_errc::bad_token;
  detail::staging_writer<Sink> w(out);
  detail::put_event(w, event, id);
  w.flush();
  return detail::finish_build(out);
}

/// The Event value of `event`, without an id param.
template <sink Sink>
build_result write_event(event_package event, Sink& out) {
  return write_event(event, std::string_view{}, out);
}

}  // namespace callinfo::v1
