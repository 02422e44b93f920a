// The parsers and their views never allocate: global operator new is
// replaced for the whole test binary and counted here.
#include "support.hpp"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <string>
#include <string_view>

#include "../support/counting_new.hpp"

namespace {

// Walks every view so the lazy ranges are re-scanned; returns a checksum so
// the work cannot be optimised away.
std::size_t touch(callinfo::call_info_view const& ci) {
  std::size_t sum = ci.size();
  for (auto const& e : ci) {
    sum += e.uri.size();
    for (auto const& p : e.params) sum += p.name.size() + p.value.size() + (p.has_value ? 1 : 0);
    for (auto const& a : e.appearances()) {
      sum += a.index ? a.index->value() + 1 : 0;
      sum += a.state() ? static_cast<std::size_t>(*a.state()) + 1 : 0;
      sum += a.uri ? a.uri->unquoted().size() : 0;
    }
    if (auto const p = e.purpose()) sum += p->value.size();
    if (auto const a = e.appearance()) sum += a->state_token ? a->state_token->size() : 0;
  }
  return sum;
}

}  // namespace

TEST_CASE("allocation: parsing every header type and iterating the views allocates nothing") {
  std::string_view const call_infos[] = {
      "<http://wwww.example.com/alice/photo.jpg> ;purpose=icon, <http://www.example.com/alice/> ;purpose=info",
      "<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=*;appearance-state=idle",
      "<sip:127.0.0.1>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:callee@127.0.0.1>\","
      "<sip:127.0.0.1>;appearance-index=*;appearance-state=idle",
      "<sip:as.example.com>;appearance-index=2;appearance-state=held-private;"
      "appearance-uri=\"\\\"Alice Smith\\\" <sip:alice@example.com>\"",
      "<sip:a@example.com>\r\n ;appearance-index=1\r\n\t;appearance-state=active,\r\n <sip:b@[::1]>;maddr=[::1]",
      "<sip:a>;x=\"abc",  // an error path too
      "<sip:a>;appearance-index=4294967296",
  };
  char unescaped[128];

  std::size_t sum = 0;
  bool all_as_expected = true;
  std::size_t const before = allocations.load();
  {
    for (std::string_view v : call_infos) {
      auto const r = callinfo::parse_call_info(v);
      if (r) {
        sum += touch(*r);
        // Equality re-walks both views.
        all_as_expected = all_as_expected && (*r == *r);
        for (auto const& e : *r)
          for (auto const& a : e.appearances())
            if (a.uri && a.uri->unquoted().size() <= sizeof unescaped)
              sum += callinfo::unescape_into(a.uri->unquoted(), unescaped);
      } else {
        sum += r.error().offset;
      }
    }
    if (auto const e = callinfo::parse_event("presence.winfo;id=7;x=\"y\"")) {
      sum += e->type.package().size() + e->type.templates().size() + e->id->size();
      for (auto const& p : e->params) sum += p.name.size() + p.value.size();
      all_as_expected = all_as_expected && (*e == *e);
    } else {
      all_as_expected = false;
    }
    if (auto const a = callinfo::parse_allow_events("call-info, line-seize,\r\n dialog.winfo")) {
      for (auto const& t : *a) sum += t.text.size() + t.package().size();
      all_as_expected = all_as_expected && a->contains("line-seize") && (*a == *a);
    } else {
      all_as_expected = false;
    }
    if (auto const s = callinfo::parse_subscription_state("terminated;reason=noresource;retry-after=30;x=1")) {
      sum += static_cast<std::size_t>(s->state()) + static_cast<std::size_t>(*s->reason()) + *s->retry_after;
      for (auto const& p : s->params) sum += p.name.size() + p.value.size();
      all_as_expected = all_as_expected && (*s == *s);
    } else {
      all_as_expected = false;
    }
    auto const ex = callinfo::parse_expires("3600");
    auto const ex_bad = callinfo::parse_expires("4294967296");
    auto const etag = callinfo::parse_sip_etag("dx200xyz");
    auto const if_match = callinfo::parse_sip_if_match("dx200xyz");
    all_as_expected = all_as_expected && ex && ex->seconds == 3600 && !ex_bad && etag && if_match &&
                      *etag == *if_match;

    // Printing into caller memory does not allocate either.
    callinfo::static_buffer<512> buf;
    if (auto const r = callinfo::parse_call_info(call_infos[2])) print(*r, buf);
    all_as_expected = all_as_expected && !buf.overflowed() && buf.size() > 0;
  }
  std::size_t const after = allocations.load();

  CHECK(after - before == 0);
  CHECK(all_as_expected);
  CHECK(sum > 0);
}
