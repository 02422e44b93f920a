// sca-libre — libre_server<Policies>: a callinfo::basic_server hosted on
// libre's SIP stack. Requests come from one sip_listen() handler; the
// server's effects become libre calls:
//
//   response            sip_treplyf() (a server transaction: libre absorbs
//                       retransmissions); a 2xx to an initial SUBSCRIBE first
//                       creates the subscription's dialog (sip_dialog_accept(),
//                       whose local tag is the one libre puts in the To)
//   notify              sip_drequestf() in the subscription's dialog (libre
//                       writes Call-ID, From/To with tags, CSeq, Route, Via),
//                       headers from for_each_notify_header(); one NOTIFY in
//                       flight per dialog, the next ones queued in order
//   arm_timer           one libre tmr per timer_id, started for the time left
//   cancel_timer        before the deadline; when it fires, on_timer()
//   appearance_changed  one log line
//
// Why not libre's sipevent notifier (sipevent_listen / sipevent_accept /
// sipevent_notify): in libre 1.1 it answers every SUBSCRIBE inside a
// dialog itself (200 OK, its own expiry timer, a replay of the last body),
// so basic_server would never see a refresh or an unsubscribe; it writes
// Subscription-State from that timer; and the extra headers of its NOTIFYs
// are fixed when the subscription is accepted, while call-info carries the
// line's state in each NOTIFY's Call-Info header. What it does with the
// dialog (sip_dialog_accept, sip_dialog_cmp, sip_dialog_rseq_valid,
// sip_drequestf) is what this class does, with the server deciding.
#pragma once

#include "libre_glue.hpp"

#include <callinfo/adapters/call_info.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/etag.hpp>
#include <callinfo/syntax/event.hpp>
#include <callinfo/write/notify.hpp>
#include <callinfo/write/response.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace sca_libre {

inline constexpr char const* allow_events = "Allow-Events: call-info, line-seize\r\n";

template <class Policies>
class libre_server {
 public:
  using server_type = callinfo::basic_server<Policies>;

  // No dialog;shared here: the server's own 489s and 2xx list what it serves.
  explicit libre_server(struct sip* sip) : sip_(sip), server_(limits()) {}
  libre_server(libre_server const&) = delete;
  libre_server& operator=(libre_server const&) = delete;
  ~libre_server() {
    mem_deref(listener_);
    for (auto& [id, s] : subscriptions_) release(*s);
    for (auto& [k, t] : timers_) tmr_cancel(&t->t);
  }

  // Every request libre's transaction layer (the first listener: it
  // absorbs retransmissions) lets through; sip_listen() keeps listeners in
  // the order they were added.
  bool listen() { return sip_listen(&listener_, sip_, true, on_request, this) == 0; }

  // A clean stop (RFC 6665 §4.2.2): every subscription ends with
  // reason=deactivated, so its watcher subscribes again at once.
  std::size_t deactivate_all() {
    return server_.end_all_subscriptions(callinfo::event_reason::deactivated, sink());
  }
  // NOTIFYs sent and not answered yet, or queued behind one.
  std::size_t pending_notifies() const {
    std::size_t n = 0;
    for (auto const& [id, s] : subscriptions_) n += (s->req != nullptr) + s->queued.size();
    return n;
  }

 private:
  struct subscription {
    libre_server* host = nullptr;
    callinfo::subscription_id id = 0;
    sip_dialog* dlg = nullptr;
    struct sip_request* req = nullptr;  // the NOTIFY in flight (libre clears it when done)
    std::deque<std::string> queued;     // the next NOTIFYs' headers, in order
    bool terminated = false;            // its last NOTIFY is sent or queued
  };
  struct armed {
    libre_server* host = nullptr;
    callinfo::timer_id timer;
    tmr t{};
  };

  static typename server_type::limits_type limits() {
    typename server_type::limits_type l;
    l.serve_dialog_shared = false;
    return l;
  }
  static std::pair<int, std::uint64_t> key(callinfo::timer_id t) { return {static_cast<int>(t.kind), t.id}; }

  // The sink of every call into the server: each effect carried out at
  // once, in the order the server gives them.
  auto sink() {
    return [this](callinfo::effect const& e) { std::visit([&](auto const& x) { apply(x); }, e); };
  }

  // ---- Requests -------------------------------------------------------------
  static bool on_request(sip_msg const* msg, void* arg) { return static_cast<libre_server*>(arg)->request(msg); }

