// sca-server — sca_server's presence side: SUBSCRIBE (call-info,
// line-seize, dialog;shared) and PUBLISH (call-info, and dialog;shared
// with pugixml) read with the library's parsers and handed to the server;
// the NOTIFY transactions and their answers; the timers; and every effect
// carried out over nta (responses, the subscriptions' dialogs, NOTIFYs).
#pragma once

#include "server.hpp"

#include <callinfo/write/notify.hpp>
#include <callinfo/write/response.hpp>
#include <callinfo/dialog_info/write.hpp>
#if SCA_SERVER_DIALOG_INFO
#include <callinfo/dialog_info/parse.hpp>
#endif
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/delta_seconds.hpp>
#include <callinfo/syntax/etag.hpp>
#include <callinfo/syntax/event.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace sca {

// ---- NOTIFY transactions ---------------------------------------------

template <class Policies>
inline void sca_server<Policies>::notify_answered(sca_leg& magic, nta_outgoing_t* orq, sip_t const* sip) {
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
    // the line's watchers told.
    auto const end = server_.on_notify_failed(id, static_cast<std::uint16_t>(status),
                                              [&](callinfo::effect const& e) { carry_out(e, nullptr); });
    storage_outcome("NOTIFY failure");
    if (end == callinfo::subscription_end::ended) {
      log_line("subscription " + std::to_string(id) + " removed after its NOTIFY failed");
      if (auto const gone = subscriptions_.find(id); gone != subscriptions_.end()) gone->second->terminated = true;
    }
    it = subscriptions_.find(id);  // carry_out may have changed the map
    if (it == subscriptions_.end()) return;
  }
  if (it->second->terminated && it->second->pending_notifies == 0) forget(it);
}

// A clean stop without a state file (RFC 6665 §4.2.2): every subscription
// ends with reason=deactivated, so watchers subscribe again at once (to
// this server restarted, or another); the NOTIFYs' transactions get up to
// `wait_ms` to finish. Returns how many subscriptions ended (with --redis,
// those whose dialogs this server holds).
template <class Policies>
inline std::size_t sca_server<Policies>::deactivate_all(unsigned wait_ms) {
  std::size_t const n = server_.end_all_subscriptions(callinfo::event_reason::deactivated,
                                                      [&](callinfo::effect const& e) { carry_out(e, nullptr); });
  for (unsigned waited = 0; waited < wait_ms && pending_notifies() != 0; waited += 20) su_root_step(root_, 20);
  return n;
}

template <class Policies>
inline std::size_t sca_server<Policies>::pending_notifies() const {
  std::size_t n = 0;
  for (auto const& [id, s] : subscriptions_) n += s->pending_notifies;
  return n;
}

// ---- Timers ------------------------------------------------------------
template <class Policies>
inline void sca_server<Policies>::timer_fired(callinfo::timer_id t) {
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

// ---- Requests: SUBSCRIBE and PUBLISH ------------------------------------

template <class Policies>
inline int sca_server<Policies>::subscribe(sca_leg& magic, nta_incoming_t* irq, sip_t const* sip) {
  // The line is the To URI; the Request-URI names it too, out of a dialog.
  if (!is_sip_url(sip->sip_request->rq_url)) return unsupported_scheme(irq, sip->sip_request->rq_url);
  if (sip->sip_to && !is_sip_url(sip->sip_to->a_url)) return unsupported_scheme(irq, sip->sip_to->a_url);
  // An initial SUBSCRIBE creates a dialog whose remote target is its
  // Contact (RFC 3261 §8.1.1.8, §12.1.1; RFC 6665 §4.1.2.1): without one,
  // or with one nta cannot send to, the NOTIFYs would go nowhere.
  if (magic.subscription == 0 && sip->sip_contact == nullptr)
    return bad_request(irq, "SUBSCRIBE without Contact", "Missing Contact, NOTIFYs cannot be routed");
  if (magic.subscription == 0 && !is_sip_url(sip->sip_contact->m_url))
    return bad_request(irq, "SUBSCRIBE with a Contact that is not a SIP URI",
                       "Contact Not a SIP URI, NOTIFYs cannot be routed");
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
  if (ev->id) r.event_id = *ev->id;  // RFC 6665 §8.2.1: part of the subscription's identity
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
    r.seize = callinfo::seize_target_of(*ci);
  }

  std::string const line = aor(sip->sip_to ? sip->sip_to->a_url : nullptr);
  std::string const watcher = aor(sip->sip_from ? sip->sip_from->a_url : nullptr);
  r.line = line;
  r.watcher = identity_.empty() ? std::string_view(watcher) : std::string_view(identity_);
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
  server_.on_subscribe(r, [&](callinfo::effect const& e) { carry_out(e, &in); });
  storage_outcome("SUBSCRIBE");
  if (in.irq != nullptr) reply(in.irq, 500, "Server Internal Error");  // the server always answers; else 500
  return 0;
}

