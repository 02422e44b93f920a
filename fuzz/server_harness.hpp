// callinfo — fuzz harness of the presence server (presence/server.hpp,
// presence/snapshot.hpp) and of the NOTIFY / response writers it feeds
// (build/notify.hpp, build/response.hpp): run_server.
//
// Builds on harness.hpp and build_harness.hpp (the byte reader); included
// by fuzz_target.cpp and replay.cpp.
//
// The input is read as a configuration, then at most max_steps steps:
//   byte 0    dialect (modulo 3: default, opensips, broadworks); 1 or 2 lines
//   byte 1    limits: max_subscriptions_per_line (1, 2, 3, 256), per watcher
//             (64, 1, 2, 64), min_expires (0, 0, 5, 20), call-info timeout
//             NOTIFY off (bit 6), line-seize timeout NOTIFY on (bit 7);
//             three appearances per line
//   each step, one byte (modulo 16) then its own bytes:
//     0-3   SUBSCRIBE by one of 3 subscribers, call-info, line-seize or
//           dialog;shared, on a line: initial, refresh, unsubscribe or fetch (Expires 0), with an
//           Expires absent / 0 / short / long; a line-seize's Call-Info has
//           appearance-index 0, *, 1-3, 4 (out of range), none, no Call-Info
//           at all, or raw text that parse_call_info() accepts (2^32, which it
//           refuses, stands for a SUBSCRIBE the stack answers itself)
//     4-6   PUBLISH: SIP-If-Match absent, the line's latest SIP-ETag or a
//           stale one; Expires absent / 0 / short / long; Call-Info absent,
//           generated (indexes, states, remotes with quotes, backslashes and
//           quoted-pairs) or raw text that parse_call_info() accepts; or
//           Event: dialog;shared with 0-3 dialogs as parse_dialog_info()
//           hands them over (with or without sa:appearance, dialog ids,
//           Call-IDs and tags, sa:joined-dialog / sa:replaced-dialog naming
//           one of three calls, tags either way round)
//     7-9   a dialog event: 3 dialogs, both sides, every phase, private hold,
//           an index (none, 0-4), a remote (quotes, backslashes, '<', raw),
//           with or without the call's Call-ID and tags
//     10    management: release one appearance or the line, or update
//     11-12, 15  the clock moves on; the due timers fire, earliest first
//     13    snapshot -> restore into a twin that then runs in lockstep (or
//           the twin is dropped)
//     14    a timer the stack holds, or one it never had, fires
//
// Every call, its answer and, after every step, the server's state are
// checked by the invariant checker explore.cpp shares
// (tests/support/server_invariants.hpp, which lists what it checks: the
// watchers' view of their lines, the seizes, the appearance agent's memory,
// the NOTIFY sequence, the timers, the restored twin, every NOTIFY and
// response written and read back, ...), trapping on any violation after
// printing which invariant broke.
#pragma once

#include "../tests/support/server_invariants.hpp"
#include "build_harness.hpp"
#include "harness.hpp"

#include <callinfo/callinfo.hpp>

#include <cstdio>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace callinfo::fuzz {

