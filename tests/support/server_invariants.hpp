// Test support: the invariants of basic_server (presence/server.hpp), checked
// after every call by the randomized exploration (tests/presence/explore.cpp)
// and by the server fuzz harness (fuzz/server_harness.hpp).
//
// server_model<Server> is what a stack knows of one server: the timers it
// holds armed, the subscriptions whose dialogs ended, how many initial
// NOTIFYs each got, what each watcher was shown last, the dialog-info
// version each dialog;shared subscription's next NOTIFY must carry. A driver
// runs each call through run() (on the server and on its restored twin, if
// any), checks the answer with the check_*() of that kind of call, and
// calls check_state() after every step. Checked:
//   of every call's effects (run):
//   - the restored twin answers exactly as the original;
//   - every NOTIFY and response is written by write_notify_headers (with the
//     dialect's options; a dialog;shared body by write_dialog_info) and
//     write_response into a fixed buffer, and reads back with the library's
//     parsers to the same package, substate, reason, expires, appearances,
//     status, Expires, SIP-ETag, Min-Expires and Retry-After;
//   - no NOTIFY to a subscription after its terminated NOTIFY, nor after a
//     call ended it (end_subscription, a failed NOTIFY: its dialog is gone);
//   - exactly one initial NOTIFY per subscription, before any other;
//   - a dialog;shared subscription's NOTIFYs are numbered 0, 1, 2, ...
//     (RFC 4235 §4.1), across snapshot/restore too;
//   of the answer to each kind of call:
//   - SUBSCRIBE and PUBLISH: one response, first; an accepted initial
//     SUBSCRIBE gets exactly one initial NOTIFY in the same call, a refused
//     one or a refresh none; a refused PUBLISH no NOTIFY;
//   - end_subscription / on_notify_failed answer `unknown` exactly for ids
//     that are not live, a failed NOTIFY ends a subscription exactly for
//     the statuses that end one, and an ended subscription is no longer
//     stored nor NOTIFYed; end_all_subscriptions leaves none;
//   - a timer the stack does not hold does nothing when it fires;
//   - snapshot -> restore asks for one timer per live subscription and
//     publication, each one the stack holds at that deadline, and the
//     restored server's snapshot is as long as the original's;
//   of the server's state (check_state):
//   - each live call-info or dialog;shared watcher's latest NOTIFY shows its
//     line as it is (index and state of each busy appearance; the remote
//     party where the NOTIFY carries it: a dialog-info body, the
//     entry_per_appearance Call-Info format), and a dialog;shared watcher
//     the id, Call-ID and tags of each appearance's known dialog;
//   - busy appearances are in increasing index order, in range, not idle;
//   - an appearance driven by a seize belongs to a live line-seize
//     subscription of its line that names it (and, in the per-line seize
//     dialect, a line has at most one);
//   - the appearance agent's memory (line_record::dialogs) names only busy
//     appearances, live publications of the line or calls, each owner once
//     per appearance;
//   - each live subscription: not terminated, its one initial NOTIFY seen,
//     named once by its line's watchers (and the lines' watchers are exactly
//     the live subscriptions), a timer armed at its deadline;
//   - no subscription timer armed for a subscription that is gone;
//   - each live publication has a timer armed at its deadline;
//   - the restored twin holds the same lines, subscriptions and publications.
//
// No test framework: every check reports through a callable
// `fail(std::string_view what)` that must not return (read_back.hpp).
#pragma once

#include "read_back.hpp"

#include <callinfo/callinfo.hpp>
#include <callinfo/dialog_info/write.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace callinfo::test {

// ---- What a watcher was shown ---------------------------------------------

struct seen_appearance {
  std::uint32_t index;
  appearance_state state;
  std::string remote;
  friend bool operator==(seen_appearance const&, seen_appearance const&) = default;
};
using seen_line = std::vector<seen_appearance>;

inline seen_line copy(line_view const& l) {
  seen_line v;
  v.reserve(l.busy.size());
  for (appearance const& a : l.busy) v.push_back(seen_appearance{a.index, a.state, a.remote});
  return v;
}

