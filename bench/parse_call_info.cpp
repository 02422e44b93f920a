// callinfo benchmark — Call-Info parsing: callinfo, Sofia-SIP, oSIP2 and a
// byte-scan floor, over one corpus of real-world shaped header values.
//
//   parse-call-info [corpus-file] [--benchmark_* flags]
//
// The corpus (bench/corpus/call_info.txt, one header value per line) holds
// Shared Call Appearance values as OpenSIPS, Kamailio and BroadWorks write
// them and RFC 3261 §20.9 values (purpose=icon/info/card, several entries,
// quoted params). At start-up every line must parse with every parser and
// all of them must see the same number of entries; otherwise the run stops,
// since a parser that gives up early does less work.
//
// One benchmark iteration parses the whole corpus. Each parser builds what
// its users get and then reads the URI, appearance-index and
// appearance-state of every entry, so no result can be optimised away:
//   callinfo  parse_call_info() (one validating pass that records entry and
//             param boundaries into the view's fixed-capacity index), then a
//             walk of entries and appearances reading that index;
//   callinfo-validate  parse_call_info() alone, for reference (no walk);
//   sofia     sip_call_info_make() into a temporary su_home, chain walk,
//             su_home_deinit() frees every block;
//   osip2     the value split at top-level commas (oSIP parses one entry per
//             osip_call_info_t), then osip_call_info_init/parse/free per entry;
//   floor     one 256-entry table lookup per byte, classifying the
//             structural bytes < > ; = , and DQUOTE: the least any parser
//             that looks at every byte can do.
// Reported per parser: ns/header, MB/s and heap allocations per header
// (malloc interposed, see alloc_count.hpp), then a summary with the ratios.
#include "alloc_count.hpp"

#include <callinfo/syntax/call_info.hpp>

#include <benchmark/benchmark.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su_alloc.h>

#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#ifndef CALLINFO_BENCH_CORPUS
#define CALLINFO_BENCH_CORPUS "bench/corpus/call_info.txt"
#endif

