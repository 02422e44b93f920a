// callinfo benchmark — state operations through Redis (redis::storage) beside
// the in-memory server (basic_server on map_storage).
//
//   redis-state HOST PORT [SECONDS-PER-CASE]
//
// Needs a Redis of its own (scripts/bench-redis starts one on 127.0.0.1 in
// a temporary directory); keys use a prefix unique to the run. Each case
// runs for SECONDS-PER-CASE (default 1) of wall time and prints operations
// per second:
//   seize + unsubscribe     two SUBSCRIBEs (line-seize, then Expires: 0) on
//                           one of 1000 lines: two transactions, each a load
//                           and a committed compare-and-set
//   dialog change           confirmed <-> hold on one line with a call-info
//                           watcher: one transaction, a NOTIFY effect
//   the same, T threads     T connections, T server numbers, T lines
//   the same, one line      T threads on the same line: compare-and-set
//                           conflicts per operation
//   line reads              loading 1000 lines one call at a time, and
//                           pipelined (resync(): 256 HMGETs per round trip)
#include <callinfo/adapters/call_info.hpp>
#include <callinfo/redis/storage.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace callinfo;
using clock_type = std::chrono::steady_clock;

struct policies : test_policies {
  using ids = redis::cluster_ids;
};
struct shared_policies : policies {
  using storage = redis::storage;
};
using shared = basic_server<shared_policies>;

// A call Redis could not serve ends the run.
void check(shared const& s) {
  if (s.last_storage_status() != storage_status::ok) {
    std::fprintf(stderr, "redis-state: %s\n", std::string(to_string(s.last_storage_status())).c_str());
    std::exit(1);
  }
}

struct counting_sink {
  std::uint64_t effects = 0;
  void operator()(effect const&) noexcept { ++effects; }
};

char const* host = "127.0.0.1";
int port = 6379;
double seconds = 1.0;
std::string prefix;

redisContext* connect() {
  redisContext* c = redisConnect(host, port);
  if (c == nullptr || c->err) {
    std::fprintf(stderr, "redis-state: cannot connect to %s:%d\n", host, port);
    std::exit(1);
  }
  return c;
}

// Runs op(i) until the time is up; returns operations per second.
template <class Op>
double rate(Op&& op, unsigned ops_per_call = 1) {
  auto const start = clock_type::now();
  auto const until = start + std::chrono::duration<double>(seconds);
  std::uint64_t n = 0;
  for (;;) {
    for (int k = 0; k < 64; ++k) op(n++);
    if (clock_type::now() >= until) break;
  }
  double const s = std::chrono::duration<double>(clock_type::now() - start).count();
  return static_cast<double>(n * ops_per_call) / s;
}

std::string line_name(std::uint64_t i) { return "sip:line" + std::to_string(i) + "@example.com"; }

// Seize appearance 1 of a line, then unsubscribe.
template <class Server, class Sub>
void seize_unsubscribe(Server& s, Sub&& subscribe, std::uint64_t i) {
  std::string const line = line_name(i % 1000);
  std::string const ci = "<" + line + ">;appearance-index=1";
  auto const v = parse_call_info(ci);
  subscribe_request r;
  r.event = event_package::line_seize;
  r.line = line;
  r.watcher = "sip:phone@example.com";
  r.expires = 10;
  r.seize = seize_target_of(*v);
  subscription_id id = 0;
  subscribe(r, [&](effect const& e) {
    if (auto const* resp = std::get_if<response>(&e); resp && resp->code == 200) id = resp->subscription;
  });
  if (id == 0) {
    std::fprintf(stderr, "redis-state: seize refused\n");
    std::exit(1);
  }
  subscribe_request u;
  u.event = event_package::line_seize;
  u.line = line;
  u.subscription = id;
  u.expires = 0;
  counting_sink sink;
  subscribe(u, sink);
  (void)s;
}

template <class Subscribe>
void add_watcher(std::string const& line, Subscribe&& subscribe) {
  subscribe_request r;
  r.event = event_package::call_info;
  r.line = line;
  r.watcher = "sip:watcher@example.com";
  r.expires = 3600;
  counting_sink sink;
  subscribe(r, sink);
}

dialog_event flip(std::string const& line, std::uint64_t i) {
  dialog_event d;
  d.line = line;
  d.dialog = 1;
  d.appearance_index = 1;
  d.phase = i % 2 ? dialog_phase::hold : dialog_phase::confirmed;
  return d;
}

redis::options opts() {
  redis::options o;
  o.prefix = prefix;
  return o;
}

