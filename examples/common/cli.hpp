// callinfo examples — the command line of callinfo-inspect and callinfo-play,
// GNU style (the GNU Coding Standards, "Command-Line Interfaces"):
//
//   - options and operands in any order; `--` ends the options;
//   - `-` alone is an operand (stdin, by convention);
//   - a long option's value as `--name=VALUE` or `--name VALUE`, a short
//     option's as `-xVALUE` or `-x VALUE`; short flags may be grouped (`-hv`);
//   - `-h`/`--help` prints the usage on stdout and exits 0, `--version` the
//     version (for help2man, which makes the man pages from both);
//   - a usage error prints `PROGRAM: message` and `Try 'PROGRAM --help' for
//     more information.` on stderr and exits 2.
//
// Long options must be written in full: there are no abbreviations, so that
// adding an option never changes what an existing command line means.
#pragma once

#include <cstddef>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo_examples {

struct option_spec {
  std::string_view name;    // long name without the dashes: "limit"
  char short_name = 0;      // 'h', or 0 when the option has no short form
  bool has_value = false;   // takes VALUE (--name=VALUE, --name VALUE)
};

struct parsed_option {
  std::string_view name;    // the spec's long name, whichever form was written
  std::string_view value;   // empty for an option without a value
};

struct command_line {
  std::vector<parsed_option> options;       // in command-line order
  std::vector<std::string_view> operands;   // in command-line order; "-" included
};

// What the tool tells its users about itself.
struct program_info {
  std::string_view name;     // "callinfo-inspect"
  std::string_view version;  // the project's version, "0.1.0"
  std::string_view help;     // the --help text, starting with "Usage: ..."
};

// The standard options every tool has, to put first in its spec list.
inline constexpr option_spec help_option{"help", 'h', false};
inline constexpr option_spec version_option{"version", 0, false};

namespace detail {

inline option_spec const* find_long(std::span<option_spec const> specs, std::string_view name) {
  for (option_spec const& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

inline option_spec const* find_short(std::span<option_spec const> specs, char c) {
  for (option_spec const& s : specs)
    if (s.short_name != 0 && s.short_name == c) return &s;
  return nullptr;
}

}  // namespace detail

// Splits argv[1..argc) into options and operands. Returns the usage error
// (without the program name) or std::nullopt.
inline std::optional<std::string> parse_command_line(int argc, char const* const* argv,
                                                     std::span<option_spec const> specs, command_line& out) {
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (options_done || a.size() < 2 || a.front() != '-') {
      out.operands.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    if (a.starts_with("--")) {
      std::string_view const body = a.substr(2);
      auto const eq = body.find('=');
      std::string_view const name = body.substr(0, eq);
      option_spec const* const s = detail::find_long(specs, name);
      if (s == nullptr) return "unknown option '--" + std::string(name) + "'";
      if (!s->has_value) {
        if (eq != std::string_view::npos) return "option '--" + std::string(name) + "' takes no value";
        out.options.push_back({s->name, {}});
      } else if (eq != std::string_view::npos) {
        out.options.push_back({s->name, body.substr(eq + 1)});
      } else if (i + 1 < argc) {
        out.options.push_back({s->name, argv[++i]});
      } else {
        return "option '--" + std::string(name) + "' needs a value";
      }
      continue;
    }
    // -x, -xy (grouped flags), -xVALUE, -x VALUE
    for (std::size_t k = 1; k < a.size(); ++k) {
      option_spec const* const s = detail::find_short(specs, a[k]);
      if (s == nullptr) return "unknown option '-" + std::string(1, a[k]) + "'";
      if (!s->has_value) {
        out.options.push_back({s->name, {}});
      } else if (k + 1 < a.size()) {
        out.options.push_back({s->name, a.substr(k + 1)});
        break;
      } else if (i + 1 < argc) {
        out.options.push_back({s->name, argv[++i]});
      } else {
        return "option '-" + std::string(1, a[k]) + "' needs a value";
      }
    }
  }
  return std::nullopt;
}

// Prints `PROGRAM: message` and the pointer to --help on stderr; returns 2,
// the exit status of a usage error.
inline int usage_error(program_info const& p, std::string_view message) {
  std::cout.flush();
  std::cerr << p.name << ": " << message << "\nTry '" << p.name << " --help' for more information.\n";
  return 2;
}

// --version: `PROGRAM (callinfo) VERSION`, the first line help2man reads.
inline void print_version(program_info const& p) {
  std::cout << p.name << " (callinfo) " << p.version
            << "\nLicense BSL-1.0: Boost Software License 1.0 <https://www.boost.org/LICENSE_1_0.txt>.\n";
}

// Parses the command line and handles what every tool handles the same way.
// Returns the exit status when main() is done (--help, --version, a usage
// error), std::nullopt when the tool should run with `out`. The first of
// --help and --version ends the run, even with a usage error after it on
// the line (`--help --bogus` prints the help).
inline std::optional<int> run_standard_options(program_info const& p, int argc, char const* const* argv,
                                               std::span<option_spec const> specs, command_line& out) {
  std::optional<std::string> const error = parse_command_line(argc, argv, specs, out);
  for (parsed_option const& o : out.options) {
    if (o.name == help_option.name) {
      std::cout << p.help;
      return 0;
    }
    if (o.name == version_option.name) {
      print_version(p);
      return 0;
    }
  }
  if (error) return usage_error(p, *error);
  return std::nullopt;
}

}  // namespace callinfo_examples
