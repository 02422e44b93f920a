// callinfo — the policy bundles of basic_server and their checks.
//
// A server is configured by one struct naming six policy types:
//
//   struct my_policies : callinfo::default_policies {
//     using dialect = callinfo::broadworks_dialect;
//   };
//   callinfo::basic_server<my_policies> server;
//
// default_policies is what a deployment wants: real time (steady_clock:
// subscriptions, seizes and publications expire) and unguessable
// entity-tags (random_ids). test_policies is deterministic: time moves only
// when the test says so (manual_clock) and ids count from 1 (counter_ids),
// for tests, replays and simulations.
//
// Each policy is checked by its concept with a one-line message, so a
// mistake reads "Clock requirements not met", not a template backtrace.
#pragma once

#include <callinfo/policy/authorizer.hpp>
#include <callinfo/policy/clock.hpp>
#include <callinfo/policy/dialect.hpp>
#include <callinfo/policy/ids.hpp>
#include <callinfo/policy/limits.hpp>
#include <callinfo/policy/storage.hpp>

namespace callinfo::inline v1 {

/// The policies of a production server: real time, in-memory storage, the default dialect and
/// unguessable entity-tags. Derive from it to replace one.
struct default_policies {
  using clock = steady_clock;       ///< std::chrono::steady_clock
  using storage = map_storage;      ///< in-memory hash maps
  using limits = default_limits;    ///< safe defaults
  using dialect = default_dialect;  ///< OpenSIPS' table, per-index seizes
  using authorizer = allow_all;     ///< everything allowed: the stack authorizes
  using ids = random_ids;           ///< unguessable entity-tags
};

/// The policies of tests and replays: a manual clock and counted ids, so every run is the same.
struct test_policies : default_policies {
  using clock = manual_clock;  ///< time moves only when told
  using ids = counter_ids;     ///< ids and tags count from 1
};

namespace detail {
template <class P>
constexpr bool check_policies() {
  static_assert(clock_policy<typename P::clock>, "Clock requirements not met: `time_point now() const`");
  static_assert(storage_policy<typename P::storage>, "Storage requirements not met: see callinfo::storage_policy");
  static_assert(limits_policy<typename P::limits>, "Limits requirements not met: see callinfo::default_limits");
  static_assert(dialect_policy<typename P::dialect>, "Dialect requirements not met: see callinfo::opensips_dialect");
  static_assert(authorizer_policy<typename P::authorizer>,
                "Authorizer requirements not met: `bool authorize(request_context const&) const`");
  static_assert(ids_policy<typename P::ids>,
                "Ids requirements not met: next_subscription(), next_publication(), next_etag(), counters(), reserve()");
  return true;
}
}  // namespace detail

}  // namespace callinfo::v1
