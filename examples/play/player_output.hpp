// callinfo-play — the player's output: each effect as one JSON object a
// line, or with --sip as the SIP text the build/ writers produce and ';;'
// comment lines. Member functions of player, defined out of the class (and
// inline, as they were in it).
#pragma once

#include "player.hpp"

#include <callinfo/write/notify.hpp>
#include <callinfo/write/response.hpp>
#include <callinfo/dialog_info/write.hpp>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <variant>

namespace callinfo_play {

// Seconds on the manual clock: "15", or "15.5" for a fraction.
inline std::string seconds_text(callinfo::time_point t) {
  auto const ms = t.count();
  std::string s = std::to_string(ms / 1000);
  if (auto const frac = ms % 1000; frac != 0) {
    std::string f = std::to_string(frac < 0 ? -frac : frac);
    f.insert(0, 3 - f.size(), '0');
    while (f.back() == '0') f.pop_back();
    s += '.' + f;
  }
  return s;
}

template <class Policies>
inline std::string player<Policies>::subscription_name(callinfo::subscription_id id) const {
  auto it = subscriptions_.find(id);
  return it != subscriptions_.end() ? it->second.name : std::to_string(id);
}
template <class Policies>
inline std::string player<Policies>::timer_owner(callinfo::timer_id t) const {
  if (t.kind == callinfo::timer_kind::subscription) return subscription_name(t.id);
  auto it = publication_names_.find(t.id);
  return it != publication_names_.end() ? it->second : std::to_string(t.id);
}
template <class Policies>
inline std::string_view player<Policies>::kind_name(callinfo::timer_kind k) {
  return k == callinfo::timer_kind::subscription ? "subscription" : "publication";
}

template <class Policies>
inline void player<Policies>::begin(json_writer& j, std::string_view effect) const {
  j.begin_object();
  j.key("step").number(number_);
  j.key("input").string(current_->text);
  j.key("effect").string(effect);
}
template <class Policies>
inline void player<Policies>::end(json_writer& j, std::string& out) {
  j.end_object();
  out += '\n';
  std::cout << out;
}
template <class Policies>
inline void player<Policies>::write_appearance(json_writer& j, callinfo::appearance const& a) {
  j.begin_object();
  j.key("index").number(a.index);
  j.key("state").string(to_string(a.state));
  if (!a.remote.empty()) j.key("uri").string(a.remote);
  j.end_object();
}

template <class Policies>
inline void player<Policies>::fired(callinfo::timer_id t) {
  if (sip_) {
    std::cout << ";; t=" << seconds_text(server_->clock().now()) << " s: " << kind_name(t.kind) << " timer of "
              << timer_owner(t) << " fires\n";
    return;
  }
  std::string out;
  json_writer j(out);
  begin(j, "timer_fired");
  j.key("timer").string(kind_name(t.kind));
  j.key("of").string(timer_owner(t));
  j.key("now").raw(seconds_text(server_->clock().now()));
  end(j, out);
}

template <class Policies>
inline void player<Policies>::print_change(std::string_view what, callinfo::state_change const& c) {
  if (sip_) {
    std::cout << ";; " << what << ' ' << to_string(c.result) << ": " << to_string(c.from) << " -> " << to_string(c.to)
              << '\n';
    return;
  }
  std::string out;
  json_writer j(out);
  begin(j, what);
  j.key("result").string(to_string(c.result));
  j.key("from").string(to_string(c.from));
  j.key("to").string(to_string(c.to));
  end(j, out);
}

template <class Policies>
inline void player<Policies>::print(effect_list const& fx) {
  for (callinfo::effect const& e : fx.items) {
    // The stack's timer table, as it would keep it.
    if (auto const* a = std::get_if<callinfo::arm_timer>(&e)) timers_[key(a->timer)] = armed{a->at, ++arm_order_};
    if (auto const* c = std::get_if<callinfo::cancel_timer>(&e)) timers_.erase(key(c->timer));
    if (sip_) std::visit([&](auto const& v) { sip(v); }, e);
    else std::visit([&](auto const& v) { json(v); }, e);
  }
}

template <class Policies>
inline void player<Policies>::json(callinfo::response const& r) {
  std::string out;
  json_writer j(out);
  begin(j, "response");
  j.key("code").number(r.code);
  j.key("reason").string(r.reason);
  j.key("event").string(to_string(r.event));
  if (r.subscription != 0) j.key("subscription").string(subscription_name(r.subscription));
  if (r.expires) j.key("expires").number(*r.expires);
  if (!r.etag.empty()) j.key("etag").string(r.etag);
  if (r.retry_after) j.key("retry_after").number(*r.retry_after);
  if (r.min_expires) j.key("min_expires").number(*r.min_expires);
  end(j, out);
}
template <class Policies>
inline void player<Policies>::json(callinfo::notify const& n) {
  std::string out;
  json_writer j(out);
  begin(j, "notify");
  j.key("to").string(subscription_name(n.subscription));
  j.key("event").string(to_string(n.event));
  j.key("state").string(to_string(n.state));
  if (n.reason) j.key("reason").string(to_string(*n.reason));
  if (n.expires) j.key("expires").number(*n.expires);
  if (n.initial) j.key("initial").boolean(true);
  if (n.event == callinfo::event_package::call_info && !n.line.uri.empty()) {
    j.key("call_info").begin_array();
    for (callinfo::appearance const& a : n.line.busy) write_appearance(j, a);
    j.begin_object().key("index").string("*").key("state").string("idle").end_object();
    j.end_array();
  } else if (n.event == callinfo::event_package::line_seize && n.seized_index != 0 && !n.line.uri.empty()) {
    j.key("call_info").begin_array().begin_object().key("index").number(n.seized_index).end_object().end_array();
  } else if (n.event == callinfo::event_package::dialog_shared) {
    // What write_dialog_info() renders (full state): one dialog per busy appearance.
    j.key("version").number(n.version);
    if (!n.line.uri.empty()) {
      j.key("dialogs").begin_array();
      for (std::size_t k = 0; k < n.line.busy.size(); ++k) {
        callinfo::appearance const& a = n.line.busy[k];
        callinfo::dialog_facts const f = callinfo::to_dialog_facts(a.state);
        j.begin_object().key("appearance").number(a.index).key("state").string(to_string(f.dialog));
        // The known dialog's id (absent: "a<index>"), Call-ID and tags.
        if (std::string_view const id = callinfo::detail::published_id(n.line, k); !id.empty()) j.key("id").string(id);
        if (callinfo::line_dialog const* d = callinfo::dialog_of(n.line.dialogs, a)) {
          if (!d->call_id.empty()) j.key("call_id").string(d->call_id);
          if (!d->local_tag.empty()) j.key("local_tag").string(d->local_tag);
          if (!d->remote_tag.empty()) j.key("remote_tag").string(d->remote_tag);
        }
        if (f.direction != callinfo::dialog_direction::none) j.key("direction").string(to_string(f.direction));
        j.key("exclusive").boolean(f.exclusive);
        if (f.held) j.key("held").boolean(true);
        if (!a.remote.empty()) j.key("remote").string(a.remote);
        j.end_object();
      }
      j.end_array();
    }
  }
  end(j, out);
}
template <class Policies>
inline void player<Policies>::json(callinfo::arm_timer const& a) {
  std::string out;
  json_writer j(out);
  begin(j, "arm_timer");
  j.key("timer").string(kind_name(a.timer.kind));
  j.key("of").string(timer_owner(a.timer));
  j.key("at").raw(seconds_text(a.at));
  end(j, out);
}
template <class Policies>
inline void player<Policies>::json(callinfo::cancel_timer const& c) {
  std::string out;
  json_writer j(out);
  begin(j, "cancel_timer");
  j.key("timer").string(kind_name(c.timer.kind));
  j.key("of").string(timer_owner(c.timer));
  end(j, out);
}
template <class Policies>
inline void player<Policies>::json(callinfo::appearance_changed const& a) {
  std::string out;
  json_writer j(out);
  begin(j, "appearance_changed");
  j.key("line").string(a.line);
  j.key("index").number(a.index);
  j.key("from").string(to_string(a.from));
  j.key("to").string(to_string(a.to));
  j.key("cause").string(to_string(a.cause));
  end(j, out);
}

// A builder's text with CRLF line ends made LF, for reading.
template <class Policies>
inline void player<Policies>::put_lines(std::string_view text) {
  std::string s(text);
  std::erase(s, '\r');
  std::cout << s;
}
template <class Policies>
inline void player<Policies>::build_failed(std::string_view what, callinfo::build_result r) {
  std::cout << ";; the " << what << " could not be written: " << name(r.code) << " (" << describe(r.code) << ")\n";
}

template <class Policies>
inline void player<Policies>::sip(callinfo::response const& r) {
  std::string text;
  callinfo::string_sink sink(text);
  if (auto const res = callinfo::write_response(r, sink); !res) return build_failed("response", res);
  put_lines(text);
  std::cout << '\n';
}
template <class Policies>
inline void player<Policies>::sip(callinfo::notify const& n) {
  std::string text;
  callinfo::string_sink sink(text);
  auto const res = callinfo::write_notify_headers(n, sink);
  if (!res) return build_failed("NOTIFY", res);
  auto const it = subscriptions_.find(n.subscription);
  std::string target = it != subscriptions_.end() ? it->second.from : "sip:" + std::to_string(n.subscription);
  if (!target.starts_with("sip:") && !target.starts_with("sips:")) target.insert(0, "sip:");
  // dialog;shared: the header block ends with Content-Type; the body is the builder's.
  std::string body;
  callinfo::string_sink body_sink(body);
  if (auto const b = callinfo::write_dialog_info(n, body_sink); !b) return build_failed("dialog-info body", b);
  std::cout << "NOTIFY " << target << " SIP/2.0\n";
  if (n.event == callinfo::event_package::dialog_shared && !n.line.uri.empty()) {
    put_lines(text);
    std::cout << "Content-Length: " << body.size() << "\n\n" << body << '\n';
    return;
  }
  put_lines(text);
  std::cout << '\n';
}
template <class Policies>
inline void player<Policies>::sip(callinfo::arm_timer const& a) {
  std::cout << ";; arm " << kind_name(a.timer.kind) << " timer of " << timer_owner(a.timer) << " at t="
            << seconds_text(a.at) << " s\n";
}
template <class Policies>
inline void player<Policies>::sip(callinfo::cancel_timer const& c) {
  std::cout << ";; cancel " << kind_name(c.timer.kind) << " timer of " << timer_owner(c.timer) << '\n';
}
template <class Policies>
inline void player<Policies>::sip(callinfo::appearance_changed const& a) {
  std::cout << ";; " << a.line << " appearance " << a.index << ": " << to_string(a.from) << " -> " << to_string(a.to)
            << " (" << to_string(a.cause) << ")\n";
}

}  // namespace callinfo_play
