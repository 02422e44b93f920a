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

class counter_ids {
 public:
  subscription_id next_subscription() noexcept { return ++subscription_; }
  publication_id next_publication() noexcept { return ++publication_; }
  std::uint64_t next_etag() noexcept { return ++etag_; }
  // After a restore, continue past the ids that the snapshot holds.
  void reserve(subscription_id s, publication_id p, std::uint64_t e) noexcept {
    if (s > subscription_) subscription_ = s;
    if (p > publication_) publication_ = p;
    if (e > etag_) etag_ = e;
  }

 private:
  subscription_id subscription_ = 0;
  publication_id publication_ = 0;
  std::uint64_t etag_ = 0;
};

}  // namespace callinfo