namespace server_fuzz {

inline constexpr std::size_t max_steps = 200;
inline constexpr std::uint32_t appearances_per_line = 3;
inline constexpr std::string_view lines[] = {"sip:bob@example.com", "sip:team@example.org"};
inline constexpr std::string_view watchers[] = {"sip:a@example.com", "sip:b@example.com", "sip:c@example.com"};

struct opensips_policies : test_policies {
  using dialect = opensips_dialect;
};
struct broadworks_policies : test_policies {
  using dialect = broadworks_dialect;
};

// Calls on the lines, by their SIP identifiers: named by dialog events, by
// dialog-info publications and by their sa:joined-dialog /
// sa:replaced-dialog references (RFC 7463 §5.2).
inline constexpr dialog_ref calls[] = {{"c1@h", "a1", "b1"}, {"c2@h", "a2", "b2"}, {"c3@h", "a3", "b3"}};

// A Call-Info value the stack has parsed: raw input bytes, used only when
// parse_call_info() accepts them.
struct parsed_call_info {
  exact_buffer text;
  std::optional<call_info_view> view;
  explicit parsed_call_info(std::string_view raw) : text(raw) {
    auto const r = parse_call_info(text.view());
    if (r) view = *r;
  }
};

// Writes `v` as quoted-string content: '"' and '\' (and the control bytes a
// quoted-pair may carry) as quoted-pairs; CR, LF and %xFE-FF cannot be
// carried and are left out.
inline std::string quoted(std::string_view v) {
  std::string s = "\"";
  for (char c : v) {
    auto const u = static_cast<unsigned char>(c);
    if (c == '\r' || c == '\n' || u >= 0xfe) continue;
    if (c == '"' || c == '\\' || (is_ctl_byte(c) && c != ' ')) s += '\\';
    s += c;
  }
  s += '"';
  return s;
}

inline std::string printable(std::string_view raw) {
  std::string s(raw);
  for (char& c : s) c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 95);
  return s;
}

template <class Policies>
class session {
 public:
  using server_t = basic_server<Policies>;
  using dialect = typename Policies::dialect;

  session(default_limits const& limits, std::size_t line_count)
      : limits_(limits), line_count_(line_count), server_(limits) {}

  void run(byte_reader& in) {
    for (std::size_t step = 0; step < max_steps && !in.done(); ++step) {
      std::uint32_t const op = in.below(16);
#ifdef CALLINFO_FUZZ_TRACE
      std::fprintf(stderr, "step %zu: op %u\n", step, op);
#endif
      switch (op) {
        case 0: case 1: case 2: case 3: subscribe(in); break;
        case 4: case 5: case 6: publish(in); break;
        case 7: case 8: case 9: dialog(in); break;
        case 10: manage(in); break;
        case 13: restart(in); break;
        case 14: stray_timer(in); break;
        default: advance(in); break;
      }
      check_invariants();
    }
  }

 private:
  // Runs one call on the server and on its twin: the checker compares their
  // answers, checks every effect (written and read back too) and feeds them
  // to the model of the stack. The effects stay valid until the next call.
  template <class Call>
  effect_list call(Call&& f) {
    effect_list fx = model_.answer(server_, twin_ ? &*twin_ : nullptr, f, trap{});
#ifdef CALLINFO_FUZZ_TRACE
    for (effect const& e : fx.items) trace(e);
#endif
    model_.observe(fx, trap{});
    return fx;
  }

#ifdef CALLINFO_FUZZ_TRACE
  // -DCALLINFO_FUZZ_TRACE: prints every effect to stderr, to read a reproducer.
  static void trace(effect const& e) {
    if (auto const* r = std::get_if<response>(&e))
      std::fprintf(stderr, "  response %u %.*s sub=%llu expires=%lld\n", unsigned{r->code}, int(r->reason.size()),
                   r->reason.data(), static_cast<unsigned long long>(r->subscription), r->expires ? (long long)*r->expires : -1LL);
    else if (auto const* n = std::get_if<notify>(&e)) {
      std::fprintf(stderr, "  notify sub=%llu %s%s initial=%d seized=%u line=%.*s:", static_cast<unsigned long long>(n->subscription),
                   std::string(to_string(n->state)).c_str(), n->reason ? (";" + std::string(to_string(*n->reason))).c_str() : "",
                   int{n->initial}, n->seized_index, int(n->line.uri.size()), n->line.uri.data());
      for (appearance const& a : n->line.busy)
        std::fprintf(stderr, " %u=%s[%s]", a.index, std::string(to_string(a.state)).c_str(), a.remote.c_str());
      std::fprintf(stderr, "\n");
    } else if (auto const* a = std::get_if<arm_timer>(&e))
      std::fprintf(stderr, "  arm %d/%llu at %lld\n", int(a->timer.kind), static_cast<unsigned long long>(a->timer.id), (long long)a->at.count());
    else if (auto const* c = std::get_if<cancel_timer>(&e))
      std::fprintf(stderr, "  cancel %d/%llu\n", int(c->timer.kind), static_cast<unsigned long long>(c->timer.id));
    else if (auto const* x = std::get_if<appearance_changed>(&e))
      std::fprintf(stderr, "  changed %u %s->%s by %s\n", x->index, std::string(to_string(x->from)).c_str(),
                   std::string(to_string(x->to)).c_str(), std::string(to_string(x->cause)).c_str());
  }
#endif

