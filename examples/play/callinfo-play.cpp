// callinfo-play — run a call-flow scenario against the presence server and
// print every effect it produces.
//
//   callinfo-play [--sip] SCENARIO
//
// SCENARIO is a text file of steps (SUBSCRIBEs, PUBLISHes, dialog events,
// management calls, clock moves; `-` reads stdin). Each step is handed to a
// callinfo::basic_server with a manual clock, as a SIP stack would; the
// effects come back as one JSON object a line, or, with --sip, as readable
// SIP responses and NOTIFYs written by the build/ writers. The scenario
// format and both outputs are described in FORMAT.md next to this file.
//
// Exit status: 0 when the scenario ran to its end, 2 on a usage error or a
// malformed scenario (reported as FILE:LINE: message).
//
// The program's parts: scenario.hpp/.cpp read the steps, player.hpp runs
// them, player_output.hpp prints the effects, run.hpp/.cpp instantiate the
// player for each dialect.
#include "run.hpp"
#include "scenario.hpp"

#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

using namespace callinfo_play;

namespace {

constexpr std::string_view usage =
    "usage: callinfo-play [--sip] SCENARIO\n"
    "\n"
    "Runs the steps of SCENARIO (a file, or - for stdin) against a callinfo\n"
    "presence server with a manual clock and prints every effect it produces:\n"
    "one JSON object per line, or with --sip the responses and NOTIFYs as SIP\n"
    "text and everything else as ';;' comment lines. The scenario format is in\n"
    "examples/play/FORMAT.md.\n"
    "\n"
    "Exit status: 0 when the scenario ran, 2 on a usage error or a bad scenario.\n";

}  // namespace

int main(int argc, char** argv) {
  bool sip = false;
  std::optional<std::string> file;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (!options_done && a.size() > 1 && a.starts_with("-")) {
      if (a == "--") {
        options_done = true;
      } else if (a == "--sip") {
        sip = true;
      } else if (a == "--help") {
        std::cout << usage;
        return 0;
      } else {
        std::cerr << "callinfo-play: unknown option '" << a << "'\n" << usage;
        return 2;
      }
    } else if (file) {
      std::cerr << "callinfo-play: more than one scenario given\n" << usage;
      return 2;
    } else {
      file = std::string(a);
    }
  }
  if (!file) {
    std::cerr << "callinfo-play: no scenario given\n" << usage;
    return 2;
  }

  std::ifstream f;
  std::string const shown = *file == "-" ? "<stdin>" : *file;
  if (*file != "-") {
    f.open(*file, std::ios::binary);
    if (!f) {
      std::cerr << "callinfo-play: cannot open '" << *file << "'\n";
      return 2;
    }
  }
  std::istream& in = *file == "-" ? std::cin : f;
  try {
    scenario const s = parse_scenario(shown, in);
    switch (s.dialect) {
      case dialect_name::default_: play<callinfo::test_policies>(s, sip); break;
      case dialect_name::opensips: play<opensips_policies>(s, sip); break;
      case dialect_name::broadworks: play<broadworks_policies>(s, sip); break;
    }
  } catch (scenario_error const& e) {
    std::cout << std::flush;
    std::cerr << shown << ':' << e.line << ": " << e.message << '\n';
    return 2;
  }
  return 0;
}

