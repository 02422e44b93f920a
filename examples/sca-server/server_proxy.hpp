// sca-server — sca_server's dialog-driven mode: a minimal stateful proxy
// for the calls between user agents on 127.0.0.1, and the calls on shared
// lines it sees, which drive basic_server::on_dialog().
#pragma once

#include "server.hpp"

#include <callinfo/presence/sdp_hold.hpp>
#include <callinfo/syntax/call_info.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sca {

// ---- Dialog-driven mode: the calls' transactions ----------------------
//
// A minimal stateful proxy (RFC 3261 §16): each request out of a
// subscription becomes one server transaction (irq, nta answers its
// retransmissions) and one client transaction (orq, nta_outgoing_mcreate()
// of a copy; nta adds its Via). Responses come back on the orq, lose the
// top Via (ours) and go out on the irq. The initial INVITE is
// record-routed, so re-INVITEs, BYEs and the ACK of the 2xx come through
// here too; ACK of a 2xx is forwarded statelessly.

template <class Policies>
inline void sca_server<Policies>::relay_answered(sca_leg& magic, nta_outgoing_t* orq, sip_t const* sip) {
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

template <class Policies>
inline void sca_server<Policies>::relay_cancelled(sca_leg& magic, nta_incoming_t*, sip_t const* sip) {
  if (sip == nullptr || sip->sip_request == nullptr || sip->sip_request->rq_method != sip_method_cancel) return;
  auto it = relays_.find(magic.relay);
  if (it == relays_.end()) return;
  relay& r = *it->second;
  log_line("recv CANCEL call-id " + r.call_id + ": cancelling the forwarded " + r.method);
  // nta has answered the CANCEL; the INVITE's 487 comes from downstream.
  if (r.orq) nta_outgoing_tcancel(r.orq, nullptr, nullptr, TAG_END());
  if (r.initial_invite) end_call(r.call_id, callinfo::dialog_phase::failed);
}

// The requests the proxy forwards: calls' methods, and any request in a
// dialog that is not a subscription's.
template <class Policies>
inline bool sca_server<Policies>::proxied(sip_t const* sip) const {
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

template <class Policies>
inline int sca_server<Policies>::proxy(nta_incoming_t* irq, sip_t const* sip) {
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

template <class Policies>
inline int sca_server<Policies>::drop(nta_incoming_t* irq, char const* why) {
  log_line(std::string("dropped: ") + why);
  nta_incoming_destroy(irq);
  return 0;
}

template <class Policies>
inline std::string sca_server<Policies>::url_text(url_t const* u) {
  if (u == nullptr) return "-";
  char buf[512];
  isize_t const n = url_e(buf, sizeof buf, u);
  if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buf) return "?";
  return std::string(buf, static_cast<std::size_t>(n));
}

// ---- Dialog-driven mode: calls on shared lines → on_dialog -------------

// An initial INVITE from or to a shared line starts a call. Returns the
// Call-Info to add to the forwarded INVITE when it had none.
template <class Policies>
inline std::optional<std::string> sca_server<Policies>::start_call(std::string const& call_id, sip_t const* sip) {
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

template <class Policies>
inline void sca_server<Policies>::dialog_event(call& c, callinfo::dialog_phase phase) {
  callinfo::dialog_event d;
  d.line = c.line;
  d.dialog = c.id;
  d.side = c.side;
  d.phase = phase;
  d.appearance_index = c.index;
  d.remote = c.remote;
  d.identifiers = {c.call_id, c.local_tag, c.remote_tag};
  callinfo::state_change const r = server_.on_dialog(d, [&](callinfo::effect const& e) { carry_out(e, nullptr); });
  storage_outcome("dialog event");
  log_line("dialog " + std::to_string(c.id) + " " + std::string(callinfo::to_string(phase)) + " on " + c.line +
           " appearance " + std::to_string(c.index) + ": " + std::string(callinfo::to_string(r.from)) + " -> " +
           std::string(callinfo::to_string(r.to)) +
           (r.result == callinfo::transition::applied ? "" : r.result == callinfo::transition::refused ? " (refused)" : " (unchanged)"));
}

template <class Policies>
inline void sca_server<Policies>::end_call(std::string const& call_id, callinfo::dialog_phase phase) {
  auto it = calls_.find(call_id);
  if (it == calls_.end()) return;
  dialog_event(it->second, phase);
  calls_.erase(it);
}

template <class Policies>
inline void sca_server<Policies>::dialog_response(relay const& r, int status, sip_t const* sip) {
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

template <class Policies>
inline std::uint32_t sca_server<Policies>::first_idle_appearance(std::string const& line) {
  std::uint32_t const index = server_.first_idle_appearance(line);
  return server_.last_storage_status() == callinfo::storage_status::ok ? index : 1;
}

}  // namespace sca
