// callinfo — from a parsed Call-Info header to the presence server's typed
// requests (the Call-Info counterpart of dialog_info/mapping.hpp).
//
//   seize_target_of()   a line-seize SUBSCRIBE's Call-Info: the appearance it
//                       asks for (the first entry's appearance-index)
//   call_info_updates   a third-party PUBLISH's Call-Info (RFC 3261 §20.9 with
//                       the SCA params): one appearance_update per appearance
//                       it states, the idle wildcard (`appearance-index=*`)
//                       skipped, a missing appearance-index meaning 1
//                       (OpenSIPS' rule), appearance-uri unescaped
//
// The presence server never sees Call-Info text: the stack parses the header
// (syntax/call_info.hpp), turns it into these values and passes them in the
// request, so presence/ depends on nothing of syntax/.
#pragma once

#include <callinfo/model/appearance_index.hpp>
#include <callinfo/presence/effects.hpp>
#include <callinfo/presence/events.hpp>
#include <callinfo/syntax/call_info_view.hpp>
#include <callinfo/syntax/params.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace callinfo::inline v1 {

/// What a line-seize SUBSCRIBE's Call-Info asks for: its first entry's appearance-index.
constexpr seize_target seize_target_of(call_info_view const& ci) noexcept {
  seize_target t;
  if (ci.empty()) return t;
  if (auto const a = ci.front().appearance(); a && a->index) t.index = *a->index;
  return t;
}

/// Reads PUBLISH Call-Info into appearance updates. Keep one per thread and
/// reuse it: its buffers grow to the largest header seen and are then reused,
/// so reading allocates nothing in the steady state.
class call_info_updates {
 public:
  /// On success (nullopt), updates() holds the appearances `ci` states: views
  /// into the header's buffer and into this object, valid until the next
  /// read(). On a Call-Info that states an appearance the server could not
  /// apply (an appearance without appearance-state, or with a state that is
  /// none of the SCA states), the 400 response to send (and updates() is
  /// empty).
  std::optional<response> read(call_info_view const& ci) {
    updates_.clear();
    escaped_.clear();
    std::size_t unescaped_size = 0;
    for (call_info_entry_view const& e : ci) {
      for (appearance_view const& a : e.appearances()) {
        if (a.index && a.index->is_wildcard()) continue;
        if (!a.state_token) return refuse("Missing appearance-state");
        std::optional<appearance_state> const state = a.state();
        if (!state) return refuse("Unknown appearance-state");
        appearance_update u;
        u.index = a.index ? a.index->value() : 1;
        u.state = *state;
        if (a.uri) {
          std::string_view const content = a.uri->unquoted();
          u.remote = content;
          u.remote_stated = true;
          if (a.uri->quoted() && content.find('\\') != std::string_view::npos) {
            escaped_.push_back(updates_.size());
            unescaped_size += content.size();
          }
        }
        updates_.push_back(u);
      }
    }
    // quoted-pairs resolved into one buffer, sized once so views stay valid
    unescaped_.resize(unescaped_size);
    std::size_t at = 0;
    for (std::size_t i : escaped_) {
      std::size_t const n = unescape_into(updates_[i].remote, unescaped_.data() + at);
      updates_[i].remote = std::string_view(unescaped_.data() + at, n);
      at += n;
    }
    return std::nullopt;
  }

  /// The appearances the last successful read() found.
  std::span<appearance_update const> updates() const noexcept { return updates_; }

 private:
  std::optional<response> refuse(std::string_view reason) {
    updates_.clear();
    response r;
    r.code = 400;
    r.reason = reason;
    r.event = event_package::call_info;
    return r;
  }

  std::vector<appearance_update> updates_;
  std::vector<std::size_t> escaped_;
  std::string unescaped_;
};

}  // namespace callinfo::v1