  static std::optional<std::uint32_t> pick_expires(std::uint32_t k) {
    constexpr std::uint32_t values[] = {0, 1, 5, 10, 30, 3600, 100000};
    if (k % 8 == 7) return std::nullopt;
    return values[k % 8];
  }

  void subscribe(byte_reader& in) {
    std::uint8_t const b = in.byte();
    std::uint32_t const who = b % 3;
    constexpr event_package packages[] = {event_package::call_info, event_package::line_seize,
                                          event_package::dialog_shared};
    event_package const pkg = packages[(b / 3) % 3];
    std::uint32_t const li = (b / 9) % line_count_;
    std::uint32_t const mode = in.below(5);  // 0-1 initial, 2 refresh, 3 unsubscribe, 4 fetch
    std::uint8_t const e = in.byte();
    subscription_id& slot = slots_[who][li][static_cast<std::size_t>(pkg)];

    subscribe_request r;
    r.event = pkg;
    r.line = lines[li];
    r.watcher = watchers[who];
    r.expires = pick_expires(e);
    if (mode == 2 || mode == 3) {
      r.subscription = slot != 0 ? slot : 1 + e % 8;
      if (mode == 3) r.expires = 0u;
      if (e & 0x40) r.line = {};
      else if (e & 0x80) r.line = lines[(li + 1) % 2];
    } else if (mode == 4) {
      r.expires = 0u;
    }

    std::string text;
    std::optional<parsed_call_info> raw;
    if (pkg == event_package::line_seize && (r.subscription == 0 || (e & 0x20))) {
      std::uint32_t const c = in.below(10);
      static constexpr std::string_view index_text[] = {"0", "*", "1", "2", "3", "4", "4294967296"};
      if (c >= 1 && c <= 7) text = "<sip:bob@example.com>;appearance-index=" + std::string(index_text[c - 1]);
      else if (c == 8) text = "<sip:bob@example.com>;appearance-state=seized";
      if (!text.empty()) {
        raw.emplace(text);
        require(raw->view.has_value() || c == 7);  // 2^32 is no appearance-index: the stack answers 400
        if (!raw->view) return;
      } else if (c == 9) {
        raw.emplace(in.text(96));
        if (!raw->view) return;  // the stack answers 400 itself
      }
      if (raw) r.seize = seize_target_of(*raw->view);
    }

    effect_list const fx = call([&](server_t& s, effect_list& out) { s.on_subscribe(r, out); });
    response const& resp = model_.check_subscribe(r, fx, trap{});
    if (r.subscription == 0 && resp.code >= 200 && resp.code < 300 && *resp.expires != 0) slot = resp.subscription;
  }

