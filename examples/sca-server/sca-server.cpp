// sca-server — a Shared Call Appearance server on Sofia-SIP's nta layer.
//
//   sca-server [--port N] [--dialect default|opensips|broadworks]
//              [--route USER=127.0.0.1:PORT]... [--line USER]... [--state FILE]
//              [--quiet] [--redis HOST:PORT --node N]
//
// Listens on udp 127.0.0.1:N (default 5070) and serves
//   SUBSCRIBE   Event: call-info, line-seize   (RFC 6665; out of dialog and
//                                               refreshes / unsubscribes in it)
//   PUBLISH     Event: call-info               (RFC 3903, third-party state)
//   SUBSCRIBE   Event: dialog;shared           (RFC 7463 watchers: NOTIFYs
//                                               carry write_dialog_info())
//   PUBLISH     Event: dialog;shared           (RFC 7463 dialog-info bodies,
//                                               with pugixml only)
// with a callinfo::basic_server. The requests' Event, Expires, Call-Info and
// SIP-If-Match headers are read from the raw message text with the
// library's parsers; the server's effects become SIP:
//
//   response            nta_incoming_treply(): status line from the effect,
//                       headers from write_response_headers(); a 2xx to an
//                       initial SUBSCRIBE creates the subscription's dialog
//                       (an nta_leg with its own tag) and carries a Contact
//   notify              nta_outgoing_tcreate() on the subscription's leg
//                       (nta fills Call-ID, From/To with tags, CSeq, Route),
//                       headers from write_notify_headers<Dialect>()
//   arm_timer           one su_timer per timer_id, set for the time left;
//   cancel_timer        it calls basic_server::on_timer() when it fires
//   appearance_changed  one log line
//
// Dialog-driven mode: INVITE, ACK, BYE, CANCEL (and other in-dialog
// requests) are proxied statefully between user agents on 127.0.0.1: an
// initial request for sip:USER@127.0.0.1:N goes to USER's --route, with a
// Record-Route of the server so the dialog's requests come back through it.
// A call from or to a --line feeds basic_server::on_dialog(): 18x early,
// 2xx confirmed, a re-INVITE's accepted SDP offer hold / resume
// (sdp_is_hold()), BYE terminated, CANCEL or a final non-2xx failed; the
// appearance-index is the INVITE's Call-Info (parse_call_info()) or, when
// it has none, first_idle_appearance() for an incoming call and 1 for an
// outgoing one, added to the forwarded INVITE as Call-Info.
//
// With --redis (built when hiredis is found), several sca-servers share
// lines, seizes, subscriptions and publications through one Redis with
// callinfo::redis::shared_server, each with its own --node number: every
// request runs as a transaction on its line; NOTIFYs for subscriptions
// whose dialogs this server holds come back from the others' changes
// (drained every loop step, 100 ms); expiry runs through expire_due() once
// a second instead of one su_timer per subscription. Dialog ids carry the
// node number so calls through different servers never share one.
//
// RFC 7463 phones: a SUBSCRIBE with Event: dialog;shared (its Accept, when
// present, must admit application/dialog-info+xml, else 406) is served by
// the same basic_server beside the call-info watchers; each of its NOTIFYs
// carries Content-Type: application/dialog-info+xml and the whole line as
// write_dialog_info() renders it (full state, the notify's version). Built
// with pugixml (SCA_SERVER_DIALOG_INFO), a PUBLISH with Event: dialog;shared
// and an application/dialog-info+xml body (parse_dialog_info()) drives the
// line like a call-info PUBLISH; a body the parser refuses gets 400 with a
// Warning naming the error and its byte offset, another Content-Type 415.
// Without pugixml that PUBLISH gets 489: RFC 3903 §6 step 2 answers 489 for
// an event package the ESC does not accept publications for, and 415 is for
// a body type of a package it does accept.
//
// Every request, response, NOTIFY and state change is logged on one line to
// stderr. SIGINT / SIGTERM stop the loop; the legs, timers and agent are
// destroyed before exit, after one line of counters (requests received,
// responses sent and relayed by class, NOTIFYs sent and answered).
//
// --state FILE: the server's state survives a restart. At start, FILE (when
// it exists) is restored: callinfo::restore() for lines, appearances,
// subscriptions and publications, then the proxied calls on shared lines
// (so that a BYE after the restart still frees its appearance). On SIGINT /
// SIGTERM the state is written to FILE.tmp and renamed to FILE. The
// subscriptions' dialogs live in nta and are not restored: a restored
// subscription is a record whose expiry timer still runs (a line-seize then
// frees its appearance); NOTIFYs for it are not sent, and a refresh in its
// old dialog gets 481, so the watcher subscribes again.
//
// Beside this file: config.hpp (what the command line sets), log.hpp,
// nta_glue.hpp (Sofia's magic types and callbacks), headers.hpp (the SIP
// message helpers) and state_file.hpp (the state file's text).
#include "config.hpp"
#include "headers.hpp"
#include "log.hpp"
#include "nta_glue.hpp"
#include "state_file.hpp"

#include <callinfo/build/notify.hpp>
#include <callinfo/build/response.hpp>
#include <callinfo/policy/clock.hpp>
#include <callinfo/presence/sdp_hold.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/presence/snapshot.hpp>
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/etag.hpp>
#include <callinfo/syntax/event.hpp>
#if SCA_SERVER_REDIS
#include <callinfo/redis/shared_server.hpp>
#endif
#include <callinfo/dialog_info/build.hpp>
#if SCA_SERVER_DIALOG_INFO
#include <callinfo/dialog_info/parse.hpp>
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

using namespace sca;

namespace {

std::atomic<bool> stop_requested{false};
extern "C" void on_signal(int) { stop_requested = true; }

template <class Policies>
class sca_server final : public sca_host {
 public:
  using server_type = callinfo::basic_server<Policies>;
  using dialect = typename Policies::dialect;

  sca_server(su_root_t* root, std::string const& bind_url, proxy_config config)
      : root_(root), config_(std::move(config)) {
    // CANCEL: nta answers it and calls the INVITE's bound callback; the 487
    // comes from downstream and is relayed, so nta sends none of its own.
    // A receive buffer of 4 MiB (the kernel caps it at net.core.rmem_max):
    // the 200s to a burst of NOTIFYs arrive together, and the 208 KiB
    // default overflowed at a few thousand NOTIFYs a second (bench/load).
    agent_ = nta_agent_create(root_, URL_STRING_MAKE(bind_url.c_str()), nullptr, nullptr, NTATAG_CANCEL_487(0),
                              TPTAG_UDP_RMEM(4u << 20), TPTAG_UDP_WMEM(4u << 20), TAG_END());
    if (agent_ == nullptr) return;
    default_magic_.host = this;
    default_leg_ = nta_leg_tcreate(agent_, leg_callback, &default_magic_, NTATAG_NO_DIALOG(1), TAG_END());
  }
  sca_server(sca_server const&) = delete;
  sca_server& operator=(sca_server const&) = delete;

  ~sca_server() {
    for (auto& [id, r] : relays_) {
      if (r->orq) nta_outgoing_destroy(r->orq);
      if (r->irq) nta_incoming_destroy(r->irq);
    }
    relays_.clear();
    for (auto& [id, s] : subscriptions_)
      if (s->leg) nta_leg_destroy(s->leg);
    subscriptions_.clear();
    for (auto& [k, t] : timers_) su_timer_destroy(t->timer);
    timers_.clear();
    reap();
    if (default_leg_) nta_leg_destroy(default_leg_);
    if (agent_) nta_agent_destroy(agent_);
#if SCA_SERVER_REDIS
    shared_.reset();
    if (redis_sub_) redisFree(redis_sub_);
    if (redis_cmd_) redisFree(redis_cmd_);
#endif
  }