  bool request(sip_msg const* msg) {
    std::string_view const method = view(msg->met);
    log_line("recv " + std::string(method) + " " + aor(msg->uri) + " from " + aor(msg->from.uri) + " cseq " +
             std::to_string(msg->cseq.num));
    if (method == "SUBSCRIBE")
      subscribe(msg);
    else if (method == "PUBLISH")
      publish(msg);
    else if (method == "OPTIONS")
      reply(msg, 200, "OK", allow_events);
    else if (method != "ACK")
      reply(msg, 405, "Method Not Allowed", "Allow: SUBSCRIBE, PUBLISH, OPTIONS\r\n");
    return true;
  }

  void subscribe(sip_msg const* msg) {
    // RFC 6665 §4.2: Event is required; the package decides the rest.
    auto const event = header(msg, SIP_HDR_EVENT);
    if (!event) return reply(msg, 489, "Bad Event", allow_events);
    auto const ev = callinfo::parse_event(*event);
    if (!ev) return bad_request(msg, parse_failure("Event", ev.error()));
    auto const package = callinfo::to_event_package(*ev);
    if (!package) return reply(msg, 489, "Bad Event", allow_events);
    callinfo::subscribe_request r;
    r.event = *package;  // dialog;shared too: the server answers it 489
    if (ev->id) r.event_id = *ev->id;
    if (auto const e = header(msg, SIP_HDR_EXPIRES)) {
      auto const x = callinfo::parse_expires(*e);
      if (!x) return bad_request(msg, parse_failure("Expires", x.error()));
      r.expires = x->seconds;
    }
    std::optional<std::string> const call_info = call_info_text(msg);
    if (call_info) {
      auto const ci = callinfo::parse_call_info(*call_info);
      if (!ci) return bad_request(msg, parse_failure("Call-Info", ci.error()));
      r.seize = callinfo::seize_target_of(*ci);
    }
    std::string const line = aor(msg->to.uri), watcher = aor(msg->from.uri);
    r.line = line;
    r.watcher = watcher;
    if (view(msg->to.tag).empty()) {
      // RFC 6665 §4.1.2.1: the dialog is built on the SUBSCRIBE's Contact.
      if (!header(msg, SIP_HDR_CONTACT)) return bad_request(msg, "no Contact");
    } else {
      // Inside a dialog: a refresh or an unsubscribe of the subscription
      // it carries, else 481 (RFC 6665 §4.2.1.2).
      subscription* s = find(msg);
      if (s == nullptr || s->terminated) return reply(msg, 481, "Subscription Does Not Exist");
      if (!sip_dialog_rseq_valid(s->dlg, msg)) return reply(msg, 500, "Server Internal Error");  // RFC 3261 §12.2.2
      (void)sip_dialog_update(s->dlg, msg);
      r.subscription = s->id;
    }
    request_ = msg;
    server_.on_subscribe(r, sink());
    request_ = nullptr;
    end_undialogued();
  }

  void publish(sip_msg const* msg) {
    auto const event = header(msg, SIP_HDR_EVENT);
    if (!event) return reply(msg, 489, "Bad Event", "Allow-Events: call-info\r\n");
    auto const ev = callinfo::parse_event(*event);
    if (!ev) return bad_request(msg, parse_failure("Event", ev.error()));
    if (ev->type.text != "call-info") return reply(msg, 489, "Bad Event", "Allow-Events: call-info\r\n");
    callinfo::publish_request r;
    if (auto const e = header(msg, SIP_HDR_EXPIRES)) {
      auto const x = callinfo::parse_expires(*e);
      if (!x) return bad_request(msg, parse_failure("Expires", x.error()));
      r.expires = x->seconds;
    }
    if (auto const m = header(msg, SIP_HDR_SIP_IF_MATCH)) {
      auto const tag = callinfo::parse_sip_if_match(*m);
      if (!tag) return bad_request(msg, parse_failure("SIP-If-Match", tag.error()));
      r.if_match = tag->tag;
    }
    std::optional<std::string> const call_info = call_info_text(msg);
    if (call_info) {
      auto const ci = callinfo::parse_call_info(*call_info);
      if (!ci) return bad_request(msg, parse_failure("Call-Info", ci.error()));
      // What the adapter refuses (no or an unknown appearance-state) is answered here.
      if (std::optional<callinfo::response> const bad = reader_.read(*ci))
        return reply(msg, bad->code, std::string(bad->reason).c_str());
      r.appearances = reader_.updates();
    }
    std::string const line = aor(msg->uri), publisher = aor(msg->from.uri);
    r.line = line;
    r.publisher = publisher;
    request_ = msg;
    server_.on_publish(r, sink());
    request_ = nullptr;
  }

