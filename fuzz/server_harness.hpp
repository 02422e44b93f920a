// callinfo — fuzz harness of the presence server (presence/server.hpp,
// presence/snapshot.hpp) and of the NOTIFY / response writers it feeds
// (build/notify.hpp, build/response.hpp): run_server.
//
// Builds on harness.hpp and build_harness.hpp (the byte reader and the
// Call-Info read-back check); included by fuzz_target.cpp and replay.cpp.
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
// After every step, trapping on any violation:
//   - each live call-info or dialog;shared watcher's latest NOTIFY shows its
//     line as it is (index and state of each busy appearance; the remote
//     party too when check_watcher_remotes is set, see there, and always for
//     dialog;shared, with the id, Call-ID and tags of each appearance's
//     known dialog);
//   - the appearance agent's memory (line_record::dialogs) names only busy
//     appearances, live publications of the line, each owner once per
//     appearance, and the restored twin holds the same;
//   - an appearance driven by a seize belongs to a live line-seize
//     subscription of its line that names it (and, in the per-line seize
//     dialect, a line has at most one);
//   - no NOTIFY to a subscription after its terminated NOTIFY, and a
//     terminated subscription is no longer stored;
//   - each accepted initial SUBSCRIBE gets exactly one initial NOTIFY in the
//     same call, a refused one none; the response comes first;
//   - a timer is armed for every live subscription and publication, at its
//     deadline;
//   - the restored twin answers every call exactly as the original, and
//     holds the same lines, subscriptions and publications;
//   - every NOTIFY and response is written by write_notify_headers (with
//     the dialect's options; see require_writable_remotes for the one
//     refusal accepted) and write_response into a fixed buffer, and
//     reads back with the library's parsers to the same substate, reason,
//     expires, appearances, status, Expires, SIP-ETag, Min-Expires and
//     Retry-After.
#pragma once

#include "build_harness.hpp"
#include "harness.hpp"

#include <callinfo/callinfo.hpp>
#include <callinfo/dialog_info/build.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
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

using timer_key = std::pair<timer_kind, std::uint64_t>;

struct seen_appearance {
  std::uint32_t index;
  appearance_state state;
  std::string remote;
  friend bool operator==(seen_appearance const&, seen_appearance const&) = default;
};
using seen_line = std::vector<seen_appearance>;

// What a dialog;shared watcher is shown of each busy appearance beyond its
// state: the dialog's id (empty: "a<index>"), Call-ID and tags.
using seen_dialogs = std::vector<std::array<std::string, 4>>;
inline seen_dialogs shown_dialogs(line_view const& l) {
  seen_dialogs v;
  for (std::size_t k = 0; k < l.busy.size(); ++k) {
    line_dialog const* d = dialog_of(l.dialogs, l.busy[k]);
    v.push_back({std::string(detail::published_id(l, k)), d ? d->call_id : "", d ? d->local_tag : "",
                 d ? d->remote_tag : ""});
  }
  return v;
}

inline seen_line copy(line_view const& l) {
  seen_line v;
  for (appearance const& a : l.busy) v.push_back(seen_appearance{a.index, a.state, a.remote});
  return v;
}

// A watcher's latest NOTIFY must show each appearance's remote party as the
// line holds it wherever the NOTIFY format carries it (appearance-uri in the
// entry_per_appearance format): a change of the remote party alone is
// NOTIFYed there.
inline bool shows(seen_line const& seen, line_view const& line, bool check_watcher_remotes) {
  if (seen.size() != line.busy.size()) return false;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    appearance const& a = line.busy[i];
    if (seen[i].index != a.index || seen[i].state != a.state) return false;
    if (check_watcher_remotes && seen[i].remote != a.remote) return false;
  }
  return true;
}

inline bool same_line(line_view const& a, line_view const& b) {
  return a.uri == b.uri && std::equal(a.busy.begin(), a.busy.end(), b.busy.begin(), b.busy.end()) &&
         std::equal(a.dialogs.begin(), a.dialogs.end(), b.dialogs.begin(), b.dialogs.end());
}