// Whether a watcher shown `seen` sees `line` as it is: index and state of
// each busy appearance, and its remote party when `with_remotes` (wherever
// the NOTIFY carries it, a change of the remote party alone is NOTIFYed).
inline bool shows(seen_line const& seen, line_view const& line, bool with_remotes) {
  if (seen.size() != line.busy.size()) return false;
  for (std::size_t i = 0; i < seen.size(); ++i) {
    appearance const& a = line.busy[i];
    if (seen[i].index != a.index || seen[i].state != a.state) return false;
    if (with_remotes && seen[i].remote != a.remote) return false;
  }
  return true;
}

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

// ---- Two servers' answers ----------------------------------------------------

inline bool same_line(line_view const& a, line_view const& b) {
  return a.uri == b.uri && std::equal(a.busy.begin(), a.busy.end(), b.busy.begin(), b.busy.end()) &&
         std::equal(a.dialogs.begin(), a.dialogs.end(), b.dialogs.begin(), b.dialogs.end());
}

// Every field of two effects agrees.
inline bool same(effect const& a, effect const& b) {
  if (a.index() != b.index()) return false;
  if (auto const* x = std::get_if<response>(&a)) {
    auto const& y = std::get<response>(b);
    return x->code == y.code && x->reason == y.reason && x->event == y.event && x->subscription == y.subscription &&
           x->expires == y.expires && x->etag == y.etag && x->retry_after == y.retry_after &&
           x->min_expires == y.min_expires && x->event_id == y.event_id;
  }
  if (auto const* x = std::get_if<notify>(&a)) {
    auto const& y = std::get<notify>(b);
    return x->subscription == y.subscription && x->event == y.event && x->state == y.state && x->reason == y.reason &&
           x->expires == y.expires && same_line(x->line, y.line) && x->seized_index == y.seized_index &&
           x->initial == y.initial && x->version == y.version && x->event_id == y.event_id &&
           x->format == y.format && x->expires_in_initial == y.expires_in_initial;
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

// One effect as text, for failure messages.
inline std::string describe(effect const& e) {
  std::ostringstream o;
  std::visit(
      [&](auto const& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, response>) {
          o << "response " << x.code << ' ' << x.reason << ' ' << x.subscription << ' '
            << (x.expires ? static_cast<long long>(*x.expires) : -1) << ' ' << x.etag;
        } else if constexpr (std::is_same_v<T, notify>) {
          o << "notify " << x.subscription << ' ' << to_string(x.state) << ' '
            << (x.expires ? static_cast<long long>(*x.expires) : -1) << ' ' << x.seized_index << ' ' << x.initial
            << ' ' << x.version << ' ' << x.line.uri;
          for (appearance const& a : x.line.busy) o << ' ' << a.index << to_string(a.state) << a.remote;
        } else if constexpr (std::is_same_v<T, arm_timer>) {
          o << "arm " << static_cast<int>(x.timer.kind) << ' ' << x.timer.id << ' ' << x.at.count();
        } else if constexpr (std::is_same_v<T, cancel_timer>) {
          o << "cancel " << static_cast<int>(x.timer.kind) << ' ' << x.timer.id;
        } else {
          o << "changed " << x.index << to_string(x.from) << to_string(x.to);
        }
      },
      e);
  return o.str();
}

inline std::string describe(effect_list const& l) {
  std::string t;
  for (effect const& e : l.items) t += describe(e) + " | ";
  return t;
}

// ---- Every effect can be written ---------------------------------------------

// The header lines of a written block: each `Name: value` ends in CRLF, and
// no other CR, LF or control byte occurs.
template <class Fail>
std::vector<std::pair<std::string_view, std::string_view>> header_lines(std::string_view block, Fail&& fail) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!block.empty()) {
    std::size_t const eol = block.find("\r\n");
    expect(eol != std::string_view::npos, fail, "a written header line does not end in CRLF");
    std::string_view const line = block.substr(0, eol);
    for (char c : line) expect(!is_ctl_byte(c), fail, "a written header holds a control byte");
    std::size_t const colon = line.find(": ");
    expect(colon != std::string_view::npos && colon != 0, fail, "a written header line is not `Name: value`");
    out.emplace_back(line.substr(0, colon), line.substr(colon + 2));
    block.remove_prefix(eol + 2);
  }
  return out;
}

