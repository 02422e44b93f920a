// sca-server — the Sofia-SIP side: nta's magic types (every source of the
// server includes Sofia through this header, so that they are the same in
// all of them), the magic of legs, transactions and timers, and the C
// callbacks that hand nta's events to the sca_host.
#pragma once

#define SU_ROOT_MAGIC_T void
#define NTA_AGENT_MAGIC_T void
#define NTA_LEG_MAGIC_T struct sca_leg
#define NTA_OUTGOING_MAGIC_T struct sca_leg
#define NTA_INCOMING_MAGIC_T struct sca_leg
#define SU_TIMER_ARG_T struct sca_timer

#include <sofia-sip/msg.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/sip_tag.h>
#include <sofia-sip/sip_util.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/tport_tag.h>

#include <callinfo/model/event_package.hpp>
#include <callinfo/model/handles.hpp>
#include <callinfo/presence/events.hpp>

#include <cstdint>

// The magic of a leg: the default leg (subscription 0) or one subscription's
// dialog; also the magic of the NOTIFYs sent in that dialog. A forwarded
// request's transactions (server and client side) carry one with its relay
// number.
struct sca_leg {
  class sca_host* host = nullptr;
  callinfo::subscription_id subscription = 0;
  std::uint64_t relay = 0;
};

// The argument of a timer callback.
struct sca_timer {
  class sca_host* host = nullptr;
  callinfo::timer_id timer;
};

// What the Sofia callbacks call; implemented for each dialect's server.
class sca_host {
 public:
  virtual int request(sca_leg& leg, nta_leg_t* l, nta_incoming_t* irq, sip_t const* sip) = 0;
  virtual void notify_answered(sca_leg& leg, nta_outgoing_t* orq, sip_t const* sip) = 0;
  virtual void timer_fired(callinfo::timer_id t) = 0;
  virtual void relay_answered(sca_leg& relay, nta_outgoing_t* orq, sip_t const* sip) = 0;
  virtual void relay_cancelled(sca_leg& relay, nta_incoming_t* irq, sip_t const* sip) = 0;

 protected:
  ~sca_host() = default;
};

extern "C" {
inline int leg_callback(sca_leg* magic, nta_leg_t* leg, nta_incoming_t* irq, sip_t const* sip) {
  return magic->host->request(*magic, leg, irq, sip);
}
inline int notify_callback(sca_leg* magic, nta_outgoing_t* orq, sip_t const* sip) {
  magic->host->notify_answered(*magic, orq, sip);
  return 0;
}
inline void timer_callback(void*, su_timer_t*, sca_timer* arg) { arg->host->timer_fired(arg->timer); }
inline int relay_response_callback(sca_leg* magic, nta_outgoing_t* orq, sip_t const* sip) {
  magic->host->relay_answered(*magic, orq, sip);
  return 0;
}
inline int relay_cancel_callback(sca_leg* magic, nta_incoming_t* irq, sip_t const* sip) {
  magic->host->relay_cancelled(*magic, irq, sip);
  return 0;
}
}
