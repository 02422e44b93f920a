// callinfo benchmark — the presence server without I/O.
//
//   presence [--benchmark_* flags]
//
// Events per second through basic_server for state changes (dialog events
// and PUBLISH modifies, with 0, 1 and 10 call-info watchers), SUBSCRIBE
// refreshes, the builders (a NOTIFY's Call-Info, its header block, its
// headers one by one), and the memory a line's appearances and a
// subscription take (heap bytes in use, from glibc's mallinfo2, divided by
// the count). The effect sink counts effects and keeps none, as a stack
// that writes each NOTIFY straight into its send buffer would.
#include "alloc_count.hpp"

#include <callinfo/adapters/call_info.hpp>
#include <callinfo/write/call_info.hpp>
#include <callinfo/write/notify.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace callinfo;

constexpr std::string_view line_uri = "sip:bob@example.com";

struct counting_sink {
  std::uint64_t effects = 0, notifies = 0;
  void operator()(effect const& e) noexcept {
    ++effects;
    notifies += std::holds_alternative<notify>(e);
  }
};

// Manual clock and counter ids, so runs compare; broadworks_random_tags has
// the default policies' unguessable entity-tags (a SipHash per PUBLISH).
struct broadworks : test_policies {
  using dialect = broadworks_dialect;
};
struct broadworks_random_tags : broadworks {
  using ids = random_ids;
};

template <class Server>
void add_watchers(Server& s, int n) {
  counting_sink sink;
  for (int i = 0; i < n; ++i) {
    std::string const w = "sip:watcher" + std::to_string(i) + "@example.com";
    subscribe_request r;
    r.event = event_package::call_info;
    r.line = line_uri;
    r.watcher = w;
    s.on_subscribe(r, sink);
  }
}