template <class Fail>
std::uint32_t seconds_value(std::string_view v, Fail&& fail) {
  exact_copy const copy(v);
  auto const r = parse_expires(copy.view());
  expect(r.has_value(), fail, "a written delta-seconds does not parse");
  return r->seconds;
}

// Every remote party the server stores can be written: the server refuses a
// PUBLISH whose appearance-uri unescapes to control bytes (400) and does not
// store such a remote from a dialog event or update().
template <class Dialect, class Fail>
void check_notify_written(notify const& n, Fail&& fail) {
  char buf[8192];
  fixed_sink out(buf, sizeof buf);
  // The effect carries the server's dialect: the writer cannot be given another.
  expect(n.format == Dialect::format && n.expires_in_initial == Dialect::expires_in_initial_notify, fail,
         "a NOTIFY carries another dialect's options");
  build_result const written = write_notify_headers(n, out);
  expect(written.ok(), fail, "write_notify_headers refused a NOTIFY");
  auto const headers = header_lines(out.view(), fail);
  bool const terminated = n.state == substate::terminated;
  bool const shared = n.event == event_package::dialog_shared;
  bool const with_call_info =
      !shared && !n.line.uri.empty() && (n.event == event_package::call_info || n.seized_index != 0);
  expect(headers.size() == (with_call_info ? 4u : 3u), fail, "a written NOTIFY has the wrong headers");

  expect(headers[0].first == "Event", fail, "a written NOTIFY does not start with Event");
  {
    exact_copy const v(headers[0].second);
    auto const e = parse_event(v.view());
    expect(e.has_value() && to_event_package(*e) == n.event && !e->id, fail,
           "a written NOTIFY's Event reads back otherwise");
    expect(shared ? e->type.text == "dialog" : e->type.text == to_string(n.event) && e->params.empty(), fail,
           "a written NOTIFY's Event has the wrong package or parameters");
  }
  expect(headers[1].first == "Subscription-State", fail, "a written NOTIFY's second header is not Subscription-State");
  {
    exact_copy const v(headers[1].second);
    auto const s = parse_subscription_state(v.view());
    expect(s.has_value() && s->state() == n.state && !s->retry_after, fail,
           "a written Subscription-State reads back otherwise");
    if (terminated)
      expect(s->reason() == n.reason, fail, "a written Subscription-State has the wrong reason");
    else
      expect(!s->reason().has_value(), fail, "a written Subscription-State has a reason without terminated");
    bool const with_expires = n.expires && !terminated && !(n.initial && !Dialect::expires_in_initial_notify);
    expect(s->expires == (with_expires ? n.expires : std::nullopt), fail,
           "a written Subscription-State has the wrong expires");
  }
  if (with_call_info) {
    expect(headers[2].first == "Call-Info", fail, "a written NOTIFY's third header is not Call-Info");
    if (n.event == event_package::call_info)
      check_call_info_read_back(headers[2].second, n.line.busy, Dialect::format, n.line.uri, fail);
    else
      check_line_seize_read_back(headers[2].second, n.line.uri, n.seized_index, fail);
  }
  if (shared && !n.line.uri.empty()) {
    // The body: everything the server stores can be written (RFC 7463).
    expect(headers.back().first == "Content-Type" && headers.back().second == "application/dialog-info+xml", fail,
           "a written dialog;shared NOTIFY has no dialog-info Content-Type");
    char body[8192];
    fixed_sink b(body, sizeof body);
    expect(write_dialog_info(n, b).ok(), fail, "write_dialog_info refused a NOTIFY");
    return;
  }
  expect(headers.back().first == "Content-Length" && headers.back().second == "0", fail,
         "a written bodiless NOTIFY does not end with Content-Length: 0");
}

