// Third-party PUBLISH of call-info state (RFC 3903 entity-tags), and the
// seed call flow of OpenSIPS presence_callinfo.
#include "support.hpp"

using namespace callinfo;
using namespace callinfo::test;

TEST_CASE("seed call flow: SUBSCRIBE, PUBLISH alerting, PUBLISH active; the watcher sees each state") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:watcher@example.com");
  subscription_id const watcher = h.reply().subscription;

  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting");
  CHECK(h.reply().code == 200);
  std::string const etag(h.reply().etag);
  CHECK_FALSE(etag.empty());
  CHECK(h.reply().expires == 3600u);
  REQUIRE(h.notifies(watcher).size() == 1);
  CHECK(h.states(h.notifies(watcher)[0].line) == "1=alerting");

  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active", etag);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().etag != etag);  // RFC 3903 §4.4: a new entity-tag each time
  REQUIRE(h.notifies(watcher).size() == 1);
  CHECK(h.states(h.notifies(watcher)[0].line) == "1=active");
}

TEST_CASE("PUBLISH without Call-Info: 400 by default, 500 in the OpenSIPS dialect") {
  harness<> h;
  h.publish(std::nullopt);
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Missing Call-Info header");
  harness<opensips> o;
  o.publish(std::nullopt);
  CHECK(o.reply().code == 500);
  CHECK(h.server.storage().publication_count() == 0);
}

TEST_CASE("RFC 3903 §4.4: an unknown or stale SIP-If-Match is 412 and changes nothing") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting");
  std::string const first(h.reply().etag);
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active", first);
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=idle", first);  // stale now
  CHECK(h.reply().code == 412);
  CHECK(h.line_states() == "1=active");
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=idle", "nosuchtag");
  CHECK(h.reply().code == 412);
}

TEST_CASE("RFC 3903 §4.3: a refresh without a body keeps the state, gives a new tag and NOTIFYs nobody") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  std::string const etag(h.reply().etag);
  h.publish(std::nullopt, etag, 1800);
  CHECK(h.reply().code == 200);
  CHECK(h.reply().expires == 1800u);
  CHECK(h.reply().etag != etag);
  CHECK(h.notifies().empty());
  CHECK(h.line_states() == "1=active");
}

TEST_CASE("RFC 3903 §4.5: Expires 0 removes the publication and its appearances go idle") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  std::string const etag(h.reply().etag);
  auto const& fx = h.publish(std::nullopt, etag, 0);
  CHECK(h.reply().code == 200);
  CHECK(fx.count<cancel_timer>() == 1);
  REQUIRE(h.notifies().size() == 1);
  CHECK(h.states(h.notifies()[0].line) == "idle");
  CHECK(h.server.storage().publication_count() == 0);
}

TEST_CASE("a publication that expires takes its state with it") {
  harness<> h;
  h.subscribe(event_package::call_info, "sip:w@x");
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=held", std::nullopt, 60);
  h.advance_and_fire(60, {timer_kind::publication, 1});
  REQUIRE(h.notifies().size() == 1);
  CHECK(h.states(h.notifies()[0].line) == "idle");
}

TEST_CASE("an illegal transition is refused with 400 and the line is unchanged (OpenSIPS table)") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting");
  std::string const etag(h.reply().etag);
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=held", etag);
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Illegal appearance-state transition");
  CHECK(h.line_states() == "1=alerting");
  // The entity-tag is still the publication's: a failed modify does not consume it.
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active", etag);
  CHECK(h.reply().code == 200);
}

TEST_CASE("a PUBLISH is all or nothing: one bad appearance refuses the whole request") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active,"
            "<sip:bob@example.com>;appearance-index=2;appearance-state=ringing");
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Unknown appearance-state");
  CHECK(h.line_states() == "idle");
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=1;appearance-state=held");
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Duplicate appearance-index");
}

TEST_CASE("OpenSIPS NOTIFY style is accepted as a PUBLISH body: the idle wildcard is skipped") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-index=2;"
            "appearance-state=held;appearance-index=*;appearance-state=idle");
  CHECK(h.reply().code == 200);
  CHECK(h.line_states() == "1=active 2=held");
}

TEST_CASE("a missing appearance-index means 1, and appearance-uri is kept unescaped") {
  harness<> h;
  h.publish(R"(<sip:bob@example.com>;appearance-state=active;appearance-uri="\"Carol\" <sip:carol@example.com>")");
  CHECK(h.reply().code == 200);
  line_view const l = h.server.line(bob);
  REQUIRE(l.busy.size() == 1);
  CHECK(l.busy[0].index == 1);
  CHECK(l.busy[0].remote == R"("Carol" <sip:carol@example.com>)");
}

