// callinfo-play — the player: hands a scenario's steps to a
// callinfo::basic_server with a manual clock, as a SIP stack would, and keeps
// the stack's side (the timer table, the names of subscriptions,
// publications and dialogs). How it prints the effects, as JSON or as SIP, is
// in player_output.hpp; run.cpp instantiates both for each dialect.
#pragma once

#include "../common/json_writer.hpp"
#include "scenario.hpp"

#include <callinfo/write/error.hpp>
#ifdef CALLINFO_PLAY_DIALOG_INFO
#include <callinfo/dialog_info/parse.hpp>  // pugixml: only when meson found it
#endif
#include <callinfo/adapters/call_info.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/presence/snapshot.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace callinfo_play {

using callinfo_examples::json_writer;

struct subscription_info {
  std::string name, from, line;
  callinfo::event_package event = callinfo::event_package::call_info;
  std::optional<std::string> call_info;  // line-seize: sent again with every refresh, as phones do
};

template <class Policies>
class player {
 public:
  using server_type = callinfo::basic_server<Policies>;

  player(scenario const& s, bool sip) : scenario_(s), sip_(sip), server_(std::make_unique<server_type>(s.limits)) {}

  void run() {
    for (step const& st : scenario_.steps) {
      ++number_;
      current_ = &st;
      if (sip_) std::cout << ";; step " << number_ << ": " << st.text << '\n';
      std::visit([&](auto const& c) { play(c); }, st.cmd);
      std::cout << std::flush;
    }
  }

 private:
  using effect_list = callinfo::effect_list;

  [[noreturn]] void fail(std::string message) const { throw scenario_error{current_->line, std::move(message)}; }

  // --- the commands ------------------------------------------------------

