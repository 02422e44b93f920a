// write/header_sink.hpp: for_each_notify_header() and
// for_each_response_header() hand out the block writers' headers one by
// one: the same names and values in the same order, no Content-Length,
// every check and every value before the first header, and values in the
// caller's buffer or the stack's.
#include "support.hpp"

#include <callinfo/dialog_info/write.hpp>
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/detail/chars.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using callinfo::appearance;
using callinfo::appearance_state;
using callinfo::build_errc;
using callinfo::event_package;
using callinfo::event_reason;
using callinfo::notify_format;
using callinfo::substate;
using callinfo_build_test::collect;
using callinfo_build_test::handed_out;
using callinfo_build_test::headers_of;
using callinfo_build_test::make_appearance;
using callinfo_build_test::make_notify;
using callinfo_build_test::make_response;
using callinfo_build_test::ok_text;
using callinfo_build_test::show;
using callinfo_build_test::view_of;

namespace {

using header_list = std::vector<std::pair<std::string, std::string>>;

// The block's headers without its Content-Length line.
header_list without_content_length(header_list h) {
  std::erase_if(h, [](auto const& kv) { return kv.first == "Content-Length"; });
  return h;
}

// RFC 3261 §7.3: a field-name is a token; a value here never holds a CTL
// other than HTAB (no CR, LF or NUL can end or split the header).
bool well_formed(header_list const& h) {
  for (auto const& [name, value] : h) {
    if (name.empty()) return false;
    for (char c : name)
      if (!callinfo::detail::is(c, callinfo::detail::cc_token)) return false;
    for (char c : value)
      if (!callinfo::detail::is(c, callinfo::detail::cc_header_safe)) return false;
  }
  return true;
}

// The notifies the block tests use, and a few more: every package, state,
// format, entry URI; dialog;shared with and without a line; a line-seize
// NOTIFY without a seized appearance; remotes with quotes and backslashes.
std::vector<callinfo::notify> notifies(std::vector<appearance> const& busy) {
  std::vector<callinfo::notify> out;
  for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance})
    for (event_package e : {event_package::call_info, event_package::line_seize, event_package::dialog_shared})
      for (substate s : {substate::active, substate::pending, substate::terminated})
        for (std::string_view uri : {"sip:bob@example.com", ""})
          for (std::uint32_t seized : {0u, 3u}) {
            auto n = make_notify(e, s, 60u, view_of(uri, busy), seized);
            n.format = f;
            if (s == substate::terminated) n.reason = event_reason::giveup;
            n.event_id = seized == 0 ? "" : "x7";
            out.push_back(n);
          }
  return out;
}

std::vector<appearance> some_busy() {
  return {make_appearance(1, appearance_state::active, "\"Q\\\"x\" <sip:q@example.com>"),
          make_appearance(3, appearance_state::seized), make_appearance(4, appearance_state::held, "sip:r@example.com")};
}

// Responses with every optional header, alone and together.
std::vector<callinfo::response> responses() {
  std::vector<callinfo::response> out;
  auto r = make_response(202, "Accepted");
  out.push_back(r);
  r.expires = 3600u;
  out.push_back(r);
  r.etag = "a1.b2";
  out.push_back(r);
  r.min_expires = 60u;
  out.push_back(r);
  r.retry_after = 1u;
  out.push_back(r);
  r.allow_events = callinfo::package_bit(event_package::call_info) | callinfo::package_bit(event_package::line_seize) |
                   callinfo::package_bit(event_package::dialog_shared);
  r.event_id = "7";
  out.push_back(r);  // all six headers
  auto s = make_response(480, "Temporarily Unavailable", event_package::line_seize);
  s.retry_after = 1u;
  out.push_back(s);
  return out;
}

}  // namespace

// ------------------------------------------------------------ NOTIFY

TEST_CASE("per-header NOTIFY: the block's headers, names, values and order, without Content-Length") {
  std::vector<appearance> const busy = some_busy();
  std::size_t compared = 0;
  for (callinfo::notify const& n : notifies(busy))
    for (std::string_view entry : {"", "sip:example.com"}) {
      callinfo::notify_options o;
      o.entry_uri = entry;
      std::string const block = ok_text([&](auto& out) { return callinfo::write_notify_headers(n, o, out); });
      INFO("block: " << show(block));
      handed_out const h = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, o, f); });
      CHECK(h.result.ok());
      CHECK(h.headers == without_content_length(headers_of(block)));
      CHECK(well_formed(h.headers));
      ++compared;
      if (entry.empty()) {
        // Without options: the same as empty options.
        CHECK(collect([&](auto&& f) { return callinfo::for_each_notify_header(n, f); }).headers == h.headers);
      }
    }
  CHECK(compared == 2 * 3 * 3 * 2 * 2 * 2);
}

