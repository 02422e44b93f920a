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
// An entity-tag's serial is such an id; its secret is SipHash-2-4 of the
// serial under a key each server draws at construction (as random_ids), so
// tags are unique across the servers and unguessable.
#pragma once

#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/policy/ids.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace callinfo::inline v1::redis {

/// Bits of an id that number the server: at most 4096 servers share one Redis.
inline constexpr unsigned node_bits = 12;
inline constexpr std::uint32_t max_node = (1u << node_bits) - 1;  ///< The largest server number.

/// The server that handed out `id` (and so owns the subscription).
constexpr std::uint32_t owner_of(std::uint64_t id) noexcept { return static_cast<std::uint32_t>(id >> 52); }

/// The Ids policy of servers that share one Redis: ids and entity-tags unique across every server,
/// each id made of the server's number, a boot number and a counter.
class cluster_ids {
 public:
  cluster_ids() : key_(callinfo::detail::random_key()) {}
  /// A fixed key: reproducible tags (tests of the policy itself).
  explicit cluster_ids(callinfo::detail::siphash_key key) noexcept : key_(key) {}

  /// Sets the server's number and its boot number (20 bits are kept).
  void start(std::uint32_t node, std::uint64_t boot) noexcept {
    node_ = node & max_node;
    boot_ = boot & 0xfffff;
    counters_ = {};
  }
  /// Called for a fresh boot number when a counter runs out.
  void on_exhausted(std::function<std::uint64_t()> renew) { renew_ = std::move(renew); }

  /// The next subscription id: node, boot and counter.
  subscription_id next_subscription() { return next(0); }
  /// The next publication id: node, boot and counter.
  publication_id next_publication() { return next(1); }
  /// The next entity-tag: a cluster-unique serial and its MAC.
  etag_value next_etag() {
    std::uint64_t const serial = next(2);
    return {serial, callinfo::detail::siphash24(key_, serial)};
  }
  /// The server's number, as start() set it.
  std::uint32_t node() const noexcept { return node_; }

  /// The last id of each kind handed out under the current node and boot
  /// (0: none yet).
  id_counters counters() const noexcept { return {full(0), full(1), full(2)}; }
  /// Continues past a snapshot's ids that carry this server's node and boot
  /// (a restart without a new boot number, e.g. before start()); ids of
  /// another node or boot cannot collide with this one's.
  void reserve(id_counters c) noexcept {
    std::uint64_t const ids[] = {c.subscription, c.publication, c.etag};
    for (std::size_t k = 0; k < 3; ++k)
      if ((ids[k] >> 32) == prefix() && (ids[k] & 0xffffffffu) > counters_[k]) counters_[k] = ids[k] & 0xffffffffu;
  }

 private:
  std::uint64_t prefix() const noexcept { return (std::uint64_t{node_} << 20) | boot_; }
  std::uint64_t full(std::size_t kind) const noexcept {
    return counters_[kind] == 0 ? 0 : (prefix() << 32) | counters_[kind];
  }
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
  callinfo::detail::siphash_key key_;
};

}  // namespace callinfo::v1::redis
