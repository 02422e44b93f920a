// callinfo-play — run a call-flow scenario against the presence server and
// print every effect it produces.
//
//   callinfo-play [--sip] SCENARIO       (options: callinfo-play --help)
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
#include "../common/cli.hpp"
#include "examples_version.hpp"
#include "run.hpp"
#include "scenario.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

using namespace callinfo_play;

namespace {

constexpr std::string_view help =
    "Usage: callinfo-play [OPTION]... SCENARIO\n"
    "Run a call-flow scenario against a callinfo presence server and print every\n"
    "effect it produces.\n"
    "\n"
    "The steps of SCENARIO (a file, or - for standard input) are handed to a\n"
    "callinfo presence server with a manual clock; every effect it produces is\n"
    "printed as one JSON object per line, or with --sip the responses and\n"
    "NOTIFYs as SIP text and everything else as ';;' comment lines. The scenario\n"
    "format is in examples/play/FORMAT.md.\n"
    "\n"
    "Options:\n"
    "      --sip       print SIP messages instead of JSON\n"
    "  -h, --help      display this help and exit\n"
    "      --version   output version information and exit\n"
    "      --          treat the following argument as SCENARIO, even if it\n"
    "                  starts with '-'\n"
    "\n"
    "Exit status:\n"
    "  0  the scenario ran to its end\n"
    "  2  usage error, or a malformed scenario (reported as FILE:LINE: message)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace callinfo_examples;
  program_info const program{"callinfo-play", CALLINFO_EXAMPLES_VERSION, help};
  constexpr option_spec specs[] = {help_option, version_option, {"sip"}};
  command_line cl;
  if (auto const status = run_standard_options(program, argc, argv, specs, cl)) return *status;
  bool sip = false;
  for (parsed_option const& o : cl.options)
    if (o.name == "sip") sip = true;
  if (cl.operands.empty()) return usage_error(program, "no scenario given");
  if (cl.operands.size() > 1)
    return usage_error(program, "more than one scenario given ('" + std::string(cl.operands[1]) + "')");
  std::string const file(cl.operands.front());

  std::ifstream f;
  std::string const shown = file == "-" ? "<stdin>" : file;
  if (file != "-") {
    f.open(file, std::ios::binary);
    if (!f) {
      std::cerr << "callinfo-play: cannot open '" << file << "': " << std::strerror(errno) << '\n';
      return 2;
    }
  }
  std::istream& in = file == "-" ? std::cin : f;
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