// Calls on the lines, by their SIP identifiers: named by dialog events, by
// dialog-info publications and by their sa:joined-dialog /
// sa:replaced-dialog references (RFC 7463 §5.2).
inline constexpr dialog_ref calls[] = {{"c1@h", "a1", "b1"}, {"c2@h", "a2", "b2"}, {"c3@h", "a3", "b3"}};

inline bool same(effect const& a, effect const& b) {
  if (a.index() != b.index()) return false;
  if (auto const* x = std::get_if<response>(&a)) {
    auto const& y = std::get<response>(b);
    return x->code == y.code && x->reason == y.reason && x->event == y.event && x->subscription == y.subscription &&
           x->expires == y.expires && x->etag == y.etag && x->retry_after == y.retry_after &&
           x->min_expires == y.min_expires;
  }
  if (auto const* x = std::get_if<notify>(&a)) {
    auto const& y = std::get<notify>(b);
    return x->subscription == y.subscription && x->event == y.event && x->state == y.state && x->reason == y.reason &&
           x->expires == y.expires && same_line(x->line, y.line) && x->seized_index == y.seized_index &&
           x->initial == y.initial;
  }
  if (auto const* x = std::get_if<arm_timer>(&a)) {
    auto const& y = std::get<arm_timer>(b);
    return x->timer == y.timer && x->at == y.at;
  }
  if (auto const* x = std::get_if<cancel_timer>(&a)) return x->timer == std::get<cancel_timer>(b).timer;
  auto const& x = std::get<appearance_changed>(a);
  auto const& y = std::get<appearance_changed>(b);
  return x.line == y.line && x.index == y.index && x.from == y.from && x.to == y.to && x.cause == y.cause;
}

// The header lines of a written block: each `Name: value` ends in CRLF, and
// no other CR, LF or control byte occurs.
inline std::vector<std::pair<std::string_view, std::string_view>> header_lines(std::string_view block) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!block.empty()) {
    std::size_t const eol = block.find("\r\n");
    require(eol != std::string_view::npos);
    std::string_view const line = block.substr(0, eol);
    for (char c : line) require(!is_ctl_byte(c));
    std::size_t const colon = line.find(": ");
    require(colon != std::string_view::npos && colon != 0);
    out.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    block.remove_prefix(eol + 2);
  }
  return out;
}

inline std::uint32_t seconds_value(std::string_view v) {
  exact_buffer const copy(v);
  auto const r = parse_expires(copy.view());
  require(r.has_value());
  return r->seconds;
}

// Every remote party the server stores can be written: the server refuses a
// PUBLISH whose appearance-uri unescapes to control bytes (400) and does not
// store such a remote from a dialog event or update().
template <class Dialect>
void check_notify_written(notify const& n) {
  char buf[8192];
  fixed_sink out(buf, sizeof buf);
  // The effect carries the server's dialect: the writer cannot be given another.
  require(n.format == Dialect::format && n.expires_in_initial == Dialect::expires_in_initial_notify);
  build_result const written = write_notify_headers(n, out);
  require(written.ok());
  auto const headers = header_lines(out.view());
  bool const terminated = n.state == substate::terminated;
  bool const shared = n.event == event_package::dialog_shared;
  bool const with_call_info =
      !shared && !n.line.uri.empty() && (n.event == event_package::call_info || n.seized_index != 0);
  require(headers.size() == (with_call_info ? 4u : 3u));

  require(headers[0].first == "Event");
  {
    exact_buffer const v(headers[0].second);
    auto const e = parse_event(v.view());
    require(e.has_value() && to_event_package(*e) == n.event && !e->id);
    require(shared ? e->type.text == "dialog" : e->type.text == to_string(n.event) && e->params.empty());
  }
  require(headers[1].first == "Subscription-State");
  {
    exact_buffer const v(headers[1].second);
    auto const s = parse_subscription_state(v.view());
    require(s.has_value() && s->state() == n.state && !s->retry_after);
    if (terminated)
      require(s->reason() == n.reason);
    else
      require(!s->reason().has_value());
    bool const with_expires = n.expires && !terminated && !(n.initial && !Dialect::expires_in_initial_notify);
    require(s->expires == (with_expires ? n.expires : std::nullopt));
  }
  if (with_call_info) {
    require(headers[2].first == "Call-Info");
    if (n.event == event_package::call_info)
      check_call_info_read_back(headers[2].second, n.line.busy, Dialect::format, n.line.uri);
    else
      check_line_seize_read_back(headers[2].second, n.line.uri, n.seized_index);
  }
  if (shared && !n.line.uri.empty()) {
    // The body: everything the server stores can be written (RFC 7463).
    require(headers.back().first == "Content-Type" && headers.back().second == "application/dialog-info+xml");
    char body[8192];
    fixed_sink b(body, sizeof body);
    require(write_dialog_info(n, b).ok());
    return;
  }
  require(headers.back().first == "Content-Length" && headers.back().second == "0");
}

