// sca-server — sca_server's state shared through Redis (--redis, built
// with hiredis): the connections, the other servers' changes and the
// expiries, and the requests run as transactions on their line.
#pragma once

#include "server.hpp"

#if SCA_SERVER_REDIS

#include <memory>
#include <string>

namespace sca {

template <class Policies>
inline bool sca_server<Policies>::use_redis(shared_config const& c) {
  redis_cmd_ = redisConnect(c.host.c_str(), c.port);
  redis_sub_ = redisConnect(c.host.c_str(), c.port);
  if (redis_cmd_ == nullptr || redis_cmd_->err || redis_sub_ == nullptr || redis_sub_->err) return false;
  shared_ = std::make_unique<shared_type>(redis_cmd_, c.node);
  if (shared_->start() != callinfo::redis::status::ok || shared_->subscribe(redis_sub_) != callinfo::redis::status::ok)
    return false;
  last_dialog_ = callinfo::dialog_id{shared_->node()} << 52;
  return true;
}
// Changes made through the other servers, then due expiries (once a second).
template <class Policies>
inline void sca_server<Policies>::poll_shared() {
  if (!shared_) return;
  auto const sink = [&](callinfo::effect const& e) { carry_out(e, nullptr); };
  if (auto const st = shared_->drain(redis_sub_, sink, 0); st != callinfo::redis::status::ok)
    log_line("redis: change messages: " + std::string(callinfo::redis::to_string(st)));
  callinfo::time_point const now = shared_->server().clock().now();
  if (now < next_expiry_) return;
  next_expiry_ = now + callinfo::time_point(1000);
  if (auto const st = shared_->expire_due(sink); st != callinfo::redis::status::ok)
    log_line("redis: expiry: " + std::string(callinfo::redis::to_string(st)));
}
// The request's effects, or 500 when Redis could not take the call.
template <class Policies>
template <class Call>
inline void sca_server<Policies>::shared_call(incoming* in, Call&& call) {
  auto const st = call(*shared_, [&](callinfo::effect const& e) { carry_out(e, in); });
  if (st == callinfo::redis::status::ok) return;
  log_line("redis: " + std::string(callinfo::redis::to_string(st)));
  if (in != nullptr && in->irq != nullptr) {
    reply(in->irq, 500, "Server Internal Error", "Retry-After: 1\r\n");
    in->irq = nullptr;
  }
}

}  // namespace sca

#endif  // SCA_SERVER_REDIS
