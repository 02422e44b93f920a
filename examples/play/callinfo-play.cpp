// callinfo-play — run a call-flow scenario against the presence server and
// print every effect it produces.
//
//   callinfo-play [--sip] SCENARIO
//
// SCENARIO is a text file of steps (SUBSCRIBEs, PUBLISHes, dialog events,
// management calls, clock moves; `-` reads stdin). Each step is handed to a
// callinfo::basic_server with a manual clock, as a SIP stack would; the
// effects come back as one JSON object a line, or, with --sip, as readable
// SIP responses and NOTIFYs written by the build/ writers. The scenario
// format and both outputs are described in FORMAT.md next to this file.
//
// Exit status: 0 when the scenario ran to its end, 2 on a usage error or a
// malformed scenario (reported as FILE:LINE: message).
#include "../common/json_writer.hpp"

#include <callinfo/build/notify.hpp>
#include <callinfo/build/response.hpp>
#include <callinfo/dialog_info/build.hpp>
#ifdef CALLINFO_PLAY_DIALOG_INFO
#include <callinfo/dialog_info/parse.hpp>  // pugixml: only when meson found it
#endif
#include <callinfo/presence/server.hpp>
#include <callinfo/presence/snapshot.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using namespace std::string_view_literals;

constexpr std::string_view default_line = "sip:bob@example.com";

// ---------------------------------------------------------------------------
// JSON output (a tiny writer local to this example)

using callinfo_examples::json_writer;

// Seconds on the manual clock: "15", or "15.5" for a fraction.
std::string seconds_text(callinfo::time_point t) {
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

// ---------------------------------------------------------------------------
// The scenario: words of a line, then typed commands

struct scenario_error {
  std::size_t line = 0;
  std::string message;
};

// A line split into words. Single quotes group (and are removed), anywhere
// in a word: call-info='<sip:a@b>;x="a b"'. A '#' that starts a word
// outside quotes starts a comment. Returns the words, and in `text` the
// line without its comment and surrounding blanks.
std::vector<std::string> split_words(std::string_view line, std::size_t line_no, std::string& text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false, quoted = false;
  std::size_t end = line.size();
  std::size_t quote_start = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char const c = line[i];
    if (quoted) {
      if (c == '\'') quoted = false;
      else word += c;
    } else if (c == '\'') {
      quoted = true;
      in_word = true;
      quote_start = i;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::exchange(word, {}));
      in_word = false;
    } else if (c == '#' && !in_word) {
      end = i;
      break;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quoted)
    throw scenario_error{line_no, "unterminated single quote (opened at column " + std::to_string(quote_start + 1) + ")"};
  if (in_word) words.push_back(word);
  std::string_view t = line.substr(0, end);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  text = std::string(t);
  return words;
}