namespace {

struct corpus {
  std::vector<std::string> lines;  // std::string keeps the NUL the C parsers need
  std::size_t bytes = 0;
};

corpus the_corpus;

// ---------------------------------------------------------------------------
// What a caller reads from a parsed value. Each walk returns a checksum of
// the URI length, the appearance-index numbers and the state lengths.

constexpr std::string_view index_prefix = "appearance-index=";
constexpr std::string_view state_prefix = "appearance-state=";

bool starts_with_nocase(char const* s, std::string_view prefix) noexcept {
  return ::strncasecmp(s, prefix.data(), prefix.size()) == 0;
}

// appearance-index value as a number, "*" as 0; the peers hand out text.
std::size_t index_number(char const* v) noexcept {
  return *v == '*' ? 0 : static_cast<std::size_t>(std::strtoul(v, nullptr, 10));
}

// --- callinfo --------------------------------------------------------------

std::size_t walk(callinfo::call_info_view const& v) noexcept {
  std::size_t sum = 0;
  for (callinfo::call_info_entry_view const& e : v) {
    sum += e.uri.size();
    for (callinfo::appearance_view const& a : e.appearances()) {
      if (a.index) sum += a.index->is_wildcard() ? 0 : a.index->value();
      if (a.state_token) sum += a.state_token->size();
    }
  }
  return sum;
}

std::size_t entries(callinfo::call_info_view const& v) noexcept { return v.size(); }

std::size_t parse_callinfo(std::string const& s) noexcept {
  callinfo::result<callinfo::call_info_view> const r = callinfo::parse_call_info(s);
  return r ? walk(*r) : 0;
}

// Validation alone, without the walk: shows how the time divides.
std::size_t validate_callinfo(std::string const& s) noexcept {
  callinfo::result<callinfo::call_info_view> const r = callinfo::parse_call_info(s);
  return r ? r->size() : 0;
}

// --- Sofia-SIP ---------------------------------------------------------------
// sip_call_info_make() copies the value into the header object, parses the
// URL into a url_t and the params into a NULL-terminated "name=value" array,
// and links one sip_call_info_t per entry through ci_next. A temporary home
// (su_home_init/su_home_deinit) is Sofia's way to free such a tree at once.

std::size_t walk(sip_call_info_t const* ci) noexcept {
  std::size_t sum = 0;
  for (; ci != nullptr; ci = ci->ci_next) {
    if (ci->ci_url->url_host != nullptr) sum += std::strlen(ci->ci_url->url_host);
    if (ci->ci_params == nullptr) continue;
    for (msg_param_t const* p = ci->ci_params; *p != nullptr; ++p) {
      if (starts_with_nocase(*p, index_prefix))
        sum += index_number(*p + index_prefix.size());
      else if (starts_with_nocase(*p, state_prefix))
        sum += std::strlen(*p + state_prefix.size());
    }
  }
  return sum;
}

std::size_t entries(sip_call_info_t const* ci) noexcept {
  std::size_t n = 0;
  for (; ci != nullptr; ci = ci->ci_next) ++n;
  return n;
}

template <class Visit>
std::size_t with_sofia(std::string const& s, Visit visit) noexcept {
  su_home_t home[1] = {SU_HOME_INIT(home)};
  su_home_init(home);
  sip_call_info_t const* const ci = sip_call_info_make(home, s.c_str());
  std::size_t const r = ci != nullptr ? visit(ci) : 0;
  su_home_deinit(home);
  return r;
}

std::size_t parse_sofia(std::string const& s) noexcept {
  return with_sofia(s, [](sip_call_info_t const* ci) { return walk(ci); });
}

// --- oSIP2 -------------------------------------------------------------------
// osip_call_info_parse() reads a single `<uri> *(;param)` entry. oSIP's
// message parser (osip_message_set_multiple_header) therefore splits a
// Call-Info value at the commas outside quotes and angle brackets, copies
// each element into a fresh osip_malloc'd string and parses it into its own
// osip_call_info_t. We split the same way but copy into a stack buffer, so
// the figures below are slightly in oSIP's favour (one malloc/free fewer per
// entry than a full oSIP message parse).

std::size_t walk(osip_call_info_t* ci) noexcept {
  std::size_t sum = std::strlen(ci->element);
  osip_list_iterator_t it;
  for (auto* p = static_cast<osip_generic_param_t*>(osip_list_get_first(&ci->gen_params, &it)); p != nullptr;
       p = static_cast<osip_generic_param_t*>(osip_list_get_next(&it))) {
    if (p->gvalue == nullptr) continue;
    if (osip_strcasecmp(p->gname, "appearance-index") == 0)
      sum += index_number(p->gvalue);
    else if (osip_strcasecmp(p->gname, "appearance-state") == 0)
      sum += std::strlen(p->gvalue);
  }
  return sum;
}

// Calls on_entry(char const*) for each top-level element, NUL-terminated in
// a stack buffer. Returns false when an element does not fit or parse.
template <class OnEntry>
bool split_osip(std::string const& s, OnEntry on_entry) noexcept {
  char buf[1024];
  std::size_t start = 0;
  bool quoted = false;
  bool bracket = false;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    char const c = i < s.size() ? s[i] : ',';
    if (quoted) {
      if (c == '\\' && i + 1 < s.size())
        ++i;
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == '<') {
      bracket = true;
    } else if (c == '>') {
      bracket = false;
    } else if (c == ',' && !bracket) {
      while (start < i && (s[start] == ' ' || s[start] == '\t')) ++start;
      std::size_t const n = i - start;
      if (n >= sizeof buf) return false;
      std::memcpy(buf, s.data() + start, n);
      buf[n] = '\0';
      if (!on_entry(static_cast<char const*>(buf))) return false;
      start = i + 1;
    }
  }
  return true;
}

template <class Visit>
bool with_osip(char const* entry, Visit visit) noexcept {
  osip_call_info_t* ci = nullptr;
  if (osip_call_info_init(&ci) != 0) return false;
  bool const ok = osip_call_info_parse(ci, entry) == 0;
  if (ok) visit(ci);
  osip_call_info_free(ci);
  return ok;
}

std::size_t parse_osip(std::string const& s) noexcept {
  std::size_t sum = 0;
  split_osip(s, [&](char const* entry) { return with_osip(entry, [&](osip_call_info_t* ci) { sum += walk(ci); }); });
  return sum;
}

