// callinfo-redis-node: one presence server sharing its state through Redis,
// driven over stdin/stdout by tests/redis/cluster_test.py.
//
//   callinfo-redis-node HOST PORT NODE
//
// Commands, one a line; each answer is the effects, one a line, then
// "= <status>" (a NOTIFY to a dialog;shared watcher shows its version).
// Effects that change messages from other servers cause are printed as they
// come, prefixed "~ ".
//   time MS                                   set the clock (all nodes share one time line)
//   sub LINE WATCHER PACKAGE EXPIRES [INDEX]  SUBSCRIBE (PACKAGE: call-info, line-seize (appearance
//                                             INDEX), dialog;shared)
//   refresh ID EXPIRES [PACKAGE]              SUBSCRIBE inside the dialog (the line is looked up)
//   pub LINE EXPIRES ETAG|- CALL-INFO|-       PUBLISH (the rest of the line is the Call-Info)
//   dialog LINE DIALOG SIDE PHASE INDEX       a call on the line
//   release LINE INDEX|*                      management release
//   update LINE INDEX STATE                   management update (no remote party)
//   end ID REASON                             end_subscription (the line is looked up)
//   failed ID STATUS                          on_notify_failed (the line is looked up)
//   endall                                    end_all_subscriptions(deactivated): this node's own
//   expire                                    expire_due()
//   next                                      next_deadline()
//   show LINE                                 the line as Redis holds it
//   stats | quit
#include <callinfo/redis/storage.hpp>
#include <callinfo/adapters/call_info.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

// The same calls as an in-memory server; the clock set by the test.
struct node_policies : callinfo::test_policies {
  using storage = callinfo::redis::storage;
  using ids = callinfo::redis::cluster_ids;
};
using shared = callinfo::basic_server<node_policies>;

void print_line(std::string const& prefix, callinfo::line_view v) {
  std::printf("%sline=%.*s apps=", prefix.c_str(), static_cast<int>(v.uri.size()), v.uri.data());
  if (v.busy.empty()) std::printf("-");
  bool first = true;
  for (auto const& a : v.busy) {
    auto const st = callinfo::to_string(a.state);
    auto const kind = callinfo::to_string(a.driver.kind);
    std::printf("%s%u:%.*s:%.*s", first ? "" : ",", a.index, static_cast<int>(st.size()), st.data(),
                static_cast<int>(kind.size()), kind.data());
    first = false;
  }
  std::printf("\n");
}

struct printer {
  std::string prefix;
  void operator()(callinfo::effect const& e) const {
    using namespace callinfo;
    if (auto const* r = std::get_if<response>(&e)) {
      auto const pkg = to_string(r->event);
      std::printf("%sresponse %u %.*s sub=%llu expires=%s etag=%.*s\n", prefix.c_str(), r->code,
                  static_cast<int>(pkg.size()), pkg.data(), static_cast<unsigned long long>(r->subscription),
                  r->expires ? std::to_string(*r->expires).c_str() : "-",
                  static_cast<int>(r->etag.empty() ? 1 : r->etag.size()), r->etag.empty() ? "-" : r->etag.data());
    } else if (auto const* n = std::get_if<notify>(&e)) {
      auto const pkg = to_string(n->event);
      auto const st = to_string(n->state);
      std::string reason = n->reason ? ";" + std::string(to_string(*n->reason)) : "";
      // dialog;shared: the dialog-info version too.
      std::string const version = n->event == event_package::dialog_shared ? "version=" + std::to_string(n->version) + " " : "";
      print_line(prefix + "notify " + std::to_string(n->subscription) + " " + std::string(pkg) + " " +
                     std::string(st) + reason + " seized=" + std::to_string(n->seized_index) + " " + version,
                 n->line);
    } else if (auto const* c = std::get_if<appearance_changed>(&e)) {
      auto const from = to_string(c->from), to = to_string(c->to);
      std::printf("%schanged %.*s %u %.*s %.*s\n", prefix.c_str(), static_cast<int>(c->line.size()), c->line.data(),
                  c->index, static_cast<int>(from.size()), from.data(), static_cast<int>(to.size()), to.data());
    }
  }
};

std::optional<callinfo::event_package> package(std::string const& s) {
  if (s == "call-info") return callinfo::event_package::call_info;
  if (s == "line-seize") return callinfo::event_package::line_seize;
  if (s == "dialog;shared") return callinfo::event_package::dialog_shared;
  return std::nullopt;
}

std::optional<callinfo::dialog_phase> phase(std::string const& s) {
  using p = callinfo::dialog_phase;
  for (auto v : {p::early, p::confirmed, p::hold, p::resume, p::terminated, p::failed})
    if (s == callinfo::to_string(v)) return v;
  return std::nullopt;
}

