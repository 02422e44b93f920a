// write/subscription_state.hpp, write/event.hpp, write/notify.hpp and
// write/response.hpp: golden forms, refusals, the overflow contract and the
// round trip through the library's parsers.
#include "support.hpp"

#include <callinfo/presence/server.hpp>
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/event.hpp>
#include <callinfo/syntax/subscription_state.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using callinfo::appearance;
using callinfo::appearance_state;
using callinfo::build_errc;
using callinfo::event_package;
using callinfo::event_reason;
using callinfo::notify_format;
using callinfo::substate;
using callinfo_build_test::as;
using callinfo_build_test::check_every_capacity;
using callinfo_build_test::check_refused;
using callinfo_build_test::headers_of;
using callinfo_build_test::make_appearance;
using callinfo_build_test::make_notify;
using callinfo_build_test::make_response;
using callinfo_build_test::ok_text;
using callinfo_build_test::show;
using callinfo_build_test::view_of;

namespace {

std::string sub_state(substate s, std::optional<event_reason> r, std::optional<std::uint32_t> e) {
  return ok_text([&](auto& out) { return callinfo::write_subscription_state(s, r, e, out); });
}

std::string notify_text(callinfo::notify const& n, callinfo::notify_options const& o) {
  return ok_text([&](auto& out) { return callinfo::write_notify_headers(n, o, out); });
}

std::string response_text(callinfo::response const& r) {
  return ok_text([&](auto& out) { return callinfo::write_response(r, out); });
}

}  // namespace

// ------------------------------------------------------------ Subscription-State

TEST_CASE("Subscription-State: every form (RFC 6665 §4.1.3)") {
  CHECK(sub_state(substate::active, std::nullopt, 3600u) == "active;expires=3600");
  CHECK(sub_state(substate::pending, std::nullopt, 15u) == "pending;expires=15");
  CHECK(sub_state(substate::active, std::nullopt, std::nullopt) == "active");
  CHECK(sub_state(substate::active, std::nullopt, 0u) == "active;expires=0");
  CHECK(sub_state(substate::terminated, event_reason::timeout, std::nullopt) == "terminated;reason=timeout");
  CHECK(sub_state(substate::terminated, event_reason::noresource, std::nullopt) == "terminated;reason=noresource");
  CHECK(sub_state(substate::terminated, std::nullopt, std::nullopt) == "terminated");
  CHECK(sub_state(substate::terminated, event_reason::rejected, 4294967295u) ==
        "terminated;reason=rejected;expires=4294967295");
}

TEST_CASE("Subscription-State round trip: every state, reason and expires parses back") {
  std::optional<event_reason> reasons[] = {std::nullopt,
                                           event_reason::deactivated,
                                           event_reason::probation,
                                           event_reason::rejected,
                                           event_reason::timeout,
                                           event_reason::giveup,
                                           event_reason::noresource,
                                           event_reason::invariant};
  std::optional<std::uint32_t> expires[] = {std::nullopt, 0u, 1u, 3600u, 4294967295u};
  for (substate s : {substate::active, substate::pending, substate::terminated})
    for (auto const& r : reasons)
      for (auto const& e : expires) {
        std::string const text = sub_state(s, r, e);
        INFO("text: " << show(text));
        auto const p = callinfo::parse_subscription_state(text);
        REQUIRE(p.has_value());
        CHECK(p->state() == s);
        CHECK(p->reason() == r);
        CHECK(p->expires == e);
        CHECK_FALSE(p->retry_after.has_value());
      }
}

TEST_CASE("Subscription-State refused: extension values have no token") {
  check_refused([](auto& out) { return callinfo::write_subscription_state(substate::extension, std::nullopt, std::nullopt, out); },
                build_errc::bad_value);
  check_refused([](auto& out) { return callinfo::write_subscription_state(substate::terminated, event_reason::extension, std::nullopt, out); },
                build_errc::bad_value);
  check_refused([](auto& out) { return callinfo::write_subscription_state(static_cast<substate>(9), std::nullopt, 1u, out); },
                build_errc::bad_value);
  check_every_capacity([](auto& out) { return callinfo::write_subscription_state(substate::terminated, event_reason::noresource, 30u, out); });
}

// ------------------------------------------------------------ Event

