// callinfo — which appearance state changes are legal, as constexpr data.
//
// The one file that defines every transition. A table row is the current
// state, a column the requested state; each cell says whether the change is
// applied, is a no-op (same state: nothing to notify) or is refused. The
// zero value of a cell is `refused`, so a forgotten cell can never silently
// allow a change. The tables are blind to where a request came from (a
// PUBLISH, a dialog event, a seize or a management call).
//
// opensips_transitions: OpenSIPS presence_callinfo (try_callinfo_publish()):
//   idle -> any; seized -> idle/progressing/active; progressing and
//   alerting -> idle/active; active -> idle/held; held -> idle/active.
//   OpenSIPS has no held-private; here it behaves as held does.
// broadworks_transitions: Kamailio sca (and BroadWorks phones) keep no table:
//   sca_appearance_update_index() applies any new state to an appearance in
//   use. What Kamailio does refuse is ownership (an appearance seized by
//   another phone), which the presence layer checks, not this table.
#pragma once

#include <callinfo/model/appearance_state.hpp>

#include <array>
#include <cstdint>

namespace callinfo::inline v1 {

/// What a transition table says of a requested state change.
enum class transition : std::uint8_t {
  refused = 0,  ///< illegal: the state is left as it is
  applied,      ///< legal change: watchers are notified
  unchanged,    ///< same state requested: legal, nothing to notify
};

/// The value's name, for logs ("applied").
constexpr std::string_view to_string(transition t) noexcept {
  constexpr std::string_view names[] = {"refused", "applied", "unchanged"};
  return names[static_cast<std::size_t>(t)];
}

/// A transition table: row the current state, column the requested one.
using transition_table = std::array<std::array<transition, appearance_state_count>, appearance_state_count>;

namespace detail {
// Builds a table from "may go to" bitmasks, one per source state, indexed by
// appearance_state; the diagonal is always `unchanged`.
constexpr std::uint8_t bit(appearance_state s) noexcept { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(s)); }
constexpr transition_table make_transitions(std::array<std::uint8_t, appearance_state_count> allowed) noexcept {
  transition_table t{};
  for (std::size_t from = 0; from < appearance_state_count; ++from)
    for (std::size_t to = 0; to < appearance_state_count; ++to)
      t[from][to] = from == to                        ? transition::unchanged
                    : (allowed[from] >> to) & 1u      ? transition::applied
                                                      : transition::refused;
  return t;
}
namespace st {
using enum appearance_state;
}
inline constexpr std::uint8_t any_state = 0x7f;
}  // namespace detail

/// OpenSIPS presence_callinfo's table (try_callinfo_publish()), the one default_dialect uses.
inline constexpr transition_table opensips_transitions = detail::make_transitions({
    /* idle         */ detail::any_state,
    /* seized       */ detail::bit(detail::st::idle) | detail::bit(detail::st::progressing) | detail::bit(detail::st::active),
    /* progressing  */ detail::bit(detail::st::idle) | detail::bit(detail::st::active),
    /* alerting     */ detail::bit(detail::st::idle) | detail::bit(detail::st::active),
    /* active       */ detail::bit(detail::st::idle) | detail::bit(detail::st::held) | detail::bit(detail::st::held_private),
    /* held         */ detail::bit(detail::st::idle) | detail::bit(detail::st::active),
    /* held_private */ detail::bit(detail::st::idle) | detail::bit(detail::st::active),
});

/// Kamailio sca's rule: any state may follow any other (ownership is checked by the presence
/// layer).
inline constexpr transition_table broadworks_transitions = detail::make_transitions({
    detail::any_state, detail::any_state, detail::any_state, detail::any_state,
    detail::any_state, detail::any_state, detail::any_state,
});

/// The cell of `table` for a change from `from` to `to`.
constexpr transition lookup(transition_table const& table, appearance_state from, appearance_state to) noexcept {
  return table[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)];
}

}  // namespace callinfo::v1
