// sca-server — serve(), instantiated for each dialect: the one source that
// compiles sca_server, and with it the library's header parsers.
#include "serve.hpp"

#include "server_auth.hpp"
#include "server_presence.hpp"
#include "server_proxy.hpp"
#include "server_redis.hpp"
#include "server_state.hpp"
#include "state_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace sca {

std::atomic<bool> stop_requested{false};

template <class Policies>
int serve(su_root_t* root, std::string const& url, std::string_view dialect_name, proxy_config const& config,
          std::string const& state_file, shared_config const& shared) {
  sca_server<Policies> server(root, url, config);
  if (!server.ok()) {
    log_line("cannot listen on " + url);
    return 1;
  }
  if (shared.port != 0) {
    if (!server.use_redis(shared)) {
      log_line("cannot use Redis at " + shared.host + ":" + std::to_string(shared.port));
      return 1;
    }
    log_line("sharing state through Redis at " + shared.host + ":" + std::to_string(shared.port) + " as node " +
             std::to_string(shared.node));
  }
  if (!state_file.empty()) {
    std::ifstream in(state_file, std::ios::binary);
    if (!in && errno == ENOENT) {
      log_line("state file " + state_file + " does not exist yet: starting empty");
    } else if (!in) {
      log_line("cannot read state file " + state_file + ": " + std::strerror(errno));
      return 2;
    } else {
      std::ostringstream buf;
      buf << in.rdbuf();
      std::string const text = buf.str();
      if (std::optional<std::size_t> const bad = server.restore(text)) {
        log_line("state file " + state_file + ": " + position_of(text, *bad) + ": record " + record_at(text, *bad) +
                 " is not valid (nothing restored)");
        return 2;
      }
      log_line("restored from " + state_file + ": " + state_summary(text, server.call_count()));
    }
  }
  log_line("listening on " + url + " (dialect " + std::string(dialect_name) + ")");
  while (!stop_requested) {
    su_root_step(root, 100);
    server.poll_shared();
    server.reap();
  }
  log_line("shutting down");
  // Before the subscriptions end: answered requests' transactions are gone
  // once their timer J has run (--transaction-timeout after the answer).
  log_line("nta at shutdown: " + server.nta_alive());
  int status = 0;
  if (state_file.empty()) {
    // Without a state file nothing survives the stop: tell the watchers.
    if (std::size_t const n = server.deactivate_all(500); n != 0)
      log_line("ended " + std::to_string(n) + " subscriptions (reason=deactivated)");
  } else {
    std::string const text = server.state();
    if (std::optional<std::string> const error = write_atomically(state_file, text)) {
      log_line("state not saved: " + *error);
      status = 1;
    } else {
      log_line("state saved to " + state_file + ": " + state_summary(text, server.call_count()));
    }
  }
  log_line(server.stats().text());
  return status;
}

template int serve<default_policies>(su_root_t*, std::string const&, std::string_view, proxy_config const&,
                                     std::string const&, shared_config const&);
template int serve<opensips_policies>(su_root_t*, std::string const&, std::string_view, proxy_config const&,
                                      std::string const&, shared_config const&);
template int serve<broadworks_policies>(su_root_t*, std::string const&, std::string_view, proxy_config const&,
                                        std::string const&, shared_config const&);

}  // namespace sca
