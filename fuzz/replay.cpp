// callinfo — replays files through a fuzz harness without libFuzzer.
//
//   callinfo-fuzz-replay HARNESS PATH...
//
// Each PATH is a file or a directory (read recursively, in name order); a
// PATH that does not exist is skipped, so an empty regressions/ directory
// needs no special case. Each input is copied into a buffer of exactly its
// size, as libFuzzer does. Fails when no input at all was found; a violated
// invariant traps, after the file's name has been printed.
#include "build_harness.hpp"
#include "harness.hpp"
#include "server_harness.hpp"
#ifdef CALLINFO_FUZZ_DIALOG_INFO
#include "dialog_info_harness.hpp"  // run_dialog_info (pugixml)
#endif

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct harness {
  std::string_view name;
  void (*run)(std::string_view);
};

// Every harness by the name meson.build and build.sh give it.
constexpr harness harnesses[] = {
    {"call_info", &callinfo::fuzz::run_call_info},
    {"event", &callinfo::fuzz::run_event},
    {"allow_events", &callinfo::fuzz::run_allow_events},
    {"subscription_state", &callinfo::fuzz::run_subscription_state},
    {"expires", &callinfo::fuzz::run_expires},
    {"etag", &callinfo::fuzz::run_etag},
    {"round_trip", &callinfo::fuzz::run_round_trip},
    {"server", &callinfo::fuzz::run_server},
    {"build_round_trip", &callinfo::fuzz::run_build_round_trip},
#ifdef CALLINFO_FUZZ_DIALOG_INFO
    {"dialog_info", &callinfo::fuzz::run_dialog_info},
#endif
};

std::vector<fs::path> inputs_under(fs::path const& path) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    files.push_back(path);
  } else if (fs::is_directory(path, ec)) {
    for (auto const& entry : fs::recursive_directory_iterator(path))
      if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
    std::sort(files.begin(), files.end());
  }
  return files;
}

bool read_file(fs::path const& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s HARNESS PATH...\n", argv[0]);
    return 2;
  }
  std::string_view const name = argv[1];
  auto const* h =
      std::find_if(std::begin(harnesses), std::end(harnesses), [&](harness const& x) { return x.name == name; });
  if (h == std::end(harnesses)) {
    std::fprintf(stderr, "unknown harness '%s'\n", argv[1]);
    return 2;
  }
  std::size_t count = 0;
  std::string data;
  for (int i = 2; i < argc; ++i) {
    for (fs::path const& file : inputs_under(argv[i])) {
      if (!read_file(file, data)) {
        std::fprintf(stderr, "cannot read %s\n", file.c_str());
        return 1;
      }
      std::fprintf(stderr, "%s\n", file.c_str());
      callinfo::fuzz::exact_buffer const input(data);
      h->run(input.view());
      ++count;
    }
  }
  std::printf("%zu inputs replayed through %s\n", count, argv[1]);
  return count == 0 ? 1 : 0;
}
