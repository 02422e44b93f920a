// callinfo-play — reading a scenario: a line's words, the `key=value`
// options of a command, the limits a scenario may set, and the commands.
#include "scenario.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <map>
#include <utility>

namespace callinfo_play {

namespace {

using namespace std::string_view_literals;

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

}  // namespace

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

}  // namespace callinfo_play
