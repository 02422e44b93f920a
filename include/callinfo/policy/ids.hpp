// callinfo — Ids policies: subscription and publication ids, entity-tags.
//
// counter_ids counts from 1, which is what tests and replays want. A
// deployment where ETags must not be guessable supplies its own policy
// (for example one seeded from a CSPRNG) with the same members.
#pragma once

#include <callinfo/model/ids.hpp>

#include <concepts>
#include <cstdint>

namespace callinfo {

template <class I>
concept ids_policy = requires(I& i) {
  { i.next_subscription() } -> std::same_as<subscription_id>;
  { i.next_publication() } -> std::same_as<publication_id>;
  { i.next_etag() } -> std::same_as<std::uint64_t>;
};

// The numbers an Ids policy has handed out, kept across snapshot/restore.
struct id_counters {
  std::uint64_t subscription = 0, publication = 0, etag = 0;
};

class counter_ids {
 public:
  subscription_id next_subscription() noexcept { return ++subscription_; }
  publication_id next_publication() noexcept { return ++publication_; }
  std::uint64_t next_etag() noexcept { return ++etag_; }
  id_counters counters() const noexcept { return {subscription_, publication_, etag_}; }
  // After a restore, continue past the ids that the snapshot holds.
  void reserve(id_counters c) noexcept {
    if (c.subscription > subscription_) subscription_ = c.subscription;
    if (c.publication > publication_) publication_ = c.publication;
    if (c.etag > etag_) etag_ = c.etag;
  }

 private:
  subscription_id subscription_ = 0;
  publication_id publication_ = 0;
  std::uint64_t etag_ = 0;
};

}  // namespace callinfo