TEST_CASE("per-header NOTIFY: Content-Length is left to the stack, Content-Type names the dialog-info body") {
  std::vector<appearance> const busy = some_busy();
  auto n = make_notify(event_package::call_info, substate::active, 60u, view_of("sip:bob@example.com", busy));
  handed_out h = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, f); });
  REQUIRE(h.headers.size() == 3);
  CHECK(h.headers[0] == std::pair<std::string, std::string>("Event", "call-info"));
  CHECK(h.headers[1] == std::pair<std::string, std::string>("Subscription-State", "active;expires=60"));
  CHECK(h.headers[2].first == "Call-Info");
  CHECK(callinfo::parse_call_info(h.headers[2].second).has_value());
  // The block alone ends with Content-Length: 0.
  CHECK(headers_of(ok_text([&](auto& out) { return callinfo::write_notify_headers(n, out); })).back() ==
        std::pair<std::string, std::string>("Content-Length", "0"));

  n.event = event_package::dialog_shared;
  h = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, f); });
  REQUIRE(h.headers.size() == 3);
  CHECK(h.headers[2] ==
        std::pair<std::string, std::string>("Content-Type", std::string(callinfo::dialog_info_content_type)));
}

TEST_CASE("per-header NOTIFY refused: the block's code, and no header handed out") {
  std::vector<appearance> const bad_remote = {make_appearance(1, appearance_state::active, "<sip:a@b>\r\nX: 1")};
  struct refusal {
    callinfo::notify n;
    callinfo::notify_options o;
    build_errc code;
  };
  std::vector<refusal> cases;
  auto n = make_notify(event_package::call_info, substate::active, 10u, view_of("sip:bob@example.com>\r\nX: 1"));
  cases.push_back({n, {}, build_errc::bad_uri});
  n.event = event_package::line_seize;
  n.seized_index = 1;
  cases.push_back({n, {}, build_errc::bad_uri});
  n = make_notify(event_package::call_info, substate::active, 10u, view_of("sip:bob@example.com", bad_remote));
  n.format = notify_format::entry_per_appearance;
  cases.push_back({n, {}, build_errc::bad_remote});
  n.format = notify_format::single_entry;
  cases.push_back({n, {"sip:x y"}, build_errc::bad_uri});
  n.event_id = "7\r\nX: 1";
  cases.push_back({n, {}, build_errc::bad_token});
  n.event_id = "";
  n.state = substate::extension;
  cases.push_back({n, {}, build_errc::bad_value});
  n.state = substate::terminated;
  n.reason = event_reason::extension;
  cases.push_back({n, {}, build_errc::bad_value});
  n.reason.reset();
  n.event = static_cast<event_package>(3);
  cases.push_back({n, {}, build_errc::bad_value});
  for (refusal const& c : cases) {
    INFO("expected " << callinfo::name(c.code));
    std::string block;
    callinfo::string_sink sink(block);
    CHECK(callinfo::write_notify_headers(c.n, c.o, sink).code == c.code);
    handed_out const h = collect([&](auto&& f) { return callinfo::for_each_notify_header(c.n, c.o, f); });
    CHECK(h.result.code == c.code);
    CHECK(h.headers.empty());
  }
}

TEST_CASE("per-header NOTIFY: a buffer too small is overflow before any header, the exact size is enough") {
  std::vector<appearance> const busy = some_busy();
  auto n = make_notify(event_package::call_info, substate::active, 3600u, view_of("sip:bob@example.com", busy));
  n.format = notify_format::entry_per_appearance;
  n.event_id = "42";
  handed_out const full = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, f); });
  REQUIRE(full.result.ok());
  std::size_t need = 0;
  for (auto const& kv : full.headers) need += kv.second.size();
  std::vector<char> buffer(need + 16, '\xA5');
  bool all_ok = true;
  for (std::size_t cap = 0; cap <= need; ++cap) {
    std::span<char> const room(buffer.data(), cap);
    handed_out const h = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, {}, room, f); });
    bool guard_intact = true;
    for (std::size_t i = cap; i < buffer.size(); ++i) guard_intact = guard_intact && buffer[i] == '\xA5';
    bool const ok = guard_intact && (cap == need ? (h.result.ok() && h.headers == full.headers)
                                                 : (h.result.code == build_errc::overflow && h.headers.empty()));
    if (!ok) {
      INFO("capacity " << cap << " of " << need << ": " << callinfo::name(h.result.code) << ", "
                       << h.headers.size() << " headers, guard intact " << guard_intact);
      CHECK(ok);
      all_ok = false;
    }
  }
  CHECK(all_ok);
}

TEST_CASE("per-header NOTIFY: views into the caller's buffer, valid until it is reused") {
  std::vector<appearance> const busy = some_busy();
  auto const n = make_notify(event_package::call_info, substate::active, 3600u, view_of("sip:bob@example.com", busy));
  char buffer[1024];
  std::vector<std::pair<std::string_view, std::string_view>> views;
  auto const r = callinfo::for_each_notify_header(
      n, {}, buffer, [&](std::string_view name, std::string_view value) { views.emplace_back(name, value); });
  REQUIRE(r.ok());
  REQUIRE(views.size() == 3);
  // Read after the call returned: the values live in `buffer`, one after
  // another; the names are literals.
  char const* at = buffer;
  for (auto const& [name, value] : views) {
    CHECK(value.data() == at);
    at += value.size();
  }
  CHECK(views[0].first == "Event");
  CHECK(views[0].second == "call-info");
  CHECK(views[1].second == "active;expires=3600");
  CHECK(callinfo::parse_call_info(views[2].second).has_value());
}

