// sca-libre — libre's side: its C headers (every source includes libre
// through this header) and the helpers that read a received sip_msg for the
// library's parsers and hand the builders' headers to libre.
#pragma once

// libre's headers are C and take their types from the headers its own
// build names with HAVE_* macros: without HAVE_STDBOOL_H, re_types.h would
// define `bool`, `true` and `false` as macros, which breaks any C++ after
// it; without <errno.h> first, it would give ETIMEDOUT and others values of
// its own instead of the system's, which libre returns.
#ifndef HAVE_INTTYPES_H
#define HAVE_INTTYPES_H 1
#endif
#ifndef HAVE_STDBOOL_H
#define HAVE_STDBOOL_H 1
#endif
#ifndef HAVE_INET6
#define HAVE_INET6 1
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>

#include <re.h>

#include <callinfo/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sca_libre {

// A libre pointer-length string as a view: libre decodes a message in place,
// so a header's value is a view into the received datagram, valid while its
// handler runs: what the library's parsers read.
inline std::string_view view(pl const& p) noexcept {
  return p.p != nullptr ? std::string_view(p.p, p.l) : std::string_view();
}

// The value of the first header `id`, if the request has one.
inline std::optional<std::string_view> header(sip_msg const* msg, sip_hdrid id) {
  sip_hdr const* h = sip_msg_hdr(msg, id);
  if (h == nullptr) return std::nullopt;
  return view(h->val);
}

// Every Call-Info header of the request as one value (RFC 3261 §7.3.1:
// several header lines are one comma-separated list).
inline std::optional<std::string> call_info_text(sip_msg const* msg) {
  std::optional<std::string> out;
  for (le const* e = msg->hdrl.head; e != nullptr; e = e->next) {
    auto const* h = static_cast<sip_hdr const*>(e->data);
    if (h->id != SIP_HDR_CALL_INFO) continue;
    if (out)
      out->append(", ").append(view(h->val));
    else
      out.emplace(view(h->val));
  }
  return out;
}

// "sip:user@host" of a URI: the AOR of a line, a watcher or a publisher.
inline std::string aor(uri const& u) {
  std::string s(view(u.scheme).empty() ? std::string_view("sip") : view(u.scheme));
  s += ':';
  if (u.user.l != 0) s.append(view(u.user)).append("@");
  return s.append(view(u.host));
}

// "Contact: <sip:USER@ADDR:PORT>\r\n" for a local address (a request's
// destination, the source a NOTIFY leaves from).
inline std::string contact_header(std::string_view user, sa const& local) {
  char address[64] = "";
  (void)re_snprintf(address, sizeof address, "%J", &local);
  return "Contact: <sip:" + std::string(user) + "@" + address + ">\r\n";
}

// The builders' headers one by one (callinfo::header_sink), joined as the
// "Name: value\r\n" lines that sip_treplyf() and sip_drequestf() take after
// the headers libre writes itself (Via, From, To, Call-ID, CSeq, ...).
// No Content-Length: the caller ends the block with it.
struct header_block {
  std::string text;
  void operator()(std::string_view name, std::string_view value) {
    text.append(name).append(": ").append(value).append("\r\n");
  }
};

// Room for the builders' header values: 64 KiB, the largest datagram. One
// buffer for every message: the server is single-threaded (libre's main
// loop) and libre copies the headers before the next message is built.
inline std::span<char> header_values() {
  static char values[65536];
  return values;
}

inline std::string parse_failure(std::string_view header, callinfo::parse_error const& e) {
  return std::string(header) + ": " + std::string(callinfo::name(e.code)) + " at offset " + std::to_string(e.offset);
}

// A header block on one line, for the log: "A: 1 | B: 2".
inline std::string one_line(std::string_view block) {
  std::string out;
  for (std::size_t at = 0; at < block.size();) {
    std::size_t const end = std::min(block.find("\r\n", at), block.size());
    out.append(out.empty() ? "" : " | ").append(block.substr(at, end - at));
    at = end + 2;
  }
  return out;
}

// One line to stderr per request, response, NOTIFY and state change.
inline void log_line(std::string const& s) { std::fprintf(stderr, "sca-libre: %s\n", s.c_str()); }

}  // namespace sca_libre
