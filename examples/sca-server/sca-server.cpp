// sca-server — a Shared Call Appearance server on Sofia-SIP's nta layer.
//
//   sca-server [--port N] [--dialect default|opensips|broadworks]
//              [--route USER=127.0.0.1:PORT]... [--line USER]... [--state FILE]
//              [--quiet] [--redis HOST:PORT --node N] [--transaction-timeout MS]
//              [--credentials FILE [--realm REALM] [--line-user LINE=USER]...]
//   sca-server --version | -h | --help
//
// Listens on udp 127.0.0.1:N (default 5070) and serves
//   SUBSCRIBE   Event: call-info, line-seize   (RFC 6665; out of dialog and
//                                               refreshes / unsubscribes in it)
//   PUBLISH     Event: call-info               (RFC 3903, third-party state)
//   SUBSCRIBE   Event: dialog;shared           (RFC 7463 watchers: NOTIFYs
//                                               carry write_dialog_info())
//   PUBLISH     Event: dialog;shared           (RFC 7463 dialog-info bodies,
//                                               with pugixml only)
// with a callinfo::basic_server. A line that is not a sip: / sips: URI gets
// 416, an initial SUBSCRIBE without a SIP Contact 400 (its NOTIFYs could
// not be routed), a line no NOTIFY could carry the library's 400 Bad Line
// URI. The requests' Event, Expires, Call-Info and
// SIP-If-Match headers are read from the raw message text with the
// library's parsers; the server's effects become SIP:
//
//   response            nta_incoming_treply(): status line from the effect,
//                       headers one by one from for_each_response_header(); a 2xx to an
//                       initial SUBSCRIBE creates the subscription's dialog
//                       (an nta_leg with its own tag) and carries a Contact
//   notify              nta_outgoing_tcreate() on the subscription's leg
//                       (nta fills Call-ID, From/To with tags, CSeq, Route),
//                       headers from write_notify_headers<Dialect>()
//   arm_timer           one su_timer per timer_id, set for the time left;
//   cancel_timer        it calls basic_server::on_timer() when it fires
//   appearance_changed  one log line
//
// Dialog-driven mode: INVITE, ACK, BYE, CANCEL (and other in-dialog
// requests) are proxied statefully between user agents on 127.0.0.1: an
// initial request for sip:USER@127.0.0.1:N goes to USER's --route, with a
// Record-Route of the server so the dialog's requests come back through it.
// A call from or to a --line feeds basic_server::on_dialog(): 18x early,
// 2xx confirmed, a re-INVITE's accepted SDP offer hold / resume
// (sdp_is_hold()), BYE terminated, CANCEL or a final non-2xx failed; the
// appearance-index is the INVITE's Call-Info (parse_call_info()) or, when
// it has none, first_idle_appearance() for an incoming call and 1 for an
// outgoing one, added to the forwarded INVITE as Call-Info.
//
// With --redis, several sca-servers share lines, seizes, subscriptions and
// publications through one Redis (the server's storage policy is
// callinfo::redis::storage, given a connection), each with its own --node
// number: every request runs as a transaction on its line, through the same
// calls as without Redis; NOTIFYs for subscriptions
// whose dialogs this server holds come back from the others' changes
// (drained every loop step, 100 ms); expiry runs through expire_due() once
// a second instead of one su_timer per subscription. Dialog ids carry the
// node number so calls through different servers never share one.
//
// RFC 7463 phones: a SUBSCRIBE with Event: dialog;shared (its Accept, when
// present, must admit application/dialog-info+xml, else 406) is served by
// the same basic_server beside the call-info watchers; each of its NOTIFYs
// carries Content-Type: application/dialog-info+xml and the whole line as
// write_dialog_info() renders it (full state, the notify's version). Built
// with pugixml (SCA_SERVER_DIALOG_INFO), a PUBLISH with Event: dialog;shared
// and an application/dialog-info+xml body (parse_dialog_info()) drives the
// line like a call-info PUBLISH; a body the parser refuses gets 400 with a
// Warning naming the error and its byte offset, another Content-Type 415.
// Without pugixml that PUBLISH gets 489: RFC 3903 §6 step 2 answers 489 for
// an event package the ESC does not accept publications for, and 415 is for
// a body type of a package it does accept.
//
// Every request, response, NOTIFY and state change is logged on one line to
// stderr. SIGINT / SIGTERM stop the loop; the legs, timers and agent are
// destroyed before exit, after a line of what nta still holds (server and
// client transactions, legs) and one of counters (requests received,
// responses sent and relayed by class, NOTIFYs sent and answered). Each
// answered request's server transaction is destroyed (nta frees it after
// timer J, --transaction-timeout), so memory stays flat under load.
//
// --state FILE: the server's state survives a restart. At start, FILE (when
// it exists) is restored: callinfo::restore() for lines, appearances,
// subscriptions and publications, then the proxied calls on shared lines
// (so that a BYE after the restart still frees its appearance). On SIGINT /
// SIGTERM the state is written to FILE.tmp and renamed to FILE. The
// subscriptions' dialogs live in nta and are not restored: a restored
// subscription is a record whose expiry timer still runs (a line-seize then
// frees its appearance); NOTIFYs for it are not sent, and a refresh in its
// old dialog gets 481, so the watcher subscribes again.
//
// The program's parts: config.hpp (what the command line sets), log.hpp,
// nta_glue.hpp (Sofia's magic types and callbacks), headers.hpp (the SIP
// message helpers), server.hpp (sca_server, with its members in
// server_presence.hpp, server_proxy.hpp, server_redis.hpp and
// server_state.hpp), state_file.hpp, serve.hpp (the loop, per dialect),
// digest.hpp and auth.hpp (digest authentication and the Authorizer,
// hooked into the requests by server_auth.hpp).
//
// --credentials FILE: SIP digest authentication (auth.hpp): SUBSCRIBE and
// PUBLISH are challenged with 401, proxied requests (not ACK or CANCEL)
// with 407, and a user may watch, seize or publish a line only when a
// --line-user names them on it. Without it the server is open: any UDP
// source on 127.0.0.1 may seize, publish and watch any line.
#include "../common/cli.hpp"
#include "auth.hpp"
#include "config.hpp"
#include "log.hpp"
#include "nta_glue.hpp"
#include "serve.hpp"

