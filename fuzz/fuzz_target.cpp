// callinfo — libFuzzer entry point for one fuzz harness, chosen at compile
// time: -DCALLINFO_FUZZ_HARNESS=run_call_info (or run_event, run_server, ...).
#include "build_harness.hpp"
#include "harness.hpp"
#include "server_harness.hpp"
#ifdef CALLINFO_FUZZ_DIALOG_INFO
#include "dialog_info_harness.hpp"  // run_dialog_info (pugixml)
#endif

#include <cstddef>
#include <cstdint>
#include <string_view>

#ifndef CALLINFO_FUZZ_HARNESS
#error "Define CALLINFO_FUZZ_HARNESS to one of the run_* functions of the fuzz harnesses"
#endif

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  callinfo::fuzz::CALLINFO_FUZZ_HARNESS(std::string_view(reinterpret_cast<char const*>(data), size));
  return 0;
}