inline void check_response_written(response const& r) {
  char buf[1024];
  fixed_sink out(buf, sizeof buf);
  require(write_response(r, out).ok());
  std::string_view text = out.view();
  std::size_t const eol = text.find("\r\n");
  require(eol != std::string_view::npos);
  std::string_view status = text.substr(0, eol);
  text.remove_prefix(eol + 2);
  require(status.substr(0, 8) == "SIP/2.0 ");
  status.remove_prefix(8);
  unsigned code = 0;
  auto const [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
  require(ec == std::errc{} && code == r.code && end - status.data() == 3);
  require(status.substr(3) == std::string(" ") + std::string(r.reason));

  std::optional<std::uint32_t> expires, min_expires, retry_after;
  std::string_view etag;
  bool event = false, allow = false;
  for (auto const& [name, value] : header_lines(text)) {
    if (name == "Event") {
      require(!event);
      event = true;
      exact_buffer const v(value);
      auto const e = parse_event(v.view());
      require(e.has_value() && to_event_package(*e) == r.event);
    } else if (name == "Expires") {
      require(!expires);
      expires = seconds_value(value);
    } else if (name == "Min-Expires") {
      require(!min_expires);
      min_expires = seconds_value(value);
    } else if (name == "Retry-After") {
      require(!retry_after);
      retry_after = seconds_value(value);
    } else if (name == "SIP-ETag") {
      require(etag.empty());
      exact_buffer const v(value);
      auto const e = parse_sip_etag(v.view());
      require(e.has_value() && e->tag == value);
      etag = value;
    } else if (name == "Allow-Events") {
      require(!allow);
      allow = true;
      exact_buffer const v(value);
      auto const a = parse_allow_events(v.view());
      require(a.has_value() && a->contains("call-info") && a->contains("line-seize"));
    } else {
      require(false);
    }
  }
  require(event && expires == r.expires && min_expires == r.min_expires && retry_after == r.retry_after);
  require(etag == r.etag);
  require(allow == (r.code >= 200 && r.code < 300 && r.subscription != 0));
}

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
  // Runs one call on the server and on its twin, checks that they answer
  // alike and that every effect can be written, then feeds the effects to
  // the model of the stack. The effects stay valid until the next call.
  template <class Call>
  effect_list call(Call&& f) {
    effect_list fx;
    f(server_, fx);
    if (twin_) {
      effect_list tfx;
      f(*twin_, tfx);
      require(fx.size() == tfx.size());
      for (std::size_t i = 0; i < fx.size(); ++i) require(same(fx.items[i], tfx.items[i]));
    }
    for (effect const& e : fx.items) {
#ifdef CALLINFO_FUZZ_TRACE
      trace(e);
#endif
      if (auto const* n = std::get_if<notify>(&e)) {
        check_notify_written<dialect>(*n);
        require(!ended_.count(n->subscription));
        if (n->initial) require(++initial_[n->subscription] == 1);
        else require(initial_.count(n->subscription) != 0);
        if (n->state == substate::terminated) ended_.insert(n->subscription);
        else if (n->event != event_package::line_seize) seen_[n->subscription] = copy(n->line);
        if (n->state != substate::terminated && n->event == event_package::dialog_shared)
          seen_dialogs_[n->subscription] = shown_dialogs(n->line);
      } else if (auto const* r = std::get_if<response>(&e)) {
        check_response_written(*r);
      } else if (auto const* a = std::get_if<arm_timer>(&e)) {
        armed_[{a->timer.kind, a->timer.id}] = a->at;
      } else if (auto const* c = std::get_if<cancel_timer>(&e)) {
        armed_.erase({c->timer.kind, c->timer.id});
      }
    }
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

  // Requests that must have one response, first.
  static response const& only_response(effect_list const& fx) {
    require(!fx.items.empty() && fx.count<response>() == 1);
    auto const* r = std::get_if<response>(&fx.items.front());
    require(r != nullptr);
    return *r;
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
      if (raw) r.call_info = raw->view;
    }

    effect_list const fx = call([&](server_t& s, effect_list& out) { s.on_subscribe(r, out); });
    response const& resp = only_response(fx);
    std::size_t initials = 0;
    for (effect const& x : fx.items)
      if (auto const* n = std::get_if<notify>(&x); n && n->initial) {
        ++initials;
        require(n->subscription == resp.subscription);
      }
    if (r.subscription != 0) {
      require(initials == 0);
      return;
    }
    bool const accepted = resp.code >= 200 && resp.code < 300;
    require(initials == (accepted ? 1u : 0u));
    if (accepted) {
      require(resp.subscription != 0 && resp.expires.has_value());
      if (*resp.expires != 0) slot = resp.subscription;
    }
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
        r.dialogs = dialogs;
      }
    } else if (c == 1) {
      ci.emplace(in.text(128));
      if (!ci->view) return;  // the stack answers 400 itself
    } else if (c >= 2) {
      ci.emplace(generated_call_info(in));
      require(ci->view.has_value());
    }
    if (ci) r.call_info = ci->view;
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
    response const& resp = only_response(fx);
    require(fx.count<notify>() == 0 || resp.code == 200);
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
    for (;;) {
      auto due = armed_.end();
      for (auto it = armed_.begin(); it != armed_.end(); ++it)
        if (it->second <= server_.clock().now() && (due == armed_.end() || it->second < due->second)) due = it;
      if (due == armed_.end()) break;
      timer_id const t{due->first.first, due->first.second};
      armed_.erase(due);
      call([&](server_t& s, effect_list& out) { s.on_timer(t, out); });
    }
  }

  // A timer the stack holds fires (the server re-arms it when it is not
  // due), or one it never had.
  void stray_timer(byte_reader& in) {
    std::uint8_t const b = in.byte();
    timer_id const t{b & 1 ? timer_kind::publication : timer_kind::subscription, 1u + (b >> 1) % 12};
    bool const held = armed_.count({t.kind, t.id}) != 0;
    effect_list const fx = call([&](server_t& s, effect_list& out) { s.on_timer(t, out); });
    if (!held) require(fx.size() == 0);
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
    require(restore(*twin_, text, timers));
    std::size_t live = 0;
    server_.storage().for_each_subscription([&](subscription const&) { ++live; });
    server_.storage().for_each_publication([&](publication const&) { ++live; });
    require(timers.size() == live);
    for (effect const& e : timers.items) {
      auto const* a = std::get_if<arm_timer>(&e);
      require(a != nullptr);
      auto const it = armed_.find({a->timer.kind, a->timer.id});
      require(it != armed_.end() && it->second == a->at);
    }
    std::string again;
    string_sink out2(again);
    snapshot(*twin_, out2);
    require(again.size() == text.size());
  }

  void check_invariants() {
    auto& st = server_.storage();
    std::size_t live = 0, watching = 0;
    st.for_each_subscription([&](subscription const& s) {
      ++live;
      require(!ended_.count(s.id));
      auto const i = initial_.find(s.id);
      require(i != initial_.end() && i->second == 1);
      auto const t = armed_.find({timer_kind::subscription, s.id});
      require(t != armed_.end() && t->second == s.expires_at);
      line_record* rec = st.find_line(s.line);
      require(rec != nullptr && std::count(rec->watchers.begin(), rec->watchers.end(), s.id) == 1);
      if (s.event != event_package::line_seize) {
        auto const seen = seen_.find(s.id);
        // Remote parties: in the Call-Info format that carries them, and always in a dialog-info body.
        require(seen != seen_.end() &&
                shows(seen->second, server_.line(s.line),
                      s.event == event_package::dialog_shared ||
                          Policies::dialect::format == notify_format::entry_per_appearance));
      }
      if (s.event == event_package::dialog_shared) {  // and the dialogs it is shown (a pickup, a hand-over)
        auto const seen = seen_dialogs_.find(s.id);
        require(seen != seen_dialogs_.end() && seen->second == shown_dialogs(server_.line(s.line)));
      }
      if (twin_) {
        subscription const* t2 = twin_->storage().find_subscription(s.id);
        require(t2 != nullptr && *t2 == s);
      }
    });
    std::size_t pubs = 0;
    st.for_each_publication([&](publication const& p) {
      ++pubs;
      auto const t = armed_.find({timer_kind::publication, p.id});
      require(t != armed_.end() && t->second == p.expires_at);
      if (twin_) {
        publication const* t2 = twin_->storage().find_publication(p.id);
        require(t2 != nullptr && *t2 == p);
      }
    });
    for (std::size_t li = 0; li < 2; ++li) {
      std::string_view const uri = lines[li];
      line_view const line = server_.line(uri);
      if (twin_) require(same_line(line, twin_->line(uri)));
      std::size_t seizes = 0;
      std::uint32_t last = 0;
      for (appearance const& a : line.busy) {
        require(a.index > last && a.index <= appearances_per_line && a.state != appearance_state::idle);
        last = a.index;
        if (a.driver.kind != driver_kind::seize) continue;
        ++seizes;
        subscription const* s = st.find_subscription(a.driver.id);
        require(s != nullptr && s->event == event_package::line_seize && s->seized_index == a.index && s->line == uri);
      }
      if (dialect::seize_conflicts == seize_scope::per_line) require(seizes <= 1);
      // The appearance agent's memory: each known dialog is on a busy
      // appearance, stated non-idle by a live publication of this line or a
      // call; an owner holds an appearance once.
      for (std::size_t i = 0; i < line.dialogs.size(); ++i) {
        line_dialog const& d = line.dialogs[i];
        require(d.state != appearance_state::idle);
        require(std::any_of(line.busy.begin(), line.busy.end(), [&](appearance const& a) { return a.index == d.index; }));
        if (d.owner.kind == driver_kind::publication) {
          publication const* p = st.find_publication(d.owner.id);
          require(p != nullptr && p->line == uri);
        } else {
          require(d.owner.kind == driver_kind::dialog && !d.call_id.empty());
        }
        for (std::size_t j = 0; j < i; ++j) require(line.dialogs[j].owner != d.owner || line.dialogs[j].index != d.index);
      }
      if (line_record* rec = st.find_line(uri)) watching += rec->watchers.size();
    }
    require(watching == live);
    if (twin_) {
      require(twin_->storage().subscription_count() == live);
      require(twin_->storage().publication_count() == pubs);
    }
  }

  default_limits limits_;
  std::size_t line_count_;
  server_t server_;
  std::optional<server_t> twin_;
  std::map<timer_key, time_point> armed_;
  std::set<subscription_id> ended_;
  std::map<subscription_id, int> initial_;
  std::map<subscription_id, seen_line> seen_;
  subscription_id slots_[3][2][3] = {};  // subscriber, line, package: its latest subscription
  std::map<subscription_id, seen_dialogs> seen_dialogs_;
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
