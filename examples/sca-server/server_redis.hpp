// sca-server — the Redis connections of --redis: the command connection the
// storage runs its transactions on, the subscribed one that brings the other
// servers' changes, and the expiries any server may claim. The requests
// themselves take the same calls as without Redis.
#pragma once

#include "server.hpp"

#include <string>

namespace sca {

template <class Policies>
inline bool sca_server<Policies>::use_redis(shared_config const& c) {
  redis_cmd_ = redisConnect(c.host.c_str(), c.port);
  redis_sub_ = redisConnect(c.host.c_str(), c.port);
  if (redis_cmd_ == nullptr || redis_cmd_->err || redis_sub_ == nullptr || redis_sub_->err) return false;
  server_.storage() = callinfo::redis::storage(redis_cmd_, c.node);
  if (callinfo::redis::start(server_) != callinfo::storage_status::ok ||
      server_.storage().subscribe(redis_sub_) != callinfo::storage_status::ok)
    return false;
  last_dialog_ = callinfo::dialog_id{server_.storage().node()} << 52;
  return true;
}
// Changes made through the other servers, then due expiries (once a second).
template <class Policies>
inline void sca_server<Policies>::poll_shared() {
  if (!sharing()) return;
  auto const sink = [&](callinfo::effect const& e) { carry_out(e, nullptr); };
  if (auto const st = callinfo::redis::drain(server_, redis_sub_, sink, 0); st != callinfo::storage_status::ok)
    log_line("redis: change messages: " + std::string(callinfo::to_string(st)));
  callinfo::time_point const now = server_.clock().now();
  if (now < next_expiry_) return;
  next_expiry_ = now + callinfo::time_point(1000);
  if (auto const st = callinfo::redis::expire_due(server_, sink); st != callinfo::storage_status::ok)
    log_line("redis: expiry: " + std::string(callinfo::to_string(st)));
}

}  // namespace sca
