// callinfo — how a subscription the notifier ends, or whose NOTIFY failed,
// comes out (RFC 6665 §4.2.2, RFC 5057 §5.1): basic_server::end_subscription()
// and on_notify_failed() return a subscription_end.
#pragma once

#include <cstdint>

namespace callinfo::inline v1 {

/// What basic_server::end_subscription() / on_notify_failed() did.
enum class subscription_end : std::uint8_t {
  ended,    ///< the subscription is gone; the effects say how
  kept,     ///< on_notify_failed(): that status does not end a subscription
  unknown,  ///< no live subscription has that id (never one, or already ended): nothing done
};

/// Whether the final status of a failed NOTIFY ends its subscription
/// (RFC 6665 §4.2.2). A stack reports a NOTIFY's transaction timeout (Timer F)
/// as 408, as RFC 3261 §8.1.3.1 has it.
///   481                 MUST remove the subscription (RFC 6665 §4.2.2).
///   408                 Timer F: SHOULD remove it (RFC 6665 §4.2.2). A 408
///                       a proxy sends affects only the transaction in RFC
///                       5057 §5.1, but stacks give both the same code and
///                       a watcher that stopped answering is the common case
///                       (OpenSIPS presence also drops the subscription).
///   404 410 416 480     the dialog is gone (RFC 5057 §5.1); with 405 489 501
///   482-485 604         (the usage is gone) this is the set RFC 6665 §4.1.2.2
///                       ends a subscription on for a refresh's response: the
///                       notifier reads its NOTIFY's answer the same way.
/// Everything else (401/407 ask for credentials, 491, 500, 503 and the other
/// 3xx-6xx) affects only that NOTIFY's transaction (RFC 5057 §5.1): the
/// subscription stays, and its next NOTIFY or its expiry settles it. 1xx and
/// 2xx are not failures.
constexpr bool notify_failure_ends_subscription(std::uint16_t status) noexcept {
  switch (status) {
    case 404: case 405: case 408: case 410: case 416: case 480: case 481: case 482: case 483: case 484: case 485:
    case 489: case 501: case 604:
      return true;
    default:
      return false;
  }
}

}  // namespace callinfo::v1
