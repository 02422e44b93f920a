// callinfo — the one table between SCA appearance states and RFC 4235
// dialog states with the RFC 7463 extensions.
//
//   dialog states            RFC 4235 §3.7.1 (trying, proceeding, early,
//                            confirmed, terminated), `direction` attribute
//   hold                     RFC 4235 §4.1.6: the local target's
//                            `<param pname="+sip.rendering" pval="no"/>`,
//                            which RFC 7463 §5.2 uses to show a held call
//   sa:exclusive             RFC 7463 §5.2.3: the appearance may not be
//                            joined or picked up (a seize, a private hold)
//
// Each row reads both ways. Writing (appearance state -> XML) takes the
// row marked `canonical` for the state: exactly one per state. Reading
// (XML -> appearance state) takes the first row, in table order, that
// matches the dialog's state, direction, exclusive flag and hold; a field
// that is `any` matches every value. The rows are ordered so that every
// combination of those four inputs matches one row (tests walk all 60 and
// every state's round trip), so reading never fails.
#pragma once

#include <callinfo/model/appearance_state.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace callinfo::inline v1 {

/// RFC 4235 §3.7.1 dialog states.
enum class dialog_state : std::uint8_t { trying, proceeding, early, confirmed, terminated };
inline constexpr std::size_t dialog_state_count = 5;  ///< How many dialog states there are.

/// The state as written in `<state>`.
constexpr std::string_view to_string(dialog_state s) noexcept {
  constexpr std::string_view names[] = {"trying", "proceeding", "early", "confirmed", "terminated"};
  return names[static_cast<std::size_t>(s)];
}
/// Dialog states compare exactly (an XML enumeration, case-sensitive).
constexpr std::optional<dialog_state> to_dialog_state(std::string_view token) noexcept {
  for (std::size_t i = 0; i < dialog_state_count; ++i)
    if (token == to_string(static_cast<dialog_state>(i))) return static_cast<dialog_state>(i);
  return std::nullopt;
}

/// The `direction` attribute of `<dialog>` (absent: none).
enum class dialog_direction : std::uint8_t { none, initiator, recipient };

/// The attribute's value ("" for none).
constexpr std::string_view to_string(dialog_direction d) noexcept {
  constexpr std::string_view names[] = {"", "initiator", "recipient"};
  return names[static_cast<std::size_t>(d)];
}

/// A row field that reading may ignore.
enum class match : std::uint8_t { no, yes, any };

/// One row of the RFC 7463 mapping table: an appearance state and the `<dialog>` that shows it.
struct dialog_mapping {
  appearance_state state;      ///< the appearance state
  dialog_state dialog;         ///< the `<state>` of the dialog
  dialog_direction direction;  ///< written when not none; read: none matches every direction
  match exclusive;             ///< sa:exclusive (written: yes -> true, otherwise false)
  match held;                  ///< +sip.rendering=no on the local target (written only for yes)
  bool canonical;              ///< the row written for `state`
};

/// The mapping table, read top-down: writing takes a state's canonical row, reading the first row
/// that matches.
inline constexpr std::array<dialog_mapping, 12> dialog_mappings = {{
    // state                         dialog                     direction                     exclusive   held        canonical
    {appearance_state::idle,         dialog_state::terminated, dialog_direction::none,      match::any, match::any, true},
    {appearance_state::seized,       dialog_state::trying,     dialog_direction::initiator, match::yes, match::no,  true},
    {appearance_state::seized,       dialog_state::trying,     dialog_direction::none,      match::any, match::any, false},
    {appearance_state::progressing,  dialog_state::proceeding, dialog_direction::initiator, match::no,  match::no,  true},
    {appearance_state::progressing,  dialog_state::proceeding, dialog_direction::none,      match::any, match::any, false},
    {appearance_state::alerting,     dialog_state::early,      dialog_direction::recipient, match::no,  match::no,  true},
    {appearance_state::progressing,  dialog_state::early,      dialog_direction::initiator, match::any, match::any, false},
    {appearance_state::alerting,     dialog_state::early,      dialog_direction::none,      match::any, match::any, false},
    {appearance_state::held_private, dialog_state::confirmed,  dialog_direction::none,      match::yes, match::yes, true},
    {appearance_state::held,         dialog_state::confirmed,  dialog_direction::none,      match::no,  match::yes, true},
    {appearance_state::active,       dialog_state::confirmed,  dialog_direction::none,      match::no,  match::no,  true},
    {appearance_state::active,       dialog_state::confirmed,  dialog_direction::none,      match::yes, match::no,  false},
}};

/// What a `<dialog>` says, as far as the mapping reads it.
struct dialog_facts {
  dialog_state dialog = dialog_state::terminated;  ///< the `<state>` element
  dialog_direction direction = dialog_direction::none;  ///< the direction attribute
  bool exclusive = false;  ///< `<sa:exclusive>true</sa:exclusive>`
  bool held = false;       ///< local target's +sip.rendering is "no"
  friend constexpr bool operator==(dialog_facts, dialog_facts) noexcept = default;  ///< Field-wise equality.
};

/// The row written for `s` (nullptr for a value outside the enumeration).
constexpr dialog_mapping const* canonical_mapping(appearance_state s) noexcept {
  for (dialog_mapping const& m : dialog_mappings)
    if (m.canonical && m.state == s) return &m;
  return nullptr;
}

/// Appearance state -> what its `<dialog>` says.
constexpr dialog_facts to_dialog_facts(appearance_state s) noexcept {
  dialog_facts f;
  if (dialog_mapping const* m = canonical_mapping(s)) {
    f.dialog = m->dialog;
    f.direction = m->direction;
    f.exclusive = m->exclusive == match::yes;
    f.held = m->held == match::yes;
  }
  return f;
}

namespace detail {
constexpr bool matches(match m, bool v) noexcept { return m == match::any || (m == match::yes) == v; }
}  // namespace detail

/// What a `<dialog>` says -> the appearance state (the first matching row).
constexpr appearance_state to_appearance_state(dialog_facts const& f) noexcept {
  for (dialog_mapping const& m : dialog_mappings) {
    if (m.dialog != f.dialog) continue;
    if (m.direction != dialog_direction::none && m.direction != f.direction) continue;
    if (!detail::matches(m.exclusive, f.exclusive) || !detail::matches(m.held, f.held)) continue;
    return m.state;
  }
  return appearance_state::idle;  // unreachable for a valid dialog_state (tested)
}

}  // namespace callinfo::v1
