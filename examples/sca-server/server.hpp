// sca-server — the server: sca_server<Policies> holds a
// callinfo::basic_server on callinfo::redis::storage (its state in this
// process, or with --redis shared through Redis: the same calls either way)
// and the nta agent, legs, transactions and timers that carry its requests
// and effects. The class is declared here with its lifecycle and request
// dispatch; its other members are defined out of the class (and inline, as
// they were in it), one header per part:
//   server_presence.hpp  SUBSCRIBE, PUBLISH, NOTIFY transactions, timers,
//                        the effects over nta
//   server_proxy.hpp     the dialog-driven mode: the stateful proxy and the
//                        calls on shared lines that drive on_dialog()
//   server_redis.hpp     the Redis connections (--redis): other servers'
//                        changes and the expiries
//   server_state.hpp     the --state file's records
// serve.cpp, the one source that includes them all, instantiates it.
#pragma once

#include "config.hpp"
#include "headers.hpp"
#include "log.hpp"
#include "nta_glue.hpp"

#include <callinfo/adapters/call_info.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/redis/storage.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sca {

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
    // --transaction-timeout MS: no transaction is kept longer than MS
    // (T1x64: timers B, F, H, J, nta's default 32 s; T4: timers I and K,
    // 5 s, when MS is shorter). 0 keeps nta's timers.
    unsigned const t = config_.transaction_timeout_ms;
    agent_ = nta_agent_create(root_, URL_STRING_MAKE(bind_url.c_str()), nullptr, nullptr, NTATAG_CANCEL_487(0),
                              TPTAG_UDP_RMEM(4u << 20), TPTAG_UDP_WMEM(4u << 20), TAG_IF(t != 0, NTATAG_SIP_T1X64(t)),
                              TAG_IF(t != 0 && t < NTA_SIP_T4, NTATAG_SIP_T4(t)), TAG_END());
    if (agent_ == nullptr) return;
    default_magic_.host = this;
    default_leg_ = nta_leg_tcreate(agent_, leg_callback, &default_magic_, NTATAG_NO_DIALOG(1), TAG_END());
    use_authentication();
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
    server_.storage() = callinfo::redis::storage();  // before its connection goes
    if (redis_sub_) redisFree(redis_sub_);
    if (redis_cmd_) redisFree(redis_cmd_);
  }

  bool ok() const { return agent_ != nullptr && default_leg_ != nullptr; }

  // ---- Shared state through Redis (--redis): server_redis.hpp ------------
  bool use_redis(shared_config const& c);
  void poll_shared();

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
    } else if (!authenticated(magic, irq, sip)) {
      status = 0;  // challenged or refused (server_auth.hpp)
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
      release(irq);  // an ACK in a subscription's dialog: nothing to do
    } else {
      status = reply(irq, 405, "Method Not Allowed",
                     "Allow: SUBSCRIBE, PUBLISH, OPTIONS, INVITE, ACK, BYE, CANCEL\r\n");
    }
    return status;
  }

  // ---- NOTIFY transactions (server_presence.hpp) --------------------------
  void notify_answered(sca_leg& magic, nta_outgoing_t* orq, sip_t const* sip) override;

  // Whether the state is shared through Redis (--redis).
  bool sharing() const noexcept { return server_.storage().shared(); }
  std::size_t deactivate_all(unsigned wait_ms);
  std::size_t pending_notifies() const;

  // ---- Timers (server_presence.hpp) ----------------------------------------
  void timer_fired(callinfo::timer_id t) override;

  // ---- Dialog-driven mode: the calls' transactions (server_proxy.hpp) ------
  void relay_answered(sca_leg& magic, nta_outgoing_t* orq, sip_t const* sip) override;
  void relay_cancelled(sca_leg& magic, nta_incoming_t*, sip_t const* sip) override;

  // ---- State file (server_state.hpp) ---------------------------------------
  std::string state();
  std::optional<std::size_t> restore(std::string_view text);

  std::size_t call_count() const { return calls_.size(); }

  // What nta still holds: server and client transactions (answered ones
  // stay for timer J / K, then go) and legs (the subscriptions' dialogs).
  std::string nta_alive() const {
    usize_t irqs = 0, orqs = 0, legs = 0;
    nta_agent_get_stats(agent_, NTATAG_S_IRQ_HASH_USED_REF(irqs), NTATAG_S_ORQ_HASH_USED_REF(orqs),
                        NTATAG_S_LEG_HASH_USED_REF(legs), TAG_END());
    return std::to_string(irqs) + " server transactions, " + std::to_string(orqs) + " client transactions, " +
           std::to_string(legs) + " legs";
  }
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

  // The proxy (server_proxy.hpp).
  bool proxied(sip_t const* sip) const;
  int proxy(nta_incoming_t* irq, sip_t const* sip);
  int drop(nta_incoming_t* irq, char const* why);
  static std::string url_text(url_t const* u);

  // ---- Dialog-driven mode: calls on shared lines → on_dialog (server_proxy.hpp)
  std::optional<std::string> start_call(std::string const& call_id, sip_t const* sip);
  void dialog_event(call& c, callinfo::dialog_phase phase);
  void end_call(std::string const& call_id, callinfo::dialog_phase phase);
  void dialog_response(relay const& r, int status, sip_t const* sip);

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

  std::uint32_t first_idle_appearance(std::string const& line);

  // Logs why the last call into the server reached no storage (with
  // --redis: Redis unreachable, contention, a corrupt record); a request
  // was then answered 500 with Retry-After.
  void storage_outcome(char const* what) const {
    if (auto const st = server_.last_storage_status(); st != callinfo::storage_status::ok)
      log_line(std::string("redis: ") + what + ": " + std::string(callinfo::to_string(st)));
  }

  // Answers a request with a final response and lets its transaction go
  // (release()). The leg callback then returns 0: the transaction is no
  // longer the server's.
  int reply(nta_incoming_t* irq, int code, char const* phrase, std::string const& headers = {}) {
    trace_line("send " + std::to_string(code) + " " + phrase + (headers.empty() ? "" : " | " + headers));
    counters::count(counters_.sent, code);
    nta_incoming_treply(irq, code, phrase, TAG_IF(!headers.empty(), SIPTAG_HEADER_STR(headers.c_str())), TAG_END());
    release(irq);
    return 0;
  }

  // A server transaction the server is done with. A leg callback that
  // returns 0 takes care of the transaction (nta_request_f): nta frees it
  // only once it is destroyed. nta_incoming_destroy() after the final
  // response marks it disposable; nta keeps it to answer the request's
  // retransmissions (timer J, 64*T1 = 32 s on udp, --transaction-timeout)
  // and frees it then. A transaction never destroyed stays in nta for good,
  // with its request: some 10 KiB for each SUBSCRIBE, PUBLISH or OPTIONS.
  static void release(nta_incoming_t* irq) { nta_incoming_destroy(irq); }

  // Digest authentication (server_auth.hpp): the request's user in
  // identity_, or false once the request is answered.
  void use_authentication();
  bool authenticated(sca_leg const& magic, nta_incoming_t* irq, sip_t const* sip);

  // SUBSCRIBE and PUBLISH (server_presence.hpp).
  int subscribe(sca_leg& magic, nta_incoming_t* irq, sip_t const* sip);
  int publish(nta_incoming_t* irq, sip_t const* sip);
  bool refused_bad_headers(nta_incoming_t* irq, sip_t const* sip);
  int bad_request(nta_incoming_t* irq, std::string const& why, char const* phrase = "Bad Request");
  int unsupported_scheme(nta_incoming_t* irq, url_t const* u);

  // ---- Effects -----------------------------------------------------------
  void carry_out(callinfo::effect const& e, incoming* in) {
    std::visit([&](auto const& x) { apply(x, in); }, e);
  }

  // Each effect, over nta (server_presence.hpp).
  void apply(callinfo::response const& r, incoming* in);
  void apply(callinfo::notify const& n, incoming*);
  void apply(callinfo::arm_timer const& a, incoming*);
  void apply(callinfo::cancel_timer const& c, incoming*);
  void apply(callinfo::appearance_changed const& a, incoming*);
  void forget(typename std::map<callinfo::subscription_id, std::unique_ptr<subscription>>::iterator it);

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
  redisContext* redis_cmd_ = nullptr;
  redisContext* redis_sub_ = nullptr;
  callinfo::time_point next_expiry_{0};
  counters counters_;
  callinfo::call_info_updates call_info_reader_;  // a PUBLISH's Call-Info as appearance updates
  std::string identity_;  // the authenticated user of the request being served ("": none)
};

}  // namespace sca