#include <callinfo/model/line_uri.hpp>
#include <callinfo/redis/cluster_ids.hpp>

#include <algorithm>
#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using namespace sca;

namespace {

extern "C" void on_signal(int) { stop_requested = true; }

// The meson project's version (examples/meson.build).
#ifndef SCA_SERVER_VERSION
#error "SCA_SERVER_VERSION must be defined by the build (the project's version)"
#endif
constexpr char const version[] = "sca-server (callinfo) " SCA_SERVER_VERSION "\n";

constexpr char const usage[] =
    "usage: sca-server [--port N] [--dialect default|opensips|broadworks]\n"
    "                  [--route USER=127.0.0.1:PORT]... [--line USER|sip:USER@127.0.0.1]...\n"
    "                  [--state FILE] [--quiet] [--transaction-timeout MS]\n"
    "                  [--redis HOST:PORT --node N]\n"
    "                  [--credentials FILE [--realm REALM] [--line-user LINE=USER]...]\n"
    "       sca-server --version | -h | --help\n"
    "Serves call-info and line-seize SUBSCRIBE and call-info PUBLISH on udp 127.0.0.1:N (default 5070).\n"
    "Dialog-driven mode: INVITE/ACK/BYE/CANCEL for sip:USER@127.0.0.1:N are proxied to USER's --route;\n"
    "calls from or to a --line drive that line's appearances.\n"
    "--state FILE: restore the state from FILE at start (when it exists), save it there on SIGINT/SIGTERM.\n"
    "--quiet: log state changes, calls and errors, not every message.\n"
    "--transaction-timeout MS: the longest nta keeps a transaction (T1x64, and T4 when shorter;\n"
    "  default: nta's 32000 and 5000).\n"
    "--redis HOST:PORT --node N: share the state with other sca-servers through one Redis (N: 0-4095, unique).\n"
    "--credentials FILE [--realm REALM] [--line-user LINE=USER]...: digest authentication (MD5, SHA-256);\n"
    "  FILE has lines 'realm user ha1-md5 [ha1-sha256]' (# comments); REALM defaults to sca-server;\n"
    "  a user may watch, seize or publish LINE only when a --line-user names them on it.\n"
    "  --digest-algorithms SHA-256,MD5 (the default): the challenges offered, in that order;\n"
    "  --nonce-lifetime S (default 300): after S seconds a nonce is stale and challenged again.\n"
    "  Without --credentials the server is open to any source.\n"
    "--version: print the version and exit; -h, --help: print this and exit.\n"
    ;

// --credentials FILE for REALM, and the --line-user map: the authenticator,
// or nullptr after a message on stderr.
std::shared_ptr<authenticator> load_authentication(std::string const& file, std::string const& realm,
                                                   line_users lines, std::vector<digest::algorithm> offered,
                                                   std::uint64_t nonce_lifetime) {
  if (realm.empty() || realm.find_first_of("\"\\\r\n") != std::string::npos) {
    std::cerr << "sca-server: bad --realm '" << realm << "'\n";
    return nullptr;
  }
  std::ifstream in(file);
  if (!in) {
    std::cerr << "sca-server: cannot read credentials file '" << file << "'\n";
    return nullptr;
  }
  digest::credentials all;
  if (auto const e = digest::read_credentials(in, all)) {
    std::cerr << "sca-server: credentials file " << file << ", line " << e->line << ": " << e->why << "\n";
    return nullptr;
  }
  digest::credentials mine;
  for (auto& [k, v] : all)
    if (k.first == realm) mine.emplace(k, std::move(v));
  if (mine.empty()) {
    std::cerr << "sca-server: credentials file " << file << " has no user in realm '" << realm << "'\n";
    return nullptr;
  }
  return std::make_shared<authenticator>(realm, std::move(mine), std::move(lines), std::move(offered),
                                         nonce_lifetime);
}

// "USER=127.0.0.1:PORT" -> (USER, "127.0.0.1:PORT"); loopback only.
std::optional<std::pair<std::string, std::string>> parse_route(std::string_view v) {
  std::size_t const eq = v.find('=');
  if (eq == 0 || eq == std::string_view::npos) return std::nullopt;
  std::string_view const user = v.substr(0, eq), hostport = v.substr(eq + 1);
  constexpr std::string_view host = "127.0.0.1:";
  if (!hostport.starts_with(host)) return std::nullopt;
  std::string_view const p = hostport.substr(host.size());
  unsigned port = 0;
  auto const [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535) return std::nullopt;
  return std::pair{std::string(user), std::string(hostport)};
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 5070;
  std::string dialect = "default";
  proxy_config config;
  shared_config shared;
  std::string state_file;
  std::string credentials_file, realm = "sca-server";
  line_users line_users_map;
  std::vector<digest::algorithm> offered{digest::algorithm::sha256, digest::algorithm::md5};
  std::uint64_t nonce_lifetime = 300;
  bool auth_option = false;  // --realm, --line-user, --digest-algorithms or --nonce-lifetime given
  // GNU style (examples/common/cli.hpp): --name=VALUE or --name VALUE; the
  // first of --help and --version is acted on even before a wrong argument.
  static constexpr callinfo_examples::option_spec specs[] = {
      callinfo_examples::help_option, callinfo_examples::version_option,
      {"port", 0, true}, {"dialect", 0, true}, {"route", 0, true}, {"line", 0, true}, {"state", 0, true},
      {"quiet", 0, false}, {"redis", 0, true}, {"node", 0, true}, {"transaction-timeout", 0, true},
      {"credentials", 0, true}, {"realm", 0, true}, {"line-user", 0, true}, {"digest-algorithms", 0, true},
      {"nonce-lifetime", 0, true}};
  callinfo_examples::command_line cl;
  std::optional<std::string> const cl_error = callinfo_examples::parse_command_line(argc, argv, specs, cl);
  for (callinfo_examples::parsed_option const& o : cl.options) {
    if (o.name == "help") {
      std::cout << usage;
      return 0;
    }
    if (o.name == "version") {
      std::cout << version;
      return 0;
    }
  }
  if (cl_error || !cl.operands.empty()) {
    std::cerr << "sca-server: " << (cl_error ? *cl_error : "unexpected argument '" + std::string(cl.operands[0]) + "'")
              << "\n" << usage;
    return 2;
  }
  for (callinfo_examples::parsed_option const& o : cl.options) {
    std::string const a = "--" + std::string(o.name);
    if (a == "--route") {
      auto const r = parse_route(o.value);
      if (!r) {
        std::cerr << "sca-server: bad route '" << o.value << "' (USER=127.0.0.1:PORT)\n" << usage;
        return 2;
      }
      config.routes[r->first] = r->second;
      continue;
    }
    if (a == "--quiet") {
      trace_messages = false;
      continue;
    }
    if (a == "--state") {
      state_file = o.value;
      if (state_file.empty()) {
        std::cerr << "sca-server: --state needs a file name\n" << usage;
        return 2;
      }
      continue;
    }
    if (a == "--redis") {
      std::string_view const v = o.value;
      std::size_t const colon = v.rfind(':');
      int p = 0;
      if (colon == std::string_view::npos ||
          std::from_chars(v.data() + colon + 1, v.data() + v.size(), p).ec != std::errc{} || p <= 0 || p > 65535) {
        std::cerr << "sca-server: bad --redis '" << v << "' (HOST:PORT)\n" << usage;
        return 2;
      }
      shared.host = std::string(v.substr(0, colon));
      shared.port = p;
      continue;
    }
    if (a == "--node") {
      std::string_view const v = o.value;
      auto const [e, ec] = std::from_chars(v.data(), v.data() + v.size(), shared.node);
      if (ec != std::errc{} || e != v.data() + v.size() || shared.node > callinfo::redis::max_node) {
        std::cerr << "sca-server: bad --node '" << v << "' (0-4095)\n" << usage;
        return 2;
      }
      continue;
    }
    if (a == "--transaction-timeout") {
      std::string_view const v = o.value;
      auto const [e, ec] = std::from_chars(v.data(), v.data() + v.size(), config.transaction_timeout_ms);
      if (ec != std::errc{} || e != v.data() + v.size() || config.transaction_timeout_ms == 0) {
        std::cerr << "sca-server: bad --transaction-timeout '" << v << "' (milliseconds, at least 1)\n" << usage;
        return 2;
      }
      continue;
    }
    if ((a == "--credentials" || a == "--realm")) {
      (a == "--realm" ? realm : credentials_file) = o.value;
      auth_option = auth_option || a == "--realm";
      continue;
    }
    if (a == "--nonce-lifetime") {
      auth_option = true;
      std::string_view const v = o.value;
      auto const [e, ec] = std::from_chars(v.data(), v.data() + v.size(), nonce_lifetime);
      if (ec != std::errc{} || e != v.data() + v.size() || nonce_lifetime == 0) {
        std::cerr << "sca-server: bad --nonce-lifetime '" << v << "' (seconds, > 0)\n" << usage;
        return 2;
      }
      continue;
    }
    if (a == "--digest-algorithms") {
      auth_option = true;
      std::string_view v = o.value;
      offered.clear();
      for (bool more = true; more;) {
        std::size_t const comma = v.find(',');
        more = comma != std::string_view::npos;
        std::string_view const name = v.substr(0, comma);
        auto const alg = name.empty() ? std::nullopt : digest::parse_algorithm(name);
        if (!alg || std::find(offered.begin(), offered.end(), *alg) != offered.end()) {
          std::cerr << "sca-server: bad --digest-algorithms '" << o.value << "' (SHA-256 and/or MD5)\n" << usage;
          return 2;
        }
        offered.push_back(*alg);
        if (more) v.remove_prefix(comma + 1);
      }
      continue;
    }
    if (a == "--line-user") {
      auth_option = true;
      std::string_view const v = o.value;
      std::size_t const eq = v.find('=');
      if (eq == 0 || eq == std::string_view::npos || eq + 1 == v.size()) {
        std::cerr << "sca-server: bad --line-user '" << v << "' (LINE=USER)\n" << usage;
        return 2;
      }
      std::string_view const l = v.substr(0, eq);
      line_users_map[l.starts_with("sip:") ? std::string(l) : "sip:" + std::string(l) + "@127.0.0.1"].emplace(
          v.substr(eq + 1));
      continue;
    }
    if (a == "--line") {
      std::string_view const v = o.value;
      std::string line = v.starts_with("sip:") ? std::string(v) : "sip:" + std::string(v) + "@127.0.0.1";
      // The library refuses SUBSCRIBE and PUBLISH for a line no NOTIFY could
      // carry; a call on such a line would drive appearances nobody sees.
      if (!callinfo::line_is_writable(line)) {
        std::cerr << "sca-server: bad --line '" << v << "' (" << line << " is not an absoluteURI: %-escape it)\n"
                  << usage;
        return 2;
      }
      config.lines.push_back(std::move(line));
      continue;
    }
    if (a == "--port" || a == "--dialect") {
      std::string_view const v = o.value;
      if (a == "--dialect") {
        dialect = v;
        continue;
      }
      auto const [p, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
      if (ec != std::errc{} || p != v.data() + v.size() || port == 0 || port > 65535) {
        std::cerr << "sca-server: bad port '" << v << "'\n" << usage;
        return 2;
      }
      continue;
    }
  }
  // With Redis the state lives there, shared with the other servers: a state
  // file restored into one server's cache would overwrite theirs.
  if (shared.port != 0 && !state_file.empty()) {
    std::cerr << "sca-server: --state and --redis exclude each other (Redis keeps the state)\n" << usage;
    return 2;
  }
  if (credentials_file.empty() && auth_option) {
    std::cerr << "sca-server: --realm, --line-user, --digest-algorithms and --nonce-lifetime need --credentials\n"
              << usage;
    return 2;
  }
  if (!credentials_file.empty()) {
    config.auth =
        load_authentication(credentials_file, realm, std::move(line_users_map), std::move(offered), nonce_lifetime);
    if (!config.auth) return 2;
  }
  if (dialect != "default" && dialect != "opensips" && dialect != "broadworks") {
    std::cerr << "sca-server: unknown dialect '" << dialect << "'\n" << usage;
    return 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (su_init() != 0) return 1;
  su_root_t* root = su_root_create(nullptr);
  if (root == nullptr) return 1;
  std::string const url = "sip:127.0.0.1:" + std::to_string(port) + ";transport=udp";
  config.port = port;
  int status = 0;
  if (dialect == "opensips")
    status = serve<opensips_policies>(root, url, dialect, config, state_file, shared);
  else if (dialect == "broadworks")
    status = serve<broadworks_policies>(root, url, dialect, config, state_file, shared);
  else
    status = serve<default_policies>(root, url, dialect, config, state_file, shared);
  su_root_destroy(root);
  su_deinit();
  return status;
}