  bool ok() const { return agent_ != nullptr && default_leg_ != nullptr; }

  // ---- Shared state through Redis (--redis) -------------------------------
#if SCA_SERVER_REDIS
 private:
  struct incoming;

 public:
  bool use_redis(shared_config const& c) {
    redis_cmd_ = redisConnect(c.host.c_str(), c.port);
    redis_sub_ = redisConnect(c.host.c_str(), c.port);
    if (redis_cmd_ == nullptr || redis_cmd_->err || redis_sub_ == nullptr || redis_sub_->err) return false;
    shared_ = std::make_unique<shared_type>(redis_cmd_, c.node);
    if (shared_->start() != callinfo::redis::status::ok || shared_->subscribe(redis_sub_) != callinfo::redis::status::ok)
      return false;
    last_dialog_ = callinfo::dialog_id{shared_->node()} << 52;
    return true;
  }
  // Changes made through the other servers, then due expiries (once a second).
  void poll_shared() {
    if (!shared_) return;
    auto const sink = [&](callinfo::effect const& e) { carry_out(e, nullptr); };
    if (auto const st = shared_->drain(redis_sub_, sink, 0); st != callinfo::redis::status::ok)
      log_line("redis: change messages: " + std::string(callinfo::redis::to_string(st)));
    callinfo::time_point const now = shared_->server().clock().now();
    if (now < next_expiry_) return;
    next_expiry_ = now + callinfo::time_point(1000);
    if (auto const st = shared_->expire_due(sink); st != callinfo::redis::status::ok)
      log_line("redis: expiry: " + std::string(callinfo::redis::to_string(st)));
  }
  // The request's effects, or 500 when Redis could not take the call.
  template <class Call>
  void shared_call(incoming* in, Call&& call) {
    auto const st = call(*shared_, [&](callinfo::effect const& e) { carry_out(e, in); });
    if (st == callinfo::redis::status::ok) return;
    log_line("redis: " + std::string(callinfo::redis::to_string(st)));
    if (in != nullptr && in->irq != nullptr) {
      reply(in->irq, 500, "Server Internal Error", "Retry-After: 1\r\n");
      in->irq = nullptr;
    }
  }
#else
  void poll_shared() {}
#endif

  // Frees what callbacks could not free while Sofia was inside them.
  void reap() {
    for (su_timer_t* t : dead_timers_) su_timer_destroy(t);
    dead_timers_.clear();
  }

  // ---- Requests ----------------------------------------------------------
  int request(sca_leg& magic, nta_leg_t*, nta_incoming_t* irq, sip_t const* sip) override {
    ++counters_.requests;
    char const* method = sip->sip_request ? sip->sip_request->rq_method_name : "?";
    trace_line(std::string("recv ") + method + " " + aor(sip->sip_request ? sip->sip_request->rq_url : nullptr) +
             " from " + aor(sip->sip_from ? sip->sip_from->a_url : nullptr) +
             " call-id " + (sip->sip_call_id ? sip->sip_call_id->i_id : "-") +
             " cseq " + (sip->sip_cseq ? std::to_string(sip->sip_cseq->cs_seq) : "-"));
    int status = 0;
    if (sip->sip_request == nullptr) {
      status = 400;
    } else if (sip->sip_request->rq_method == sip_method_subscribe) {
      status = subscribe(magic, irq, sip);
    } else if (sip->sip_request->rq_method == sip_method_publish && magic.subscription == 0) {
      status = publish(irq, sip);
    } else if (sip->sip_request->rq_method == sip_method_options && magic.subscription == 0 &&
               !routed(sip)) {
      status = reply(irq, 200, "OK", allow_subscribe_events);
    } else if (magic.subscription == 0 && proxied(sip)) {
      status = proxy(irq, sip);
    } else if (sip->sip_request->rq_method == sip_method_ack) {
      status = 0;
    } else {
      status = reply(irq, 405, "Method Not Allowed",
                     "Allow: SUBSCRIBE, PUBLISH, OPTIONS, INVITE, ACK, BYE, CANCEL\r\n");
    }
    return status;
  }

  // ---- NOTIFY transactions ---------------------------------------------
  void notify_answered(sca_leg& magic, nta_outgoing_t* orq, sip_t const* sip) override {
    int const status = sip ? static_cast<int>(sip->sip_status->st_status) : nta_outgoing_status(orq);
    if (status < 200) return;
    trace_line("recv " + std::to_string(status) + " to NOTIFY of subscription " + std::to_string(magic.subscription));
    ++(status < 300 ? counters_.notify_2xx : counters_.notify_failed);
    nta_outgoing_destroy(orq);
    callinfo::subscription_id const id = magic.subscription;
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    if (it->second->pending_notifies > 0) --it->second->pending_notifies;
    if (status >= 300) {
      log_line("NOTIFY of subscription " + std::to_string(id) + " failed with " + std::to_string(status));
      // RFC 6665 §4.2.2: a NOTIFY failing with 481, a timeout (nta reports
      // 408) or another dialog-ending code ends the subscription at the
      // notifier, with no further NOTIFY; a seize it held is released and
      // the line's watchers told. With --redis the subscription lives in the
      // shared state and ends at its expiry.
      if (!sharing()) {
        auto const end = server_.on_notify_failed(id, static_cast<std::uint16_t>(status),
                                                  [&](callinfo::effect const& e) { carry_out(e, nullptr); });
        if (end == callinfo::subscription_end::ended) {
          log_line("subscription " + std::to_string(id) + " removed after its NOTIFY failed");
          if (auto const gone = subscriptions_.find(id); gone != subscriptions_.end()) gone->second->terminated = true;
        }
      }
      it = subscriptions_.find(id);  // carry_out may have changed the map
      if (it == subscriptions_.end()) return;
    }
    if (it->second->terminated && it->second->pending_notifies == 0) forget(it);
  }

  // Whether the state is shared through Redis (--redis).
  bool sharing() const noexcept {
#if SCA_SERVER_REDIS
    return shared_ != nullptr;
#else
    return false;
#endif
  }

  // A clean stop without a state file (RFC 6665 §4.2.2): every subscription
  // ends with reason=deactivated, so watchers subscribe again at once (to
  // this server restarted, or another); the NOTIFYs' transactions get up to
  // `wait_ms` to finish. Returns how many subscriptions ended.
  std::size_t deactivate_all(unsigned wait_ms) {
    if (sharing()) return 0;
    std::size_t const n = server_.end_all_subscriptions(callinfo::event_reason::deactivated,
                                                        [&](callinfo::effect const& e) { carry_out(e, nullptr); });
    for (unsigned waited = 0; waited < wait_ms && pending_notifies() != 0; waited += 20) su_root_step(root_, 20);
    return n;
  }

  std::size_t pending_notifies() const {
    std::size_t n = 0;
    for (auto const& [id, s] : subscriptions_) n += s->pending_notifies;
    return n;
  }

  // ---- Timers ------------------------------------------------------------
  void timer_fired(callinfo::timer_id t) override {
    trace_line(std::string("timer of ") + (t.kind == callinfo::timer_kind::subscription ? "subscription " : "publication ") +
             std::to_string(t.id) + " fires");
    auto const k = key(t);
    auto it = timers_.find(k);
    std::uint64_t const generation = it != timers_.end() ? it->second->generation : 0;
    server_.on_timer(t, [&](callinfo::effect const& e) { carry_out(e, nullptr); });
    // Not armed again by on_timer: the timer is spent.
    it = timers_.find(k);
    if (it != timers_.end() && it->second->generation == generation) {
      dead_timers_.push_back(it->second->timer);
      timers_.erase(it);
    }
  }