TEST_CASE("Event: the package, with ;id= when given (RFC 6665 §8.4)") {
  CHECK(ok_text([](auto& out) { return callinfo::write_event(event_package::call_info, out); }) == "call-info");
  CHECK(ok_text([](auto& out) { return callinfo::write_event(event_package::line_seize, out); }) == "line-seize");
  CHECK(ok_text([](auto& out) { return callinfo::write_event(event_package::line_seize, "7", out); }) ==
        "line-seize;id=7");
  CHECK(ok_text([](auto& out) { return callinfo::write_event(event_package::call_info, "a.b-c!%*_+`'~", out); }) ==
        "call-info;id=a.b-c!%*_+`'~");
  for (event_package e : {event_package::call_info, event_package::line_seize})
    for (std::string_view id : {"", "1", "x7.y"}) {
      std::string const text = ok_text([&](auto& out) { return callinfo::write_event(e, id, out); });
      auto const p = callinfo::parse_event(text);
      REQUIRE(p.has_value());
      CHECK(p->type.text == callinfo::to_string(e));
      CHECK(p->id == (id.empty() ? std::nullopt : std::optional<std::string_view>(id)));
    }
}

TEST_CASE("Event refused: an id that is not a token, a package out of range") {
  std::string_view const bad_ids[] = {"a b", "a;b", "a\r\nX: y", std::string_view("a\0b", 3), "\"q\"", "a,b", "a=b"};
  for (std::string_view id : bad_ids) {
    INFO("id " << show(id));
    check_refused([&](auto& out) { return callinfo::write_event(event_package::call_info, id, out); },
                  build_errc::bad_token);
  }
  check_refused([](auto& out) { return callinfo::write_event(static_cast<event_package>(5), out); },
                build_errc::bad_value);
  check_every_capacity([](auto& out) { return callinfo::write_event(event_package::line_seize, "42", out); });
}

// ------------------------------------------------------------ NOTIFY

TEST_CASE("NOTIFY (OpenSIPS form): Event, Subscription-State with expires, the whole line, Content-Length") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, "sip:a@example.com")};
  auto const n = make_notify(event_package::call_info, substate::active, 3599u, view_of("sip:bob@example.com", busy));
  CHECK(notify_text(as<callinfo::opensips_dialect>(n), {}) ==
        "Event: call-info\r\n"
        "Subscription-State: active;expires=3599\r\n"
        "Call-Info: <sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=*;appearance-state=idle\r\n"
        "Content-Length: 0\r\n");
}

TEST_CASE("NOTIFY (Kamailio form): the initial NOTIFY has active without expires, later ones have it") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, "<sip:callee@127.0.0.1>")};
  auto n = make_notify(event_package::call_info, substate::active, 3600u, view_of("sip:line@127.0.0.1", busy));
  n.initial = true;
  n = as<callinfo::broadworks_dialect>(n);
  callinfo::notify_options o;
  o.entry_uri = "sip:127.0.0.1";
  CHECK(notify_text(n, o) ==
        "Event: call-info\r\n"
        "Subscription-State: active\r\n"
        "Call-Info: <sip:127.0.0.1>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:callee@127.0.0.1>\","
        "<sip:127.0.0.1>;appearance-index=*;appearance-state=idle\r\n"
        "Content-Length: 0\r\n");
  n.initial = false;
  n.expires = 3000u;
  CHECK(notify_text(n, o).find("Subscription-State: active;expires=3000\r\n") != std::string::npos);
  // The OpenSIPS dialect keeps expires on the initial NOTIFY too.
  n.initial = true;
  CHECK(notify_text(as<callinfo::opensips_dialect>(n), {})
            .find("Subscription-State: active;expires=3000\r\n") != std::string::npos);
  // Without options: the same as empty options.
  CHECK(ok_text([&](auto& out) { return callinfo::write_notify_headers(n, out); }) == notify_text(n, {}));
}

TEST_CASE("NOTIFY terminated: the reason, never expires") {
  auto n = make_notify(event_package::call_info, substate::terminated, 100u, view_of("sip:bob@example.com"));
  n.reason = event_reason::timeout;
  CHECK(notify_text(n, {}) ==
        "Event: call-info\r\n"
        "Subscription-State: terminated;reason=timeout\r\n"
        "Call-Info: <sip:bob@example.com>;appearance-index=*;appearance-state=idle\r\n"
        "Content-Length: 0\r\n");
  n.reason.reset();
  CHECK(notify_text(n, {}).find("Subscription-State: terminated\r\n") != std::string::npos);
  // A reason on a state that is not terminated is not written.
  n.state = substate::active;
  n.reason = event_reason::timeout;
  CHECK(notify_text(n, {}).find("Subscription-State: active;expires=100\r\n") != std::string::npos);
  n.state = substate::pending;
  CHECK(notify_text(n, {}).find("Subscription-State: pending;expires=100\r\n") != std::string::npos);
}