template <class Policies>
inline int sca_server<Policies>::publish(nta_incoming_t* irq, sip_t const* sip) {
  // The line is the Request-URI.
  if (!is_sip_url(sip->sip_request->rq_url)) return unsupported_scheme(irq, sip->sip_request->rq_url);
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
    // Call-Info into appearance updates; what the adapter refuses is answered here.
    if (std::optional<callinfo::response> const bad = call_info_reader_.read(*ci))
      return reply(irq, bad->code, std::string(bad->reason).c_str());
    r.appearances = call_info_reader_.updates();
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
      r.appearances = body.appearances();
      trace_line("PUBLISH dialog-info version " + std::to_string(body.version()) + ", " +
                 std::to_string(body.appearances().size()) + " appearance(s)");
    }
  }
#endif
  std::string const line = aor(sip->sip_request->rq_url);
  std::string const publisher = aor(sip->sip_from ? sip->sip_from->a_url : nullptr);
  r.line = line;
  r.publisher = identity_.empty() ? std::string_view(publisher) : std::string_view(identity_);
  incoming in{irq, sip};
  server_.on_publish(r, [&](callinfo::effect const& e) { carry_out(e, &in); });
  storage_outcome("PUBLISH");
  if (in.irq != nullptr) reply(in.irq, 500, "Server Internal Error");  // the server always answers; else 500
  return 0;
}

// A header Sofia could not parse is not handed to the server.
template <class Policies>
inline bool sca_server<Policies>::refused_bad_headers(nta_incoming_t* irq, sip_t const* sip) {
  for (std::string_view name : {"Event", "Expires", "Call-Info", "SIP-If-Match"})
    if (has_bad_header(sip, name)) {
      bad_request(irq, std::string(name) + ": malformed");
      return true;
    }
  return false;
}

template <class Policies>
inline int sca_server<Policies>::bad_request(nta_incoming_t* irq, std::string const& why, char const* phrase) {
  log_line("bad request: " + why);
  return reply(irq, 400, phrase);
}

// RFC 3261 §8.2.2.1: a line that is not a sip: or sips: URI (tel:, ...) is
// one the server cannot serve: 416. The library takes any absoluteURI as a
// line; which schemes a stack routes is the stack's call.
template <class Policies>
inline int sca_server<Policies>::unsupported_scheme(nta_incoming_t* irq, url_t const* u) {
  log_line("bad request: line " + url_text(u) + " is not a sip: or sips: URI");
  return reply(irq, 416, "Unsupported URI Scheme");
}

// ---- Effects -----------------------------------------------------------

template <class Policies>
inline void sca_server<Policies>::apply(callinfo::response const& r, incoming* in) {
  if (in == nullptr || in->irq == nullptr) return;
  // The response's headers one by one; its status code and reason phrase,
  // which nta writes, are checked with them. A response the builders refuse
  // is not sent: 500 instead.
  nta_headers h;
  if (callinfo::build_result const b = callinfo::for_each_response_header(r, header_values(), h); !b) {
    log_line("response " + std::to_string(r.code) + " not built: " + std::string(callinfo::describe(b.code)));
    reply(in->irq, 500, "Server Internal Error");
    in->irq = nullptr;
    return;
  }
  std::string const& headers = h.block;
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
  release(in->irq);
  in->irq = nullptr;
  subscriptions_.emplace(r.subscription, std::move(s));
}

template <class Policies>
inline void sca_server<Policies>::apply(callinfo::notify const& n, incoming*) {
  auto it = subscriptions_.find(n.subscription);
  if (it == subscriptions_.end() || it->second->leg == nullptr) {
    log_line("NOTIFY for unknown subscription " + std::to_string(n.subscription) + " dropped");
    ++counters_.notify_not_sent;
    return;
  }
  subscription& s = *it->second;
  // The headers one by one, Call-Info apart (nta_headers); nta writes
  // Content-Length.
  nta_headers h;
  if (callinfo::build_result const b = callinfo::for_each_notify_header(n, {}, header_values(), h); !b) {
    log_line("NOTIFY of subscription " + std::to_string(n.subscription) + " not built: " +
             std::string(callinfo::describe(b.code)));
    ++counters_.notify_not_sent;
    return;
  }
  std::string const& headers = h.block;
  std::string const& call_info = h.call_info;
  // dialog;shared: the headers end with Content-Type; the body is the whole
  // line as dialog-info, full state (RFC 7463 §5.2).
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

template <class Policies>
inline void sca_server<Policies>::apply(callinfo::arm_timer const& a, incoming*) {
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

template <class Policies>
inline void sca_server<Policies>::apply(callinfo::cancel_timer const& c, incoming*) {
  auto it = timers_.find(key(c.timer));
  if (it == timers_.end()) return;
  su_timer_reset(it->second->timer);
  dead_timers_.push_back(it->second->timer);
  timers_.erase(it);
}

template <class Policies>
inline void sca_server<Policies>::apply(callinfo::appearance_changed const& a, incoming*) {
  log_line("state " + std::string(a.line) + " appearance " + std::to_string(a.index) + ": " +
           std::string(callinfo::to_string(a.from)) + " -> " + std::string(callinfo::to_string(a.to)) + " (" +
           std::string(callinfo::to_string(a.cause)) + ")");
}

template <class Policies>
inline void sca_server<Policies>::forget(
    typename std::map<callinfo::subscription_id, std::unique_ptr<subscription>>::iterator it) {
  // The leg goes with its last NOTIFY's transaction; a later request in
  // the dialog reaches the default leg and gets 481.
  if (it->second->leg) nta_leg_destroy(it->second->leg);
  subscriptions_.erase(it);
}

}  // namespace sca