template <class Fail>
void check_response_written(response const& r, Fail&& fail) {
  char buf[1024];
  fixed_sink out(buf, sizeof buf);
  expect(write_response(r, out).ok(), fail, "write_response refused a response");
  std::string_view text = out.view();
  std::size_t const eol = text.find("\r\n");
  expect(eol != std::string_view::npos, fail, "a written status line does not end in CRLF");
  std::string_view status = text.substr(0, eol);
  text.remove_prefix(eol + 2);
  expect(status.substr(0, 8) == "SIP/2.0 ", fail, "a written status line does not start with SIP/2.0");
  status.remove_prefix(8);
  unsigned code = 0;
  auto const [end, ec] = std::from_chars(status.data(), status.data() + status.size(), code);
  expect(ec == std::errc{} && code == r.code && end - status.data() == 3, fail,
         "a written status code reads back otherwise");
  expect(status.substr(3) == std::string(" ") + std::string(r.reason), fail,
         "a written reason phrase reads back otherwise");

  std::optional<std::uint32_t> expires, min_expires, retry_after;
  std::string_view etag;
  bool event = false, allow = false;
  for (auto const& [name, value] : header_lines(text, fail)) {
    if (name == "Event") {
      expect(!event, fail, "a written response has two Event headers");
      event = true;
      exact_copy const v(value);
      auto const e = parse_event(v.view());
      expect(e.has_value() && to_event_package(*e) == r.event, fail, "a written response's Event reads back otherwise");
    } else if (name == "Expires") {
      expect(!expires, fail, "a written response has two Expires headers");
      expires = seconds_value(value, fail);
    } else if (name == "Min-Expires") {
      expect(!min_expires, fail, "a written response has two Min-Expires headers");
      min_expires = seconds_value(value, fail);
    } else if (name == "Retry-After") {
      expect(!retry_after, fail, "a written response has two Retry-After headers");
      retry_after = seconds_value(value, fail);
    } else if (name == "SIP-ETag") {
      expect(etag.empty(), fail, "a written response has two SIP-ETag headers");
      exact_copy const v(value);
      auto const e = parse_sip_etag(v.view());
      expect(e.has_value() && e->tag == value, fail, "a written SIP-ETag reads back otherwise");
      etag = value;
    } else if (name == "Allow-Events") {
      expect(!allow, fail, "a written response has two Allow-Events headers");
      allow = true;
      exact_copy const v(value);
      auto const a = parse_allow_events(v.view());
      expect(a.has_value() && a->contains("call-info") && a->contains("line-seize"), fail,
             "a written Allow-Events reads back otherwise");
    } else {
      broken(fail, message("a written response has an unexpected header ", name));
    }
  }
  expect(event && expires == r.expires && min_expires == r.min_expires && retry_after == r.retry_after, fail,
         "a written response's Event, Expires, Min-Expires or Retry-After reads back otherwise");
  expect(etag == r.etag, fail, "a written response's SIP-ETag reads back otherwise");
  expect(allow == (r.code >= 200 && r.code < 300 && r.subscription != 0), fail,
         "a written response has Allow-Events exactly when it grants a subscription");
}

// ---- The stack's model of one server ----------------------------------------

template <class Server>
class server_model {
 public:
  using dialect = typename Server::dialect;
  using timer_key = std::pair<timer_kind, std::uint64_t>;

  // Forgets everything: a new server.
  void reset() {
    armed_.clear();
    ended_.clear();
    initial_.clear();
    seen_.clear();
    seen_dialogs_.clear();
    next_version_.clear();
  }

  // Runs `call(server, effects)` on the server and on its twin, checks that
  // they answer alike and every effect, and keeps them in the model. The
  // effects stay valid until the next call into the server.
  template <class Call, class Fail>
  effect_list run(Server& server, Server* twin, Call&& call, Fail&& fail) {
    effect_list fx = answer(server, twin, call, fail);
    observe(fx, fail);
    return fx;
  }

  // run() in two halves, for a driver that looks at the effects in between:
  // the call on both servers, their answers compared; then the effects
  // checked and kept.
  template <class Call, class Fail>
  static effect_list answer(Server& server, Server* twin, Call&& call, Fail&& fail) {
    effect_list fx;
    call(server, fx);
    if (twin) {
      effect_list tfx;
      call(*twin, tfx);
      if (fx.size() != tfx.size())
        broken(fail, message("restored server answered differently: ", describe(fx), " vs ", describe(tfx)));
      for (std::size_t i = 0; i < fx.size(); ++i)
        if (!same(fx.items[i], tfx.items[i]))
          broken(fail, message("restored server answered differently: ", describe(fx.items[i]), " vs ",
                               describe(tfx.items[i])));
    }
    return fx;
  }
  template <class Fail>
  void observe(effect_list const& fx, Fail&& fail) {
    for (effect const& e : fx.items) observe_one(e, fail);
  }