// Confirmed <-> hold on appearance 1: one applied transition per event.
void BM_dialog_state_change(benchmark::State& state) {
  basic_server<broadworks> s;
  add_watchers(s, static_cast<int>(state.range(0)));
  counting_sink sink;
  dialog_event d;
  d.line = line_uri;
  d.dialog = 1;
  d.side = dialog_side::caller;
  d.appearance_index = 1;
  d.phase = dialog_phase::confirmed;
  s.on_dialog(d, sink);
  std::uint64_t const before = callinfo_bench::allocation_count();
  bool hold = true;
  for (auto _ : state) {
    d.phase = hold ? dialog_phase::hold : dialog_phase::resume;
    hold = !hold;
    benchmark::DoNotOptimize(s.on_dialog(d, sink));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["notifies/event"] = static_cast<double>(sink.notifies) / static_cast<double>(state.iterations());
  state.counters["allocs/event"] =
      static_cast<double>(callinfo_bench::allocation_count() - before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_dialog_state_change)->Arg(0)->Arg(1)->Arg(10);

// A PUBLISH modify (SIP-If-Match, Call-Info already parsed) toggling
// appearance 1 between active and held.
template <class Policies>
void BM_publish_modify(benchmark::State& state) {
  basic_server<Policies> s;
  add_watchers(s, static_cast<int>(state.range(0)));
  counting_sink sink;
  auto const active = *parse_call_info("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  auto const held = *parse_call_info("<sip:bob@example.com>;appearance-index=1;appearance-state=held");
  std::string etag;
  {
    effect_list fx;
    publish_request p;
    p.line = line_uri;
    call_info_updates first;
    (void)first.read(active);
    p.appearances = first.updates();
    s.on_publish(p, fx);
    etag = std::get<response>(fx.items[0]).etag;
  }
  bool hold = true;
  call_info_updates reader;  // the stack's Call-Info -> updates step is measured too
  for (auto _ : state) {
    publish_request p;
    p.line = line_uri;
    p.if_match = etag;
    if (reader.read(hold ? held : active)) state.SkipWithError("Call-Info refused");
    p.appearances = reader.updates();
    hold = !hold;
    std::string_view new_tag;
    s.on_publish(p, [&](effect const& e) {
      sink(e);
      if (auto const* r = std::get_if<response>(&e)) new_tag = r->etag;
    });
    etag.assign(new_tag);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["notifies/event"] = static_cast<double>(sink.notifies) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_publish_modify<broadworks>)->Arg(0)->Arg(10);
BENCHMARK(BM_publish_modify<broadworks_random_tags>)->Arg(0);

// A call-info SUBSCRIBE refresh inside its dialog (200, timer, NOTIFY).
void BM_subscribe_refresh(benchmark::State& state) {
  basic_server<test_policies> s;
  effect_list fx;
  subscribe_request r;
  r.event = event_package::call_info;
  r.line = line_uri;
  r.watcher = "sip:w@example.com";
  s.on_subscribe(r, fx);
  r.subscription = std::get<response>(fx.items[0]).subscription;
  r.expires = 3600;
  counting_sink sink;
  for (auto _ : state) s.on_subscribe(r, sink);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_subscribe_refresh);

// 8 busy appearances, active and held in turn, with or without a remote party.
std::vector<appearance> busy_8(bool with_remote) {
  std::vector<appearance> busy;
  for (std::uint32_t i = 1; i <= 8; ++i) {
    appearance a;
    a.index = i;
    a.state = i % 2 ? appearance_state::active : appearance_state::held;
    if (with_remote) a.remote = "<sip:carol" + std::to_string(i) + "@example.com>";
    busy.push_back(a);
  }
  return busy;
}

// The Call-Info of a call-info NOTIFY for a line with 8 busy appearances,
// into a fixed buffer: OpenSIPS format (arg 0), Kamailio format without
// (1) and with (2) a remote party on every appearance.
void BM_build_call_info_8(benchmark::State& state) {
  std::vector<appearance> const busy = busy_8(state.range(0) == 2);
  line_view const line{line_uri, busy};
  notify_format const format = state.range(0) == 0 ? notify_format::single_entry : notify_format::entry_per_appearance;
  static_buffer<2048> buf;
  std::uint64_t const before = callinfo_bench::allocation_count();
  std::size_t bytes = 0;
  for (auto _ : state) {
    buf.clear();
    benchmark::DoNotOptimize(write_call_info(line, format, buf));
    bytes = buf.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["allocs/build"] =
      static_cast<double>(callinfo_bench::allocation_count() - before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_build_call_info_8)->Arg(0)->Arg(1)->Arg(2);

// A call-info NOTIFY effect for those appearances, in the format of arg 0-2.
notify notify_8(benchmark::State const& state, std::vector<appearance> const& busy) {
  notify n;
  n.subscription = 1;
  n.event = event_package::call_info;
  n.event_id = "7";
  n.state = substate::active;
  n.expires = 3599u;
  n.line = line_view{line_uri, busy};
  n.format = state.range(0) == 0 ? notify_format::single_entry : notify_format::entry_per_appearance;
  return n;
}

// The whole header block of that NOTIFY (Event with an id, Subscription-State,
// Call-Info, Content-Length), into a fixed buffer: the form a stack that
// sends CRLF text uses. Args as for BM_build_call_info_8.
void BM_write_notify_headers_8(benchmark::State& state) {
  std::vector<appearance> const busy = busy_8(state.range(0) == 2);
  notify const n = notify_8(state, busy);
  static_buffer<2048> buf;
  std::uint64_t const before = callinfo_bench::allocation_count();
  std::size_t bytes = 0;
  for (auto _ : state) {
    buf.clear();
    benchmark::DoNotOptimize(write_notify_headers(n, buf));
    bytes = buf.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["allocs/build"] =
      static_cast<double>(callinfo_bench::allocation_count() - before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_write_notify_headers_8)->Arg(0)->Arg(1)->Arg(2);

// The same headers handed out one by one (for_each_notify_header(), values
// in its stack buffer), to a callback that only adds up their sizes: the
// form a stack that sets headers through its own API uses.
void BM_for_each_notify_header_8(benchmark::State& state) {
  std::vector<appearance> const busy = busy_8(state.range(0) == 2);
  notify const n = notify_8(state, busy);
  std::uint64_t const before = callinfo_bench::allocation_count();
  std::size_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    benchmark::DoNotOptimize(
        for_each_notify_header(n, [&](std::string_view name, std::string_view value) { bytes += name.size() + value.size(); }));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["allocs/build"] =
      static_cast<double>(callinfo_bench::allocation_count() - before) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_for_each_notify_header_8)->Arg(0)->Arg(1)->Arg(2);

std::size_t heap_in_use() { return mallinfo2().uordblks; }

// Heap bytes per subscription (100 watchers on each of 100 lines) and per
// busy appearance (8 per line over 1000 lines, remote parties included).
void report_memory() {
  {
    basic_server<test_policies> s;
    counting_sink sink;
    std::size_t const before = heap_in_use();
    std::vector<std::string> keep;
    for (int l = 0; l < 100; ++l)
      for (int w = 0; w < 100; ++w) {
        std::string const line = "sip:line" + std::to_string(l) + "@example.com";
        std::string const watcher = "sip:phone" + std::to_string(w) + "@example.com";
        subscribe_request r;
        r.event = event_package::call_info;
        r.line = line;
        r.watcher = watcher;
        s.on_subscribe(r, sink);
      }
    double const per = static_cast<double>(heap_in_use() - before) / 10000.0;
    std::printf("memory: %.0f heap bytes per subscription (10,000 call-info subscriptions over 100 lines; "
                "sizeof(subscription) = %zu)\n", per, sizeof(subscription));
  }
  for (std::string_view const remote : {std::string_view{}, std::string_view{"<sip:carol@example.com>"}}) {
    basic_server<test_policies> s;
    counting_sink sink;
    std::size_t const before_lines = heap_in_use();
    for (int l = 0; l < 1000; ++l) {
      std::string const line = "sip:line" + std::to_string(l) + "@example.com";
      s.update(line, 1, appearance_state::seized, {}, sink);  // creates the line
    }
    std::size_t const before = heap_in_use();
    for (int l = 0; l < 1000; ++l) {
      std::string const line = "sip:line" + std::to_string(l) + "@example.com";
      for (std::uint32_t i = 2; i <= 8; ++i) s.update(line, i, appearance_state::active, remote, sink);
    }
    double const per = static_cast<double>(heap_in_use() - before) / 7000.0;
    std::printf("memory: %.0f heap bytes per busy appearance %s (sizeof(appearance) = %zu); a line record costs %.0f bytes\n",
                per, remote.empty() ? "without a remote party" : "with a 23-byte remote party", sizeof(appearance),
                static_cast<double>(before - before_lines) / 1000.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  report_memory();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
