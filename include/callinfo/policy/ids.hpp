// callinfo — Ids policies: subscription and publication ids, entity-tags.
//
// An entity-tag (RFC 3903 §4) is all a publisher shows to modify or remove
// its publication, so it must not be guessable: RFC 3903 §13 asks for
// tags an attacker cannot predict. The server writes an etag_value as
// `<serial>` or `<serial>.<secret>` (serial in base 36, secret in base 32):
// the serial keeps tags unique, the secret keeps them unguessable.
//
//   random_ids   the default: counters for subscription and publication ids
//                (the stack's own handles, never on the wire), and every
//                entity-tag with 64 bits of SipHash-2-4 of its serial under
//                a 128-bit key drawn from std::random_device at construction.
//   counter_ids  deterministic, for tests and replays: ids and tags count
//                from 1 and tags carry no secret (`1`, `2`, ...).
//
// Every policy reports what it has handed out (counters()) and takes a
// snapshot's numbers back (reserve()), so a restored server never hands out
// an id or a tag twice (presence/snapshot.hpp).
#pragma once

#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/policy/detail/siphash.hpp>

#include <concepts>
#include <cstdint>
#include <random>

namespace callinfo::inline v1 {

/// One entity-tag as an Ids policy hands it out; secret 0: none.
struct etag_value {
  std::uint64_t serial = 0;  ///< counts from 1: unique among the tags handed out
  std::uint64_t secret = 0;  ///< the MAC that makes the tag unguessable (0: none)
  friend constexpr bool operator==(etag_value, etag_value) noexcept = default;  ///< Field-wise equality.
};

/// The numbers an Ids policy has handed out last, kept across snapshot/restore.
struct id_counters {
  /// @{
  std::uint64_t subscription = 0, publication = 0, etag = 0;  ///< the last id or serial of each kind
  /// @}
  friend constexpr bool operator==(id_counters, id_counters) noexcept = default;  ///< Field-wise equality.
};

/// The Ids policy: subscription and publication ids, entity-tags, and the counters snapshots keep.
template <class I>
concept ids_policy = requires(I& i, I const& ci, id_counters c) {
  { i.next_subscription() } -> std::same_as<subscription_id>;
  { i.next_publication() } -> std::same_as<publication_id>;
  { i.next_etag() } -> std::same_as<etag_value>;
  { ci.counters() } -> std::same_as<id_counters>;
  i.reserve(c);  // continue past the ids a snapshot holds
};

/// Deterministic ids, for tests and replays: everything counts from 1 and tags carry no secret.
class counter_ids {
 public:
  /// The next subscription id (1, 2, ...).
  subscription_id next_subscription() noexcept { return ++c_.subscription; }
  /// The next publication id (1, 2, ...).
  publication_id next_publication() noexcept { return ++c_.publication; }
  /// The next entity-tag: a serial without a secret.
  etag_value next_etag() noexcept { return {++c_.etag, 0}; }
  /// What has been handed out so far.
  id_counters counters() const noexcept { return c_; }
  /// Continues past `c` (a restored snapshot's counters); never goes back.
  void reserve(id_counters c) noexcept {
    if (c.subscription > c_.subscription) c_.subscription = c.subscription;
    if (c.publication > c_.publication) c_.publication = c.publication;
    if (c.etag > c_.etag) c_.etag = c.etag;
  }

 private:
  id_counters c_;
};

namespace detail {
// 128 bits from the platform's entropy source (getrandom(2) or
// /dev/urandom for libstdc++ and libc++ on Linux).
inline siphash_key random_key() {
  std::random_device rd;
  auto const u64 = [&] { return (std::uint64_t{rd()} << 32) | std::uint64_t{rd()}; };
  siphash_key k;
  k.k0 = u64();
  k.k1 = u64();
  return k;
}
}  // namespace detail

/// The default Ids policy: counted ids, and entity-tags whose serial carries a SipHash-2-4 MAC
/// under a random key (RFC 3903 §13).
class random_ids {
 public:
  /// A key drawn from std::random_device.
  random_ids() : key_(detail::random_key()) {}
  /// A fixed key: reproducible tags (tests of the policy itself).
  explicit random_ids(detail::siphash_key key) noexcept : key_(key) {}

  /// The next subscription id (counted).
  subscription_id next_subscription() noexcept { return counters_.next_subscription(); }
  /// The next publication id (counted).
  publication_id next_publication() noexcept { return counters_.next_publication(); }
  /// The next entity-tag: the next serial and its MAC.
  etag_value next_etag() noexcept {
    etag_value v = counters_.next_etag();
    v.secret = detail::siphash24(key_, v.serial);
    return v;
  }
  /// What has been handed out so far.
  id_counters counters() const noexcept { return counters_.counters(); }
  /// Continues past `c` (a restored snapshot's counters); never goes back.
  void reserve(id_counters c) noexcept { counters_.reserve(c); }

 private:
  counter_ids counters_;
  detail::siphash_key key_;
};

}  // namespace callinfo::v1