TEST_CASE("NOTIFY line-seize: the seized index only, no Call-Info when none is seized") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active),
                                        make_appearance(2, appearance_state::seized)};
  auto n = make_notify(event_package::line_seize, substate::active, 15u, view_of("sip:bob@example.com", busy), 2);
  CHECK(notify_text(n, {}) ==
        "Event: line-seize\r\n"
        "Subscription-State: active;expires=15\r\n"
        "Call-Info: <sip:bob@example.com>;appearance-index=2\r\n"
        "Content-Length: 0\r\n");
  n.state = substate::terminated;
  n.reason = event_reason::noresource;
  n.seized_index = 0;
  CHECK(notify_text(n, {}) ==
        "Event: line-seize\r\n"
        "Subscription-State: terminated;reason=noresource\r\n"
        "Content-Length: 0\r\n");
  // Kamailio's entry URI applies to line-seize NOTIFYs too.
  n.seized_index = 2;
  callinfo::notify_options o;
  o.entry_uri = "sip:example.com";
  CHECK(notify_text(n, o).find("Call-Info: <sip:example.com>;appearance-index=2\r\n") != std::string::npos);
}

TEST_CASE("NOTIFY for a line the server no longer stores: no Call-Info") {
  auto n = make_notify(event_package::call_info, substate::terminated, std::nullopt, view_of(""));
  CHECK(notify_text(n, {}) == "Event: call-info\r\nSubscription-State: terminated\r\nContent-Length: 0\r\n");
}

TEST_CASE("NOTIFY refused: unsafe line URI or remote, values without a wire form; nothing written") {
  std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, "<sip:a@b>\r\nX: 1")};
  auto n = make_notify(event_package::call_info, substate::active, 10u, view_of("sip:bob@example.com>\r\nX: 1"));
  check_refused([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); },
                build_errc::bad_uri);
  n.event = event_package::line_seize;
  n.seized_index = 1;
  check_refused([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); },
                build_errc::bad_uri);
  n = make_notify(event_package::call_info, substate::active, 10u, view_of("sip:bob@example.com", busy));
  check_refused(
      [&](auto& out) {
        return callinfo::write_notify_headers(as<callinfo::broadworks_dialect>(n), out);
      },
      build_errc::bad_remote);
  callinfo::notify_options bad_entry;
  bad_entry.entry_uri = "sip:x y";
  check_refused([&](auto& out) { return callinfo::write_notify_headers(n, bad_entry, out); }, build_errc::bad_uri);
  n.state = substate::extension;
  check_refused([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); },
                build_errc::bad_value);
  n.state = substate::terminated;
  n.reason = event_reason::extension;
  check_refused([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); },
                build_errc::bad_value);
  n.reason.reset();
  n.event = static_cast<event_package>(3);
  check_refused([&](auto& out) { return callinfo::write_notify_headers(n, callinfo::notify_options{}, out); },
                build_errc::bad_value);
}

TEST_CASE("NOTIFY round trip: each header parses back with the library's parsers; overflow at every capacity") {
  std::vector<appearance> busy;
  for (std::uint32_t i = 1; i <= 8; ++i)
    busy.push_back(make_appearance(i, callinfo::all_appearance_states[i % 7 == 0 ? 1 : i % 7],
                                   i % 2 ? "\"Q\\\"x\" <sip:q@example.com>" : "sip:r@example.com"));
  for (notify_format f : {notify_format::single_entry, notify_format::entry_per_appearance})
    for (event_package e : {event_package::call_info, event_package::line_seize})
      for (substate s : {substate::active, substate::pending, substate::terminated}) {
        auto n = make_notify(e, s, 60u, view_of("sip:bob@example.com", busy), e == event_package::line_seize ? 3 : 0);
        if (s == substate::terminated) n.reason = event_reason::giveup;
        callinfo::notify_options o;
        n.format = f;
        std::string const text = notify_text(n, o);
        INFO("text: " << show(text));
        auto const h = headers_of(text);
        REQUIRE(h.size() == 4);
        CHECK(h[0].first == "Event");
        auto const ev = callinfo::parse_event(h[0].second);
        REQUIRE(ev.has_value());
        CHECK(ev->type.text == callinfo::to_string(e));
        CHECK(h[1].first == "Subscription-State");
        auto const ss = callinfo::parse_subscription_state(h[1].second);
        REQUIRE(ss.has_value());
        CHECK(ss->state() == s);
        CHECK(ss->expires == (s == substate::terminated ? std::nullopt : std::optional<std::uint32_t>(60u)));
        CHECK(ss->reason() == (s == substate::terminated ? std::optional(event_reason::giveup) : std::nullopt));
        CHECK(h[2].first == "Call-Info");
        auto const ci = callinfo::parse_call_info(h[2].second);
        REQUIRE(ci.has_value());
        std::size_t count = 0;
        for (auto const& entry : *ci)
          for (auto const& a : entry.appearances()) {
            ++count;
            if (e == event_package::line_seize) CHECK(a.index == callinfo::appearance_index(3));
          }
        CHECK(count == (e == event_package::call_info ? busy.size() + 1 : 1));
        CHECK(h[3] == std::pair<std::string, std::string>("Content-Length", "0"));
        check_every_capacity([&](auto& out) { return callinfo::write_notify_headers(n, o, out); });
      }
}

