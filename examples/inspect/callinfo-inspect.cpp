// callinfo-inspect — parse SIP header lines and print one JSON object per line.
//
//   callinfo-inspect [--caret] [--limit NAME=VALUE]... [LINE|-]...
//
// Each LINE (or each line of stdin for `-`, or when no LINE is given) is
// `Header-Name: value`. Blank lines and lines starting with '#' are skipped.
// The output format is described in FORMAT.md next to this file. The exit
// status is 0 when every line parsed, 1 when at least one did not (all lines
// are still processed), 2 on a usage error.
//
// The JSON writer is deliberately tiny and local to this example: the library
// itself only parses and prints SIP.
#include "../common/cli.hpp"
#include "../common/json_writer.hpp"
#include "examples_version.hpp"

#include <callinfo/callinfo.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace {

// ---------------------------------------------------------------------------
// JSON output

using callinfo_examples::json_writer;

// ---------------------------------------------------------------------------
// Fields of each header

// [["name","value"],["flag",null],...]: names and values exactly as written.
void write_params(json_writer& j, callinfo::param_range params) {
  j.begin_array();
  for (callinfo::param_view const& p : params) {
    j.begin_array().string(p.name);
    if (p.has_value)
      j.string(p.value);
    else
      j.null();
    j.end_array();
  }
  j.end_array();
}

void write_index(json_writer& j, callinfo::appearance_index i) {
  if (i.is_wildcard())
    j.string("*");
  else
    j.number(i.value());
}

// appearance-uri = quoted-string / token: the unescaped content of a quoted
// string, a token as written.
std::string appearance_uri(callinfo::param_view const& p) {
  return p.quoted() ? callinfo::unescape(p.unquoted()) : std::string(p.value);
}

void write_call_info(json_writer& j, callinfo::call_info_view const& ci) {
  j.key("entries").begin_array();
  for (callinfo::call_info_entry_view const& e : ci) {
    j.begin_object();
    j.key("uri").string(e.uri);
    j.key("params");
    write_params(j, e.params);
    auto const appearances = e.appearances();
    if (auto const a = e.appearance()) {
      if (a->index) write_index(j.key("appearance_index"), *a->index);
      if (a->state_token) j.key("appearance_state").string(*a->state_token);
      if (a->uri) j.key("appearance_uri").string(appearance_uri(*a->uri));
    }
    // Several appearances in one entry: OpenSIPS repeats the params.
    if (std::distance(appearances.begin(), appearances.end()) > 1) {
      j.key("appearances").begin_array();
      for (callinfo::appearance_view const& a : appearances) {
        j.begin_object();
        if (a.index) write_index(j.key("index"), *a.index);
        if (a.state_token) j.key("state").string(*a.state_token);
        if (a.uri) j.key("uri").string(appearance_uri(*a.uri));
        j.end_object();
      }
      j.end_array();
    }
    j.end_object();
  }
  j.end_array();
}

void write_event(json_writer& j, callinfo::event_view const& e) {
  j.key("type").string(e.type.text);
  j.key("package").string(e.type.package());
  j.key("templates").begin_array();
  for (std::string_view t = e.type.templates(); !t.empty();) {
    auto const dot = t.find('.');
    j.string(t.substr(0, dot));
    t = dot == std::string_view::npos ? std::string_view{} : t.substr(dot + 1);
  }
  j.end_array();
  j.key("id").string_or_null(e.id);
  j.key("params");
  write_params(j, e.params);
}

void write_subscription_state(json_writer& j, callinfo::subscription_state_view const& s) {
  j.key("state").string(s.state_token);
  j.key("reason").string_or_null(s.reason_token);
  j.key("expires").number_or_null(s.expires);
  j.key("retry_after").number_or_null(s.retry_after);
  j.key("params");
  write_params(j, s.params);
}

void write_expires(json_writer& j, callinfo::expires_view const& e) { j.key("seconds").number(e.seconds); }

void write_etag(json_writer& j, callinfo::entity_tag_view const& e) { j.key("etag").string(e.tag); }

void write_allow_events(json_writer& j, callinfo::allow_events_view const& a) {
  j.key("events").begin_array();
  for (callinfo::event_type_view const& t : a) j.string(t.text);
  j.end_array();
}

template <class View>
using parse_fn = callinfo::result<View> (*)(std::string_view, callinfo::parse_limits const&) noexcept;
template <class View>
using write_fn = void (*)(json_writer&, View const&);