  // ---- Dialog-driven mode: the calls' transactions ----------------------
  //
  // A minimal stateful proxy (RFC 3261 §16): each request out of a
  // subscription becomes one server transaction (irq, nta answers its
  // retransmissions) and one client transaction (orq, nta_outgoing_mcreate()
  // of a copy; nta adds its Via). Responses come back on the orq, lose the
  // top Via (ours) and go out on the irq. The initial INVITE is
  // record-routed, so re-INVITEs, BYEs and the ACK of the 2xx come through
  // here too; ACK of a 2xx is forwarded statelessly.

  void relay_answered(sca_leg& magic, nta_outgoing_t* orq, sip_t const* sip) override {
    auto it = relays_.find(magic.relay);
    if (it == relays_.end()) return;
    relay& r = *it->second;
    int const status = sip && sip->sip_status ? static_cast<int>(sip->sip_status->st_status) : nta_outgoing_status(orq);
    if (sip != nullptr) {
      trace_line("relay " + std::to_string(status) + " " + (sip->sip_status->st_phrase ? sip->sip_status->st_phrase : "") +
               " to " + r.method + " call-id " + r.call_id);
      msg_t* const response = nta_outgoing_getresponse(orq);
      if (r.irq != nullptr) counters::count(counters_.relayed, status);
      if (response != nullptr && r.irq != nullptr) {
        sip_via_remove(response, sip_object(response));
        if (nta_incoming_mreply(r.irq, response) < 0) {
          // Seen with the 487 of a cancelled INVITE, which nta has
          // acknowledged downstream: the proxy answers with its status.
          log_line("relaying the message failed: answering " + std::to_string(status) + " instead");
          nta_incoming_treply(r.irq, status, sip->sip_status->st_phrase, TAG_END());
        }
      } else if (response != nullptr) {
        msg_destroy(response);
      } else if (r.irq != nullptr) {
        nta_incoming_treply(r.irq, status, sip->sip_status->st_phrase, TAG_END());
      }
    } else {
      // No response (timeout, transport error): the proxy answers itself.
      int const code = status >= 300 && status <= 699 ? status : 500;
      log_line("no response to " + r.method + " call-id " + r.call_id + ": sending " + std::to_string(code));
      if (r.irq) {
        counters::count(counters_.sent, code);
        nta_incoming_treply(r.irq, code, sip_status_phrase(code), TAG_END());
      }
    }
    dialog_response(r, status, sip);
    if (status >= 200) {
      nta_outgoing_destroy(r.orq);
      r.orq = nullptr;
      if (r.irq) nta_incoming_destroy(r.irq);
      r.irq = nullptr;
      relays_.erase(it);
    }
  }

  void relay_cancelled(sca_leg& magic, nta_incoming_t*, sip_t const* sip) override {
    if (sip == nullptr || sip->sip_request == nullptr || sip->sip_request->rq_method != sip_method_cancel) return;
    auto it = relays_.find(magic.relay);
    if (it == relays_.end()) return;
    relay& r = *it->second;
    log_line("recv CANCEL call-id " + r.call_id + ": cancelling the forwarded " + r.method);
    // nta has answered the CANCEL; the INVITE's 487 comes from downstream.
    if (r.orq) nta_outgoing_tcancel(r.orq, nullptr, nullptr, TAG_END());
    if (r.initial_invite) end_call(r.call_id, callinfo::dialog_phase::failed);
  }

  // ---- State file ---------------------------------------------------------
  //
  // The library's snapshot, then the proxied calls on shared lines (what
  // maps a Call-ID to the dialog id that drives an appearance):
  //   sca-server-calls 1
  //   last-dialog <id>
  //   call <dialog-id> <call-id> <line> <remote> <caller|callee> <index> <confirmed> <held> [<local-tag> <remote-tag>]
  //   end
  // strings length-prefixed as in the snapshot (`5:hello`).
  std::string state() {
    std::string text;
    callinfo::string_sink out(text);
    callinfo::snapshot(server_, out);
    auto str = [](std::string const& v) { return std::to_string(v.size()) + ":" + v; };
    text += "sca-server-calls 1\nlast-dialog " + std::to_string(last_dialog_) + "\n";
    for (auto const& [call_id, c] : calls_)
      text += "call " + std::to_string(c.id) + " " + str(call_id) + " " + str(c.line) + " " + str(c.remote) + " " +
              std::string(callinfo::to_string(c.side)) + " " + std::to_string(c.index) + " " +
              (c.confirmed ? "1" : "0") + " " + (c.held ? "1" : "0") + " " + str(c.local_tag) + " " + str(c.remote_tag) +
              "\n";
    text += "end\n";
    return text;
  }

  // Restores a state() text; on a bad one, the offset of the refused record.
  std::optional<std::size_t> restore(std::string_view text) {
    std::size_t stop = 0;
    if (!callinfo::restore(server_, text, [&](callinfo::effect const& e) { carry_out(e, nullptr); }, stop))
      return stop;
    std::istringstream in{std::string(text.substr(stop))};
    std::size_t at = stop;  // the offset of the record being read
    std::string record;
    auto refused = [&] { return std::optional<std::size_t>(at); };
    auto next = [&] {
      auto const pos = in.tellg();
      at = pos < 0 ? text.size() : stop + static_cast<std::size_t>(pos);
      return static_cast<bool>(std::getline(in, record));
    };
    // A snapshot alone (callinfo::snapshot(), without the calls) is a state
    // with no call in progress.
    if (text.find_first_not_of(" \n", stop) == std::string_view::npos) {
      calls_.clear();
      return std::nullopt;
    }
    if (!next() || record != "sca-server-calls 1") return refused();
    if (!next() || !record.starts_with("last-dialog ")) return refused();
    std::map<std::string, call> calls;
    callinfo::dialog_id last = 0;
    {
      std::istringstream r(record.substr(12));
      if (!(r >> last) || !(r >> std::ws).eof()) return refused();
    }
    for (;;) {
      if (!next()) return refused();
      if (record == "end") break;
      std::istringstream r(record);
      std::string kw, side;
      call c;
      int confirmed = -1, held = -1;
      auto str = [&](std::string& v) {
        std::size_t n = 0;
        char colon = 0;
        if (!(r >> n) || !r.get(colon) || colon != ':' || n > record.size()) return false;
        v.resize(n);
        return static_cast<bool>(r.read(v.data(), static_cast<std::streamsize>(n)));
      };
      std::string call_id;
      if (!(r >> kw) || kw != "call" || !(r >> c.id) || !str(call_id) || !str(c.line) || !str(c.remote) ||
          !(r >> side >> c.index >> confirmed >> held))
        return refused();
      // The tags are absent from a state written before they were kept.
      if (!(r >> std::ws).eof() && (!str(c.local_tag) || !str(c.remote_tag) || !(r >> std::ws).eof()))
        return refused();
      if (side == "caller")
        c.side = callinfo::dialog_side::caller;
      else if (side == "callee")
        c.side = callinfo::dialog_side::callee;
      else
        return refused();
      if (c.id == 0 || c.id > last || c.index == 0 || confirmed < 0 || confirmed > 1 || held < 0 || held > 1 ||
          call_id.empty() || calls.count(call_id) != 0)
        return refused();
      c.confirmed = confirmed == 1;
      c.held = held == 1;
      c.call_id = call_id;
      calls.emplace(std::move(call_id), std::move(c));
    }
    calls_ = std::move(calls);
    last_dialog_ = last;
    return std::nullopt;
  }