TEST_CASE("NOTIFY from the server's own effects: a SUBSCRIBE's initial NOTIFY parses back") {
  callinfo::basic_server<callinfo::test_policies> server;
  callinfo::subscribe_request req;
  req.event = event_package::call_info;
  req.line = "sip:bob@example.com";
  req.watcher = "sip:alice@example.com";
  auto const effects = server.on_subscribe(req);
  std::size_t notifies = 0, responses = 0;
  for (callinfo::effect const& e : effects.items) {
    if (auto const* r = std::get_if<callinfo::response>(&e)) {
      ++responses;
      std::string const text = response_text(*r);
      INFO("response: " << show(text));
      CHECK(text.rfind("SIP/2.0 2", 0) == 0);
      CHECK(text.find("\r\nAllow-Events: call-info, line-seize, dialog\r\n") != std::string::npos);
    } else if (auto const* n = std::get_if<callinfo::notify>(&e)) {
      ++notifies;
      std::string const text =
          ok_text([&](auto& out) { return callinfo::write_notify_headers(*n, out); });
      INFO("notify: " << show(text));
      auto const h = headers_of(text);
      REQUIRE(h.size() == 4);
      CHECK(h[2].second == "<sip:bob@example.com>;appearance-index=*;appearance-state=idle");
      auto const ss = callinfo::parse_subscription_state(h[1].second);
      REQUIRE(ss.has_value());
      CHECK(ss->state() == substate::active);
      CHECK(ss->expires.has_value());
    }
  }
  CHECK(responses == 1);
  CHECK(notifies == 1);
}

// ------------------------------------------------------------ responses

TEST_CASE("response: 2xx to SUBSCRIBE carries Event, Expires and Allow-Events (as Kamailio sends)") {
  auto r = make_response(202, "Accepted");
  r.subscription = 1;
  r.expires = 3600u;
  r.allow_events = callinfo::package_bit(event_package::call_info) | callinfo::package_bit(event_package::line_seize);
  CHECK(response_text(r) ==
        "SIP/2.0 202 Accepted\r\n"
        "Event: call-info\r\n"
        "Expires: 3600\r\n"
        "Allow-Events: call-info, line-seize\r\n");
  r = make_response(200, "OK", event_package::line_seize);
  r.subscription = 2;
  r.expires = 0u;
  r.event_id = "7";
  r.allow_events = callinfo::package_bit(event_package::call_info) | callinfo::package_bit(event_package::line_seize) |
                   callinfo::package_bit(event_package::dialog_shared);
  CHECK(response_text(r) ==
        "SIP/2.0 200 OK\r\nEvent: line-seize;id=7\r\nExpires: 0\r\nAllow-Events: call-info, line-seize, dialog\r\n");
  // No packages: no header.
  r.allow_events = 0;
  CHECK(response_text(r).find("Allow-Events") == std::string::npos);
  // An Event id that is not a token is refused, nothing written.
  r.event_id = "7\r\nX: 1";
  check_refused([&](auto& out) { return callinfo::write_response(r, out); }, build_errc::bad_token);
}

TEST_CASE("response: 2xx to PUBLISH carries Expires and SIP-ETag, no Allow-Events") {
  auto r = make_response(200, "OK");
  r.expires = 1800u;
  r.etag = "a1b2";
  CHECK(response_text(r) == "SIP/2.0 200 OK\r\nEvent: call-info\r\nExpires: 1800\r\nSIP-ETag: a1b2\r\n");
}

