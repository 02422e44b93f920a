// callinfo — cluster_ids: subscription ids, publication ids and entity-tags
// unique across every server that shares one Redis.
//
// An id is (node << 52) | (boot << 32) | counter: the server's number (0–4095)
// in the high bits, so any server can tell which of them owns a subscription
// (and so holds its SIP dialog); a boot number that Redis hands out (INCR,
// kept across Redis restarts with AOF or RDB), so a restarted server never
// repeats an id of its previous life; and a 32-bit counter, one for each
// kind (as counter_ids: before start(), the ids are counter_ids' own). When a
// counter runs out, the Ids policy asks its renewer for a new boot number.
#pragma once

#include <callinfo/model/ids.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace callinfo::redis {

inline constexpr unsigned node_bits = 12;
inline constexpr std::uint32_t max_node = (1u << node_bits) - 1;

// The server that handed out `id` (and so owns the subscription).
constexpr std::uint32_t owner_of(std::uint64_t id) noexcept { return static_cast<std::uint32_t>(id >> 52); }

class cluster_ids {
 public:
  // Sets the server's number and its boot number (20 bits are kept).
  void start(std::uint32_t node, std::uint64_t boot) noexcept {
    node_ = node & max_node;
    boot_ = boot & 0xfffff;
    counters_ = {};
  }
  // Called for a fresh boot number when a counter runs out.
  void on_exhausted(std::function<std::uint64_t()> renew) { renew_ = std::move(renew); }

  subscription_id next_subscription() { return next(0); }
  publication_id next_publication() { return next(1); }
  std::uint64_t next_etag() { return next(2); }
  std::uint32_t node() const noexcept { return node_; }

 private:
  std::uint64_t next(std::size_t kind) {
    if (counters_[kind] == 0xffffffffu) {
      boot_ = (renew_ ? renew_() : boot_ + 1) & 0xfffff;
      counters_ = {};
    }
    return (std::uint64_t{node_} << 52) | (boot_ << 32) | ++counters_[kind];
  }
  std::uint32_t node_ = 0;
  std::uint64_t boot_ = 0;
  std::array<std::uint64_t, 3> counters_{};
  std::function<std::uint64_t()> renew_;
};

}  // namespace callinfo::redis