// Parses `value` with Parse; on success writes "ok":true and the header's
// fields with Write.
template <class View, parse_fn<View> Parse, write_fn<View> Write>
std::optional<callinfo::parse_error> inspect(json_writer& j, std::string_view value,
                                             callinfo::parse_limits const& limits) {
  callinfo::result<View> const r = Parse(value, limits);
  if (!r) return r.error();
  j.key("ok").boolean(true);
  Write(j, *r);
  return std::nullopt;
}

struct header_kind {
  std::string_view name;     // canonical, as printed in "header"
  std::string_view compact;  // RFC 3261 §7.3.3 compact form, or empty
  std::optional<callinfo::parse_error> (*inspect)(json_writer&, std::string_view, callinfo::parse_limits const&);
};

constexpr header_kind header_kinds[] = {
    {"Call-Info", "", &inspect<callinfo::call_info_view, &callinfo::parse_call_info, &write_call_info>},
    {"Event", "o", &inspect<callinfo::event_view, &callinfo::parse_event, &write_event>},
    {"Subscription-State", "",
     &inspect<callinfo::subscription_state_view, &callinfo::parse_subscription_state, &write_subscription_state>},
    {"Expires", "", &inspect<callinfo::expires_view, &callinfo::parse_expires, &write_expires>},
    {"SIP-ETag", "", &inspect<callinfo::entity_tag_view, &callinfo::parse_sip_etag, &write_etag>},
    {"SIP-If-Match", "", &inspect<callinfo::entity_tag_view, &callinfo::parse_sip_if_match, &write_etag>},
    {"Allow-Events", "u", &inspect<callinfo::allow_events_view, &callinfo::parse_allow_events, &write_allow_events>},
};

// ---------------------------------------------------------------------------
// Lines

constexpr bool is_wsp(char c) { return c == ' ' || c == '\t'; }

constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && is_wsp(s.front())) s.remove_prefix(1);
  return s;
}
std::string_view trim_right(std::string_view s) {
  while (!s.empty() && is_wsp(s.back())) s.remove_suffix(1);
  return s;
}

header_kind const* find_header(std::string_view name) {
  for (header_kind const& h : header_kinds)
    if (iequals(name, h.name) || (!h.compact.empty() && iequals(name, h.compact))) return &h;
  return nullptr;
}

constexpr std::string_view supported_headers =
    "Call-Info, Event (o), Subscription-State, Expires, SIP-ETag, SIP-If-Match, Allow-Events (u)";

// Appends `s` for a terminal: control bytes as \xNN, like callinfo::render().
void append_escaped(std::string& out, std::string_view s) {
  constexpr char hex[] = "0123456789abcdef";
  for (char ch : s) {
    auto const c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xf];
    } else {
      out += ch;
    }
  }
}

struct options {
  bool caret = false;
  callinfo::parse_limits limits;
};

// Ends the object of a bad line: "message" (the sentence saying what was
// expected, the last line of the caret diagnostic) and, with --caret, "caret" (the human diagnostic: the value with
// a caret under the fault, as callinfo::render() prints it, without the
// final newline).
void end_bad_line(json_writer& j, std::string_view message, options const& opt, std::string_view caret) {
  j.key("message").string(message);
  if (opt.caret) {
    if (caret.ends_with('\n')) caret.remove_suffix(1);
    j.key("caret").string(caret);
  }
  j.end_object();
}

// Writes the JSON object for one line to `out`; returns false when the line
// is bad.
bool inspect_line(std::string_view line, options const& opt, std::string& out) {
  json_writer j(out);
  std::string caret;
  auto const colon = line.find(':');
  if (colon == std::string_view::npos) {
    constexpr std::string_view message = "expected a line `Header-Name: value`";
    if (opt.caret) {
      caret = "error: missing_colon\n  ";
      append_escaped(caret, line);
      caret += '\n';
      caret += message;
    }
    j.begin_object().key("header").null().key("ok").boolean(false).key("error").string("missing_colon");
    j.key("line").string(line);
    end_bad_line(j, message, opt, caret);
    out += '\n';
    return false;
  }
  // HCOLON = *( SP / HTAB ) ":" SWS: the value starts after that whitespace,
  // and error offsets count from there.
  std::string_view const name = trim_right(line.substr(0, colon));
  std::string_view const value = trim_left(line.substr(colon + 1));
  header_kind const* const h = find_header(name);
  if (h == nullptr) {
    std::string const message = "expected one of " + std::string(supported_headers);
    if (opt.caret) {
      append_escaped(caret, name);
      caret += ": error: unknown_header\n";
      caret += message;
    }
    j.begin_object().key("header").string(name).key("ok").boolean(false).key("error").string("unknown_header");
    end_bad_line(j, message, opt, caret);
    out += '\n';
    return false;
  }

  std::size_t const start = out.size();
  j.begin_object().key("header").string(h->name);
  std::optional<callinfo::parse_error> const error = h->inspect(j, value, opt.limits);
  if (!error) {
    j.end_object();
    out += '\n';
    return true;
  }
  out.resize(start);  // drop the half-written object
  if (opt.caret) caret = std::string(h->name) + ": " + callinfo::render(*error, value);
  json_writer e(out);
  e.begin_object().key("header").string(h->name).key("ok").boolean(false);
  e.key("error").string(callinfo::name(error->code)).key("offset").number(error->offset);
  end_bad_line(e, "expected " + std::string(callinfo::expectation(error->code)), opt, caret);
  out += '\n';
  return false;
}

