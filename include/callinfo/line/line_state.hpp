// callinfo — the state of one shared line: its appearances and the rules
// that change them.
//
// Only appearances that are not idle are stored (sorted by index): an idle
// line costs its URI and nothing else, and "every idle appearance" is what
// the NOTIFY wildcard `appearance-index=*;appearance-state=idle` says.
//
// Each stored appearance remembers what drives it: the line-seize
// subscription that seized it, the PUBLISH that set it, the dialog that
// moved it, or a management call. Releasing a seize (expiry, unsubscribe)
// or removing a publication returns the appearance to idle only while that
// same driver still owns it: once a call has moved it on, the call does.
#pragma once

#include <callinfo/line/transitions.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/model/remote_party.hpp>  // remote_is_writable(): the server stores no other remote

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::inline v1 {

/// What drives an appearance: the kind of request or event that last set it.
enum class driver_kind : std::uint8_t { none, seize, publication, dialog, management };

/// The kind's name, for logs and snapshots ("seize", "publication", ...).
constexpr std::string_view to_string(driver_kind k) noexcept {
  constexpr std::string_view names[] = {"none", "seize", "publication", "dialog", "management"};
  return names[static_cast<std::size_t>(k)];
}

/// The driver of an appearance, kind and id: only it may idle the appearance again.
struct appearance_driver {
  driver_kind kind = driver_kind::none;  ///< which kind of driver
  std::uint64_t id = 0;                  ///< subscription_id, publication_id or dialog_id
  /// Field-wise equality.
  friend constexpr bool operator==(appearance_driver, appearance_driver) noexcept = default;
};

/// One busy appearance of a line.
struct appearance {
  std::uint32_t index = 0;                          ///< appearance-index, from 1
  appearance_state state = appearance_state::idle;  ///< never idle: an idle appearance is not stored
  appearance_driver driver{};                       ///< who set it last
  std::string remote;  ///< appearance-uri: the remote party, as a name-addr or URI; may be empty

  friend bool operator==(appearance const&, appearance const&) = default;  ///< Field-wise equality.
};

/// What set_state() did, and the state before it. `remote_changed`: the
/// appearance took a different remote party (with or without a new state).
struct state_change {
  transition result = transition::refused;         ///< applied, unchanged or refused
  appearance_state from = appearance_state::idle;  ///< the state before the request
  appearance_state to = appearance_state::idle;    ///< the state after it (`from` when refused)
  bool remote_changed = false;                     ///< the appearance took a different remote party
};

/// One line's appearances: the busy ones, sorted by index; an appearance not stored is idle.
class line_state {
 public:
  line_state() = default;
  /// A line with every appearance idle.
  explicit line_state(std::string uri) : uri_(std::move(uri)) {}

  /// The line's URI (the AOR it is shared under).
  std::string const& uri() const noexcept { return uri_; }
  /// Non-idle appearances, sorted by index.
  std::span<appearance const> busy() const noexcept { return busy_; }
  /// Whether every appearance is idle.
  bool idle() const noexcept { return busy_.empty(); }

  /// The busy appearance `index`, or nullptr when it is idle.
  appearance const* find(std::uint32_t index) const noexcept {
    auto it = lower(index);
    return it != busy_.end() && it->index == index ? &*it : nullptr;
  }
  /// The state of appearance `index` (idle when it is not busy).
  appearance_state state_of(std::uint32_t index) const noexcept {
    auto const* a = find(index);
    return a ? a->state : appearance_state::idle;
  }

  /// The lowest index in [1, max] that is idle, or 0 when every one is busy.
  std::uint32_t first_idle(std::uint32_t max) const noexcept {
    std::uint32_t want = 1;
    for (appearance const& a : busy_) {
      if (a.index > want) break;
      if (a.index == want) ++want;
    }
    return want <= max ? want : 0;
  }

  /// Moves appearance `index` to `to` when `table` allows it. An applied or
  /// unchanged request takes the new driver and, when given, the remote
  /// party; a refused one changes nothing.
  state_change set_state(std::uint32_t index, appearance_state to, transition_table const& table,
                         appearance_driver driver, std::string_view remote = {}, bool set_remote = false) {
    auto it = lower(index);
    bool const present = it != busy_.end() && it->index == index;
    state_change c;
    c.from = present ? it->state : appearance_state::idle;
    c.to = to;
    c.result = lookup(table, c.from, to);
    if (c.result == transition::refused) return c;
    if (to == appearance_state::idle) {
      if (present) busy_.erase(it);
      return c;
    }
    if (!present) it = busy_.insert(it, appearance{index, to, driver, {}});
    it->state = to;
    it->driver = driver;
    if (set_remote && it->remote != remote) {
      it->remote.assign(remote);
      c.remote_changed = true;
    }
    return c;
  }

  /// Returns appearance `index` to idle if `driver` still drives it.
  bool release_if_driven_by(std::uint32_t index, appearance_driver driver) {
    auto it = lower(index);
    if (it == busy_.end() || it->index != index || it->driver != driver) return false;
    busy_.erase(it);
    return true;
  }

  /// Gives busy appearance `index`, driven by `from`, to `to` in state
  /// `state` (not idle), outside the transition table: the appearance stays
  /// in use by another party of the same call (RFC 7463's joined dialogs).
  bool hand_over(std::uint32_t index, appearance_driver from, appearance_driver to, appearance_state state) {
    auto it = lower(index);
    if (it == busy_.end() || it->index != index || it->driver != from || state == appearance_state::idle) return false;
    it->driver = to;
    it->state = state;
    return true;
  }

  /// Idles every appearance (management release of the whole line).
  std::size_t release_all() noexcept {
    std::size_t const n = busy_.size();
    busy_.clear();
    return n;
  }

  friend bool operator==(line_state const&, line_state const&) = default;  ///< Same URI and appearances.

 private:
  std::vector<appearance>::iterator lower(std::uint32_t index) noexcept {
    return std::lower_bound(busy_.begin(), busy_.end(), index,
                            [](appearance const& a, std::uint32_t i) { return a.index < i; });
  }
  std::vector<appearance>::const_iterator lower(std::uint32_t index) const noexcept {
    return std::lower_bound(busy_.begin(), busy_.end(), index,
                            [](appearance const& a, std::uint32_t i) { return a.index < i; });
  }

  std::string uri_;
  std::vector<appearance> busy_;
};

}  // namespace callinfo::v1