TEST_CASE("RFC 3903 §4.4: a modify replaces the publication: appearances it no longer names go idle") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active,"
            "<sip:bob@example.com>;appearance-index=2;appearance-state=alerting");
  std::string const etag(h.reply().etag);
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=held", etag);
  CHECK(h.reply().code == 200);
  CHECK(h.line_states() == "1=held");
}

TEST_CASE("a PUBLISH does not take over an appearance that a dialog drives") {
  harness<> h;
  h.dialog(9, dialog_side::caller, dialog_phase::confirmed, 1);
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=idle");
  CHECK(h.reply().code == 400);
  CHECK(h.line_states() == "1=active");
}

TEST_CASE("an initial PUBLISH with Expires 0 is 400") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active", std::nullopt, 0);
  CHECK(h.reply().code == 400);
  CHECK(h.server.storage().publication_count() == 0);
}

TEST_CASE("a PUBLISH whose appearance-uri unescapes to control bytes is 400: no NOTIFY could carry it") {
  harness<> h;
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-uri=\"<sip:a@x>\\\x01\"");
  CHECK(h.reply().code == 400);
  CHECK(h.reply().reason == "Bad appearance-uri");
  h.publish("<sip:bob@example.com>;appearance-index=1;appearance-state=active;appearance-uri=\"a\r\n b\"");
  CHECK(h.reply().code == 400);
  CHECK(h.line_states() == "idle");
}

namespace {
// Records what the Authorizer was asked.
struct recording_authorizer {
  std::vector<request_context>* seen = nullptr;
  bool authorize(request_context const& c) const {
    if (seen) seen->push_back(c);
    return publishers_own_their_publications{}.authorize(c);
  }
};
struct recorded : test_policies {
  using authorizer = recording_authorizer;
};
}  // namespace

TEST_CASE("the Authorizer sees the request context; a SIP-If-Match naming another's publication can be refused") {
  std::vector<request_context> seen;
  harness<recorded> h(default_limits{});
  h.server = basic_server<recorded>(default_limits{}, recording_authorizer{&seen});
  publish_request r;
  r.line = bob;
  r.publisher = "sip:alice@example.com";
  r.source = "udp:192.0.2.1:5060";
  r.appearances = h.updates("<sip:bob@example.com>;appearance-index=1;appearance-state=alerting");
  h.last = h.server.on_publish(r);
  REQUIRE(h.reply().code == 200);
  std::string const etag(h.reply().etag);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].method == request_method::publish);
  CHECK(seen[0].package == event_package::call_info);
  CHECK(seen[0].line == bob);
  CHECK(seen[0].identity == "sip:alice@example.com");
  CHECK(seen[0].source == "udp:192.0.2.1:5060");
  CHECK(!seen[0].foreign_publication);

  // Mallory names alice's publication: the Authorizer is told, and refuses.
  r.publisher = "sip:mallory@example.com";
  r.if_match = etag;
  r.appearances = h.updates("<sip:bob@example.com>;appearance-index=1;appearance-state=idle");
  h.last = h.server.on_publish(r);
  CHECK(h.reply().code == 403);
  REQUIRE(seen.size() == 2);
  CHECK(seen[1].foreign_publication);
  CHECK(seen[1].owner == "sip:alice@example.com");
  CHECK(h.line_states() == "1=alerting");
  CHECK(h.server.storage().find_publication(std::string_view(etag)) != nullptr);  // nothing lost

  // Alice modifies her own.
  r.publisher = "sip:alice@example.com";
  r.appearances = h.updates("<sip:bob@example.com>;appearance-index=1;appearance-state=active");
  h.last = h.server.on_publish(r);
  CHECK(h.reply().code == 200);
  CHECK(!seen[2].foreign_publication);
  CHECK(h.line_states() == "1=active");

  // A line-seize SUBSCRIBE: the appearance asked for.
  subscribe_request s;
  s.event = event_package::line_seize;
  s.line = bob;
  s.watcher = "sip:phone@example.com";
  s.source = "tcp:192.0.2.9:5060";
  s.seize = h.seize_of("<sip:bob@example.com>;appearance-index=3");
  h.last = h.server.on_subscribe(s);
  CHECK(h.reply().code == 200);
  REQUIRE(seen.size() == 4);
  CHECK(seen[3].method == request_method::subscribe);
  CHECK(seen[3].package == event_package::line_seize);
  CHECK(seen[3].identity == "sip:phone@example.com");
  CHECK(seen[3].source == "tcp:192.0.2.9:5060");
  CHECK(seen[3].appearance == 3);
}