  // The stack's timers: whether it holds one, and the earliest one due at
  // `now`, which it no longer holds once it fires.
  bool holds(timer_id t) const { return armed_.count({t.kind, t.id}) != 0; }
  std::optional<timer_id> take_due(time_point now) {
    auto due = armed_.end();
    for (auto it = armed_.begin(); it != armed_.end(); ++it)
      if (it->second <= now && (due == armed_.end() || it->second < due->second)) due = it;
    if (due == armed_.end()) return std::nullopt;
    timer_id const t{due->first.first, due->first.second};
    armed_.erase(due);
    return t;
  }

  // ---- The answer to each kind of call ----

  // A request that must have one response, first.
  template <class Fail>
  static response const& only_response(effect_list const& fx, Fail&& fail) {
    expect(!fx.items.empty() && fx.count<response>() == 1, fail, "not exactly one response");
    auto const* r = std::get_if<response>(&fx.items.front());
    expect(r != nullptr, fail, "the response does not come first");
    return *r;
  }

  template <class Fail>
  static response const& check_subscribe(subscribe_request const& r, effect_list const& fx, Fail&& fail) {
    response const& resp = only_response(fx, fail);
    std::size_t initials = 0;
    for (effect const& x : fx.items)
      if (auto const* n = std::get_if<notify>(&x); n && n->initial) {
        ++initials;
        expect(n->subscription == resp.subscription, fail, "an initial NOTIFY to another subscription");
      }
    if (r.subscription != 0) {
      expect(initials == 0, fail, "an initial NOTIFY after a refresh");
      return resp;
    }
    bool const accepted = resp.code >= 200 && resp.code < 300;
    expect(initials == (accepted ? 1u : 0u), fail,
           "not one initial NOTIFY for an accepted SUBSCRIBE, or one for a refused one");
    if (accepted)
      expect(resp.subscription != 0 && resp.expires.has_value(), fail, "an accepted SUBSCRIBE without id or Expires");
    return resp;
  }

  template <class Fail>
  static response const& check_publish(effect_list const& fx, Fail&& fail) {
    response const& resp = only_response(fx, fail);
    expect(fx.count<notify>() == 0 || resp.code == 200, fail, "a refused PUBLISH NOTIFYed");
    return resp;
  }

  // A timer fired that the stack `held` (checked before the call).
  template <class Fail>
  static void check_timer(bool held, effect_list const& fx, Fail&& fail) {
    expect(held || fx.size() == 0, fail, "a timer the stack does not hold did something");
  }

  // end_subscription (failed_status: none) or on_notify_failed(id,
  // *failed_status) answered `got`; `was_live` before the call. An ended
  // subscription's dialog is gone: any later NOTIFY to it is a bug.
  template <class Fail>
  void check_end(Server& server, subscription_id id, bool was_live, std::optional<std::uint16_t> failed_status,
                 subscription_end got, effect_list const& fx, Fail&& fail) {
    expect((got == subscription_end::unknown) == !was_live, fail, "unknown for a live id, or not for a dead one");
    if (was_live && failed_status)
      if ((got == subscription_end::ended) != notify_failure_ends_subscription(*failed_status))
        broken(fail, message("status ", *failed_status, " answered wrongly"));
    if (got != subscription_end::ended) return;
    if (failed_status)
      for (effect const& e : fx.items)
        if (auto const* n = std::get_if<notify>(&e); n && n->subscription == id)
          broken(fail, message("NOTIFY to ", id, " whose NOTIFY failed with ", *failed_status));
    if (server.storage().find_subscription(id) != nullptr)
      broken(fail, message("ended subscription ", id, " still stored"));
    ended_.insert(id);
  }

  template <class Fail>
  static void check_end_all(Server& server, Fail&& fail) {
    std::size_t left = 0;
    server.storage().for_each_subscription([&](subscription const&) { ++left; });
    if (left != 0) broken(fail, message("end_all_subscriptions left ", left));
  }