  std::size_t call_count() const { return calls_.size(); }
  counters const& stats() const { return counters_; }

 private:
  // One forwarded request: its server and client transactions.
  struct relay {
    sca_leg magic;
    nta_incoming_t* irq = nullptr;
    nta_outgoing_t* orq = nullptr;
    std::string method;
    std::string call_id;
    bool initial_invite = false;
    bool reinvite = false;
    bool offer = false;  // a re-INVITE with an SDP offer
    bool hold = false;   // ... that puts the call on hold
  };
  // A call on a shared line (keyed by Call-ID).
  struct call {
    callinfo::dialog_id id = 0;
    std::string call_id;
    std::string line;
    std::string remote;
    callinfo::dialog_side side = callinfo::dialog_side::caller;
    std::uint32_t index = 1;
    bool confirmed = false;
    bool held = false;
    // The dialog's tags as the shared line's phone sees them (local: its
    // own), for dialog;shared watchers (RFC 4235 call-id / local-tag /
    // remote-tag): an RFC 7463 phone needs them to join or pick up the call.
    std::string local_tag, remote_tag;
  };

  bool is_line(std::string const& a) const {
    return std::find(config_.lines.begin(), config_.lines.end(), a) != config_.lines.end();
  }
  static bool is_loopback(url_t const* u) { return u != nullptr && u->url_host && std::string_view(u->url_host) == "127.0.0.1"; }
  bool is_self(url_t const* u) const {
    if (!is_loopback(u)) return false;
    unsigned const port = u->url_port ? static_cast<unsigned>(std::atoi(u->url_port)) : 5060u;
    return port == config_.port;
  }
  // The contact of a Request-URI addressed to this server, by its user.
  std::optional<std::string> route_of(url_t const* u) const {
    if (u == nullptr || u->url_user == nullptr || !is_self(u)) return std::nullopt;
    auto it = config_.routes.find(u->url_user);
    if (it == config_.routes.end()) return std::nullopt;
    return "sip:" + std::string(u->url_user) + "@" + it->second;
  }
  bool routed(sip_t const* sip) const { return route_of(sip->sip_request->rq_url).has_value(); }

  // The requests the proxy forwards: calls' methods, and any request in a
  // dialog that is not a subscription's.
  bool proxied(sip_t const* sip) const {
    switch (sip->sip_request->rq_method) {
      case sip_method_invite:
      case sip_method_ack:
      case sip_method_bye:
      case sip_method_cancel:
      case sip_method_update:
      case sip_method_info:
      case sip_method_prack:
        return true;
      case sip_method_options:
        return routed(sip) || sip->sip_route != nullptr;
      default:
        return false;
    }
  }

  int proxy(nta_incoming_t* irq, sip_t const* sip) {
    sip_method_t const method = sip->sip_request->rq_method;
    std::string const method_name = sip->sip_request->rq_method_name;
    std::string const call_id = sip->sip_call_id ? sip->sip_call_id->i_id : "";
    bool const ack = method == sip_method_ack;
    if (method == sip_method_cancel) return reply(irq, 481, "Call/Transaction Does Not Exist");
    if (sip->sip_max_forwards && sip->sip_max_forwards->mf_count <= 1) {
      if (ack) return drop(irq, "ACK with Max-Forwards 0");
      return reply(irq, 483, "Too Many Hops");
    }

    msg_t* const original = nta_incoming_getrequest(irq);
    msg_t* const msg = msg_copy(original);
    msg_destroy(original);
    sip_t* const out = sip_object(msg);
    if (msg == nullptr || out == nullptr) return ack ? drop(irq, "no memory") : reply(irq, 500, "Server Internal Error");

    // Our own Record-Route comes back as the top Route (loose routing).
    while (out->sip_route && is_self(out->sip_route->r_url) && url_has_param(out->sip_route->r_url, "lr"))
      sip_route_remove(msg, out);
    bool const in_dialog = sip->sip_to && sip->sip_to->a_tag;
    bool const initial_invite = method == sip_method_invite && !in_dialog;
    if (std::optional<std::string> const target = route_of(out->sip_request->rq_url)) {
      // The location service: the Request-URI becomes the user's contact.
      sip_request_t* rq = sip_request_create(msg_home(msg), method, method_name.c_str(),
                                             reinterpret_cast<url_string_t const*>(target->c_str()), nullptr);
      if (rq) msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(out), reinterpret_cast<msg_header_t*>(rq));
    }
    url_t const* const next_hop = out->sip_route ? out->sip_route->r_url : out->sip_request->rq_url;
    if (!is_loopback(next_hop) || is_self(out->sip_request->rq_url)) {
      msg_destroy(msg);
      if (ack) return drop(irq, "ACK to nowhere");
      return reply(irq, 404, "Not Found");
    }
    if (out->sip_max_forwards) {
      sip_max_forwards_t mf;
      sip_max_forwards_init(&mf);
      mf.mf_count = out->sip_max_forwards->mf_count - 1;
      sip_header_remove(msg, out, reinterpret_cast<sip_header_t*>(out->sip_max_forwards));
      msg_header_add_dup(msg, reinterpret_cast<msg_pub_t*>(out), reinterpret_cast<msg_header_t const*>(&mf));
    }
    if (initial_invite) {
      std::string const rr = "<sip:127.0.0.1:" + std::to_string(config_.port) + ";lr>";
      sip_add_make(msg, out, sip_record_route_class, rr.c_str());
      if (std::optional<std::string> const added = start_call(call_id, sip))
        sip_add_make(msg, out, sip_call_info_class, added->c_str());
    }

    if (ack) {
      trace_line("forward ACK call-id " + call_id + " to " + url_text(next_hop));
      nta_outgoing_t* orq = nta_outgoing_mcreate(agent_, nullptr, nullptr, nullptr, msg, NTATAG_STATELESS(1), TAG_END());
      if (orq == nullptr) msg_destroy(msg);
      nta_incoming_destroy(irq);
      return 0;
    }

    auto r = std::make_unique<relay>();
    r->magic.host = this;
    r->magic.relay = ++last_relay_;
    r->irq = irq;
    r->method = method_name;
    r->call_id = call_id;
    r->initial_invite = initial_invite;
    if (method == sip_method_invite && in_dialog) {
      r->reinvite = true;
      if (sip->sip_payload && sip->sip_payload->pl_data) {
        r->offer = true;
        r->hold = callinfo::sdp_is_hold(std::string_view(sip->sip_payload->pl_data, sip->sip_payload->pl_len));
      }
    }
    if (method == sip_method_invite) {
      nta_incoming_bind(irq, relay_cancel_callback, &r->magic);
      counters::count(counters_.sent, 100);
      nta_incoming_treply(irq, 100, "Trying", TAG_END());
    }
    trace_line("forward " + method_name + " call-id " + call_id + " to " + url_text(next_hop) +
             (r->reinvite && r->offer ? (r->hold ? " (hold offer)" : " (offer without hold)") : ""));
    r->orq = nta_outgoing_mcreate(agent_, relay_response_callback, &r->magic, nullptr, msg, TAG_END());
    if (r->orq == nullptr) {
      msg_destroy(msg);
      nta_incoming_bind(irq, nullptr, nullptr);
      if (initial_invite) end_call(call_id, callinfo::dialog_phase::failed);
      return reply(irq, 500, "Server Internal Error");
    }
    if (method == sip_method_bye) end_call(call_id, callinfo::dialog_phase::terminated);
    relays_.emplace(r->magic.relay, std::move(r));
    return 0;
  }

