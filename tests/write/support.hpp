// Shared helpers for the builder suites: run a builder into a string or a
// bounded buffer, show control bytes in failure messages, check the
// fixed_sink overflow contract at every capacity, split a header block and
// collect what a per-header writer hands out.
#pragma once

#include <callinfo/write/call_info.hpp>
#include <callinfo/write/error.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/write/header_sink.hpp>
#include <callinfo/write/notify.hpp>
#include <callinfo/write/response.hpp>
#include <callinfo/write/subscription_state.hpp>
#include <callinfo/sink.hpp>

#include "../support/show.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace callinfo_build_test {

using callinfo_test_support::show;

// What a builder wrote into a string, and what it returned.
struct written {
  callinfo::build_result result;
  std::string text;
};

// Runs `build(sink)` with a string_sink.
template <class Build>
written write_string(Build const& build) {
  written w;
  callinfo::string_sink sink(w.text);
  w.result = build(sink);
  return w;
}

// Runs `build(sink)` with a string_sink and requires success.
template <class Build>
std::string ok_text(Build const& build) {
  written w = write_string(build);
  INFO("text: " << show(w.text));
  CHECK(std::string(callinfo::name(w.result.code)) == "ok");
  return w.text;
}

// The overflow contract at every capacity 0..full: below the full length the
// builder reports overflow, the sink says so, holds a prefix of the full text
// and nothing after the capacity is touched; at the full length the text is
// written whole.
template <class Build>
void check_every_capacity(Build const& build) {
  std::string const full = ok_text(build);
  constexpr std::size_t guard = 32;
  constexpr char guard_byte = '\xA5';
  std::vector<char> buf(full.size() + guard);
  bool all_ok = true;
  for (std::size_t cap = 0; cap <= full.size() && all_ok; ++cap) {
    std::memset(buf.data(), guard_byte, buf.size());
    callinfo::fixed_sink sink(buf.data(), cap);
    callinfo::build_result const r = build(sink);
    bool const fits = cap == full.size();
    bool guard_intact = true;
    for (std::size_t i = cap; i < buf.size(); ++i) guard_intact = guard_intact && buf[i] == guard_byte;
    bool const prefix = full.compare(0, sink.size(), sink.view()) == 0;
    bool const ok = guard_intact && prefix && sink.size() <= cap &&
                    (fits ? (r.ok() && !sink.overflowed() && sink.view() == full)
                          : (r.code == callinfo::build_errc::overflow && sink.overflowed()));
    if (!ok) {
      INFO("capacity " << cap << " of " << full.size() << ": " << callinfo::name(r.code)
                       << ", guard intact " << guard_intact << ", prefix " << prefix << ", wrote "
                       << show(sink.view()));
      CHECK(ok);
      all_ok = false;
    }
  }
  CHECK(all_ok);
}

// A refusal writes nothing, into a string or a fixed_sink, and names the code.
template <class Build>
void check_refused(Build const& build, callinfo::build_errc code) {
  written const w = write_string(build);
  CHECK(std::string(callinfo::name(w.result.code)) == std::string(callinfo::name(code)));
  CHECK(w.text.empty());
  char buf[4096];
  callinfo::fixed_sink sink(buf, sizeof buf);
  callinfo::build_result const r = build(sink);
  CHECK(r.code == code);
  CHECK(sink.size() == 0);
  CHECK_FALSE(sink.overflowed());
}

// Splits a header block into (name, value) pairs; every line must end in CRLF.
inline std::vector<std::pair<std::string, std::string>> headers_of(std::string const& block) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < block.size()) {
    std::size_t const eol = block.find("\r\n", pos);
    REQUIRE(eol != std::string::npos);
    std::string const line = block.substr(pos, eol - pos);
    std::size_t const colon = line.find(": ");
    REQUIRE(colon != std::string::npos);
    out.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    pos = eol + 2;
  }
  return out;
}

// What a per-header writer handed out, in order, and what it returned.
struct handed_out {
  callinfo::build_result result;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Runs `for_each(f)` with an f that copies every (name, value) it is given.
template <class ForEach>
handed_out collect(ForEach const& for_each) {
  handed_out h;
  h.result = for_each([&](std::string_view name, std::string_view value) { h.headers.emplace_back(name, value); });
  return h;
}

inline callinfo::appearance make_appearance(std::uint32_t index, callinfo::appearance_state state,
                                            std::string remote = {}) {
  callinfo::appearance a;
  a.index = index;
  a.state = state;
  a.remote = std::move(remote);
  return a;
}

// An idle line.
inline callinfo::line_view view_of(std::string_view uri) {
  callinfo::line_view v;
  v.uri = uri;
  return v;
}
// Views `busy`, which must outlive the view.
inline callinfo::line_view view_of(std::string_view uri, std::vector<callinfo::appearance> const& busy) {
  callinfo::line_view v;
  v.uri = uri;
  v.busy = busy;
  return v;
}

// A NOTIFY effect of subscription 7.
inline callinfo::notify make_notify(callinfo::event_package e, callinfo::substate s,
                                    std::optional<std::uint32_t> expires, callinfo::line_view line,
                                    std::uint32_t seized = 0) {
  callinfo::notify n;
  n.subscription = 7;
  n.event = e;
  n.state = s;
  n.expires = expires;
  n.line = line;
  n.seized_index = seized;
  return n;
}

// A notify as a server of dialect D makes it (format and initial expires).
template <class D>
callinfo::notify as(callinfo::notify n) {
  n.format = D::format;
  n.expires_in_initial = D::expires_in_initial_notify;
  return n;
}

inline callinfo::response make_response(std::uint16_t code, std::string_view reason,
                                        callinfo::event_package e = callinfo::event_package::call_info) {
  callinfo::response r;
  r.code = code;
  r.reason = reason;
  r.event = e;
  return r;
}

}  // namespace callinfo_build_test
