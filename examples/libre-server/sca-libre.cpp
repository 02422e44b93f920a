// sca-libre — a call-info / line-seize presence server on libre's SIP stack.
//
//   sca-libre [--port N] [--dialect default|opensips|broadworks]
//
// Listens on udp 127.0.0.1:N (default 5070) and serves
//   SUBSCRIBE   Event: call-info, line-seize   (RFC 6665: initial, and
//                                               refreshes / unsubscribes in
//                                               the subscription's dialog)
//   PUBLISH     Event: call-info               (RFC 3903, third-party state)
//   OPTIONS
// with a callinfo::basic_server (libre_server.hpp: how its effects become
// libre calls). The same server as sca-server on Sofia-SIP, on a second
// stack: the library does no I/O, so hosting it is the stack's side alone.
//
// Every request, response, NOTIFY and state change is logged on one line to
// stderr. SIGINT / SIGTERM end every subscription (terminated;
// reason=deactivated), wait up to 500 ms for the NOTIFYs' answers and exit.
#include "../common/cli.hpp"
#include "libre_server.hpp"
#include "examples_version.hpp"

#include <callinfo/policy/bundles.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <string_view>

namespace {

using namespace sca_libre;

struct opensips_policies : callinfo::default_policies {
  using dialect = callinfo::opensips_dialect;
};
struct broadworks_policies : callinfo::default_policies {
  using dialect = callinfo::broadworks_dialect;
};

// libre calls it from its main loop (not from the signal itself).
void stop(int) { re_cancel(); }

// Runs libre's loop until the NOTIFYs are answered or `ms` have passed.
template <class Server>
void drain(Server& server, std::uint64_t ms) {
  std::uint64_t const until = tmr_jiffies() + ms;
  tmr tick;
  tmr_init(&tick);
  while (server.pending_notifies() != 0 && tmr_jiffies() < until) {
    tmr_start(&tick, 20, [](void*) { re_cancel(); }, nullptr);  // one turn of at most 20 ms
    (void)re_main(nullptr);
  }
  tmr_cancel(&tick);
}

template <class Policies>
int serve(struct sip* sip, std::string const& where, std::string_view dialect) {
  libre_server<Policies> server(sip);
  if (!server.listen()) {
    log_line("cannot listen");
    return 1;
  }
  log_line("listening on udp " + where + " (dialect " + std::string(dialect) + ")");
  (void)re_main(stop);  // until SIGINT / SIGTERM
  log_line("shutting down");
  if (std::size_t const n = server.deactivate_all(); n != 0)
    log_line("ended " + std::to_string(n) + " subscriptions (reason=deactivated)");
  drain(server, 500);
  return 0;
}

constexpr callinfo_examples::program_info program{
    "sca-libre", CALLINFO_EXAMPLES_VERSION,
    "Usage: sca-libre [--port N] [--dialect default|opensips|broadworks]\n"
    "Serves call-info and line-seize SUBSCRIBE and call-info PUBLISH on libre, udp 127.0.0.1:N.\n"
    "\n"
    "      --port N          the UDP port (default 5070)\n"
    "      --dialect D       default, opensips or broadworks (default: default)\n"
    "  -h, --help            print this help and exit\n"
    "      --version         print the version and exit\n"};

int usage(std::string_view why) { return callinfo_examples::usage_error(program, why); }

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 5070;
  std::string dialect = "default";
  static constexpr callinfo_examples::option_spec specs[] = {
      callinfo_examples::help_option, callinfo_examples::version_option, {"port", 0, true}, {"dialect", 0, true}};
  callinfo_examples::command_line cl;
  if (auto const done = callinfo_examples::run_standard_options(program, argc, argv, specs, cl)) return *done;
  if (!cl.operands.empty()) return usage("unexpected argument '" + std::string(cl.operands[0]) + "'");
  for (callinfo_examples::parsed_option const& o : cl.options) {
    if (o.name == "port") {
      std::string const v(o.value);
      char* end = nullptr;
      unsigned long const p = std::strtoul(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || p == 0 || p > 65535) return usage("bad --port '" + v + "'");
      port = static_cast<unsigned>(p);
    } else if (o.name == "dialect") {
      dialect = o.value;
      if (dialect != "default" && dialect != "opensips" && dialect != "broadworks")
        return usage("unknown dialect '" + dialect + "'");
    }
  }

  if (int const err = libre_init(); err != 0) {
    std::cerr << "sca-libre: " << std::strerror(err) << "\n";
    return 1;
  }
  // No DNS client: every peer here is an IP address (a Contact, a Route).
  struct sip* sip = nullptr;
  sa local{};
  int status = 1;
  std::string const where = "127.0.0.1:" + std::to_string(port);
  if (sip_alloc(&sip, nullptr, 32, 32, 32, "sca-libre", nullptr, nullptr) != 0 ||
      sa_set_str(&local, "127.0.0.1", static_cast<std::uint16_t>(port)) != 0 ||
      sip_transp_add(sip, SIP_TRANSP_UDP, &local) != 0) {
    log_line("cannot listen on udp " + where);
  } else if (dialect == "opensips") {
    status = serve<opensips_policies>(sip, where, dialect);
  } else if (dialect == "broadworks") {
    status = serve<broadworks_policies>(sip, where, dialect);
  } else {
    status = serve<callinfo::default_policies>(sip, where, dialect);
  }
  if (sip != nullptr) {
    sip_close(sip, true);
    mem_deref(sip);
  }
  libre_close();
  return status;
}