  int drop(nta_incoming_t* irq, char const* why) {
    log_line(std::string("dropped: ") + why);
    nta_incoming_destroy(irq);
    return 0;
  }

  static std::string url_text(url_t const* u) {
    if (u == nullptr) return "-";
    char buf[512];
    isize_t const n = url_e(buf, sizeof buf, u);
    if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return "?";
    return std::string(buf, static_cast<std::size_t>(n));
  }

  // ---- Dialog-driven mode: calls on shared lines → on_dialog -------------

  // An initial INVITE from or to a shared line starts a call. Returns the
  // Call-Info to add to the forwarded INVITE when it had none.
  std::optional<std::string> start_call(std::string const& call_id, sip_t const* sip) {
    std::string const from = aor(sip->sip_from ? sip->sip_from->a_url : nullptr);
    std::string const to = aor(sip->sip_to ? sip->sip_to->a_url : nullptr);
    call c;
    c.call_id = call_id;
    std::string const from_tag = sip->sip_from && sip->sip_from->a_tag ? sip->sip_from->a_tag : "";
    if (is_line(from)) {
      c.line = from;
      c.remote = to;
      c.side = callinfo::dialog_side::caller;
      c.local_tag = from_tag;
    } else if (is_line(to)) {
      c.line = to;
      c.remote = from;
      c.side = callinfo::dialog_side::callee;
      c.remote_tag = from_tag;
    } else {
      return std::nullopt;
    }
    std::optional<std::uint32_t> index;
    if (std::optional<std::string> const ci = call_info_text(sip)) {
      if (auto const parsed = callinfo::parse_call_info(*ci)) {
        for (callinfo::call_info_entry_view const& e : *parsed)
          if (auto const a = e.appearance(); a && a->index && !a->index->is_wildcard() && a->index->value() != 0) {
            index = a->index->value();
            break;
          }
      } else {
        log_line(parse_failure("INVITE Call-Info", parsed.error()) + " (ignored)");
      }
    }
    std::optional<std::string> added;
    if (index) {
      c.index = *index;
    } else {
      // BroadWorks: the server picks the appearance and tells the callee.
      c.index = c.side == callinfo::dialog_side::callee ? first_idle_appearance(c.line) : 1;
      added = "<" + c.line + ">;appearance-index=" + std::to_string(c.index);
    }
    auto it = calls_.find(call_id);
    c.id = it != calls_.end() ? it->second.id : ++last_dialog_;
    log_line("call " + std::to_string(c.id) + " call-id " + call_id + " on " + c.line + " appearance " +
             std::to_string(c.index) + " (" + std::string(callinfo::to_string(c.side)) + " side, remote " + c.remote +
             (added ? ", appearance chosen by the server)" : ")"));
    calls_[call_id] = std::move(c);
    return added;
  }

  void dialog_event(call& c, callinfo::dialog_phase phase) {
    callinfo::dialog_event d;
    d.line = c.line;
    d.dialog = c.id;
    d.side = c.side;
    d.phase = phase;
    d.appearance_index = c.index;
    d.remote = c.remote;
    d.identifiers = {c.call_id, c.local_tag, c.remote_tag};
    callinfo::state_change r{};
#if SCA_SERVER_REDIS
    if (shared_)
      shared_call(nullptr, [&](auto& s, auto&& sink) { return s.on_dialog(d, sink, &r); });
    else
#endif
      r = server_.on_dialog(d, [&](callinfo::effect const& e) { carry_out(e, nullptr); });
    log_line("dialog " + std::to_string(c.id) + " " + std::string(callinfo::to_string(phase)) + " on " + c.line +
             " appearance " + std::to_string(c.index) + ": " + std::string(callinfo::to_string(r.from)) + " -> " +
             std::string(callinfo::to_string(r.to)) +
             (r.result == callinfo::transition::applied ? "" : r.result == callinfo::transition::refused ? " (refused)" : " (unchanged)"));
  }

  void end_call(std::string const& call_id, callinfo::dialog_phase phase) {
    auto it = calls_.find(call_id);
    if (it == calls_.end()) return;
    dialog_event(it->second, phase);
    calls_.erase(it);
  }

  void dialog_response(relay const& r, int status, sip_t const* sip) {
    auto it = calls_.find(r.call_id);
    if (it == calls_.end()) return;
    call& c = it->second;
    if (r.initial_invite && status > 100 && status < 300 && sip != nullptr && sip->sip_to && sip->sip_to->a_tag &&
        (status >= 200 || !c.confirmed)) {
      // The To tag of the dialog this response makes (a 2xx's wins over an
      // early dialog's: with forking, that is the call).
      (c.side == callinfo::dialog_side::caller ? c.remote_tag : c.local_tag) = sip->sip_to->a_tag;
    }
    if (r.initial_invite) {
      if (status > 100 && status < 200 && !c.confirmed) {
        dialog_event(c, callinfo::dialog_phase::early);
      } else if (status >= 200 && status < 300 && !c.confirmed) {
        c.confirmed = true;
        dialog_event(c, callinfo::dialog_phase::confirmed);
      } else if (status >= 300 && !c.confirmed) {
        end_call(r.call_id, callinfo::dialog_phase::failed);
      }
    } else if (r.reinvite && r.offer && status >= 200 && status < 300 && sip != nullptr) {
      // The offer is accepted: the call is on hold when it said so.
      if (r.hold && !c.held) {
        c.held = true;
        dialog_event(c, callinfo::dialog_phase::hold);
      } else if (!r.hold && c.held) {
        c.held = false;
        dialog_event(c, callinfo::dialog_phase::resume);
      }
    }
  }

  struct subscription {
    sca_leg magic;
    nta_leg_t* leg = nullptr;
    callinfo::event_package event = callinfo::event_package::call_info;
    unsigned pending_notifies = 0;
    bool terminated = false;
  };
  struct armed {
    sca_timer arg;
    su_timer_t* timer = nullptr;
    std::uint64_t generation = 0;
  };
  // The request being answered, for the effects of one on_* call.
  struct incoming {
    nta_incoming_t* irq = nullptr;
    sip_t const* sip = nullptr;
  };

  static std::pair<int, std::uint64_t> key(callinfo::timer_id t) { return {static_cast<int>(t.kind), t.id}; }

  std::uint32_t first_idle_appearance(std::string const& line) {
#if SCA_SERVER_REDIS
    if (shared_) {
      if (shared_->load(line) != callinfo::redis::status::ok) return 1;
      return shared_->server().first_idle_appearance(line);
    }
#endif
    return server_.first_idle_appearance(line);
  }