// T threads, each its own connection and server number, flipping `line_of(t)`.
template <class LineOf>
std::pair<double, double> threaded(unsigned threads, LineOf&& line_of) {
  std::atomic<std::uint64_t> ops{0}, conflicts{0};
  std::vector<std::thread> pool;
  auto const start = clock_type::now();
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      redisContext* c = connect();
      {
        shared s(redis::storage(c, 100 + t, opts()));
        redis::start(s);
        std::string const line = line_of(t);
        auto sub = [&](subscribe_request const& r, auto&& out) { s.on_subscribe(r, out); };
        add_watcher(line, sub);
        counting_sink sink;
        std::uint64_t n = 0;
        auto const until = clock_type::now() + std::chrono::duration<double>(seconds);
        while (clock_type::now() < until)
          for (int k = 0; k < 16; ++k) {
            // Each thread drives its own dialog: on a shared line the
            // appearance belongs to whichever call took it first.
            dialog_event d = flip(line, n++);
            d.dialog = t + 1;
            d.appearance_index = t + 1;
            s.on_dialog(d, sink);
            check(s);
          }
        ops += n;
        conflicts += s.storage().stats().conflicts;
      }
      redisFree(c);
    });
  for (auto& th : pool) th.join();
  double const s = std::chrono::duration<double>(clock_type::now() - start).count();
  return {static_cast<double>(ops) / s, static_cast<double>(conflicts) / static_cast<double>(ops)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: redis-state HOST PORT [SECONDS-PER-CASE]\n");
    return 2;
  }
  host = argv[1];
  port = std::atoi(argv[2]);
  if (argc > 3) seconds = std::atof(argv[3]);
  prefix = "{callinfo-bench-" + std::to_string(::getpid()) + "}:";

  std::printf("%-52s %14s %14s\n", "operation", "in-memory/s", "Redis/s");
  auto row = [](char const* what, double mem, double red) { std::printf("%-52s %14.0f %14.0f\n", what, mem, red); };

  basic_server<policies> mem;
  redisContext* c = connect();
  shared s(redis::storage(c, 1, opts()));
  if (redis::start(s) != storage_status::ok) return 1;
  auto mem_sub = [&](subscribe_request const& r, auto&& out) { mem.on_subscribe(r, out); };
  auto red_sub = [&](subscribe_request const& r, auto&& out) {
    s.on_subscribe(r, out);
    check(s);
  };

  double const m1 = rate([&](std::uint64_t i) { seize_unsubscribe(mem, mem_sub, i); }, 2);
  double const r1 = rate([&](std::uint64_t i) { seize_unsubscribe(s, red_sub, i); }, 2);
  row("SUBSCRIBE line-seize / unsubscribe (per request)", m1, r1);

  std::string const line = line_name(5000);
  add_watcher(line, mem_sub);
  add_watcher(line, red_sub);
  counting_sink sink;
  double const m2 = rate([&](std::uint64_t i) { mem.on_dialog(flip(line, i), sink); });
  double const r2 = rate([&](std::uint64_t i) {
    s.on_dialog(flip(line, i), sink);
    check(s);
  });
  row("dialog change, 1 call-info watcher", m2, r2);

  unsigned const threads = std::max(2u, std::min(4u, std::thread::hardware_concurrency() * 2));
  auto const [t_ops, t_conf] = threaded(threads, [](unsigned t) { return line_name(6000 + t); });
  std::printf("%-52s %14s %14.0f\n", ("dialog change, " + std::to_string(threads) + " threads, own lines").c_str(), "",
              t_ops);
  auto const [o_ops, o_conf] = threaded(threads, [](unsigned) { return line_name(7000); });
  std::printf("%-52s %14s %14.0f   (%.2f conflicts/op)\n",
              ("dialog change, " + std::to_string(threads) + " threads, one line").c_str(), "", o_ops, o_conf);

  // Line reads: 1000 lines each with a watcher owned by server 1.
  for (int i = 0; i < 1000; ++i) add_watcher(line_name(10000 + i), red_sub);
  double const seq = rate([&](std::uint64_t i) {
    s.line(line_name(10000 + i % 1000));
    check(s);
  });
  // resync() reads every line with a watcher of this server (1001 here) and
  // NOTIFYs each watcher once: lines per second = NOTIFYs per second.
  std::uint64_t notified = 0;
  auto count = [&](effect const&) { ++notified; };
  auto const start = clock_type::now();
  do {
    if (redis::resync(s, count) != storage_status::ok) return 1;
  } while (std::chrono::duration<double>(clock_type::now() - start).count() < seconds);
  double const piped = static_cast<double>(notified) / std::chrono::duration<double>(clock_type::now() - start).count();
  std::printf("%-52s %14s %14.0f\n", "line read, one round trip each (line())", "", seq);
  std::printf("%-52s %14s %14.0f\n", "line read, pipelined 256 per round trip (resync)", "", piped);
  redisFree(c);
  return 0;
}
