// callinfo-play — the scenario: its steps as typed commands, and the parser
// that reads them from the text format (FORMAT.md). Kept apart from the
// player so that reading a scenario compiles without the library's parsers.
#pragma once

#include <callinfo/model/appearance_state.hpp>
#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/model/substate.hpp>
#include <callinfo/policy/limits.hpp>
#include <callinfo/presence/events.hpp>

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace callinfo_play {

inline constexpr std::string_view default_line = "sip:bob@example.com";

struct scenario_error {
  std::size_t line = 0;
  std::string message;
};

struct cmd_advance {
  std::uint32_t seconds = 0;
};
struct cmd_subscribe {
  std::string name, line, from;
  callinfo::event_package event = callinfo::event_package::call_info;
  std::optional<std::uint32_t> expires;
  std::optional<std::string> call_info;
};
struct cmd_refresh {
  std::string name;
  std::optional<std::uint32_t> expires;
  bool unsubscribe = false;
};
struct cmd_publish {
  enum class match : std::uint8_t { none, last, tag };
  std::string name;
  std::optional<std::string> line;
  match if_match = match::none;
  std::string tag;
  std::optional<std::uint32_t> expires;
  std::optional<std::string> call_info;
  std::optional<std::string> dialog_info;  // an RFC 7463 PUBLISH body (Event: dialog;shared)
};
struct cmd_dialog {
  std::string id, line, remote;
  callinfo::dialog_side side = callinfo::dialog_side::caller;
  callinfo::dialog_phase phase = callinfo::dialog_phase::early;
  std::optional<std::uint32_t> index;
  bool private_hold = false;
};
struct cmd_release {
  std::string line;
  std::optional<std::uint32_t> index;
};
struct cmd_update {
  std::string line, remote;
  bool seize = false;  // the `seize` command: update to seized, named so in the output
  std::uint32_t index = 0;
  callinfo::appearance_state state = callinfo::appearance_state::idle;
};
struct cmd_list {};
struct cmd_snapshot_restore {};
// The notifier ends subscriptions (RFC 6665 §4.2.2): `end NAME`, `end-all`
// (all: true), `notify-failed NAME status=N` (status set).
struct cmd_end {
  std::string name;
  bool all = false;
  std::optional<std::uint16_t> status;
  callinfo::event_reason reason = callinfo::event_reason::deactivated;
};

using command = std::variant<cmd_advance, cmd_subscribe, cmd_refresh, cmd_publish, cmd_dialog, cmd_release, cmd_update,
                             cmd_list, cmd_snapshot_restore, cmd_end>;

struct step {
  std::size_t line = 0;  // in the scenario file
  std::string text;      // as written, without its comment
  command cmd;
};

enum class dialect_name : std::uint8_t { default_, opensips, broadworks };

struct scenario {
  std::string file;
  dialect_name dialect = dialect_name::default_;
  callinfo::default_limits limits;
  std::vector<step> steps;
};

// Reads a scenario from `in` (`file` names it in the steps' errors); a
// malformed one throws scenario_error.
scenario parse_scenario(std::string const& file, std::istream& in);

}  // namespace callinfo_play