  int reply(nta_incoming_t* irq, int code, char const* phrase, std::string const& headers = {}) {
    trace_line("send " + std::to_string(code) + " " + phrase + (headers.empty() ? "" : " | " + headers));
    counters::count(counters_.sent, code);
    nta_incoming_treply(irq, code, phrase, TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
    return 0;
  }

  int subscribe(sca_leg& magic, nta_incoming_t* irq, sip_t const* sip) {
    if (refused_bad_headers(irq, sip)) return 0;
    // RFC 6665 §4.2: Event is required; the package decides everything else.
    std::optional<std::string> const event = event_text(sip);
    if (!event) return reply(irq, 489, "Bad Event", allow_subscribe_events);
    auto const ev = callinfo::parse_event(*event);
    if (!ev) return bad_request(irq, parse_failure("Event", ev.error()));
    callinfo::subscribe_request r;
    std::string_view const package = ev->type.text;
    if (package == "call-info")
      r.event = callinfo::event_package::call_info;
    else if (package == "line-seize")
      r.event = callinfo::event_package::line_seize;
    else if (callinfo::to_event_package(*ev) == callinfo::event_package::dialog_shared)
      r.event = callinfo::event_package::dialog_shared;
    else
      return reply(irq, 489, "Bad Event", allow_subscribe_events);
    // No body type the watcher takes: 406 (RFC 3261 §21.4.7).
    if (r.event == callinfo::event_package::dialog_shared && !accepts_dialog_info(sip))
      return reply(irq, 406, "Not Acceptable", "Accept: application/dialog-info+xml\r\n");

    std::optional<std::string> const expires = expires_text(sip);
    if (expires) {
      auto const e = callinfo::parse_expires(*expires);
      if (!e) return bad_request(irq, parse_failure("Expires", e.error()));
      r.expires = e->seconds;
    }
    std::optional<std::string> const call_info = call_info_text(sip);
    if (call_info) {
      auto const ci = callinfo::parse_call_info(*call_info);
      if (!ci) return bad_request(irq, parse_failure("Call-Info", ci.error()));
      r.call_info = *ci;
    }

    std::string const line = aor(sip->sip_to ? sip->sip_to->a_url : nullptr);
    std::string const watcher = aor(sip->sip_from ? sip->sip_from->a_url : nullptr);
    r.line = line;
    r.watcher = watcher;
    r.subscription = magic.subscription;
    if (magic.subscription == 0 && sip->sip_to && sip->sip_to->a_tag)
      return reply(irq, 481, "Call/Transaction Does Not Exist");
    if (magic.subscription != 0) {
      auto it = subscriptions_.find(magic.subscription);
      if (it == subscriptions_.end() || it->second->terminated)
        return reply(irq, 481, "Subscription Does Not Exist");
      if (it->second->event != r.event) return reply(irq, 489, "Bad Event");
    }
    incoming in{irq, sip};
#if SCA_SERVER_REDIS
    if (shared_) {
      shared_call(&in, [&](auto& s, auto&& sink) { return s.on_subscribe(r, sink); });
      return 0;
    }
#endif
    server_.on_subscribe(r, [&](callinfo::effect const& e) { carry_out(e, &in); });
    return 0;
  }

  int publish(nta_incoming_t* irq, sip_t const* sip) {
    if (refused_bad_headers(irq, sip)) return 0;
    std::optional<std::string> const event = event_text(sip);
    if (!event) return reply(irq, 489, "Bad Event", allow_publish_events);
    auto const ev = callinfo::parse_event(*event);
    if (!ev) return bad_request(irq, parse_failure("Event", ev.error()));
    bool const dialog_info = callinfo::to_event_package(*ev) == callinfo::event_package::dialog_shared;
    if (ev->type.text != "call-info" && !dialog_info) return reply(irq, 489, "Bad Event", allow_publish_events);
#if !SCA_SERVER_DIALOG_INFO
    // No dialog-info body can be read without pugixml: the package is not
    // accepted for publication (RFC 3903 §6 step 2).
    if (dialog_info) return reply(irq, 489, "Bad Event", allow_publish_events);
#endif

    callinfo::publish_request r;
    std::optional<std::string> const expires = expires_text(sip);
    if (expires) {
      auto const e = callinfo::parse_expires(*expires);
      if (!e) return bad_request(irq, parse_failure("Expires", e.error()));
      r.expires = e->seconds;
    }
    std::optional<std::string> const if_match = if_match_text(sip);
    if (if_match) {
      auto const m = callinfo::parse_sip_if_match(*if_match);
      if (!m) return bad_request(irq, parse_failure("SIP-If-Match", m.error()));
      r.if_match = m->tag;
      trace_line("PUBLISH with SIP-If-Match " + std::string(m->tag));
    }
    std::optional<std::string> const call_info = call_info_text(sip);
    if (call_info) {
      auto const ci = callinfo::parse_call_info(*call_info);
      if (!ci) return bad_request(irq, parse_failure("Call-Info", ci.error()));
      r.call_info = *ci;
    }
#if SCA_SERVER_DIALOG_INFO
    // RFC 7463 §5.2: the state is the body's appearances; a refresh (SIP-If-Match,
    // no body) leaves r.dialogs empty like a call-info refresh without Call-Info.
    callinfo::dialog_info_document body;
    if (dialog_info) {
      r.event = callinfo::event_package::dialog_shared;
      if (sip->sip_payload != nullptr && sip->sip_payload->pl_len != 0) {
        if (sip->sip_content_type == nullptr || sip->sip_content_type->c_type == nullptr ||
            !iequals(sip->sip_content_type->c_type, dialog_info_type))
          return reply(irq, 415, "Unsupported Media Type", "Accept: application/dialog-info+xml\r\n");
        std::string_view const text(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
        if (auto const e = callinfo::parse_dialog_info(text, body); !e) {
          std::string const why = "dialog-info body: " + std::string(callinfo::name(e.code)) + " at offset " +
                                  std::to_string(e.offset);
          log_line("bad request: " + why);
          return reply(irq, 400, "Bad Request", "Warning: 399 sca-server \"" + why + "\"\r\n");
        }
        r.dialogs = body.appearances();
        trace_line("PUBLISH dialog-info version " + std::to_string(body.version()) + ", " +
                   std::to_string(body.appearances().size()) + " appearance(s)");
      }
    }
#endif
    std::string const line = aor(sip->sip_request->rq_url);
    r.line = line;
    incoming in{irq, sip};
#if SCA_SERVER_REDIS
    if (shared_) {
      shared_call(&in, [&](auto& s, auto&& sink) { return s.on_publish(r, sink); });
      return 0;
    }
#endif
    server_.on_publish(r, [&](callinfo::effect const& e) { carry_out(e, &in); });
    return 0;
  }

  // A header Sofia could not parse is not handed to the server.
  bool refused_bad_headers(nta_incoming_t* irq, sip_t const* sip) {
    for (std::string_view name : {"Event", "Expires", "Call-Info", "SIP-If-Match"})
      if (has_bad_header(sip, name)) {
        bad_request(irq, std::string(name) + ": malformed");
        return true;
      }
    return false;
  }

  int bad_request(nta_incoming_t* irq, std::string const& why) {
    log_line("bad request: " + why);
    return reply(irq, 400, "Bad Request");
  }

  // ---- Effects -----------------------------------------------------------
  void carry_out(callinfo::effect const& e, incoming* in) {
    std::visit([&](auto const& x) { apply(x, in); }, e);
  }

  void apply(callinfo::response const& r, incoming* in) {
    if (in == nullptr || in->irq == nullptr) return;
    std::string headers;
    callinfo::string_sink sink(headers);
    if (!callinfo::write_response_headers(r, sink)) headers.clear();
    std::string const phrase(r.reason);
    bool const creates_dialog = r.code >= 200 && r.code < 300 && r.subscription != 0 &&
                                subscriptions_.find(r.subscription) == subscriptions_.end();
    if (!creates_dialog) {
      reply(in->irq, r.code, phrase.c_str(), headers);
      in->irq = nullptr;
      return;
    }
    // The 2xx to an initial SUBSCRIBE: the notifier's side of the dialog
    // (RFC 6665 §4.1.2.1). The leg's local tag goes into the response's To.
    sip_t const* sip = in->sip;
    auto s = std::make_unique<subscription>();
    s->magic.host = this;
    s->magic.subscription = r.subscription;
    s->event = r.event;
    s->leg = nta_leg_tcreate(agent_, leg_callback, &s->magic, SIPTAG_CALL_ID(sip->sip_call_id),
                             SIPTAG_FROM(sip->sip_to), SIPTAG_TO(sip->sip_from), TAG_END());
    if (s->leg == nullptr) {
      reply(in->irq, 500, "Server Internal Error");
      in->irq = nullptr;
      return;
    }
    nta_leg_tag(s->leg, nullptr);
    nta_leg_server_route(s->leg, sip->sip_record_route, sip->sip_contact);
    nta_incoming_tag(in->irq, nta_leg_get_tag(s->leg));
    trace_line("send " + std::to_string(r.code) + " " + phrase + " | " + headers + " | subscription " +
             std::to_string(r.subscription) + " to-tag " + nta_leg_get_tag(s->leg));
    counters::count(counters_.sent, r.code);
    nta_incoming_treply(in->irq, r.code, phrase.c_str(), SIPTAG_CONTACT(nta_agent_contact(agent_)),
                        SIPTAG_HEADER_STR(headers.c_str()), TAG_END());
    in->irq = nullptr;
    subscriptions_.emplace(r.subscription, std::move(s));
  }

  void apply(callinfo::notify const& n, incoming*) {
    auto it = subscriptions_.find(n.subscription);
    if (it == subscriptions_.end() || it->second->leg == nullptr) {
      log_line("NOTIFY for unknown subscription " + std::to_string(n.subscription) + " dropped");
      ++counters_.notify_not_sent;
      return;
    }
    subscription& s = *it->second;
    std::string headers;
    callinfo::string_sink sink(headers);
    if (callinfo::build_result const b = callinfo::write_notify_headers<dialect>(n, sink); !b) {
      log_line("NOTIFY of subscription " + std::to_string(n.subscription) + " not built: " +
               std::string(callinfo::describe(b.code)));
      ++counters_.notify_not_sent;
      return;
    }
    headers = without_content_length(std::move(headers));
    std::string const call_info = take_call_info(headers);
    // dialog;shared: the headers end with Content-Type; the body is the whole
    // line as dialog-info, full state (RFC 7463 §5.2); nta writes its Content-Length.
    std::string body;
    if (n.event == callinfo::event_package::dialog_shared) {
      callinfo::string_sink body_sink(body);
      if (callinfo::build_result const b = callinfo::write_dialog_info(n, body_sink); !b) {
        log_line("NOTIFY of subscription " + std::to_string(n.subscription) + " has no dialog-info body: " +
                 std::string(callinfo::describe(b.code)));
        ++counters_.notify_not_sent;
        return;
      }
    }
    nta_outgoing_t* orq = nta_outgoing_tcreate(
        s.leg, notify_callback, &s.magic, nullptr, SIP_METHOD_NOTIFY, nullptr,
        SIPTAG_CONTACT(nta_agent_contact(agent_)), SIPTAG_HEADER_STR(headers.c_str()),
        TAG_IF(!call_info.empty(), SIPTAG_UNKNOWN_STR(call_info.c_str())),
        TAG_IF(!body.empty(), SIPTAG_PAYLOAD_STR(body.c_str())), TAG_END());
    trace_line("send NOTIFY subscription " + std::to_string(n.subscription) + " cseq " +
             std::to_string(nta_leg_get_seq(s.leg)) + " | " + headers + call_info +
             (n.event == callinfo::event_package::dialog_shared
                  ? " | dialog-info version " + std::to_string(n.version) + ", " + std::to_string(body.size()) + " bytes"
                  : std::string()) +
             (orq ? "" : " (not sent)"));
    if (orq != nullptr) {
      ++s.pending_notifies;
      ++counters_.notify_sent;
    } else {
      ++counters_.notify_not_sent;
    }
    if (n.state == callinfo::substate::terminated) {
      s.terminated = true;
      if (s.pending_notifies == 0) forget(it);
    }
  }

  void apply(callinfo::arm_timer const& a, incoming*) {
    auto const k = key(a.timer);
    auto it = timers_.find(k);
    if (it == timers_.end()) {
      auto t = std::make_unique<armed>();
      t->arg.host = this;
      t->arg.timer = a.timer;
      t->timer = su_timer_create(su_root_task(root_), 0);
      if (t->timer == nullptr) return;
      it = timers_.emplace(k, std::move(t)).first;
    } else {
      su_timer_reset(it->second->timer);
    }
    ++it->second->generation;
    auto const left = std::max<std::int64_t>(0, (a.at - server_.clock().now()).count());
    su_timer_set_interval(it->second->timer, timer_callback, &it->second->arg, static_cast<su_duration_t>(left));
  }

  void apply(callinfo::cancel_timer const& c, incoming*) {
    auto it = timers_.find(key(c.timer));
    if (it == timers_.end()) return;
    su_timer_reset(it->second->timer);
    dead_timers_.push_back(it->second->timer);
    timers_.erase(it);
  }

  void apply(callinfo::appearance_changed const& a, incoming*) {
    log_line("state " + std::string(a.line) + " appearance " + std::to_string(a.index) + ": " +
             std::string(callinfo::to_string(a.from)) + " -> " + std::string(callinfo::to_string(a.to)) + " (" +
             std::string(callinfo::to_string(a.cause)) + ")");
  }

  void forget(typename std::map<callinfo::subscription_id, std::unique_ptr<subscription>>::iterator it) {
    // The leg goes with its last NOTIFY's transaction; a later request in
    // the dialog reaches the default leg and gets 481.
    if (it->second->leg) nta_leg_destroy(it->second->leg);
    subscriptions_.erase(it);
  }

  su_root_t* root_ = nullptr;
  proxy_config config_;
  nta_agent_t* agent_ = nullptr;
  nta_leg_t* default_leg_ = nullptr;
  sca_leg default_magic_;
  server_type server_;
  std::map<callinfo::subscription_id, std::unique_ptr<subscription>> subscriptions_;
  std::map<std::pair<int, std::uint64_t>, std::unique_ptr<armed>> timers_;
  std::vector<su_timer_t*> dead_timers_;
  std::map<std::uint64_t, std::unique_ptr<relay>> relays_;
  std::uint64_t last_relay_ = 0;
  std::map<std::string, call> calls_;
  callinfo::dialog_id last_dialog_ = 0;
#if SCA_SERVER_REDIS
  using shared_type = callinfo::redis::shared_server<Policies>;
  std::unique_ptr<shared_type> shared_;
  redisContext* redis_cmd_ = nullptr;
  redisContext* redis_sub_ = nullptr;
  callinfo::time_point next_expiry_{0};
#endif
  counters counters_;
};

// steady_clock: one time line for every process on the host, which is all
// --redis needs here (the server listens on 127.0.0.1 only).
struct default_policies : callinfo::default_policies {
  using clock = callinfo::steady_clock;
#if SCA_SERVER_REDIS
  using ids = callinfo::redis::cluster_ids;  // before start(), counter_ids' numbers
#endif
};
struct opensips_policies : default_policies {
  using dialect = callinfo::opensips_dialect;
};
struct broadworks_policies : default_policies {
  using dialect = callinfo::broadworks_dialect;
};

template <class Policies>
int serve(su_root_t* root, std::string const& url, std::string_view dialect_name, proxy_config const& config,
          std::string const& state_file, [[maybe_unused]] shared_config const& shared) {
  sca_server<Policies> server(root, url, config);
  if (!server.ok()) {
    log_line("cannot listen on " + url);
    return 1;
  }
#if SCA_SERVER_REDIS
  if (shared.port != 0) {
    if (!server.use_redis(shared)) {
      log_line("cannot use Redis at " + shared.host + ":" + std::to_string(shared.port));
      return 1;
    }
    log_line("sharing state through Redis at " + shared.host + ":" + std::to_string(shared.port) + " as node " +
             std::to_string(shared.node));
  }
#endif
  if (!state_file.empty()) {
    std::ifstream in(state_file, std::ios::binary);
    if (!in && errno == ENOENT) {
      log_line("state file " + state_file + " does not exist yet: starting empty");
    } else if (!in) {
      log_line("cannot read state file " + state_file + ": " + std::strerror(errno));
      return 2;
    } else {
      std::ostringstream buf;
      buf << in.rdbuf();
      std::string const text = buf.str();
      if (std::optional<std::size_t> const bad = server.restore(text)) {
        log_line("state file " + state_file + ": " + position_of(text, *bad) + ": record " + record_at(text, *bad) +
                 " is not valid (nothing restored)");
        return 2;
      }
      log_line("restored from " + state_file + ": " + state_summary(text, server.call_count()));
    }
  }
  log_line("listening on " + url + " (dialect " + std::string(dialect_name) + ")");
  while (!stop_requested) {
    su_root_step(root, 100);
    server.poll_shared();
    server.reap();
  }
  log_line("shutting down");
  int status = 0;
  if (state_file.empty()) {
    // Without a state file nothing survives the stop: tell the watchers.
    if (std::size_t const n = server.deactivate_all(500); n != 0)
      log_line("ended " + std::to_string(n) + " subscriptions (reason=deactivated)");
  } else {
    std::string const text = server.state();
    if (std::optional<std::string> const error = write_atomically(state_file, text)) {
      log_line("state not saved: " + *error);
      status = 1;
    } else {
      log_line("state saved to " + state_file + ": " + state_summary(text, server.call_count()));
    }
  }
  log_line(server.stats().text());
  return status;
}

constexpr char const usage[] =
    "usage: sca-server [--port N] [--dialect default|opensips|broadworks]\n"
    "                  [--route USER=127.0.0.1:PORT]... [--line USER|sip:USER@127.0.0.1]...\n"
    "                  [--state FILE] [--quiet]\n"
    "Serves call-info and line-seize SUBSCRIBE and call-info PUBLISH on udp 127.0.0.1:N (default 5070).\n"
    "Dialog-driven mode: INVITE/ACK/BYE/CANCEL for sip:USER@127.0.0.1:N are proxied to USER's --route;\n"
    "calls from or to a --line drive that line's appearances.\n"
    "--state FILE: restore the state from FILE at start (when it exists), save it there on SIGINT/SIGTERM.\n"
    "--quiet: log state changes, calls and errors, not every message.\n"
#if SCA_SERVER_REDIS
    "--redis HOST:PORT --node N: share the state with other sca-servers through one Redis (N: 0-4095, unique).\n"
#endif
    ;

// "USER=127.0.0.1:PORT" -> (USER, "127.0.0.1:PORT"); loopback only.
std::optional<std::pair<std::string, std::string>> parse_route(std::string_view v) {
  std::size_t const eq = v.find('=');
  if (eq == 0 || eq == std::string_view::npos) return std::nullopt;
  std::string_view const user = v.substr(0, eq), hostport = v.substr(eq + 1);
  constexpr std::string_view host = "127.0.0.1:";
  if (!hostport.starts_with(host)) return std::nullopt;
  std::string_view const p = hostport.substr(host.size());
  unsigned port = 0;
  auto const [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc{} || end != p.data() + p.size() || port == 0 || port > 65535) return std::nullopt;
  return std::pair{std::string(user), std::string(hostport)};
}

}  // namespace

int main(int argc, char** argv) {
  unsigned port = 5070;
  std::string dialect = "default";
  proxy_config config;
  shared_config shared;
  std::string state_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view const a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << usage;
      return 0;
    }
    if (a == "--route" && i + 1 < argc) {
      auto const r = parse_route(argv[++i]);
      if (!r) {
        std::cerr << "sca-server: bad route '" << argv[i] << "' (USER=127.0.0.1:PORT)\n" << usage;
        return 2;
      }
      config.routes[r->first] = r->second;
      continue;
    }
    if (a == "--quiet") {
      trace_messages = false;
      continue;
    }
    if (a == "--state" && i + 1 < argc) {
      state_file = argv[++i];
      if (state_file.empty()) {
        std::cerr << "sca-server: --state needs a file name\n" << usage;
        return 2;
      }
      continue;
    }
#if SCA_SERVER_REDIS
    if (a == "--redis" && i + 1 < argc) {
      std::string_view const v = argv[++i];
      std::size_t const colon = v.rfind(':');
      int p = 0;
      if (colon == std::string_view::npos ||
          std::from_chars(v.data() + colon + 1, v.data() + v.size(), p).ec != std::errc{} || p <= 0 || p > 65535) {
        std::cerr << "sca-server: bad --redis '" << v << "' (HOST:PORT)\n" << usage;
        return 2;
      }
      shared.host = std::string(v.substr(0, colon));
      shared.port = p;
      continue;
    }
    if (a == "--node" && i + 1 < argc) {
      std::string_view const v = argv[++i];
      auto const [e, ec] = std::from_chars(v.data(), v.data() + v.size(), shared.node);
      if (ec != std::errc{} || e != v.data() + v.size() || shared.node > callinfo::redis::max_node) {
        std::cerr << "sca-server: bad --node '" << v << "' (0-4095)\n" << usage;
        return 2;
      }
      continue;
    }
#endif
    if (a == "--line" && i + 1 < argc) {
      std::string_view const v = argv[++i];
      config.lines.push_back(v.starts_with("sip:") ? std::string(v) : "sip:" + std::string(v) + "@127.0.0.1");
      continue;
    }
    if ((a == "--port" || a == "--dialect") && i + 1 < argc) {
      std::string_view const v = argv[++i];
      if (a == "--dialect") {
        dialect = v;
        continue;
      }
      auto const [p, ec] = std::from_chars(v.data(), v.data() + v.size(), port);
      if (ec != std::errc{} || p != v.data() + v.size() || port == 0 || port > 65535) {
        std::cerr << "sca-server: bad port '" << v << "'\n" << usage;
        return 2;
      }
      continue;
    }
    std::cerr << "sca-server: unknown argument '" << a << "'\n" << usage;
    return 2;
  }
#if SCA_SERVER_REDIS
  // With Redis the state lives there, shared with the other servers: a state
  // file restored into one server's cache would overwrite theirs.
  if (shared.port != 0 && !state_file.empty()) {
    std::cerr << "sca-server: --state and --redis exclude each other (Redis keeps the state)\n" << usage;
    return 2;
  }
#endif
  if (dialect != "default" && dialect != "opensips" && dialect != "broadworks") {
    std::cerr << "sca-server: unknown dialect '" << dialect << "'\n" << usage;
    return 2;
  }

  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (su_init() != 0) return 1;
  su_root_t* root = su_root_create(nullptr);
  if (root == nullptr) return 1;
  std::string const url = "sip:127.0.0.1:" + std::to_string(port) + ";transport=udp";
  config.port = port;
  int status = 0;
  if (dialect == "opensips")
    status = serve<opensips_policies>(root, url, dialect, config, state_file, shared);
  else if (dialect == "broadworks")
    status = serve<broadworks_policies>(root, url, dialect, config, state_file, shared);
  else
    status = serve<default_policies>(root, url, dialect, config, state_file, shared);
  su_root_destroy(root);
  su_deinit();
  return status;
}
