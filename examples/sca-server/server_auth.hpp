// sca-server — sca_server's digest authentication (auth.hpp): which
// requests are challenged, and the user each authenticated request carries
// to the library's Authorizer.
#pragma once

#include "auth.hpp"
#include "server.hpp"

#include <string>

namespace sca {

// With --credentials, the Authorizer reads the --line-user map.
template <class Policies>
inline void sca_server<Policies>::use_authentication() {
  if (config_.auth) server_.authorizer().users = &config_.auth->lines();
}

// Challenged: an out-of-dialog SUBSCRIBE or PUBLISH (401), a request the
// proxy forwards (407), but not ACK or CANCEL: they cannot be challenged
// (RFC 3261 §22.1) and follow an INVITE that was. Not challenged: OPTIONS
// to the server, and requests inside a subscription's dialog (refresh,
// unsubscribe): that dialog was set up by an authenticated SUBSCRIBE, and
// its Call-ID and tags are known to its two ends only.
template <class Policies>
inline bool sca_server<Policies>::authenticated(sca_leg const& magic, nta_incoming_t* irq, sip_t const* sip) {
  identity_.clear();
  if (!config_.auth || magic.subscription != 0) return true;
  sip_method_t const m = sip->sip_request->rq_method;
  bool const presence = m == sip_method_subscribe || m == sip_method_publish;
  bool const relayed = !presence && proxied(sip) && m != sip_method_ack && m != sip_method_cancel;
  if (!presence && !relayed) return true;
  auth_outcome const out = config_.auth->check(sip, relayed);
  if (out.status != 0) {
    (out.status == 401 || out.status == 407 ? trace_line : log_line)(
        std::string("auth: ") + sip->sip_request->rq_method_name + " answered " + std::to_string(out.status) + ": " +
        out.why);
    reply(irq, out.status, out.phrase, out.headers);
    return false;
  }
  identity_ = out.user;
  trace_line("auth: " + std::string(sip->sip_request->rq_method_name) + " by user '" + identity_ + "'");
  // A call placed as a shared line: only that line's users may (the call
  // drives the line's appearances as a seize or PUBLISH would).
  if (m == sip_method_invite && !(sip->sip_to && sip->sip_to->a_tag)) {
    std::string const from = aor(sip->sip_from ? sip->sip_from->a_url : nullptr);
    if (is_line(from) && !config_.auth->on_line(from, identity_)) {
      log_line("auth: INVITE as " + from + " refused to user '" + identity_ + "' (not a --line-user of it)");
      reply(irq, 403, "Forbidden");
      return false;
    }
  }
  return true;
}

}  // namespace sca