  void play(cmd_advance const& c) {
    callinfo::time_point const target = server_->clock().now() + std::chrono::seconds(c.seconds);
    for (;;) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it)
        if (it->second.at <= target && (next == timers_.end() || it->second.at < next->second.at ||
                                        (it->second.at == next->second.at && it->second.order < next->second.order)))
          next = it;
      if (next == timers_.end()) break;
      callinfo::timer_id const t = next->first.id();
      if (next->second.at > server_->clock().now()) server_->clock().set(next->second.at);
      timers_.erase(next);
      fired(t);
      effect_list fx;
      server_->on_timer(t, fx);
      print(fx);
    }
    server_->clock().set(target);
  }

  void play(cmd_subscribe const& c) {
    std::optional<std::string> text = c.call_info;
    callinfo::subscribe_request r;
    r.event = c.event;
    r.line = c.line;
    r.watcher = c.from;
    r.expires = c.expires;
    if (text) r.seize = seize_of(*text);
    effect_list fx;
    server_->on_subscribe(r, fx);
    for (callinfo::effect const& e : fx.items)
      if (auto const* resp = std::get_if<callinfo::response>(&e); resp && resp->subscription != 0) {
        subscription_info info;
        info.name = c.name;
        info.from = c.from;
        info.line = c.line;
        info.event = c.event;
        info.call_info = c.call_info;
        subscriptions_[resp->subscription] = info;
        by_name_[c.name] = resp->subscription;
      }
    print(fx);
  }

  void play(cmd_refresh const& c) {
    auto const it = by_name_.find(c.name);
    if (it == by_name_.end()) fail("no accepted subscription named '" + c.name + "'");
    subscription_info const& info = subscriptions_.at(it->second);
    callinfo::subscribe_request r;
    r.event = info.event;
    r.line = info.line;
    r.watcher = info.from;
    r.subscription = it->second;
    r.expires = c.expires;
    if (info.event == callinfo::event_package::line_seize && info.call_info) r.seize = seize_of(*info.call_info);
    effect_list fx;
    server_->on_subscribe(r, fx);
    print(fx);
  }

  void play(cmd_publish const& c) {
    publication_info& pub = publications_[c.name];
    if (c.line) pub.line = *c.line;
    else if (pub.line.empty()) pub.line = default_line;
    callinfo::publish_request r;
    r.line = pub.line;
    r.expires = c.expires;
    if (c.if_match == cmd_publish::match::last) {
      if (pub.etag.empty()) fail("publication '" + c.name + "' has no entity-tag yet (no 2xx to an earlier PUBLISH)");
      r.if_match = pub.etag;
    } else if (c.if_match == cmd_publish::match::tag) {
      r.if_match = c.tag;
    }
    std::optional<std::string> text = c.call_info;
    if (text) {
      if (auto const ci = parse_call_info(*text)) {
        // The stack's step: Call-Info into appearance updates; it answers
        // what the adapter refuses itself.
        if (std::optional<callinfo::response> const bad = reader_.read(*ci)) {
          effect_list fx;
          fx(callinfo::effect{*bad});
          print(fx);
          return;
        }
        r.appearances = reader_.updates();
      }
    }
#ifdef CALLINFO_PLAY_DIALOG_INFO
    callinfo::dialog_info_document body;
    if (c.dialog_info) {
      r.event = callinfo::event_package::dialog_shared;
      if (auto const e = callinfo::parse_dialog_info(*c.dialog_info, body); !e)
        fail("dialog-info body refused: " + std::string(name(e.code)) + " at offset " + std::to_string(e.offset));
      r.appearances = body.appearances();
    }
#endif
    effect_list fx;
    server_->on_publish(r, fx);
    for (callinfo::effect const& e : fx.items)
      if (auto const* resp = std::get_if<callinfo::response>(&e); resp && !resp->etag.empty()) {
        pub.etag = std::string(resp->etag);
        if (auto const* p = server_->storage().find_publication(std::string_view(pub.etag))) publication_names_[p->id] = c.name;
      }
    print(fx);
  }

  void play(cmd_dialog const& c) {
    auto [it, added] = dialogs_.try_emplace(c.id, dialogs_.size() + 1);
    (void)added;
    callinfo::dialog_event d;
    d.line = c.line;
    d.dialog = it->second;
    d.side = c.side;
    d.phase = c.phase;
    d.appearance_index = c.index;
    d.remote = c.remote;
    d.private_hold = c.private_hold;
    effect_list fx;
    callinfo::state_change const sc = server_->on_dialog(d, fx);
    print(fx);
    print_change("dialog", sc);
  }

  void play(cmd_release const& c) {
    effect_list fx;
    std::size_t const count = server_->release(c.line, c.index, fx);
    print(fx);
    if (sip_) {
      std::cout << ";; released " << count << " appearance" << (count == 1 ? "" : "s") << '\n';
    } else {
      std::string out;
      json_writer j(out);
      begin(j, "released");
      j.key("count").number(count);
      end(j, out);
    }
  }

  void play(cmd_end const& c) {
    effect_list fx;
    std::string_view what = "ended_all";
    std::string result;
    std::size_t count = 0;
    if (c.all) {
      count = server_->end_all_subscriptions(c.reason, fx);
      result = std::to_string(count);
    } else {
      auto const it = by_name_.find(c.name);
      if (it == by_name_.end()) fail("no accepted subscription named '" + c.name + "'");
      callinfo::subscription_end const r = c.status ? server_->on_notify_failed(it->second, *c.status, fx)
                                                    : server_->end_subscription(it->second, c.reason, fx);
      what = c.status ? "notify_failed" : "end";
      result = r == callinfo::subscription_end::ended ? "ended" : r == callinfo::subscription_end::kept ? "kept" : "unknown";
    }
    print(fx);
    if (sip_) {
      std::cout << ";; " << what << ": " << result << (c.all ? " subscriptions" : "") << '\n';
      return;
    }
    std::string out;
    json_writer j(out);
    begin(j, what);
    if (c.all) j.key("count").number(count);
    else j.key("result").string(result);
    end(j, out);
  }

  void play(cmd_update const& c) {
    effect_list fx;
    callinfo::state_change const sc = server_->update(c.line, c.index, c.state, c.remote, fx);
    print(fx);
    print_change(c.seize ? "seize" : "update", sc);
  }

  void play(cmd_list const&) {
    std::vector<std::pair<std::string, std::vector<callinfo::appearance>>> lines;
    server_->for_each_line([&](callinfo::line_view const& l) {
      lines.emplace_back(std::string(l.uri), std::vector<callinfo::appearance>(l.busy.begin(), l.busy.end()));
    });
    std::sort(lines.begin(), lines.end(), [](auto const& a, auto const& b) { return a.first < b.first; });
    if (lines.empty() && sip_) std::cout << ";; no lines\n";
    if (lines.empty() && !sip_) {
      std::string out;
      json_writer j(out);
      begin(j, "list");
      j.key("lines").begin_array().end_array();
      end(j, out);
    }
    for (auto const& [uri, busy] : lines) {
      if (sip_) {
        std::cout << ";; line " << uri << ':';
        if (busy.empty()) std::cout << " idle";
        for (callinfo::appearance const& a : busy) {
          std::cout << ' ' << a.index << '=' << to_string(a.state);
          if (!a.remote.empty()) std::cout << " (" << a.remote << ')';
        }
        std::cout << '\n';
        continue;
      }
      std::string out;
      json_writer j(out);
      begin(j, "list");
      j.key("line").string(uri);
      j.key("appearances").begin_array();
      for (callinfo::appearance const& a : busy) write_appearance(j, a);
      j.end_array();
      end(j, out);
    }
  }

  void play(cmd_snapshot_restore const&) {
    std::string text;
    callinfo::string_sink sink(text);
    snapshot(*server_, sink);
    auto next = std::make_unique<server_type>(scenario_.limits);
    next->clock().set(server_->clock().now());
    effect_list fx;
    if (!restore(*next, text, fx)) fail("the restored server refused the snapshot:\n" + text);
    server_ = std::move(next);
    timers_.clear();  // the old server is gone; the restore re-arms what is alive
    if (sip_) {
      std::cout << ";; snapshot restored into a fresh server\n";
    } else {
      std::string out;
      json_writer j(out);
      begin(j, "restored");
      end(j, out);
    }
    print(fx);
  }

  // --- effects -----------------------------------------------------------

  struct timer_key {
    callinfo::timer_kind kind;
    std::uint64_t n;
    callinfo::timer_id id() const {
      callinfo::timer_id t;
      t.kind = kind;
      t.id = n;
      return t;
    }
    friend bool operator<(timer_key a, timer_key b) { return std::pair(a.kind, a.n) < std::pair(b.kind, b.n); }
  };
  struct armed {
    callinfo::time_point at{0};
    std::uint64_t order = 0;
  };
  struct publication_info {
    std::string line, etag;
  };

  static timer_key key(callinfo::timer_id t) { return timer_key{t.kind, t.id}; }

  // A line-seize SUBSCRIBE's Call-Info, as the stack passes it.
  std::optional<callinfo::seize_target> seize_of(std::string const& text) {
    auto const ci = parse_call_info(text);
    return ci ? std::optional<callinfo::seize_target>(callinfo::seize_target_of(*ci)) : std::nullopt;
  }
  // Keeps the Call-Info text alive for the duration of the call.
  std::optional<callinfo::call_info_view> parse_call_info(std::string const& text) {
    texts_.push_back(text);
    auto r = callinfo::parse_call_info(texts_.back());
    if (!r) fail("call-info value does not parse: " + callinfo::render(r.error(), texts_.back()));
    return *r;
  }

  // --- output (player_output.hpp) -----------------------------------------

  std::string subscription_name(callinfo::subscription_id id) const;
  std::string timer_owner(callinfo::timer_id t) const;
  static std::string_view kind_name(callinfo::timer_kind k);
  void begin(json_writer& j, std::string_view effect) const;
  static void end(json_writer& j, std::string& out);
  static void write_appearance(json_writer& j, callinfo::appearance const& a);
  void fired(callinfo::timer_id t);
  void print_change(std::string_view what, callinfo::state_change const& c);
  void print(effect_list const& fx);
  void json(callinfo::response const& r);
  void json(callinfo::notify const& n);
  void json(callinfo::arm_timer const& a);
  void json(callinfo::cancel_timer const& c);
  void json(callinfo::appearance_changed const& a);
  static void put_lines(std::string_view text);
  static void build_failed(std::string_view what, callinfo::build_result r);
  void sip(callinfo::response const& r);
  void sip(callinfo::notify const& n);
  void sip(callinfo::arm_timer const& a);
  void sip(callinfo::cancel_timer const& c);
  void sip(callinfo::appearance_changed const& a);

  scenario const& scenario_;
  bool sip_ = false;
  std::unique_ptr<server_type> server_;
  step const* current_ = nullptr;
  std::uint64_t number_ = 0;
  std::map<timer_key, armed> timers_;
  std::uint64_t arm_order_ = 0;
  std::map<callinfo::subscription_id, subscription_info> subscriptions_;
  std::map<std::string, callinfo::subscription_id> by_name_;
  std::map<std::string, publication_info> publications_;
  std::map<callinfo::publication_id, std::string> publication_names_;
  std::map<std::string, callinfo::dialog_id> dialogs_;
  std::vector<std::string> texts_;
  callinfo::call_info_updates reader_;
};

}  // namespace callinfo_play