// Runs one command; returns false on "quit".
bool run(shared& node, std::string const& text) {
  using namespace callinfo;
  std::istringstream in(text);
  std::string cmd;
  in >> cmd;
  printer out;
  storage_status st = storage_status::ok;
  // Each call's outcome: a transaction Redis could not serve says why.
  auto done = [&] { st = node.last_storage_status(); };
  if (cmd == "quit") return false;
  if (cmd == "time") {
    long long ms = 0;
    in >> ms;
    node.clock().set(time_point(ms));
  } else if (cmd == "sub") {
    std::string line, watcher, pkg;
    std::uint32_t expires = 0, index = 0;
    in >> line >> watcher >> pkg >> expires >> index;
    subscribe_request r;
    r.event = package(pkg).value_or(event_package::call_info);
    r.line = line;
    r.watcher = watcher;
    r.expires = expires;
    std::string const ci = "<" + line + ">;appearance-index=" + std::to_string(index);
    if (index != 0) {
      auto v = parse_call_info(ci);
      if (v) r.seize = seize_target_of(*v);
    }
    node.on_subscribe(r, out);
    done();
  } else if (cmd == "refresh") {
    subscription_id id = 0;
    std::uint32_t expires = 0;
    std::string pkg = "call-info";
    in >> id >> expires >> pkg;
    subscribe_request r;
    r.event = package(pkg).value_or(event_package::call_info);
    r.subscription = id;
    r.expires = expires;
    node.on_subscribe(r, out);
    done();
  } else if (cmd == "pub") {
    std::string line, etag, rest;
    std::uint32_t expires = 0;
    in >> line >> expires >> etag;
    std::getline(in >> std::ws, rest);
    publish_request r;
    r.line = line;
    r.expires = expires;
    if (etag != "-") r.if_match = etag;
    callinfo::call_info_updates reader;
    if (rest != "-" && !rest.empty()) {
      auto v = parse_call_info(rest);
      if (v && !reader.read(*v)) r.appearances = reader.updates();
    }
    node.on_publish(r, out);
    done();
  } else if (cmd == "dialog") {
    std::string line, side, ph;
    dialog_event d;
    std::uint32_t index = 1;
    in >> line >> d.dialog >> side >> ph >> index;
    d.line = line;
    d.side = side == "callee" ? dialog_side::callee : dialog_side::caller;
    d.phase = phase(ph).value_or(dialog_phase::early);
    d.appearance_index = index;
    node.on_dialog(d, out);
    done();
  } else if (cmd == "release") {
    std::string line, index;
    in >> line >> index;
    std::optional<std::uint32_t> i;
    if (index != "*") i = static_cast<std::uint32_t>(std::stoul(index));
    node.release(line, i, out);
    done();
  } else if (cmd == "update") {
    std::string line, state;
    std::uint32_t index = 0;
    in >> line >> index >> state;
    auto const to = to_appearance_state(state);
    state_change const c = node.update(line, index, to.value_or(appearance_state::idle), {}, out);
    done();
    auto const r = to_string(c.result);
    std::printf("update %.*s\n", static_cast<int>(r.size()), r.data());
  } else if (cmd == "end" || cmd == "failed") {
    subscription_id id = 0;
    std::string arg;
    in >> id >> arg;
    subscription_end const e = cmd == "end" ? node.end_subscription(id, to_event_reason(arg), out)
                                            : node.on_notify_failed(id, static_cast<std::uint16_t>(std::stoul(arg)), out);
    done();
    char const* const names[] = {"ended", "kept", "unknown"};
    std::printf("%s %s\n", cmd.c_str(), names[static_cast<int>(e)]);
  } else if (cmd == "endall") {
    std::size_t const n = node.end_all_subscriptions(event_reason::deactivated, out);
    done();
    std::printf("endall %zu\n", n);
  } else if (cmd == "expire") {
    std::size_t n = 0;
    st = redis::expire_due(node, out, &n);
    std::printf("expired %zu\n", n);
  } else if (cmd == "next") {
    auto const at = node.storage().next_deadline();
    std::printf("next %s\n", at ? std::to_string(at->count()).c_str() : "-");
  } else if (cmd == "show") {
    std::string line;
    in >> line;
    line_view const v = node.line(line);
    done();
    if (st == storage_status::ok) print_line("", v);
  } else if (cmd == "stats") {
    auto const& s = node.storage().stats();
    std::printf("stats attempts=%llu commits=%llu conflicts=%llu messages=%llu\n",
                static_cast<unsigned long long>(s.attempts), static_cast<unsigned long long>(s.commits),
                static_cast<unsigned long long>(s.conflicts), static_cast<unsigned long long>(s.messages));
  } else {
    std::printf("error unknown command\n");
  }
  auto const name = to_string(st);
  std::printf("= %.*s\n", static_cast<int>(name.size()), name.data());
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: callinfo-redis-node HOST PORT NODE\n");
    return 2;
  }
  int const port = std::atoi(argv[2]);
  redisContext* cmd = redisConnect(argv[1], port);
  redisContext* sub = redisConnect(argv[1], port);
  if (cmd == nullptr || cmd->err || sub == nullptr || sub->err) {
    std::fprintf(stderr, "callinfo-redis-node: cannot connect to %s:%d\n", argv[1], port);
    return 1;
  }
  auto node = std::make_unique<shared>(callinfo::redis::storage(cmd, static_cast<std::uint32_t>(std::atoi(argv[3]))));
  if (callinfo::redis::start(*node) != callinfo::storage_status::ok ||
      node->storage().subscribe(sub) != callinfo::storage_status::ok) {
    std::fprintf(stderr, "callinfo-redis-node: Redis refused start\n");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);

  printer async{"~ "};
  std::string pending;
  for (;;) {
    pollfd fds[2] = {{0, POLLIN, 0}, {sub->err ? -1 : sub->fd, POLLIN, 0}};
    ::poll(fds, 2, 100);
    // Change messages first: what another node did before this command.
    callinfo::redis::drain(*node, sub, async, 0);
    std::fflush(stdout);
    if (fds[0].revents & (POLLIN | POLLHUP)) {
      char buf[4096];
      ssize_t const n = ::read(0, buf, sizeof buf);
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        std::string const line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (!run(*node, line)) {
          node.reset();
          redisFree(sub);
          redisFree(cmd);
          return 0;
        }
      }
    }
  }
  node.reset();
  redisFree(sub);
  redisFree(cmd);
  return 0;
}
