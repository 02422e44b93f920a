// sca-server — what main() runs: serve<Policies>() serves with one
// dialect's policies until SIGINT / SIGTERM. Defined and instantiated for
// the three dialects in serve.cpp.
#pragma once

#include "auth.hpp"
#include "config.hpp"
#include "nta_glue.hpp"

#include <callinfo/policy/clock.hpp>
#include <callinfo/policy/bundles.hpp>
#include <callinfo/redis/storage.hpp>

#include <atomic>
#include <string>
#include <string_view>

namespace sca {

// Set by SIGINT / SIGTERM: serve() stops.
extern std::atomic<bool> stop_requested;

// One set of policies with or without --redis: redis::storage keeps the
// state in this process until use_redis() gives it a connection.
// steady_clock: one time line for every process on the host, which is all
// --redis needs here (the server listens on 127.0.0.1 only).
struct default_policies : callinfo::default_policies {
  using clock = callinfo::steady_clock;
  using storage = callinfo::redis::storage;
  using ids = callinfo::redis::cluster_ids;  // before start(), numbered as counter_ids; tags unguessable
  using authorizer = line_authorizer;       // --credentials, --line-user (auth.hpp); open without
};
struct opensips_policies : default_policies {
  using dialect = callinfo::opensips_dialect;
};
struct broadworks_policies : default_policies {
  using dialect = callinfo::broadworks_dialect;
};

// Listens on `url`, restores `state_file` (when given and present), serves
// until stop_requested, then saves the state or ends the subscriptions.
// Returns the exit status.
template <class Policies>
int serve(su_root_t* root, std::string const& url, std::string_view dialect_name, proxy_config const& config,
          std::string const& state_file, shared_config const& shared);

extern template int serve<default_policies>(su_root_t*, std::string const&, std::string_view, proxy_config const&,
                                            std::string const&, shared_config const&);
extern template int serve<opensips_policies>(su_root_t*, std::string const&, std::string_view, proxy_config const&,
                                             std::string const&, shared_config const&);
extern template int serve<broadworks_policies>(su_root_t*, std::string const&, std::string_view, proxy_config const&,
                                               std::string const&, shared_config const&);

}  // namespace sca