// --- floor -------------------------------------------------------------------
// Each structural byte adds one to its own 8-bit lane of a 64-bit word, so
// the loop is a load, a table load and an add per byte, with no branch.

constexpr std::array<std::uint64_t, 256> make_structural_table() noexcept {
  std::array<std::uint64_t, 256> t{};
  constexpr std::string_view structural = "<>;=,\"";
  for (std::size_t k = 0; k < structural.size(); ++k)
    t[static_cast<unsigned char>(structural[k])] = std::uint64_t{1} << (8 * k);
  return t;
}
constexpr std::array<std::uint64_t, 256> structural_table = make_structural_table();

std::size_t scan_floor(std::string const& s) noexcept {
  std::uint64_t acc = 0;
  for (char const c : s) acc += structural_table[static_cast<unsigned char>(c)];
  return static_cast<std::size_t>(acc);
}

// ---------------------------------------------------------------------------

template <std::size_t (*Parse)(std::string const&)>
void bm_parse(benchmark::State& state) {
  std::vector<std::string> const& lines = the_corpus.lines;
  std::uint64_t const allocs_before = callinfo_bench::allocation_count();
  std::uint64_t const frees_before = callinfo_bench::free_count();
  for (auto _ : state) {
    for (std::string const& s : lines) {
      std::size_t r = Parse(s);
      benchmark::DoNotOptimize(r);
    }
  }
  auto const headers = static_cast<double>(state.iterations()) * static_cast<double>(lines.size());
  auto const allocs = static_cast<double>(callinfo_bench::allocation_count() - allocs_before);
  auto const frees = static_cast<double>(callinfo_bench::free_count() - frees_before);
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(the_corpus.bytes));
  state.counters["allocs/hdr"] = benchmark::Counter(allocs / headers);
  state.counters["frees/hdr"] = benchmark::Counter(frees / headers);
}

// ---------------------------------------------------------------------------
// Start-up checks.

bool load_corpus(char const* path) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot open corpus %s\n", path);
    return false;
  }
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    the_corpus.bytes += line.size();
    the_corpus.lines.push_back(std::move(line));
  }
  if (the_corpus.lines.empty()) {
    std::fprintf(stderr, "corpus %s is empty\n", path);
    return false;
  }
  return true;
}

bool check_corpus() {
  bool ok = true;
  std::size_t line_no = 0;
  for (std::string const& s : the_corpus.lines) {
    ++line_no;
    callinfo::result<callinfo::call_info_view> const r = callinfo::parse_call_info(s);
    if (!r) {
      std::fprintf(stderr, "corpus line %zu does not parse with callinfo:\n%s\n", line_no,
                   callinfo::render(r.error(), s).c_str());
      ok = false;
      continue;
    }
    std::size_t const want = entries(*r);
    std::size_t const sofia = with_sofia(s, [](sip_call_info_t const* ci) { return entries(ci); });
    if (sofia != want) {
      std::fprintf(stderr, "corpus line %zu: Sofia-SIP sees %zu entries, callinfo %zu\n", line_no, sofia, want);
      ok = false;
    }
    std::size_t osip = 0;
    bool const osip_ok = split_osip(s, [&](char const* entry) {
      ++osip;
      return with_osip(entry, [](osip_call_info_t*) {});
    });
    if (!osip_ok || osip != want) {
      std::fprintf(stderr, "corpus line %zu: oSIP2 %s (%zu entries, callinfo %zu)\n", line_no,
                   osip_ok ? "disagrees" : "rejects it", osip, want);
      ok = false;
    }
  }
  return ok;
}

// ---------------------------------------------------------------------------
// Console output as usual, plus the best run of each benchmark for the
// summary (with --benchmark_repetitions the fastest repetition wins).

struct best_run {
  double ns_per_header = 0;
  double mb_per_s = 0;
  double allocs = 0;
  double frees = 0;
};

