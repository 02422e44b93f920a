// write_dialog_info() allocates nothing when it writes into a fixed_sink:
// global operator new is replaced in this binary and counted.
#include <callinfo/dialog_info/write.hpp>
#include <callinfo/sink.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "../support/busy_line.hpp"
#include "../support/counting_new.hpp"

TEST_CASE("allocation: the dialog-info builder writes into a fixed_sink without allocating") {
  // the last remote is longer than the staging buffer, and escaped 5x
  std::vector<callinfo::appearance> const busy =
      callinfo::test::busy_appearances("\"Alice \\\"A\\\" & Smith\" <sip:alice@example.com>", '&');
  callinfo::notify n;
  n.event = callinfo::event_package::dialog_shared;
  n.line.uri = "sip:bob@example.com";
  n.line.busy = busy;

  static char storage[16384];
  static char small[64];
  bool all_ok = true;
  std::size_t total = 0;
  std::size_t const before = allocations.load();
  {
    callinfo::fixed_sink out(storage, sizeof storage);
    for (std::uint32_t v = 0; v < 4; ++v) {
      out.clear();
      n.version = v;
      all_ok = all_ok && callinfo::write_dialog_info(n, out).ok();
      total += out.size();
      out.clear();
      all_ok = all_ok && callinfo::write_dialog_info(n.line, {v, callinfo::dialog_info_state::partial}, out).ok();
    }
    callinfo::fixed_sink tiny(small, sizeof small);
    all_ok = all_ok && callinfo::write_dialog_info(n, tiny).code == callinfo::build_errc::overflow;
    callinfo::line_view bad = n.line;
    bad.uri = "sip:a\r\nb";
    all_ok = all_ok && callinfo::write_dialog_info(bad, {}, out).code == callinfo::build_errc::bad_uri;
  }
  std::size_t const after = allocations.load();
  CHECK(after - before == 0);
  CHECK(all_ok);
  CHECK(total > 4 * 3500);
}
