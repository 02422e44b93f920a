// Test support for the presence suites: a small "stack" that feeds requests
// to a server and keeps what it answered.
#pragma once

#include <callinfo/adapters/call_info.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <doctest/doctest.h>

#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::test {

inline constexpr std::string_view bob = "sip:bob@example.com";

// The two peers' dialects, as the suites name them.
struct kamailio : test_policies {
  using dialect = broadworks_dialect;
};
struct opensips : test_policies {
  using dialect = opensips_dialect;
};

template <class Policies = test_policies>
struct harness {
  basic_server<Policies> server;
  effect_list last;
  std::deque<std::string> texts;  // keeps parsed Call-Info values alive
  std::deque<call_info_updates> readers;  // keeps the updates of each PUBLISH's Call-Info alive

  harness() = default;
  explicit harness(typename Policies::limits l) : server(std::move(l)) {}

  std::optional<call_info_view> call_info(std::optional<std::string_view> text) {
    if (!text) return std::nullopt;
    texts.emplace_back(*text);
    auto r = parse_call_info(texts.back());
    REQUIRE_MESSAGE(r.has_value(), "test Call-Info must parse: " << *text);
    return *r;
  }
  // A line-seize SUBSCRIBE's Call-Info, as the stack passes it.
  std::optional<seize_target> seize_of(std::optional<std::string_view> text) {
    auto const ci = call_info(text);
    return ci ? std::optional<seize_target>(seize_target_of(*ci)) : std::nullopt;
  }
  // A PUBLISH's Call-Info as appearance updates; nullopt with `refused` set
  // when the adapter answers 400 itself.
  std::optional<std::span<appearance_update const>> updates(std::optional<std::string_view> text,
                                                            std::optional<response>* refused = nullptr) {
    auto const ci = call_info(text);
    if (!ci) return std::nullopt;
    call_info_updates& reader = readers.emplace_back();
    std::optional<response> bad = reader.read(*ci);
    if (refused) *refused = bad;
    if (bad) return std::nullopt;
    return reader.updates();
  }

  // A SUBSCRIBE to `line` from `watcher`, for a test to add to.
  static subscribe_request subscribe_of(event_package e, std::string_view watcher, std::string_view line = bob) {
    subscribe_request r;
    r.event = e;
    r.line = line;
    r.watcher = watcher;
    return r;
  }
  effect_list const& subscribe(subscribe_request const& r) {
    last = server.on_subscribe(r);
    return last;
  }
  effect_list const& subscribe(event_package e, std::string_view watcher, std::optional<std::uint32_t> expires = {},
                               std::optional<std::string_view> ci = {}, std::string_view line = bob) {
    subscribe_request r = subscribe_of(e, watcher, line);
    r.expires = expires;
    r.seize = seize_of(ci);
    last = server.on_subscribe(r);
    return last;
  }
  effect_list const& seize(std::string_view watcher, std::uint32_t index, std::optional<std::uint32_t> expires = {}) {
    return subscribe(event_package::line_seize, watcher, expires, seize_call_info(index));
  }
  // The Call-Info of a line-seize SUBSCRIBE for appearance `index`.
  static std::string seize_call_info(std::uint32_t index) {
    return "<" + std::string(bob) + ">;appearance-index=" + std::to_string(index);
  }
  effect_list const& refresh(subscription_id id, event_package e, std::optional<std::uint32_t> expires,
                             std::optional<std::string_view> ci = {}, std::string_view event_id = {}) {
    subscribe_request r;
    r.event = e;
    r.line = bob;
    r.subscription = id;
    r.expires = expires;
    r.seize = seize_of(ci);
    r.event_id = event_id;
    last = server.on_subscribe(r);
    return last;
  }
  effect_list const& publish(std::optional<std::string_view> ci, std::optional<std::string_view> if_match = {},
                             std::optional<std::uint32_t> expires = {}, std::string_view line = bob) {
    publish_request r;
    r.line = line;
    r.if_match = if_match;
    r.expires = expires;
    std::optional<response> refused;
    r.appearances = updates(ci, &refused);
    if (refused) {  // the stack answers what the Call-Info adapter refuses
      last.clear();
      last(effect{*refused});
      return last;
    }
    last = server.on_publish(r);
    return last;
  }
  state_change dialog(dialog_id id, dialog_side side, dialog_phase phase, std::optional<std::uint32_t> index = {},
                      std::string_view remote = {}) {
    dialog_event d;
    d.line = bob;
    d.dialog = id;
    d.side = side;
    d.phase = phase;
    d.appearance_index = index;
    d.remote = remote;
    last.clear();
    return server.on_dialog(d, last);
  }
  effect_list const& advance_and_fire(std::uint32_t seconds, timer_id t) {
    server.clock().advance(std::chrono::seconds(seconds));
    last = server.on_timer(t);
    return last;
  }

  response const& reply() const {
    for (effect const& e : last.items)
      if (auto const* r = std::get_if<response>(&e)) return *r;
    FAIL("no response among the effects");
    static response none;
    return none;
  }
  std::vector<notify> notifies(std::optional<subscription_id> to = {}) const {
    std::vector<notify> v;
    for (effect const& e : last.items)
      if (auto const* n = std::get_if<notify>(&e))
        if (!to || n->subscription == *to) v.push_back(*n);
    return v;
  }
  std::string states(line_view const& l) const {
    std::string s;
    for (appearance const& a : l.busy) {
      if (!s.empty()) s += ' ';
      s += std::to_string(a.index) + "=" + std::string(to_string(a.state));
    }
    return s.empty() ? "idle" : s;
  }
  // The line as the server holds it, e.g. "1=active 2=seized" or "idle".
  std::string line_states(std::string_view line = bob) const { return states(server.line(line)); }
};

// A PUBLISH with Event: dialog;shared (RFC 7463) whose body states `dialogs`.
template <class Policies>
effect_list publish_dialogs(harness<Policies>& h, std::span<appearance_update const> dialogs,
                            std::optional<std::string_view> if_match = {}, std::optional<std::uint32_t> expires = {}) {
  publish_request r;
  r.event = event_package::dialog_shared;
  r.line = bob;
  r.if_match = if_match;
  r.expires = expires;
  r.appearances = dialogs;
  h.last = h.server.on_publish(r);
  return h.last;
}

}  // namespace callinfo::test
