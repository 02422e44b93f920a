// Uses the parsers through declarations only (CALLINFO_SEPARATE_COMPILATION):
// fails to link if src.hpp misses a definition, fails at run time if a
// parser behaves differently from header-only mode.
#include <callinfo/callinfo.hpp>

#include <cstdio>

int main() {
  auto const ci = callinfo::parse_call_info("<sip:bob@example.com>;appearance-index=2;appearance-state=held");
  auto const ev = callinfo::parse_event("line-seize;id=7");
  auto const ss = callinfo::parse_subscription_state("terminated;reason=timeout");
  auto const ex = callinfo::parse_expires("3600");
  auto const et = callinfo::parse_sip_if_match("dx200xyz");
  auto const ae = callinfo::parse_allow_events("call-info,line-seize");
  bool const ok = ci && ci->front().appearance()->index->value() == 2 && ev && *ev->id == "7" && ss &&
                  ss->reason() == callinfo::event_reason::timeout && ex && ex->seconds == 3600 && et &&
                  ae && ae->contains("line-seize");
  std::puts(ok ? "separate compilation: ok" : "separate compilation: FAILED");
  return ok ? 0 : 1;
}