  // `twin` was restored (`restored`) from `text`, the original's snapshot,
  // asking for `timers`.
  template <class Fail>
  void check_restore(Server& server, Server& twin, std::string_view text, bool restored, effect_list const& timers,
                     Fail&& fail) const {
    expect(restored, fail, "restore failed on a snapshot");
    std::size_t live = 0;
    server.storage().for_each_subscription([&](subscription const&) { ++live; });
    server.storage().for_each_publication([&](publication const&) { ++live; });
    expect(timers.size() == live, fail, "restore did not ask for one timer per subscription and publication");
    // The restored server asks for the timers the stack already has armed.
    for (effect const& e : timers.items) {
      auto const* a = std::get_if<arm_timer>(&e);
      expect(a != nullptr, fail, "restore asked for something else than a timer");
      auto const it = armed_.find({a->timer.kind, a->timer.id});
      expect(it != armed_.end() && it->second == a->at, fail, "restore armed a timer the original did not have");
    }
    std::string again;
    string_sink out(again);
    snapshot(twin, out);
    expect(again.size() == text.size(), fail, "snapshot of the restored server differs");
  }

  // ---- The server's state ----

  // After every step: the server (and its twin) against the model, on the
  // `lines` the driver uses.
  template <class Fail>
  void check_state(Server& server, Server* twin, std::span<std::string_view const> lines, Fail&& fail) {
    auto& st = server.storage();
    std::size_t live = 0, watching = 0, pubs = 0;
    st.for_each_subscription([&](subscription const& s) {
      ++live;
      expect(!ended_.count(s.id), fail, "a terminated subscription is still stored");
      auto const i = initial_.find(s.id);
      expect(i != initial_.end() && i->second == 1, fail, "live subscription without one initial NOTIFY");
      auto const t = armed_.find({timer_kind::subscription, s.id});
      expect(t != armed_.end() && t->second == s.expires_at, fail, "live subscription without its timer");
      line_record* rec = st.find_line(s.line);
      expect(rec != nullptr && std::count(rec->watchers.begin(), rec->watchers.end(), s.id) == 1, fail,
             "a live subscription is not named once by its line's watchers");
      if (s.event != event_package::line_seize) {
        auto const seen = seen_.find(s.id);
        // Remote parties: in the Call-Info format that carries them, and always in a dialog-info body.
        bool const with_remotes =
            s.event == event_package::dialog_shared || dialect::format == notify_format::entry_per_appearance;
        if (seen == seen_.end() || !shows(seen->second, server.line(s.line), with_remotes))
          broken(fail, message("watcher ", s.id, " has a stale view of the line"));
      }
      if (s.event == event_package::dialog_shared) {  // and the dialogs it is shown (a pickup, a hand-over)
        auto const seen = seen_dialogs_.find(s.id);
        if (seen == seen_dialogs_.end() || seen->second != shown_dialogs(server.line(s.line)))
          broken(fail, message("dialog;shared watcher ", s.id, " has a stale view of the line's dialogs"));
      }
      if (twin) {
        subscription const* t2 = twin->storage().find_subscription(s.id);
        expect(t2 != nullptr && *t2 == s, fail, "the restored server holds another subscription");
      }
    });
    for (auto const& [key, at] : armed_)
      if (key.first == timer_kind::subscription && st.find_subscription(key.second) == nullptr)
        broken(fail, message("timer left armed for ended subscription ", key.second));
    st.for_each_publication([&](publication const& p) {
      ++pubs;
      auto const t = armed_.find({timer_kind::publication, p.id});
      expect(t != armed_.end() && t->second == p.expires_at, fail, "publication without its timer");
      if (twin) {
        publication const* t2 = twin->storage().find_publication(p.id);
        expect(t2 != nullptr && *t2 == p, fail, "the restored server holds another publication");
      }
    });
    for (std::string_view const uri : lines) {
      line_view const line = server.line(uri);
      if (twin) expect(same_line(line, twin->line(uri)), fail, "the restored server holds another line");
      std::size_t seizes = 0;
      std::uint32_t last = 0;
      for (appearance const& a : line.busy) {
        expect(a.index > last && a.index <= server.limits().max_appearances && a.state != appearance_state::idle, fail,
               "busy appearances out of order, out of range or idle");
        last = a.index;
        if (a.driver.kind != driver_kind::seize) continue;
        ++seizes;
        subscription const* s = st.find_subscription(a.driver.id);
        if (!(s != nullptr && s->event == event_package::line_seize && s->seized_index == a.index && s->line == uri))
          broken(fail, message("appearance ", a.index, " seized by a dead or foreign subscription"));
      }
      if (dialect::seize_conflicts == seize_scope::per_line)
        expect(seizes <= 1, fail, "two seized appearances on a line of the per-line seize dialect");
      // The appearance agent's memory: each known dialog is on a busy
      // appearance, stated non-idle by a live publication of this line or a
      // call; an owner holds an appearance once.
      for (std::size_t i = 0; i < line.dialogs.size(); ++i) {
        line_dialog const& d = line.dialogs[i];
        expect(d.state != appearance_state::idle, fail, "the agent remembers an idle dialog");
        expect(std::any_of(line.busy.begin(), line.busy.end(), [&](appearance const& a) { return a.index == d.index; }),
               fail, "the agent remembers a dialog on an idle appearance");
        if (d.owner.kind == driver_kind::publication) {
          publication const* p = st.find_publication(d.owner.id);
          expect(p != nullptr && p->line == uri, fail, "the agent remembers a dialog of a dead or foreign publication");
        } else {
          expect(d.owner.kind == driver_kind::dialog && !d.call_id.empty(), fail,
                 "the agent remembers a dialog of neither a publication nor a call");
        }
        for (std::size_t j = 0; j < i; ++j)
          expect(line.dialogs[j].owner != d.owner || line.dialogs[j].index != d.index, fail,
                 "the agent remembers an owner twice on one appearance");
      }
      if (line_record* rec = st.find_line(uri)) watching += rec->watchers.size();
    }
    expect(watching == live, fail, "line watchers and subscriptions disagree");
    if (twin) {
      expect(twin->storage().subscription_count() == live, fail, "the restored server holds more subscriptions");
      expect(twin->storage().publication_count() == pubs, fail, "the restored server holds more publications");
    }
  }

