// sca-server — the configuration the command line gives the server: the
// dialog-driven mode's routes and lines, and the Redis it shares state
// through.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sca {

class authenticator;  // auth.hpp

// The server's SIP configuration: its port, nta's transaction timeout, and
// the dialog-driven mode's routes (where calls go) and shared lines.
struct proxy_config {
  unsigned port = 0;                          // the server's own port (Record-Route, Route)
  unsigned transaction_timeout_ms = 0;        // the longest nta keeps a transaction; 0: nta's timers
  std::map<std::string, std::string> routes;  // AOR user -> "127.0.0.1:port"
  std::vector<std::string> lines;             // shared lines' AORs, "sip:user@127.0.0.1"
  // --credentials: digest authentication and the users of each line
  // (auth.hpp); null: every request is served as it comes (open).
  std::shared_ptr<authenticator> auth;
};

// --redis HOST:PORT --node N (port 0: no Redis, the state is this server's own).
struct shared_config {
  std::string host;
  int port = 0;
  std::uint32_t node = 0;
};

}  // namespace sca
