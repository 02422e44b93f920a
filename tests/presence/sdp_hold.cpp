// Hold detection from SDP (RFC 3264 §8.4, RFC 2543 c=0.0.0.0).
#include <callinfo/presence/sdp_hold.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace callinfo;

namespace {
constexpr std::string_view offer =
    "v=0\r\no=alice 2890844526 2890844527 IN IP4 host.example.com\r\ns=-\r\n"
    "c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
std::string with(std::string_view extra_media_line) { return std::string(offer) + std::string(extra_media_line); }
}  // namespace

TEST_CASE("RFC 3264 §8.4: sendonly and inactive audio are hold, sendrecv and recvonly are not") {
  CHECK_FALSE(sdp_is_hold(offer));
  CHECK(sdp_is_hold(with("a=sendonly\r\n")));
  CHECK(sdp_is_hold(with("a=inactive\r\n")));
  CHECK_FALSE(sdp_is_hold(with("a=recvonly\r\n")));
  CHECK_FALSE(sdp_is_hold(with("a=sendrecv\r\n")));
  CHECK(sdp_audio(with("a=recvonly\r\n")).direction == sdp_direction::recvonly);
}

TEST_CASE("RFC 2543 hold: a connection address of 0.0.0.0, at session or media level") {
  std::string s(offer);
  s.replace(s.find("192.0.2.10"), 10, "0.0.0.0");
  CHECK(sdp_is_hold(s));
  CHECK(sdp_is_hold(with("c=IN IP4 0.0.0.0\r\n")));
  CHECK(sdp_is_hold(with("c=IN IP4 0.0.0.0/127\r\n")));
  // A media-level address overrides the session's.
  CHECK_FALSE(sdp_is_hold(std::string(s) + "c=IN IP4 192.0.2.20\r\n"));
}

TEST_CASE("session-level direction applies unless the audio stream has its own") {
  std::string s(offer);
  s.insert(s.find("t=0 0"), "a=sendonly\r\n");
  CHECK(sdp_is_hold(s));
  CHECK_FALSE(sdp_is_hold(s + "a=sendrecv\r\n"));
}

TEST_CASE("only the first audio stream counts; video, disabled audio and LF-only bodies") {
  CHECK_FALSE(sdp_is_hold(with("m=video 51372 RTP/AVP 31\r\na=sendonly\r\n")));
  CHECK_FALSE(sdp_is_hold("v=0\r\nm=audio 0 RTP/AVP 0\r\na=sendonly\r\n"));  // port 0: no audio
  CHECK(sdp_is_hold("v=0\nc=IN IP4 192.0.2.1\nm=audio 4000 RTP/AVP 0\na=inactive\n"));
  CHECK_FALSE(sdp_is_hold(""));
  CHECK_FALSE(sdp_is_hold("garbage without lines"));
  static_assert(sdp_is_hold("m=audio 1 RTP/AVP 0\na=sendonly"));
}
