// callinfo — tell hold from SDP, for the dialog-driven mode.
//
// A re-INVITE (or its answer) puts the call on hold when its audio stream
// is not sent to the holder (RFC 3264 §8.4): `a=sendonly` or `a=inactive`
// on the audio stream or, when the stream has no direction of its own, at
// session level; or the RFC 2543 way, a connection address of 0.0.0.0.
// OpenSIPS' is_audio_on_hold() and Kamailio's sca_call_is_held() apply the
// same tests. A `recvonly` offer is the other side of a hold: the party who
// sends it is being held, not holding.
//
// Reads the body line by line (CRLF or LF), allocates nothing, and treats
// anything it does not understand as "not on hold".
#pragma once

#include <string_view>

namespace callinfo::inline v1 {

/// An SDP media direction attribute (RFC 3264 §5.1); sendrecv when none is given.
enum class sdp_direction : unsigned char { sendrecv, sendonly, recvonly, inactive };

/// What sdp_audio() reads of a body: enough to tell whether it puts the call on hold.
struct sdp_audio_state {
  bool has_audio = false;                             ///< an m=audio line with a non-zero port
  sdp_direction direction = sdp_direction::sendrecv;  ///< the audio stream's, or the session's
  bool null_address = false;                          ///< c=IN IP4 0.0.0.0 for the audio stream
};

namespace detail {
constexpr bool sdp_attribute(std::string_view line, sdp_direction& out) noexcept {
  if (line == "a=sendonly") out = sdp_direction::sendonly;
  else if (line == "a=recvonly") out = sdp_direction::recvonly;
  else if (line == "a=inactive") out = sdp_direction::inactive;
  else if (line == "a=sendrecv") out = sdp_direction::sendrecv;
  else return false;
  return true;
}
constexpr bool sdp_null_connection(std::string_view line) noexcept {
  // c=<nettype> <addrtype> <address>: "c=IN IP4 0.0.0.0" (with an optional /ttl)
  if (!line.starts_with("c=")) return false;
  auto const last = line.rfind(' ');
  if (last == std::string_view::npos) return false;
  std::string_view address = line.substr(last + 1);
  address = address.substr(0, address.find('/'));
  return address == "0.0.0.0";
}
}  // namespace detail

/// The audio stream's direction and address, from the first m=audio section.
constexpr sdp_audio_state sdp_audio(std::string_view sdp) noexcept {
  sdp_audio_state st;
  sdp_direction session_dir = sdp_direction::sendrecv, media_dir = sdp_direction::sendrecv;
  bool session_null = false, media_null = false, media_has_dir = false, media_has_c = false;
  enum { session, audio, other_media, done } section = session;
  while (!sdp.empty() && section != done) {
    auto const nl = sdp.find('\n');
    std::string_view line = sdp.substr(0, nl);
    sdp = nl == std::string_view::npos ? std::string_view{} : sdp.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.starts_with("m=")) {
      if (section == audio) {
        section = done;
        break;
      }
      if (line.starts_with("m=audio ") && !line.starts_with("m=audio 0 ")) {
        section = audio;
        st.has_audio = true;
      } else {
        section = other_media;
      }
      continue;
    }
    if (section == session) {
      detail::sdp_attribute(line, session_dir);
      session_null = session_null || detail::sdp_null_connection(line);
    } else if (section == audio) {
      media_has_dir = detail::sdp_attribute(line, media_dir) || media_has_dir;
      if (line.starts_with("c=")) {
        media_has_c = true;
        media_null = detail::sdp_null_connection(line);
      }
    }
  }
  st.direction = media_has_dir ? media_dir : session_dir;
  st.null_address = media_has_c ? media_null : session_null;
  return st;
}

/// Whether this SDP puts the audio on hold (its sender holds the call).
constexpr bool sdp_is_hold(std::string_view sdp) noexcept {
  sdp_audio_state const st = sdp_audio(sdp);
  return st.has_audio &&
         (st.direction == sdp_direction::sendonly || st.direction == sdp_direction::inactive || st.null_address);
}

}  // namespace callinfo::v1
