// callinfo-inspect — parse SIP header lines and print one JSON object per line.
//
//   callinfo-inspect [--caret] [LINE...]
//
// Each LINE (or each line of stdin when no LINE is given) is `Header-Name: value`.
// Blank lines and lines starting with '#' are skipped. The output format is
// described in FORMAT.md next to this file. The exit status is 0 when every
// line parsed, 1 when at least one did not (all lines are still processed),
// 2 on a usage error.
//
// The JSON writer is deliberately tiny and local to this example: the library
// itself only parses and prints SIP.
#include "../common/json_writer.hpp"

#include <callinfo/callinfo.hpp>

#include <cstddef>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// Parses `value`; on success writes "ok":true and the header's fields.
template <class View>
std::optional<callinfo::parse_error> inspect(json_writer& j, std::string_view value,
                                             callinfo::result<View> (*parse)(std::string_view,
                                                                             callinfo::parse_limits const&) noexcept,
                                             void (*write)(json_writer&, View const&)) {
  callinfo::result<View> const r = parse(value, callinfo::parse_limits{});
  if (!r) return r.error();
  j.key("ok").boolean(true);
  write(j, *r);
  return std::nullopt;
}

struct header_kind {
  std::string_view name;     // canonical, as printed in "header"
  std::string_view compact;  // RFC 3261 §7.3.3 compact form, or empty
  std::optional<callinfo::parse_error> (*inspect)(json_writer&, std::string_view);
};

constexpr header_kind header_kinds[] = {
    {"Call-Info", "",
     [](json_writer& j, std::string_view v) { return inspect(j, v, &callinfo::parse_call_info, &write_call_info); }},
    {"Event", "o", [](json_writer& j, std::string_view v) { return inspect(j, v, &callinfo::parse_event, &write_event); }},
    {"Subscription-State", "",
     [](json_writer& j, std::string_view v) {
       return inspect(j, v, &callinfo::parse_subscription_state, &write_subscription_state);
     }},
    {"Expires", "",
     [](json_writer& j, std::string_view v) { return inspect(j, v, &callinfo::parse_expires, &write_expires); }},
    {"SIP-ETag", "",
     [](json_writer& j, std::string_view v) { return inspect(j, v, &callinfo::parse_sip_etag, &write_etag); }},
    {"SIP-If-Match", "",
     [](json_writer& j, std::string_view v) { return inspect(j, v, &callinfo::parse_sip_if_match, &write_etag); }},
    {"Allow-Events", "u",
     [](json_writer& j, std::string_view v) {
       return inspect(j, v, &callinfo::parse_allow_events, &write_allow_events);
     }},
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
};

// Writes the JSON object (or the caret diagnostic) for one line to `out`;
// returns false when the line is bad.
bool inspect_line(std::string_view line, options const& opt, std::string& out) {
  json_writer j(out);
  auto const colon = line.find(':');
  if (colon == std::string_view::npos) {
    if (opt.caret) {
      out += "error: missing_colon\n  ";
      append_escaped(out, line);
      out += "\nexpected a line `Header-Name: value`\n";
      return false;
    }
    j.begin_object().key("header").null().key("ok").boolean(false).key("error").string("missing_colon");
    j.key("line").string(line).end_object();
    out += '\n';
    return false;
  }
  // HCOLON = *( SP / HTAB ) ":" SWS: the value starts after that whitespace,
  // and error offsets count from there.
  std::string_view const name = trim_right(line.substr(0, colon));
  std::string_view const value = trim_left(line.substr(colon + 1));
  header_kind const* const h = find_header(name);
  if (h == nullptr) {
    if (opt.caret) {
      append_escaped(out, name);
      out += ": error: unknown_header\nexpected one of ";
      out += supported_headers;
      out += '\n';
      return false;
    }
    j.begin_object().key("header").string(name).key("ok").boolean(false).key("error").string("unknown_header");
    j.end_object();
    out += '\n';
    return false;
  }

  std::size_t const start = out.size();
  j.begin_object().key("header").string(h->name);
  std::optional<callinfo::parse_error> const error = h->inspect(j, value);
  if (!error) {
    j.end_object();
    out += '\n';
    return true;
  }
  out.resize(start);  // drop the half-written object
  if (opt.caret) {
    out += h->name;
    out += ": ";
    out += callinfo::render(*error, value);
    return false;
  }
  json_writer e(out);
  e.begin_object().key("header").string(h->name).key("ok").boolean(false);
  e.key("error").string(callinfo::name(error->code)).key("offset").number(error->offset).end_object();
  out += '\n';
  return false;
}

constexpr std::string_view usage =
    "usage: callinfo-inspect [--caret] [LINE...]\n"
    "\n"
    "Parses SIP header lines `Header-Name: value` and prints one JSON object\n"
    "per line. With no LINE arguments, reads lines from stdin; blank lines and\n"
    "lines starting with '#' are skipped.\n"
    "\n"
    "Headers (names case-insensitive, compact forms in parentheses):\n"
    "  Call-Info, Event (o), Subscription-State, Expires, SIP-ETag, SIP-If-Match,\n"
    "  Allow-Events (u)\n"
    "\n"
    "  --caret   print a caret diagnostic instead of JSON for a line that does\n"
    "            not parse\n"
    "  --help    print this text\n"
    "  --        treat every following argument as a line\n"
    "\n"
    "Exit status: 0 when every line parsed, 1 when any did not, 2 on a usage\n"
    "error.\n";

}  // namespace

int main(int argc, char** argv) {
  options opt;
  std::vector<std::string_view> lines;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (!options_done && a.starts_with("--")) {
      if (a == "--") {
        options_done = true;
      } else if (a == "--caret") {
        opt.caret = true;
      } else if (a == "--help") {
        std::cout << usage;
        return 0;
      } else {
        std::cerr << "callinfo-inspect: unknown option '" << a << "'\n" << usage;
        return 2;
      }
    } else {
      lines.push_back(a);
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

  if (!lines.empty()) {
    for (std::string_view line : lines) handle(line);
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF files
      handle(line);
    }
  }
  std::cout.flush();
  return all_ok ? 0 : 1;
}