  void reply(sip_msg const* msg, std::uint16_t code, char const* reason, std::string const& headers = {}) {
    log_line("send " + std::to_string(code) + " " + reason);
    (void)sip_treplyf(nullptr, nullptr, sip_, msg, false, code, reason, "%sContent-Length: 0\r\n\r\n",
                      headers.c_str());
  }
  void bad_request(sip_msg const* msg, std::string const& why) {
    log_line("bad request: " + why);
    reply(msg, 400, "Bad Request");
  }

  // The subscription whose dialog carries `msg`: by Call-ID, then the tags.
  subscription* find(sip_msg const* msg) {
    auto const [first, last] = by_call_id_.equal_range(std::string(view(msg->callid)));
    for (auto it = first; it != last; ++it)
      if (auto s = subscriptions_.find(it->second); s != subscriptions_.end() && sip_dialog_cmp(s->second->dlg, msg))
        return s->second.get();
    return nullptr;
  }

  // ---- Effects ----------------------------------------------------------------
  void apply(callinfo::response const& r) {
    sip_msg const* msg = std::exchange(request_, nullptr);
    if (msg == nullptr) return;  // only a request's call answers
    header_block h;
    if (callinfo::build_result const b = callinfo::for_each_response_header(r, header_values(), h); !b) {
      log_line("response " + std::to_string(r.code) + " not built: " + std::string(callinfo::describe(b.code)));
      return reply(msg, 500, "Server Internal Error");
    }
    bool const subscribed = r.code >= 200 && r.code < 300 && r.subscription != 0;
    if (subscribed && !subscriptions_.contains(r.subscription)) {
      // The 2xx to an initial SUBSCRIBE (a fetch too): the notifier's side
      // of the dialog (RFC 6665 §4.1.2.1), before the 2xx that carries its tag.
      auto s = std::make_unique<subscription>();
      s->host = this;
      s->id = r.subscription;
      if (int const err = sip_dialog_accept(&s->dlg, msg); err != 0) {
        log_line("no dialog for subscription " + std::to_string(r.subscription) + ": " + std::strerror(err));
        undialogued_.push_back(r.subscription);
        return reply(msg, 500, "Server Internal Error");
      }
      by_call_id_.emplace(sip_dialog_callid(s->dlg), r.subscription);
      subscriptions_.emplace(r.subscription, std::move(s));
    }
    std::string const contact = subscribed ? contact_header("sca", msg->dst) : std::string();
    std::string const reason(r.reason);
    log_line("send " + std::to_string(r.code) + " " + reason + " | " + one_line(h.text) +
             (r.subscription ? " | subscription " + std::to_string(r.subscription) : ""));
    (void)sip_treplyf(nullptr, nullptr, sip_, msg, false, r.code, reason.c_str(), "%s%sContent-Length: 0\r\n\r\n",
                      contact.c_str(), h.text.c_str());
  }

  void apply(callinfo::notify const& n) {
    auto it = subscriptions_.find(n.subscription);
    if (it == subscriptions_.end()) {
      log_line("NOTIFY for subscription " + std::to_string(n.subscription) + " without a dialog dropped");
      return;
    }
    header_block h;
    if (callinfo::build_result const b = callinfo::for_each_notify_header(n, {}, header_values(), h); !b) {
      log_line("NOTIFY not built: " + std::string(callinfo::describe(b.code)));
      return;
    }
    subscription& s = *it->second;
    s.queued.push_back(std::move(h.text));
    if (n.state == callinfo::substate::terminated) s.terminated = true;
    if (s.req == nullptr) send_next(s);
  }

  void apply(callinfo::arm_timer const& a) {
    std::unique_ptr<armed>& t = timers_[key(a.timer)];
    if (!t) {
      t = std::make_unique<armed>();
      t->host = this;
      t->timer = a.timer;
      tmr_init(&t->t);
    }
    // The deadline is absolute, on the Clock policy's time line; libre's
    // timers take a delay in milliseconds.
    auto const left = std::max<std::int64_t>(0, (a.at - server_.clock().now()).count());
    tmr_start(&t->t, static_cast<std::uint64_t>(left), timer_fired, t.get());
  }

  void apply(callinfo::cancel_timer const& c) {
    auto it = timers_.find(key(c.timer));
    if (it == timers_.end()) return;
    tmr_cancel(&it->second->t);
    timers_.erase(it);
  }

  void apply(callinfo::appearance_changed const& a) {
    log_line("state " + std::string(a.line) + " appearance " + std::to_string(a.index) + ": " +
             std::string(callinfo::to_string(a.from)) + " -> " + std::string(callinfo::to_string(a.to)));
  }