  std::string generated_call_info(byte_reader& in) {
    std::string text = "<sip:bob@example.com>";
    std::uint32_t const n = 1 + in.below(3);
    bool const split = in.byte() & 1;
    for (std::uint32_t i = 0; i < n; ++i) {
      if (i != 0 && split) text += ", <sip:bob@example.com>";
      std::uint32_t const x = in.below(8);
      static constexpr std::string_view index_text[] = {"", "*", "0", "4", "1", "2", "3", "1"};
      if (x != 0) text += ";appearance-index=" + std::string(index_text[x]);
      std::uint32_t const s = in.below(9);
      if (s < appearance_state_count) text += ";appearance-state=" + std::string(to_string(all_appearance_states[s]));
      else if (s == 7) text += ";appearance-state=bogus";
      std::uint32_t const u = in.below(6);
      static constexpr std::string_view remotes[] = {"<sip:carol@example.com>", "sip:dave@example.com",
                                                     "\"Carol \\\"C\\\" \\\\\" <sip:carol@example.com>"};
      if (u < 3) text += ";appearance-uri=" + quoted(remotes[u]);
      else if (u == 3) text += ";appearance-uri=" + quoted(in.text(32));
    }
    return text;
  }

  // A dialog-info body as parse_dialog_info() hands it over: 0-3 dialogs,
  // with or without sa:appearance (0-4; 4 is out of range), any state, a
  // dialog id, the call's identifiers, a joined or replaced call (tags
  // either way round), a remote party.
  static void generated_dialogs(byte_reader& in, std::vector<appearance_update>& out) {
    static constexpr std::string_view ids[] = {"", "d1", "d2", "a7"};
    static constexpr std::string_view remotes[] = {"", "sip:carol@example.com", "\"Dave\" <sip:dave@example.org>"};
    std::uint32_t const n = in.below(4);
    for (std::uint32_t i = 0; i < n; ++i) {
      appearance_update u;
      constexpr std::uint32_t indexes[] = {0, 0, 1, 2, 3, 4};
      u.index = indexes[in.below(6)];
      u.state = all_appearance_states[in.below(appearance_state_count)];
      u.dialog = ids[in.below(4)];
      u.remote = remotes[in.below(3)];
      std::uint8_t const k = in.byte();
      if (k % 4 != 3) u.identifiers = calls[k % 4];
      std::uint32_t const ref = (k / 4) % 7;  // 0-2 none, 3-4 joined, 5-6 replaced
      dialog_ref named = calls[(k / 28) % 3];
      if (k & 0x80) std::swap(named.local_tag, named.remote_tag);
      if (ref == 3 || ref == 4) u.joined = named;
      if (ref >= 5) u.replaced = named;
      out.push_back(u);
    }
  }