 private:
  template <class Fail>
  void observe_one(effect const& e, Fail&& fail) {
    if (auto const* n = std::get_if<notify>(&e)) {
      check_notify_written<dialect>(*n, fail);
      if (ended_.count(n->subscription)) broken(fail, message("NOTIFY after terminated to ", n->subscription));
      if (n->initial)
        expect(++initial_[n->subscription] == 1, fail, "two initial NOTIFYs");
      else
        expect(initial_.count(n->subscription) != 0, fail, "NOTIFY before the initial one");
      if (n->event == event_package::dialog_shared)
        expect(n->version == next_version_[n->subscription]++, fail, "dialog-info version out of sequence");
      if (n->state == substate::terminated) {
        ended_.insert(n->subscription);
      } else if (n->event != event_package::line_seize) {
        seen_[n->subscription] = copy(n->line);
        if (n->event == event_package::dialog_shared) seen_dialogs_[n->subscription] = shown_dialogs(n->line);
      }
    } else if (auto const* r = std::get_if<response>(&e)) {
      check_response_written(*r, fail);
    } else if (auto const* a = std::get_if<arm_timer>(&e)) {
      armed_[{a->timer.kind, a->timer.id}] = a->at;
    } else if (auto const* c = std::get_if<cancel_timer>(&e)) {
      armed_.erase({c->timer.kind, c->timer.id});
    }
  }

  std::map<timer_key, time_point> armed_;                // the timers the stack holds, at their deadlines
  std::set<subscription_id> ended_;                      // subscriptions whose dialog ended
  std::map<subscription_id, int> initial_;               // initial NOTIFYs per subscription
  std::map<subscription_id, seen_line> seen_;            // each watcher's latest NOTIFY
  std::map<subscription_id, seen_dialogs> seen_dialogs_;  // dialog;shared: the dialogs it was shown
  std::map<subscription_id, std::uint32_t> next_version_;  // dialog;shared: the version its next NOTIFY carries
};

}  // namespace callinfo::test