  // ---- NOTIFY transactions ------------------------------------------------------
  // The next queued NOTIFY of `s`, or, when none is left and its last one
  // was sent, the subscription's end (its dialog goes with it: a later
  // request in it gets 481).
  void send_next(subscription& s) {
    while (!s.queued.empty()) {
      std::string const headers = std::move(s.queued.front());
      s.queued.pop_front();
      int const err = sip_drequestf(&s.req, sip_, true, "NOTIFY", s.dlg, 0, nullptr, notify_contact, notify_answered,
                                    &s, "%sContent-Length: 0\r\n\r\n", headers.c_str());
      log_line("send NOTIFY subscription " + std::to_string(s.id) + " | " + one_line(headers) +
               (err ? std::string(" (not sent: ") + std::strerror(err) + ")" : std::string()));
      if (err == 0) return;
    }
    if (s.terminated) forget(s.id);
  }

  static int notify_contact(sip_transp, sa const* src, sa const*, mbuf* mb, void* arg) {
    (void)arg;
    return mbuf_write_str(mb, contact_header("sca", *src).c_str());
  }

  static void notify_answered(int err, sip_msg const* msg, void* arg) {
    auto& s = *static_cast<subscription*>(arg);
    if (err == 0 && msg != nullptr && msg->scode < 200) return;  // provisional
    s.host->answered(s, err != 0 ? (err == ETIMEDOUT ? 408 : 503) : msg->scode);
  }

  void answered(subscription& s, std::uint16_t status) {
    callinfo::subscription_id const id = s.id;
    log_line("recv " + std::to_string(status) + " to NOTIFY of subscription " + std::to_string(id));
    if (status >= 300) {
      // RFC 6665 §4.2.2: 481, a timeout and the other dialog-ending codes
      // end the subscription at the notifier, with no further NOTIFY.
      if (server_.on_notify_failed(id, status, sink()) == callinfo::subscription_end::ended) {
        log_line("subscription " + std::to_string(id) + " removed after its NOTIFY failed");
        if (auto it = subscriptions_.find(id); it != subscriptions_.end()) {
          it->second->queued.clear();
          it->second->terminated = true;
        }
      }
    }
    if (auto it = subscriptions_.find(id); it != subscriptions_.end()) send_next(*it->second);
  }

  // ---- Timers ----------------------------------------------------------------
  static void timer_fired(void* arg) {
    auto& t = *static_cast<armed*>(arg);
    libre_server& self = *t.host;
    callinfo::timer_id const id = t.timer;
    self.server_.on_timer(id, self.sink());
    // Not started again by on_timer: spent (libre touches it no more).
    if (auto it = self.timers_.find(key(id)); it != self.timers_.end() && !tmr_isrunning(&it->second->t))
      self.timers_.erase(it);
  }

  // ---- Subscriptions' dialogs ---------------------------------------------------
  void release(subscription& s) {
    s.req = static_cast<struct sip_request*>(mem_deref(s.req));  // an unanswered NOTIFY no longer calls back
    s.dlg = static_cast<sip_dialog*>(mem_deref(s.dlg));
  }
  void forget(callinfo::subscription_id id) {
    auto it = subscriptions_.find(id);
    if (it == subscriptions_.end()) return;
    auto const [first, last] = by_call_id_.equal_range(sip_dialog_callid(it->second->dlg));
    for (auto c = first; c != last; ++c)
      if (c->second == id) {
        by_call_id_.erase(c);
        break;
      }
    release(*it->second);
    subscriptions_.erase(it);
  }
  // A subscription the server accepted but whose dialog could not be made:
  // ended once the call that made it has returned.
  void end_undialogued() {
    for (callinfo::subscription_id id : std::exchange(undialogued_, {}))
      (void)server_.end_subscription(id, callinfo::event_reason::noresource, sink());
  }

  struct sip* sip_ = nullptr;
  sip_lsnr* listener_ = nullptr;
  server_type server_;
  sip_msg const* request_ = nullptr;  // the request being answered, during its on_* call
  std::map<callinfo::subscription_id, std::unique_ptr<subscription>> subscriptions_;
  std::unordered_multimap<std::string, callinfo::subscription_id> by_call_id_;
  std::map<std::pair<int, std::uint64_t>, std::unique_ptr<armed>> timers_;
  std::vector<callinfo::subscription_id> undialogued_;
  callinfo::call_info_updates reader_;  // a PUBLISH's Call-Info as appearance updates
};

}  // namespace sca_libre