class summary_reporter : public benchmark::ConsoleReporter {
 public:
  explicit summary_reporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(std::vector<Run> const& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (Run const& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      auto const items = run.counters.find("items_per_second");
      auto const bytes = run.counters.find("bytes_per_second");
      if (items == run.counters.end() || bytes == run.counters.end() || items->second.value <= 0) continue;
      best_run b;
      b.ns_per_header = 1e9 / items->second.value;
      b.mb_per_s = bytes->second.value / 1e6;
      b.allocs = run.counters.at("allocs/hdr").value;
      b.frees = run.counters.at("frees/hdr").value;
      std::string const name = run.run_name.function_name;
      auto const found = best_.find(name);
      if (found == best_.end() || b.ns_per_header < found->second.ns_per_header) best_[name] = b;
    }
  }
  std::map<std::string, best_run> const& best() const noexcept { return best_; }

 private:
  std::map<std::string, best_run> best_;
};

void print_summary(std::map<std::string, best_run> const& best) {
  std::printf("\nCall-Info corpus: %zu headers, %zu bytes (mean %.0f bytes/header)\n", the_corpus.lines.size(),
              the_corpus.bytes, static_cast<double>(the_corpus.bytes) / static_cast<double>(the_corpus.lines.size()));
  std::printf("%-18s %10s %10s %11s %10s %16s\n", "parser", "ns/header", "MB/s", "allocs/hdr", "frees/hdr",
              "time / callinfo");
  auto const ours = best.find("callinfo");
  for (char const* name : {"callinfo", "callinfo-validate", "sofia", "osip2", "floor"}) {
    auto const it = best.find(name);
    if (it == best.end()) continue;
    best_run const& b = it->second;
    char ratio[32] = "";
    if (ours != best.end() && it != ours)
      std::snprintf(ratio, sizeof ratio, "%.2fx", b.ns_per_header / ours->second.ns_per_header);
    std::printf("%-18s %10.1f %10.1f %11.2f %10.2f %16s\n", name, b.ns_per_header, b.mb_per_s, b.allocs, b.frees,
                ratio);
  }
  if (ours == best.end()) return;
  double const us = ours->second.ns_per_header;
  double fastest_peer = 0;
  char const* fastest_name = nullptr;
  for (char const* name : {"sofia", "osip2"}) {
    auto const it = best.find(name);
    if (it != best.end() && (fastest_name == nullptr || it->second.ns_per_header < fastest_peer)) {
      fastest_peer = it->second.ns_per_header;
      fastest_name = name;
    }
  }
  std::printf("\nTargets:\n");
  if (fastest_name != nullptr) {
    double const speedup = fastest_peer / us;
    std::printf("  callinfo >= 6x faster than the fastest peer (%s): %.2fx  %s\n", fastest_name, speedup,
                speedup >= 6 ? "met" : "MISSED");
  }
  if (auto const floor = best.find("floor"); floor != best.end()) {
    double const ratio = us / floor->second.ns_per_header;
    std::printf("  callinfo <= 2.5x the byte-scan floor: %.2fx  %s\n", ratio, ratio <= 2.5 ? "met" : "MISSED");
  }
  std::printf("  callinfo allocations per header = 0: %.2f  %s\n", ours->second.allocs,
              ours->second.allocs == 0 ? "met" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  char const* path = std::getenv("CALLINFO_BENCH_CORPUS");
  if (argc == 2)
    path = argv[1];
  else if (benchmark::ReportUnrecognizedArguments(argc, argv))
    return 2;
  if (path == nullptr) path = CALLINFO_BENCH_CORPUS;

  parser_init();
  if (!load_corpus(path) || !check_corpus()) {
    std::fprintf(stderr, "corpus check failed; not benchmarking\n");
    return 1;
  }

  benchmark::RegisterBenchmark("callinfo", bm_parse<parse_callinfo>);
  benchmark::RegisterBenchmark("callinfo-validate", bm_parse<validate_callinfo>);
  benchmark::RegisterBenchmark("sofia", bm_parse<parse_sofia>);
  benchmark::RegisterBenchmark("osip2", bm_parse<parse_osip>);
  benchmark::RegisterBenchmark("floor", bm_parse<scan_floor>);

  // A display reporter passed in is not configured by --benchmark_color:
  // colour only on a terminal.
  summary_reporter reporter(::isatty(STDOUT_FILENO) != 0 ? benchmark::ConsoleReporter::OO_ColorTabular
                                                         : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  print_summary(reporter.best());
  return 0;
}
