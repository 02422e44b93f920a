// sca-server — SIP message helpers: a request's headers as the text the
// library's parsers read, the AOR of a URL, the Allow-Events and body-type
// constants, and the builders' headers handed to nta.
#pragma once

#include "nta_glue.hpp"

#include <callinfo/error.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sca {

bool iequals(std::string_view a, std::string_view b);

// The text of a header Sofia has parsed, as Sofia writes it back: Sofia
// parses a message in place and keeps no copy of its raw text, so the field
// is written again from the parsed parts (params as they were received).
std::string field_text(msg_header_t const* h);

// Whether Sofia found a header named `name` it could not parse.
bool has_bad_header(sip_t const* sip, std::string_view name);

std::optional<std::string> if_match_text(sip_t const* sip);

std::optional<std::string> event_text(sip_t const* sip);
std::optional<std::string> expires_text(sip_t const* sip);
std::optional<std::string> call_info_text(sip_t const* sip);

// "sip:user@host" of a Sofia URL: the AOR of a line or a watcher.
std::string aor(url_t const* u);

// Whether `u` is a sip: or sips: URI, the only schemes the server routes
// (lines, and the Contact its NOTIFYs go to).
bool is_sip_url(url_t const* u);

std::string parse_failure(std::string_view header, callinfo::parse_error const& e);

// Allow-Events lists event types without parameters (RFC 6665 §8.4), so
// the RFC 7463 package appears as "dialog" (served as Event: dialog;shared).
inline constexpr char const* allow_subscribe_events = "Allow-Events: call-info, line-seize, dialog\r\n";
#if SCA_SERVER_DIALOG_INFO
inline constexpr char const* allow_publish_events = "Allow-Events: call-info, dialog\r\n";
#else
inline constexpr char const* allow_publish_events = "Allow-Events: call-info\r\n";
#endif

inline constexpr std::string_view dialog_info_type = "application/dialog-info+xml";

// A SUBSCRIBE without Accept takes the package's default body type
// (application/dialog-info+xml for RFC 4235's dialog package); with Accept,
// one of its types (or a wildcard covering it) must be that one.
bool accepts_dialog_info(sip_t const* sip);

// The headers a builder hands out one by one (callinfo::header_sink), as nta
// takes them: `block` joins them as "Name: value\r\n" lines for
// SIPTAG_HEADER_STR; the Call-Info goes apart, as SIPTAG_UNKNOWN_STR
// ("Call-Info: value"), because Sofia would parse it from the block and
// write one Call-Info line per entry: sent as an unknown header, it goes to
// the wire as one line, exactly as the builder wrote it (the OpenSIPS and
// Kamailio forms both stay as they are). The builders hand out no
// Content-Length: nta writes it.
struct nta_headers {
  std::string block;
  std::string call_info;  // empty, or "Call-Info: <value>"

  void operator()(std::string_view name, std::string_view value);
};

// Room for the builders' header values (for_each_*_header()): 64 KiB, the
// largest datagram, so any message nta can send fits. One buffer serves
// every message: the server is single-threaded and nta copies the headers
// before the next one is built.
std::span<char> header_values();

}  // namespace sca
