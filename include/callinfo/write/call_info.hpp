// callinfo — the Call-Info header value of call-info and line-seize NOTIFYs.
//
//   Call-Info  = "Call-Info" HCOLON info *(COMMA info)          RFC 3261 §20.9, §25.1
//   info       = LAQUOT absoluteURI RAQUOT *( SEMI info-param)
// with the Shared Call Appearance params (appearance-index, appearance-state,
// appearance-uri) as OpenSIPS presence_callinfo and Kamailio sca send them.
//
// A line_view lists the busy appearances sorted by index; every other
// appearance is idle and is folded into the wildcard `appearance-index=*`.
//
// notify_format::single_entry (OpenSIPS, sca_print_line_status): one entry,
// the params repeated per appearance, the idle wildcard last, no
// appearance-uri:
//   <sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=2;appearance-state=held;appearance-index=*;appearance-state=idle
//
// notify_format::entry_per_appearance (Kamailio sca, BroadWorks): one entry
// per busy appearance, appearance-uri when it has a remote party, then the
// idle wildcard entry:
//   <sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-uri="<sip:callee@127.0.0.1>",<sip:bob@example.com>;appearance-index=*;appearance-state=idle
// The entry URI is the line's own; Kamailio writes `sip:` + the line's
// domain, which a caller can pass as `entry_uri`.
//
// line-seize NOTIFY: `<uri>;appearance-index=N`.
//
// appearance-uri is a quoted-string whose content is the stored remote: a
// name-addr (anything containing '<') as it is, a bare URI wrapped in <...>;
// '"' and '\' become quoted-pairs. parse_call_info() reads every value
// written here back to the same appearances (unescape() of the
// appearance-uri's unquoted() value gives the name-addr).
//
// Refused, with nothing written (see write/error.hpp): a URI that is not an
// absoluteURI (so no CTL, whitespace, '<', '>' or '"'): bad_uri; a remote
// with a CTL or %xFE-FF (only checked where it is written): bad_remote; an
// appearance_state or notify_format out of range: bad_value.
#pragma once

#include <callinfo/write/detail/writer.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/line/line_state.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/policy/dialect.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/sink.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace callinfo::inline v1 {

namespace detail {

// Checks everything write_call_info() would write for this line.
inline build_errc check_call_info(line_view const& line, notify_format format, std::string_view entry_uri) noexcept {
  if (format != notify_format::single_entry && format != notify_format::entry_per_appearance)
    return build_errc::bad_value;
  if (!is_absolute_uri(entry_uri)) return build_errc::bad_uri;
  for (appearance const& a : line.busy) {
    if (!is_known_value(a.state)) return build_errc::bad_value;
    if (format == notify_format::entry_per_appearance && !remote_is_writable(a.remote)) return build_errc::bad_remote;
  }
  return build_errc::ok;
}

// The appearance-state tokens padded to 16 bytes, so each is copied with
// one fixed-size move (to_string() gives the same tokens).
struct padded_state_name {
  char text[16];
  std::uint8_t size;
};
inline constexpr padded_state_name padded_state_names[appearance_state_count] = {
    {"idle", 4}, {"seized", 6}, {"progressing", 11}, {"alerting", 8},
    {"active", 6}, {"held", 4}, {"held-private", 12}};

constexpr bool padded_state_names_match() noexcept {
  for (appearance_state s : all_appearance_states) {
    padded_state_name const& n = padded_state_names[static_cast<std::size_t>(s)];
    if (std::string_view(n.text, n.size) != to_string(s)) return false;
  }
  return true;
}
static_assert(padded_state_names_match(), "padded_state_names must spell to_string(appearance_state)");

// `;appearance-index=N;appearance-state=S`, at most this long:
inline constexpr std::size_t max_appearance_size = 18 + max_uint_digits + 18 + 16;

template <class Writer>
void put_appearance(Writer& w, std::uint32_t index, appearance_state state) {
  padded_state_name const& name = padded_state_names[static_cast<std::size_t>(state)];
  char* p = w.reserve(max_appearance_size);
  p = put_literal(p, ";appearance-index=");
  p = put_digits(p, index);
  p = put_literal(p, ";appearance-state=");
  std::memcpy(p, name.text, sizeof name.text);
  w.commit(p + name.size);
}

template <class Writer>
void put_entry_uri(Writer& w, std::string_view uri) {
  w.push('<');
  w.append(uri);
  w.push('>');
}

// Writes a checked line (check_call_info() returned ok).
template <class Writer>
void put_call_info(Writer& w, line_view const& line, notify_format format, std::string_view uri) {
  put_entry_uri(w, uri);
  if (format == notify_format::single_entry) {
    for (appearance const& a : line.busy) put_appearance(w, a.index, a.state);
  } else {
    for (appearance const& a : line.busy) {
      put_appearance(w, a.index, a.state);
      if (!a.remote.empty()) {
        w.put(";appearance-uri=\"");
        if (is_name_addr(a.remote)) {
          put_escaped(w, a.remote);
        } else {
          w.push('<');
          put_escaped(w, a.remote);
          w.push('>');
        }
        w.push('"');
      }
      w.push(',');
      put_entry_uri(w, uri);
    }
  }
  w.put(";appearance-index=*;appearance-state=idle");
}

template <class Writer>
void put_line_seize(Writer& w, std::string_view uri, std::uint32_t index) {
  put_entry_uri(w, uri);
  w.put(";appearance-index=");
  w.put_uint(index);
}

}  // namespace detail

/// The Call-Info value of a call-info NOTIFY for `line`, each entry naming
/// `entry_uri` (empty: the line's URI).
template <sink Sink>
build_result write_call_info(line_view const& line, notify_format format, std::string_view entry_uri, Sink& out) {
  std::string_view const uri = entry_uri.empty() ? line.uri : entry_uri;
  if (build_errc const e = detail::check_call_info(line, format, uri); e != build_errc::ok) return e;
  detail::staging_writer<Sink> w(out);
  detail::put_call_info(w, line, format, uri);
  w.flush();
  return detail::finish_build(out);
}

/// The same, each entry naming the line's URI.
template <sink Sink>
build_result write_call_info(line_view const& line, notify_format format, Sink& out) {
  return write_call_info(line, format, std::string_view{}, out);
}

/// The Call-Info value of a line-seize NOTIFY: `<uri>;appearance-index=N`.
template <sink Sink>
build_result write_line_seize_call_info(std::string_view uri, std::uint32_t index, Sink& out) {
  if (!detail::is_absolute_uri(uri)) return build_errc::bad_uri;
  detail::staging_writer<Sink> w(out);
  detail::put_line_seize(w, uri, index);
  w.flush();
  return detail::finish_build(out);
}

}  // namespace callinfo::v1