  void publish(byte_reader& in) {
    std::uint8_t const b = in.byte();
    std::uint32_t const li = b % line_count_;
    std::uint32_t const m = (b / 2) % 4;
    std::uint32_t const e = (b / 8) % 5;
    std::uint32_t const c = in.below(8);

    publish_request r;
    r.line = lines[li];
    std::string tag;
    std::vector<std::string> const& tags = etags_[li];
    if (m == 2 && !tags.empty()) {
      tag = tags.back();
      r.if_match = tag;
    } else if (m == 3) {
      std::vector<std::string> const& other = tags.size() > 1 ? tags : etags_[(li + 1) % 2];
      tag = other.empty() ? std::string("zz9") : other[in.byte() % other.size()];
      r.if_match = tag;
    }
    constexpr std::uint32_t values[] = {0, 5, 30, 100000};
    if (e < 4) r.expires = values[e];

    std::optional<parsed_call_info> ci;
    std::vector<appearance_update> dialogs;
    if ((b / 40) % 2) {  // Event: dialog;shared, the body's dialogs (none: no body)
      r.event = event_package::dialog_shared;
      if (c != 0) {
        generated_dialogs(in, dialogs);
        r.appearances = dialogs;
      }
    } else if (c == 1) {
      ci.emplace(in.text(128));
      if (!ci->view) return;  // the stack answers 400 itself
    } else if (c >= 2) {
      ci.emplace(generated_call_info(in));
      require(ci->view.has_value());
    }
    if (ci) {
      // The stack answers what the Call-Info adapter refuses (400) itself:
      // only an appearance without appearance-state or with a state that is
      // none of the SCA states.
      if (std::optional<response> const bad = reader_.read(*ci->view)) {
        require(bad->code == 400 && (bad->reason == "Missing appearance-state" || bad->reason == "Unknown appearance-state"));
        bool stated_badly = false;
        for (call_info_entry_view const& e : *ci->view)
          for (appearance_view const& a : e.appearances())
            stated_badly = stated_badly || (!(a.index && a.index->is_wildcard()) && !a.state());
        require(stated_badly);
        return;
      }
      r.appearances = reader_.updates();
    }
#ifdef CALLINFO_FUZZ_TRACE
    std::fprintf(stderr, "  publish %.*s if-match=%s expires=%lld call-info=", int(r.line.size()), r.line.data(),
                 r.if_match ? tag.c_str() : "-", r.expires ? (long long)*r.expires : -1LL);
    for (char ch : ci ? ci->text.view() : std::string_view("-"))
      std::fprintf(stderr, is_ctl_byte(ch) || static_cast<unsigned char>(ch) > 0x7e ? "\\x%02x" : "%c",
                   static_cast<unsigned char>(ch));
    for (appearance_update const& u : dialogs)
      std::fprintf(stderr, " dialog[%u %s id=%s call=%s joins=%s replaces=%s]", u.index,
                   std::string(to_string(u.state)).c_str(), std::string(u.dialog).c_str(),
                   std::string(u.identifiers.call_id).c_str(), u.joined ? std::string(u.joined->call_id).c_str() : "-",
                   u.replaced ? std::string(u.replaced->call_id).c_str() : "-");
    std::fprintf(stderr, "\n");
#endif

    effect_list const fx = call([&](server_t& s, effect_list& out) { s.on_publish(r, out); });
    response const& resp = model_.check_publish(fx, trap{});
    if (resp.code == 200 && !resp.etag.empty()) etags_[li].emplace_back(resp.etag);
  }

  void dialog(byte_reader& in) {
    std::uint8_t const b = in.byte();
    std::uint8_t const p = in.byte();
    dialog_event d;
    d.line = lines[b % line_count_];
    d.dialog = 1 + (b / 2) % 3;
    d.side = (b / 6) % 2 ? dialog_side::callee : dialog_side::caller;
    d.phase = static_cast<dialog_phase>(p % 6);
    d.private_hold = (p / 6) % 2;
    if ((b / 12) % 2) d.identifiers = calls[d.dialog - 1];
    constexpr std::uint32_t indexes[] = {0, 1, 2, 3, 4, 1, 2};
    std::uint32_t const x = (p / 12) % 8;
    if (x < 7) d.appearance_index = indexes[x];
    std::string remote;
    switch (in.below(6)) {
      case 0: break;
      case 1: remote = "<sip:carol@example.com>"; break;
      case 2: remote = "\"C \\\"q\\\" \\\\ x\" <sip:carol@example.com>"; break;
      case 3: remote = "sip:dave@example.com"; break;
      case 4: remote = "\"<\" <sip:x@example.com>"; break;
      default: remote = printable(in.text(32)); break;
    }
    d.remote = remote;
#ifdef CALLINFO_FUZZ_TRACE
    std::fprintf(stderr, "  dialog %llu %s %s index=%d remote=[%s]\n", static_cast<unsigned long long>(d.dialog),
                 std::string(to_string(d.side)).c_str(), std::string(to_string(d.phase)).c_str(),
                 d.appearance_index ? int(*d.appearance_index) : -1, remote.c_str());
#endif
    call([&](server_t& s, effect_list& out) { s.on_dialog(d, out); });
  }

