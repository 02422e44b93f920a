// The builders allocate nothing when they write into a fixed_sink or hand
// out headers one by one: global operator new is replaced in this binary
// and counted.
#include <callinfo/write/call_info.hpp>
#include <callinfo/write/event.hpp>
#include <callinfo/write/notify.hpp>
#include <callinfo/write/response.hpp>
#include <callinfo/write/subscription_state.hpp>
#include <callinfo/sink.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <string_view>
#include <string>
#include <system_error>
#include <vector>

#include "../support/busy_line.hpp"
#include "../support/counting_new.hpp"

TEST_CASE("allocation: every builder writes into a fixed_sink, or hands out headers, without allocating") {
  using callinfo::appearance_state;
  // The line is set up (and allocates) before counting starts.
  // (the last remote is longer than the staging buffer)
  std::vector<callinfo::appearance> const busy =
      callinfo::test::busy_appearances("\"Alice \\\"A\\\" Smith\" <sip:alice@example.com>", 'r');
  callinfo::line_view line;
  line.uri = "sip:bob@example.com";
  line.busy = busy;

  callinfo::notify n;
  n.event = callinfo::event_package::call_info;
  n.state = callinfo::substate::active;
  n.expires = 3600u;
  n.line = line;
  callinfo::response r;
  r.code = 202;
  r.reason = "Accepted";
  r.subscription = 1;
  r.expires = 3600u;
  r.etag = "abc";
  r.retry_after = 1u;
  r.min_expires = 60u;

  static char storage[8192];
  static char small[16];
  bool all_ok = true;
  std::size_t total = 0;
  std::size_t const before = allocations.load();
  {
    callinfo::fixed_sink out(storage, sizeof storage);
    for (auto f : {callinfo::notify_format::single_entry, callinfo::notify_format::entry_per_appearance}) {
      out.clear();
      all_ok = all_ok && callinfo::write_call_info(line, f, out).ok();
      total += out.size();
      out.clear();
      all_ok = all_ok && callinfo::write_call_info(line, f, "sip:example.com", out).ok();
      total += out.size();
      callinfo::notify_options o;
      n.format = f;
      out.clear();
      all_ok = all_ok && callinfo::write_notify_headers(n, o, out).ok();
      total += out.size();
    }
    out.clear();
    all_ok = all_ok && callinfo::write_line_seize_call_info("sip:bob@example.com", 3, out).ok();
    all_ok = all_ok && callinfo::write_subscription_state(callinfo::substate::terminated,
                                                          callinfo::event_reason::timeout, std::nullopt, out).ok();
    all_ok = all_ok && callinfo::write_event(callinfo::event_package::line_seize, "7", out).ok();
    all_ok = all_ok && callinfo::write_response(r, out).ok();
    total += out.size();
    // The per-header form, into the stack's buffer and the caller's.
    std::size_t handed = 0;
    auto count = [&](std::string_view name, std::string_view value) { handed += name.size() + value.size(); };
    all_ok = all_ok && callinfo::for_each_notify_header(n, callinfo::notify_options{}, storage, count).ok();
    callinfo::notify no_remotes = n;
    no_remotes.format = callinfo::notify_format::single_entry;
    all_ok = all_ok && callinfo::for_each_notify_header(no_remotes, count).ok();
    all_ok = all_ok && callinfo::for_each_response_header(r, count).ok();
    all_ok = all_ok && callinfo::for_each_response_header(r, small, count).code == callinfo::build_errc::overflow;
    total += handed;
    // Refusals and overflow allocate nothing either.
    callinfo::line_view bad = line;
    bad.uri = "sip:a\r\nb";
    all_ok = all_ok && callinfo::write_call_info(bad, callinfo::notify_format::single_entry, out).code ==
                           callinfo::build_errc::bad_uri;
    callinfo::fixed_sink tiny(small, sizeof small);
    all_ok = all_ok && callinfo::write_call_info(line, callinfo::notify_format::entry_per_appearance, tiny).code ==
                           callinfo::build_errc::overflow;
    std::error_code const ec = callinfo::build_errc::overflow;
    all_ok = all_ok && ec.category() == callinfo::build_category();
  }
  std::size_t const after = allocations.load();
  CHECK(after - before == 0);
  CHECK(all_ok);
  CHECK(total > 0);
}