// --limit NAME=VALUE: one field of callinfo::parse_limits. Returns the usage
// error, or std::nullopt.
std::optional<std::string> set_limit(callinfo::parse_limits& limits, std::string_view assignment) {
  struct field {
    std::string_view name;
    std::uint32_t callinfo::parse_limits::*member;
  };
  constexpr field fields[] = {
      {"max_value_length", &callinfo::parse_limits::max_value_length},
      {"max_entries", &callinfo::parse_limits::max_entries},
      {"max_params", &callinfo::parse_limits::max_params},
  };
  auto const eq = assignment.find('=');
  if (eq == std::string_view::npos)
    return "--limit takes NAME=VALUE, not '" + std::string(assignment) + "'";
  std::string_view const name = assignment.substr(0, eq);
  std::string_view const value = assignment.substr(eq + 1);
  for (field const& f : fields) {
    if (f.name != name) continue;
    std::uint32_t n = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
      return "limit " + std::string(name) + " must be a number from 0 to 4294967295, not '" + std::string(value) + "'";
    limits.*f.member = n;
    return std::nullopt;
  }
  return "unknown limit '" + std::string(name) + "' (known: max_value_length, max_entries, max_params)";
}

std::string help_text() {
  callinfo::parse_limits const d;
  return "Usage: callinfo-inspect [OPTION]... [LINE]...\n"
         "Parse SIP header lines `Header-Name: value` and print one JSON object per\n"
         "line.\n"
         "\n"
         "Each LINE argument is one line; a LINE of - reads the lines of standard\n"
         "input, as does giving no LINE at all. Blank lines and lines starting with\n"
         "'#' are skipped.\n"
         "\n"
         "Headers (names case-insensitive, compact forms in parentheses):\n"
         "  Call-Info, Event (o), Subscription-State, Expires, SIP-ETag, SIP-If-Match,\n"
         "  Allow-Events (u)\n"
         "\n"
         "Options:\n"
         "      --caret              add to the object of a bad line a \"caret\" field:\n"
         "                           the human diagnostic, with a caret under the fault\n"
         "      --limit NAME=VALUE   set a parse limit (repeatable): max_value_length\n"
         "                           (default " + std::to_string(d.max_value_length) + "), max_entries (default " +
         std::to_string(d.max_entries) + "),\n"
         "                           max_params (default " + std::to_string(d.max_params) + ")\n"
         "  -h, --help               display this help and exit\n"
         "      --version            output version information and exit\n"
         "      --                   treat every following argument as a LINE\n"
         "\n"
         "Exit status:\n"
         "  0  every line parsed\n"
         "  1  at least one line did not (all lines are still processed)\n"
         "  2  usage error\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace callinfo_examples;
  static std::string const help = help_text();
  program_info const program{"callinfo-inspect", CALLINFO_EXAMPLES_VERSION, help};
  constexpr option_spec specs[] = {help_option, version_option, {"caret"}, {"limit", 0, true}};
  command_line cl;
  if (auto const status = run_standard_options(program, argc, argv, specs, cl)) return *status;

  options opt;
  for (parsed_option const& o : cl.options) {
    if (o.name == "caret") {
      opt.caret = true;
    } else if (o.name == "limit") {
      if (auto const error = set_limit(opt.limits, o.value)) return usage_error(program, *error);
    }
  }

  bool all_ok = true;
  std::string out;
  auto const handle = [&](std::string_view line) {
    std::string_view const content = trim_left(line);
    if (content.empty() || content.front() == '#') return;
    out.clear();
    all_ok = inspect_line(content, opt, out) && all_ok;
    std::cout << out;
  };
  auto const handle_stdin = [&] {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF files
      handle(line);
    }
  };

  if (cl.operands.empty()) handle_stdin();
  for (std::string_view operand : cl.operands) {
    if (operand == "-")
      handle_stdin();
    else
      handle(operand);
  }
  std::cout.flush();
  return all_ok ? 0 : 1;
}