  void manage(byte_reader& in) {
    std::uint8_t const b = in.byte();
    std::string_view const line = lines[b % line_count_];
    std::uint32_t const index = (b / 2) % 5;
    switch ((b / 10) % 3) {
      case 0: call([&](server_t& s, effect_list& out) { s.release(line, index, out); }); break;
      case 1: call([&](server_t& s, effect_list& out) { s.release(line, std::nullopt, out); }); break;
      default: {
        appearance_state const to = all_appearance_states[in.below(appearance_state_count)];
        std::string const remote = (b & 0x80) ? printable(in.text(24)) : std::string();
        call([&](server_t& s, effect_list& out) { s.update(line, index, to, remote, out); });
      }
    }
  }

  // The clock moves; the due timers fire, earliest first, as a stack's
  // timer wheel would.
  void advance(byte_reader& in) {
    std::uint8_t const b = in.byte();
    std::int64_t const seconds = b < 200 ? b % 41 : (b - 199) * 100;
    time_point const by{seconds * 1000};
    server_.clock().advance(by);
    if (twin_) twin_->clock().advance(by);
    while (std::optional<timer_id> const t = model_.take_due(server_.clock().now()))
      call([&](server_t& s, effect_list& out) { s.on_timer(*t, out); });
  }

  // A timer the stack holds fires (the server re-arms it when it is not
  // due), or one it never had.
  void stray_timer(byte_reader& in) {
    std::uint8_t const b = in.byte();
    timer_id const t{b & 1 ? timer_kind::publication : timer_kind::subscription, 1u + (b >> 1) % 12};
    bool const held = model_.holds(t);
    effect_list const fx = call([&](server_t& s, effect_list& out) { s.on_timer(t, out); });
    model_.check_timer(held, fx, trap{});
  }

  void restart(byte_reader& in) {
    if (twin_ && (in.byte() & 1)) {
      twin_.reset();
      return;
    }
    std::string text;
    string_sink out(text);
    snapshot(server_, out);
    twin_.emplace(limits_);
    twin_->clock().set(server_.clock().now());
    effect_list timers;
    bool const restored = restore(*twin_, text, timers);
    model_.check_restore(server_, *twin_, text, restored, timers, trap{});
  }

  void check_invariants() { model_.check_state(server_, twin_ ? &*twin_ : nullptr, lines, trap{}); }

  default_limits limits_;
  std::size_t line_count_;
  server_t server_;
  std::optional<server_t> twin_;
  call_info_updates reader_;  // a PUBLISH's Call-Info, as the stack passes it
  test::server_model<server_t> model_;  // the stack's view of server_, and the invariant checks
  subscription_id slots_[3][2][3] = {};  // subscriber, line, package: its latest subscription
  std::vector<std::string> etags_[2];    // per line: every SIP-ETag handed out, oldest first
};

}  // namespace server_fuzz

inline void run_server(std::string_view data) {
  using namespace server_fuzz;
  byte_reader in(data);
  std::uint8_t const b0 = in.byte();
  std::uint8_t const b1 = in.byte();
  default_limits limits;
  limits.max_appearances = appearances_per_line;
  constexpr std::uint32_t per_line[] = {1, 2, 3, 256};
  constexpr std::uint32_t per_watcher[] = {64, 1, 2, 64};
  constexpr std::uint32_t min_expires[] = {0, 0, 5, 20};
  limits.max_subscriptions_per_line = per_line[b1 & 3u];
  limits.max_subscriptions_per_watcher = per_watcher[(b1 >> 2) & 3u];
  limits.min_expires = min_expires[(b1 >> 4) & 3u];
  limits.call_info_timeout_notification = !(b1 & 0x40u);
  limits.line_seize_timeout_notification = (b1 & 0x80u) != 0;
  std::size_t const line_count = 1 + (b0 / 3) % 2;
  switch (b0 % 3) {
    case 0: session<test_policies>(limits, line_count).run(in); break;
    case 1: session<opensips_policies>(limits, line_count).run(in); break;
    default: session<broadworks_policies>(limits, line_count).run(in); break;
  }
}

}  // namespace callinfo::fuzz