std::optional<std::uint32_t> to_u32(std::string_view s) {
  std::uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto const r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc{} || r.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

// The words after a command's fixed arguments: `key=value` options (each at
// most once) and bare flags, checked against what the command allows.
class options {
 public:
  options(std::vector<std::string> const& words, std::size_t from, std::size_t line_no,
          std::initializer_list<std::string_view> keys, std::initializer_list<std::string_view> flags = {})
      : line_(line_no) {
    for (std::size_t i = from; i < words.size(); ++i) {
      std::string_view const w = words[i];
      auto const eq = w.find('=');
      std::string_view const name = w.substr(0, eq);
      bool const allowed = eq == std::string_view::npos ? std::find(flags.begin(), flags.end(), name) != flags.end()
                                                        : std::find(keys.begin(), keys.end(), name) != keys.end();
      if (!allowed) {
        std::string expected;
        for (std::string_view k : keys) expected += (expected.empty() ? "" : ", ") + std::string(k) + "=";
        for (std::string_view f : flags) expected += (expected.empty() ? "" : ", ") + std::string(f);
        throw scenario_error{line_, "unexpected '" + std::string(w) + "'" +
                                        (expected.empty() ? std::string(" (this command takes no options)")
                                                          : " (expected " + expected + ")")};
      }
      if (values_.count(std::string(name)))
        throw scenario_error{line_, "'" + std::string(name) + "' given twice"};
      values_[std::string(name)] =
          eq == std::string_view::npos ? std::nullopt : std::optional<std::string>(std::string(w.substr(eq + 1)));
    }
  }

  bool has(std::string_view k) const { return values_.count(std::string(k)) != 0; }
  // A flag given as key=value (or a key given bare) is caught by the caller.
  std::optional<std::string> text(std::string_view k) const {
    auto it = values_.find(std::string(k));
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::uint32_t> number(std::string_view k) const {
    auto const t = text(k);
    if (!t) return std::nullopt;
    auto const n = to_u32(*t);
    if (!n) throw scenario_error{line_, "'" + std::string(k) + "' must be a number from 0 to 4294967295, not '" + *t + "'"};
    return n;
  }
  std::string uri(std::string_view k, std::string_view fallback) const {
    auto const t = text(k);
    if (!t) return std::string(fallback);
    if (t->empty()) throw scenario_error{line_, "'" + std::string(k) + "' must not be empty"};
    return *t;
  }

 private:
  std::size_t line_;
  std::map<std::string, std::optional<std::string>> values_;
};

struct cmd_advance {
  std::uint32_t seconds = 0;
};
struct cmd_subscribe {
  std::string name, line, from;
  callinfo::event_package event = callinfo::event_package::call_info;
  std::optional<std::uint32_t> expires;
  std::optional<std::string> call_info;
};
struct cmd_refresh {
  std::string name;
  std::optional<std::uint32_t> expires;
  bool unsubscribe = false;
};
struct cmd_publish {
  enum class match : std::uint8_t { none, last, tag };
  std::string name;
  std::optional<std::string> line;
  match if_match = match::none;
  std::string tag;
  std::optional<std::uint32_t> expires;
  std::optional<std::string> call_info;
  std::optional<std::string> dialog_info;  // an RFC 7463 PUBLISH body (Event: dialog;shared)
};
struct cmd_dialog {
  std::string id, line, remote;
  callinfo::dialog_side side = callinfo::dialog_side::caller;
  callinfo::dialog_phase phase = callinfo::dialog_phase::early;
  std::optional<std::uint32_t> index;
  bool private_hold = false;
};
struct cmd_release {
  std::string line;
  std::optional<std::uint32_t> index;
};
struct cmd_update {
  std::string line, remote;
  bool seize = false;  // the `seize` command: update to seized, named so in the output
  std::uint32_t index = 0;
  callinfo::appearance_state state = callinfo::appearance_state::idle;
};
struct cmd_list {};
struct cmd_snapshot_restore {};
// The notifier ends subscriptions (RFC 6665 §4.2.2): `end NAME`, `end-all`
// (all: true), `notify-failed NAME status=N` (status set).
struct cmd_end {
  std::string name;
  bool all = false;
  std::optional<std::uint16_t> status;
  callinfo::event_reason reason = callinfo::event_reason::deactivated;
};

using command = std::variant<cmd_advance, cmd_subscribe, cmd_refresh, cmd_publish, cmd_dialog, cmd_release, cmd_update,
                             cmd_list, cmd_snapshot_restore, cmd_end>;

struct step {
  std::size_t line = 0;  // in the scenario file
  std::string text;      // as written, without its comment
  command cmd;
};

enum class dialect_name : std::uint8_t { default_, opensips, broadworks };

struct scenario {
  std::string file;
  dialect_name dialect = dialect_name::default_;
  callinfo::default_limits limits;
  std::vector<step> steps;
};

// The default_limits fields a scenario may set.
struct limit_field {
  std::string_view name;
  std::uint32_t callinfo::default_limits::*number = nullptr;
  bool callinfo::default_limits::*flag = nullptr;
};
constexpr limit_field num(std::string_view n, std::uint32_t callinfo::default_limits::*m) {
  limit_field f;
  f.name = n;
  f.number = m;
  return f;
}
constexpr limit_field flag(std::string_view n, bool callinfo::default_limits::*m) {
  limit_field f;
  f.name = n;
  f.flag = m;
  return f;
}
using L = callinfo::default_limits;
limit_field const limit_fields[] = {
    num("max_lines", &L::max_lines),
    num("max_appearances", &L::max_appearances),
    num("max_subscriptions", &L::max_subscriptions),
    num("max_subscriptions_per_line", &L::max_subscriptions_per_line),
    num("max_subscriptions_per_watcher", &L::max_subscriptions_per_watcher),
    num("max_publications", &L::max_publications),
    num("call_info_default_expires", &L::call_info_default_expires),
    num("call_info_max_expires", &L::call_info_max_expires),
    num("line_seize_default_expires", &L::line_seize_default_expires),
    num("line_seize_max_expires", &L::line_seize_max_expires),
    num("min_expires", &L::min_expires),
    num("publish_default_expires", &L::publish_default_expires),
    num("publish_max_expires", &L::publish_max_expires),
    flag("call_info_timeout_notification", &L::call_info_timeout_notification),
    flag("line_seize_timeout_notification", &L::line_seize_timeout_notification),
};

void set_limit(callinfo::default_limits& limits, std::string_view assignment, std::size_t line_no) {
  auto const eq = assignment.find('=');
  if (eq == std::string_view::npos)
    throw scenario_error{line_no, "expected NAME=VALUE after 'limit', not '" + std::string(assignment) + "'"};
  std::string_view const name = assignment.substr(0, eq), value = assignment.substr(eq + 1);
  for (limit_field const& f : limit_fields) {
    if (f.name != name) continue;
    if (f.number != nullptr) {
      auto const n = to_u32(value);
      if (!n) throw scenario_error{line_no, "limit " + std::string(name) + " must be a number, not '" + std::string(value) + "'"};
      limits.*f.number = *n;
    } else if (value == "on" || value == "true" || value == "yes") {
      limits.*f.flag = true;
    } else if (value == "off" || value == "false" || value == "no") {
      limits.*f.flag = false;
    } else {
      throw scenario_error{line_no, "limit " + std::string(name) + " must be on or off, not '" + std::string(value) + "'"};
    }
    return;
  }
  std::string known;
  for (limit_field const& f : limit_fields) known += (known.empty() ? "" : ", ") + std::string(f.name);
  throw scenario_error{line_no, "unknown limit '" + std::string(name) + "' (known: " + known + ")"};
}

std::optional<callinfo::dialog_phase> to_phase(std::string_view w) {
  using enum callinfo::dialog_phase;
  for (auto p : {early, confirmed, hold, resume, terminated, failed})
    if (w == to_string(p)) return p;
  return std::nullopt;
}

void need_args(std::vector<std::string> const& w, std::size_t n, std::size_t line_no, std::string_view usage) {
  if (w.size() < n) throw scenario_error{line_no, "missing arguments: " + std::string(usage)};
}

// A scenario name (subscription, publication, dialog): a word without '='.
std::string name_arg(std::vector<std::string> const& w, std::size_t i, std::size_t line_no, std::string_view usage) {
  need_args(w, i + 1, line_no, usage);
  if (w[i].empty() || w[i].find('=') != std::string::npos)
    throw scenario_error{line_no, "expected a NAME, not '" + w[i] + "': " + std::string(usage)};
  return w[i];
}

command parse_command(std::vector<std::string> const& w, std::size_t n) {
  std::string_view const verb = w[0];
  if (verb == "advance") {
    constexpr auto usage = "advance SECONDS"sv;
    need_args(w, 2, n, usage);
    if (w.size() > 2) throw scenario_error{n, "unexpected '" + w[2] + "': " + std::string(usage)};
    auto const s = to_u32(w[1]);
    if (!s) throw scenario_error{n, "advance takes a whole number of seconds, not '" + w[1] + "'"};
    cmd_advance c;
    c.seconds = *s;
    return c;
  }
  if (verb == "subscribe") {
    constexpr auto usage =
        "subscribe NAME call-info|line-seize|dialog;shared [line=URI] [from=URI] [expires=N] [call-info=VALUE] [index=N]"sv;
    cmd_subscribe c;
    c.name = name_arg(w, 1, n, usage);
    need_args(w, 3, n, usage);
    if (w[2] == "call-info") c.event = callinfo::event_package::call_info;
    else if (w[2] == "line-seize") c.event = callinfo::event_package::line_seize;
    else if (w[2] == "dialog;shared") c.event = callinfo::event_package::dialog_shared;
    else throw scenario_error{n, "unknown event package '" + w[2] + "' (expected call-info, line-seize or dialog;shared)"};
    options const o(w, 3, n, {"line", "from", "expires", "call-info", "index"});
    c.line = o.uri("line", default_line);
    c.from = o.uri("from", "sip:" + c.name + "@example.com");
    c.expires = o.number("expires");
    c.call_info = o.text("call-info");
    if (auto const index = o.number("index")) {
      if (c.call_info) throw scenario_error{n, "give either call-info= or index=, not both"};
      c.call_info = "<" + c.line + ">;appearance-index=" + std::to_string(*index);
    }
    return c;
  }
  if (verb == "refresh" || verb == "unsubscribe") {
    bool const unsub = verb == "unsubscribe";
    auto const usage = unsub ? "unsubscribe NAME"sv : "refresh NAME [expires=N]"sv;
    cmd_refresh c;
    c.name = name_arg(w, 1, n, usage);
    c.unsubscribe = unsub;
    if (unsub) {
      options const o(w, 2, n, {});
      c.expires = 0;
    } else {
      options const o(w, 2, n, {"expires"});
      c.expires = o.number("expires");
    }
    return c;
  }
  if (verb == "publish") {
    constexpr auto usage =
        "publish NAME [if-match | if-match=TAG] [line=URI] [expires=N] [call-info=VALUE | dialog-info=XML]"sv;
    cmd_publish c;
    c.name = name_arg(w, 1, n, usage);
    options const o(w, 2, n, {"line", "expires", "call-info", "if-match", "dialog-info"}, {"if-match"});
    if (o.has("if-match")) {
      auto const tag = o.text("if-match");
      c.if_match = tag ? cmd_publish::match::tag : cmd_publish::match::last;
      if (tag) {
        if (tag->empty()) throw scenario_error{n, "if-match= needs a tag (or write if-match alone for the last one)"};
        c.tag = *tag;
      }
    }
    if (o.has("line")) c.line = o.uri("line", default_line);
    c.expires = o.number("expires");
    c.call_info = o.text("call-info");
    c.dialog_info = o.text("dialog-info");
    if (c.call_info && c.dialog_info) throw scenario_error{n, "give either call-info= or dialog-info=, not both"};
#ifndef CALLINFO_PLAY_DIALOG_INFO
    if (c.dialog_info) throw scenario_error{n, "dialog-info= needs callinfo-play built with pugixml (-Ddialog_info)"};
#endif
    return c;
  }
  if (verb == "dialog") {
    constexpr auto usage =
        "dialog ID caller|callee early|confirmed|hold|resume|terminated|failed [index=N] [remote=URI] [private] [line=URI]"sv;
    cmd_dialog c;
    c.id = name_arg(w, 1, n, usage);
    need_args(w, 4, n, usage);
    if (w[2] == "caller") c.side = callinfo::dialog_side::caller;
    else if (w[2] == "callee") c.side = callinfo::dialog_side::callee;
    else throw scenario_error{n, "expected caller or callee, not '" + w[2] + "'"};
    auto const phase = to_phase(w[3]);
    if (!phase) throw scenario_error{n, "unknown dialog phase '" + w[3] + "' (expected early, confirmed, hold, resume, terminated or failed)"};
    c.phase = *phase;
    options const o(w, 4, n, {"index", "remote", "line"}, {"private"});
    c.index = o.number("index");
    c.remote = o.text("remote").value_or("");
    c.private_hold = o.has("private");
    c.line = o.uri("line", default_line);
    return c;
  }
  if (verb == "release") {
    cmd_release c;
    options const o(w, 1, n, {"index", "line"});
    c.index = o.number("index");
    c.line = o.uri("line", default_line);
    return c;
  }
  if (verb == "update" || verb == "seize") {
    bool const seize = verb == "seize";
    cmd_update c;
    options const o(w, 1, n, seize ? std::initializer_list<std::string_view>{"index", "line"}
                                   : std::initializer_list<std::string_view>{"index", "state", "remote", "line"});
    auto const index = o.number("index");
    if (!index) throw scenario_error{n, std::string(verb) + " needs index=N"};
    c.index = *index;
    c.line = o.uri("line", default_line);
    c.seize = seize;
    if (seize) {
      c.state = callinfo::appearance_state::seized;
    } else {
      auto const s = o.text("state");
      if (!s) throw scenario_error{n, "update needs state=S"};
      auto const st = callinfo::to_appearance_state(*s);
      if (!st) throw scenario_error{n, "unknown appearance state '" + *s + "'"};
      c.state = *st;
      c.remote = o.text("remote").value_or("");
    }
    return c;
  }
  if (verb == "end" || verb == "end-all" || verb == "notify-failed") {
    cmd_end c;
    c.all = verb == "end-all";
    bool const failed = verb == "notify-failed";
    if (!c.all) c.name = name_arg(w, 1, n, failed ? "notify-failed NAME status=N"sv : "end NAME [reason=R]"sv);
    options const o(w, c.all ? 1 : 2, n, failed ? std::initializer_list<std::string_view>{"status"}
                                                : std::initializer_list<std::string_view>{"reason"});
    if (failed) {
      auto const status = o.number("status");
      if (!status || *status < 100 || *status > 699) throw scenario_error{n, "notify-failed needs status=N (100-699)"};
      c.status = static_cast<std::uint16_t>(*status);
    } else if (auto const r = o.text("reason")) {
      c.reason = callinfo::to_event_reason(*r);
      if (c.reason == callinfo::event_reason::extension) throw scenario_error{n, "unknown reason '" + *r + "'"};
    }
    return c;
  }
  if (verb == "list" || verb == "snapshot-restore") {
    if (w.size() > 1) throw scenario_error{n, "unexpected '" + w[1] + "': " + std::string(verb) + " takes no arguments"};
    if (verb == "list") return cmd_list{};
    return cmd_snapshot_restore{};
  }
  throw scenario_error{n, "unknown command '" + std::string(verb) +
                              "' (expected dialect, limit, advance, subscribe, refresh, unsubscribe, publish, dialog, "
                              "release, update, seize, list, snapshot-restore, end, end-all or notify-failed)"};
}

scenario parse_scenario(std::string const& file, std::istream& in) {
  scenario s;
  s.file = file;
  std::string raw;
  std::size_t n = 0;
  bool dialect_seen = false;
  while (std::getline(in, raw)) {
    ++n;
    if (!raw.empty() && raw.back() == '\r') raw.pop_back();
    std::string text;
    std::vector<std::string> const w = split_words(raw, n, text);
    if (w.empty()) continue;
    if (w[0] == "dialect" || w[0] == "limit") {
      if (!s.steps.empty()) throw scenario_error{n, "'" + w[0] + "' must come before the first step"};
      if (w[0] == "dialect") {
        if (dialect_seen) throw scenario_error{n, "a second 'dialect' line"};
        dialect_seen = true;
        if (w.size() != 2) throw scenario_error{n, "expected: dialect default|opensips|broadworks"};
        if (w[1] == "default") s.dialect = dialect_name::default_;
        else if (w[1] == "opensips") s.dialect = dialect_name::opensips;
        else if (w[1] == "broadworks") s.dialect = dialect_name::broadworks;
        else throw scenario_error{n, "unknown dialect '" + w[1] + "' (expected default, opensips or broadworks)"};
      } else {
        if (w.size() < 2) throw scenario_error{n, "expected: limit NAME=VALUE"};
        for (std::size_t i = 1; i < w.size(); ++i) set_limit(s.limits, w[i], n);
      }
      continue;
    }
    step st;
    st.line = n;
    st.text = text;
    st.cmd = parse_command(w, n);
    s.steps.push_back(std::move(st));
  }
  return s;
}

// ---------------------------------------------------------------------------
// Running a scenario

struct opensips_policies : callinfo::default_policies {
  using dialect = callinfo::opensips_dialect;
};
struct broadworks_policies : callinfo::default_policies {
  using dialect = callinfo::broadworks_dialect;
};

struct subscription_info {
  std::string name, from, line;
  callinfo::event_package event = callinfo::event_package::call_info;
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
    if (text) r.call_info = parse_call_info(*text);
    effect_list fx;
    server_->on_subscribe(r, fx);
    for (callinfo::effect const& e : fx.items)
      if (auto const* resp = std::get_if<callinfo::response>(&e); resp && resp->subscription != 0) {
        subscription_info info;
        info.name = c.name;
        info.from = c.from;
        info.line = c.line;
        info.event = c.event;
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
    if (text) r.call_info = parse_call_info(*text);
#ifdef CALLINFO_PLAY_DIALOG_INFO
    callinfo::dialog_info_document body;
    if (c.dialog_info) {
      r.event = callinfo::event_package::dialog_shared;
      if (auto const e = callinfo::parse_dialog_info(*c.dialog_info, body); !e)
        fail("dialog-info body refused: " + std::string(name(e.code)) + " at offset " + std::to_string(e.offset));
      r.dialogs = body.appearances();
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

  // Keeps the Call-Info text alive for the duration of the call.
  std::optional<callinfo::call_info_view> parse_call_info(std::string const& text) {
    texts_.push_back(text);
    auto r = callinfo::parse_call_info(texts_.back());
    if (!r) fail("call-info value does not parse: " + callinfo::render(r.error(), texts_.back()));
    return *r;
  }

  std::string subscription_name(callinfo::subscription_id id) const {
    auto it = subscriptions_.find(id);
    return it != subscriptions_.end() ? it->second.name : std::to_string(id);
  }
  std::string timer_owner(callinfo::timer_id t) const {
    if (t.kind == callinfo::timer_kind::subscription) return subscription_name(t.id);
    auto it = publication_names_.find(t.id);
    return it != publication_names_.end() ? it->second : std::to_string(t.id);
  }
  static std::string_view kind_name(callinfo::timer_kind k) {
    return k == callinfo::timer_kind::subscription ? "subscription" : "publication";
  }

  void begin(json_writer& j, std::string_view effect) const {
    j.begin_object();
    j.key("step").number(number_);
    j.key("input").string(current_->text);
    j.key("effect").string(effect);
  }
  static void end(json_writer& j, std::string& out) {
    j.end_object();
    out += '\n';
    std::cout << out;
  }
  static void write_appearance(json_writer& j, callinfo::appearance const& a) {
    j.begin_object();
    j.key("index").number(a.index);
    j.key("state").string(to_string(a.state));
    if (!a.remote.empty()) j.key("uri").string(a.remote);
    j.end_object();
  }

  void fired(callinfo::timer_id t) {
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

  void print_change(std::string_view what, callinfo::state_change const& c) {
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

  void print(effect_list const& fx) {
    for (callinfo::effect const& e : fx.items) {
      // The stack's timer table, as it would keep it.
      if (auto const* a = std::get_if<callinfo::arm_timer>(&e)) timers_[key(a->timer)] = armed{a->at, ++arm_order_};
      if (auto const* c = std::get_if<callinfo::cancel_timer>(&e)) timers_.erase(key(c->timer));
      if (sip_) std::visit([&](auto const& v) { sip(v); }, e);
      else std::visit([&](auto const& v) { json(v); }, e);
    }
  }

  void json(callinfo::response const& r) {
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
  void json(callinfo::notify const& n) {
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
  void json(callinfo::arm_timer const& a) {
    std::string out;
    json_writer j(out);
    begin(j, "arm_timer");
    j.key("timer").string(kind_name(a.timer.kind));
    j.key("of").string(timer_owner(a.timer));
    j.key("at").raw(seconds_text(a.at));
    end(j, out);
  }
  void json(callinfo::cancel_timer const& c) {
    std::string out;
    json_writer j(out);
    begin(j, "cancel_timer");
    j.key("timer").string(kind_name(c.timer.kind));
    j.key("of").string(timer_owner(c.timer));
    end(j, out);
  }
  void json(callinfo::appearance_changed const& a) {
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
  static void put_lines(std::string_view text) {
    std::string s(text);
    std::erase(s, '\r');
    std::cout << s;
  }
  static void build_failed(std::string_view what, callinfo::build_result r) {
    std::cout << ";; the " << what << " could not be written: " << name(r.code) << " (" << describe(r.code) << ")\n";
  }

  void sip(callinfo::response const& r) {
    std::string text;
    callinfo::string_sink sink(text);
    if (auto const res = callinfo::write_response(r, sink); !res) return build_failed("response", res);
    put_lines(text);
    std::cout << '\n';
  }
  void sip(callinfo::notify const& n) {
    std::string text;
    callinfo::string_sink sink(text);
    auto const res = callinfo::write_notify_headers<typename Policies::dialect>(n, sink);
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
  void sip(callinfo::arm_timer const& a) {
    std::cout << ";; arm " << kind_name(a.timer.kind) << " timer of " << timer_owner(a.timer) << " at t="
              << seconds_text(a.at) << " s\n";
  }
  void sip(callinfo::cancel_timer const& c) {
    std::cout << ";; cancel " << kind_name(c.timer.kind) << " timer of " << timer_owner(c.timer) << '\n';
  }
  void sip(callinfo::appearance_changed const& a) {
    std::cout << ";; " << a.line << " appearance " << a.index << ": " << to_string(a.from) << " -> " << to_string(a.to)
              << " (" << to_string(a.cause) << ")\n";
  }

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
};

template <class Policies>
void play(scenario const& s, bool sip) {
  player<Policies> p(s, sip);
  p.run();
}

constexpr std::string_view usage =
    "usage: callinfo-play [--sip] SCENARIO\n"
    "\n"
    "Runs the steps of SCENARIO (a file, or - for stdin) against a callinfo\n"
    "presence server with a manual clock and prints every effect it produces:\n"
    "one JSON object per line, or with --sip the responses and NOTIFYs as SIP\n"
    "text and everything else as ';;' comment lines. The scenario format is in\n"
    "examples/play/FORMAT.md.\n"
    "\n"
    "Exit status: 0 when the scenario ran, 2 on a usage error or a bad scenario.\n";

}  // namespace

int main(int argc, char** argv) {
  bool sip = false;
  std::optional<std::string> file;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (!options_done && a.size() > 1 && a.starts_with("-")) {
      if (a == "--") {
        options_done = true;
      } else if (a == "--sip") {
        sip = true;
      } else if (a == "--help") {
        std::cout << usage;
        return 0;
      } else {
        std::cerr << "callinfo-play: unknown option '" << a << "'\n" << usage;
        return 2;
      }
    } else if (file) {
      std::cerr << "callinfo-play: more than one scenario given\n" << usage;
      return 2;
    } else {
      file = std::string(a);
    }
  }
  if (!file) {
    std::cerr << "callinfo-play: no scenario given\n" << usage;
    return 2;
  }

  std::ifstream f;
  std::string const shown = *file == "-" ? "<stdin>" : *file;
  if (*file != "-") {
    f.open(*file, std::ios::binary);
    if (!f) {
      std::cerr << "callinfo-play: cannot open '" << *file << "'\n";
      return 2;
    }
  }
  std::istream& in = *file == "-" ? std::cin : f;
  try {
    scenario const s = parse_scenario(shown, in);
    switch (s.dialect) {
      case dialect_name::default_: play<callinfo::default_policies>(s, sip); break;
      case dialect_name::opensips: play<opensips_policies>(s, sip); break;
      case dialect_name::broadworks: play<broadworks_policies>(s, sip); break;
    }
  } catch (scenario_error const& e) {
    std::cout << std::flush;
    std::cerr << shown << ':' << e.line << ": " << e.message << '\n';
    return 2;
  }
  return 0;
}