TEST_CASE("response: rejections with Retry-After and Min-Expires") {
  auto r = make_response(480, "Temporarily Unavailable", event_package::line_seize);
  r.retry_after = 1u;
  CHECK(response_text(r) == "SIP/2.0 480 Temporarily Unavailable\r\nEvent: line-seize\r\nRetry-After: 1\r\n");
  r = make_response(423, "Interval Too Brief");
  r.min_expires = 60u;
  CHECK(response_text(r) == "SIP/2.0 423 Interval Too Brief\r\nEvent: call-info\r\nMin-Expires: 60\r\n");
  r = make_response(400, "Bad Request - missing Call-Info header", event_package::line_seize);
  CHECK(response_text(r) == "SIP/2.0 400 Bad Request - missing Call-Info header\r\nEvent: line-seize\r\n");
  // A 4xx never advertises Allow-Events, even with a subscription id.
  r = make_response(481, "Subscription Does Not Exist");
  r.subscription = 9;
  CHECK(response_text(r) == "SIP/2.0 481 Subscription Does Not Exist\r\nEvent: call-info\r\n");
}

TEST_CASE("response: the status line and the headers can be written apart") {
  auto r = make_response(200, "OK");
  r.expires = 5u;
  CHECK(ok_text([&](auto& out) { return callinfo::write_status_line(r, out); }) == "SIP/2.0 200 OK\r\n");
  CHECK(ok_text([&](auto& out) { return callinfo::write_response_headers(r, out); }) ==
        "Event: call-info\r\nExpires: 5\r\n");
  r.reason = "";
  CHECK(ok_text([&](auto& out) { return callinfo::write_status_line(r, out); }) == "SIP/2.0 200 \r\n");
  r.reason = "Tab\there, UTF-8 \xc3\xa9";
  CHECK(ok_text([&](auto& out) { return callinfo::write_status_line(r, out); }) ==
        "SIP/2.0 200 Tab\there, UTF-8 \xc3\xa9\r\n");
}

TEST_CASE("response refused: status code outside 100..699, CTL in the reason phrase, etag not a token") {
  for (std::uint16_t code : {0, 99, 700, 1000, 65535}) {
    auto const r = make_response(code, "OK");
    check_refused([&](auto& out) { return callinfo::write_response(r, out); }, build_errc::bad_status_code);
    check_refused([&](auto& out) { return callinfo::write_status_line(r, out); }, build_errc::bad_status_code);
  }
  for (std::uint16_t code : {100, 699}) CHECK(response_text(make_response(code, "x")).rfind("SIP/2.0 " + std::to_string(code) + " x\r\n", 0) == 0);
  for (unsigned c = 0; c < 0x20; ++c) {
    if (c == '\t') continue;
    std::string const phrase = "OK" + std::string(1, static_cast<char>(c)) + "X-Injected: 1";
    INFO("reason " << show(phrase));
    auto const r = make_response(200, phrase);
    check_refused([&](auto& out) { return callinfo::write_response(r, out); }, build_errc::bad_reason_phrase);
  }
  check_refused([](auto& out) { return callinfo::write_response(make_response(200, "O\x7fK"), out); },
                build_errc::bad_reason_phrase);
  for (std::string_view etag : {"a b", "a\r\nb", "\"x\"", "a;b"}) {
    auto r = make_response(200, "OK");
    r.etag = etag;
    check_refused([&](auto& out) { return callinfo::write_response(r, out); }, build_errc::bad_token);
    check_refused([&](auto& out) { return callinfo::write_response_headers(r, out); }, build_errc::bad_token);
  }
  auto r = make_response(200, "OK", static_cast<event_package>(3));
  check_refused([&](auto& out) { return callinfo::write_response(r, out); }, build_errc::bad_value);
}

TEST_CASE("response: overflow at every capacity") {
  auto r = make_response(202, "Accepted");
  r.subscription = 1;
  r.expires = 3600u;
  r.etag = "zz9";
  r.retry_after = 4u;
  r.min_expires = 30u;
  check_every_capacity([&](auto& out) { return callinfo::write_response(r, out); });
  check_every_capacity([&](auto& out) { return callinfo::write_status_line(r, out); });
  check_every_capacity([&](auto& out) { return callinfo::write_response_headers(r, out); });
}

// ------------------------------------------------------------ errors

TEST_CASE("build_errc: names, messages and the error category") {
  for (std::uint8_t i = 0; i <= static_cast<std::uint8_t>(build_errc::bad_value); ++i) {
    auto const e = static_cast<build_errc>(i);
    CHECK(callinfo::name(e) != "unknown");
    std::error_code const ec = e;
    CHECK(ec.category() == callinfo::build_category());
    CHECK(std::string(ec.category().name()) == "callinfo.build");
    CHECK(ec.message() == std::string(callinfo::describe(e)));
  }
  CHECK(callinfo::build_result{}.ok());
  CHECK_FALSE(callinfo::build_result{build_errc::overflow});
}