TEST_CASE("per-header NOTIFY: the stack's buffer of header_values_capacity bytes, the caller's for larger lines") {
  // 40 appearances with 60-byte remotes: a Call-Info of some 5 KB.
  std::vector<appearance> busy;
  for (std::uint32_t i = 1; i <= 40; ++i)
    busy.push_back(make_appearance(i, appearance_state::active,
                                   "\"Remote party " + std::to_string(i) + "\" <sip:remote" + std::to_string(i) +
                                       "@far-away.example.com>"));
  auto n = make_notify(event_package::call_info, substate::active, 3600u, view_of("sip:bob@example.com", busy));
  n.format = notify_format::entry_per_appearance;
  handed_out const small = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, f); });
  CHECK(small.result.code == build_errc::overflow);
  CHECK(small.headers.empty());
  std::vector<char> big(16384);
  handed_out const h = collect([&](auto&& f) { return callinfo::for_each_notify_header(n, {}, big, f); });
  REQUIRE(h.result.ok());
  CHECK(h.headers[2].second.size() > callinfo::header_values_capacity);
  std::string const block = ok_text([&](auto& out) { return callinfo::write_notify_headers(n, out); });
  CHECK(h.headers == without_content_length(headers_of(block)));
}

// ------------------------------------------------------------ responses

TEST_CASE("per-header response: write_response_headers()' headers, names, values and order") {
  for (callinfo::response const& r : responses()) {
    std::string const block = ok_text([&](auto& out) { return callinfo::write_response_headers(r, out); });
    INFO("block: " << show(block));
    handed_out const h = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
    CHECK(h.result.ok());
    CHECK(h.headers == headers_of(block));
    CHECK(well_formed(h.headers));
    // write_response() is the status line and the same headers.
    std::string const whole = ok_text([&](auto& out) { return callinfo::write_response(r, out); });
    std::string const status = ok_text([&](auto& out) { return callinfo::write_status_line(r, out); });
    CHECK(whole == status + block);
  }
  // All six, in the documented order.
  handed_out const h = collect([&](auto&& f) { return callinfo::for_each_response_header(responses()[5], f); });
  header_list const expected = {{"Event", "call-info;id=7"},
                                {"Expires", "3600"},
                                {"SIP-ETag", "a1.b2"},
                                {"Min-Expires", "60"},
                                {"Retry-After", "1"},
                                {"Allow-Events", "call-info, line-seize, dialog"}};
  CHECK(h.headers == expected);
}

TEST_CASE("per-header response refused: the headers' codes and the status line's, no header handed out") {
  auto r = make_response(200, "OK");
  r.etag = "a b";
  handed_out h = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
  CHECK(h.result.code == build_errc::bad_token);
  CHECK(h.headers.empty());
  r = make_response(200, "OK");
  r.event_id = "7\r\nX: 1";
  h = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
  CHECK(h.result.code == build_errc::bad_token);
  CHECK(h.headers.empty());
  r = make_response(200, "OK", static_cast<event_package>(3));
  h = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
  CHECK(h.result.code == build_errc::bad_value);
  CHECK(h.headers.empty());
  // The stack sets the status line from code and reason itself: they are
  // vetted here too (RFC 3261 §25.1 Reason-Phrase, Status-Code), though the
  // headers alone would be fine.
  for (std::uint16_t code : {0, 99, 700}) {
    r = make_response(code, "OK");
    h = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
    CHECK(h.result.code == build_errc::bad_status_code);
    CHECK(h.headers.empty());
  }
  r = make_response(200, "OK\r\nX-Injected: 1");
  CHECK(ok_text([&](auto& out) { return callinfo::write_response_headers(r, out); }) == "Event: call-info\r\n");
  h = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
  CHECK(h.result.code == build_errc::bad_reason_phrase);
  CHECK(h.headers.empty());
}

TEST_CASE("per-header response: a buffer too small is overflow before any header") {
  callinfo::response const r = responses()[5];
  handed_out const full = collect([&](auto&& f) { return callinfo::for_each_response_header(r, f); });
  REQUIRE(full.result.ok());
  std::size_t need = 0;
  for (auto const& kv : full.headers) need += kv.second.size();
  std::vector<char> buffer(need);
  for (std::size_t cap = 0; cap < need; ++cap) {
    handed_out const h =
        collect([&](auto&& f) { return callinfo::for_each_response_header(r, std::span<char>(buffer.data(), cap), f); });
    CHECK(h.result.code == build_errc::overflow);
    CHECK(h.headers.empty());
  }
  CHECK(collect([&](auto&& f) { return callinfo::for_each_response_header(r, buffer, f); }).headers == full.headers);
}
