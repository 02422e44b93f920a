// callinfo — the dialogs known to hold a line's appearances (RFC 7463's
// appearance agent memory).
//
// An RFC 7463 phone publishes its dialogs (dialog-info PUBLISH) and a stack
// may name the SIP dialog behind a call it reports (dialog_event); the line
// keeps, per such dialog, its RFC 4235 id, its SIP identifiers (Call-ID and
// tags), the appearance it holds and what drives it there. That memory:
//   - gives a dialog published again without sa:appearance the appearance
//     it already holds;
//   - gives a dialog that joins or replaces another (sa:joined-dialog,
//     sa:replaced-dialog, RFC 7463 §5.2) the other dialog's appearance;
//   - keeps a joined appearance busy while one of its dialogs is left;
//   - lets dialog;shared NOTIFYs carry the real dialog id, Call-ID and tags,
//     which a phone needs to build a Join or Replaces header (RFC 3911,
//     RFC 3891) to bridge into or pick up the call.
// It lives in the line record, so storage, snapshots and the Redis records
// carry it with the appearances it describes.
#pragma once

#include <callinfo/line/line_state.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/model/text_ref.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace callinfo::inline v1 {

/// A dialog by its SIP identifiers (RFC 7463 §5.2's sa:joined-dialog /
/// sa:replaced-dialog attributes; RFC 4235 §4.1.1's call-id, local-tag,
/// remote-tag). Empty call_id: not known.
struct dialog_ref {
  text_ref call_id;     ///< Call-ID
  text_ref local_tag;   ///< the local tag, from the side of whoever wrote the reference
  text_ref remote_tag;  ///< the remote tag, from the same side
};

/// A dialog known to hold an appearance of a line (RFC 7463 agent): which appearance, its state and
/// its SIP identifiers.
struct line_dialog {
  appearance_driver owner{};                        ///< the publication or the dialog event that named it
  std::uint32_t index = 0;                          ///< the appearance it holds
  appearance_state state = appearance_state::idle;  ///< as its owner last stated it
  std::string id;                                   ///< RFC 4235 dialog id; may be empty
  /// @{
  std::string call_id, local_tag, remote_tag;       ///< Call-ID and tags; may be empty
  /// @}
  friend bool operator==(line_dialog const&, line_dialog const&) = default;  ///< Field-wise equality.
};

/// Whether `d` is the dialog `ref` names. The tags are compared as a pair in
/// either order: a reference written from the other party's side (a Join or
/// Replaces header's to-tag/from-tag as the other phone saw them) names the
/// same dialog.
constexpr bool names_dialog(dialog_ref const& ref, line_dialog const& d) noexcept {
  if (ref.call_id.empty() || ref.call_id != d.call_id) return false;
  std::string_view const l = d.local_tag, r = d.remote_tag;
  return (ref.local_tag == l && ref.remote_tag == r) || (ref.local_tag == r && ref.remote_tag == l);
}

/// Whether a value can be written into a dialog-info attribute or a record
/// of presence/snapshot.hpp: no control byte, no %xFE-FF (as remote_is_writable).
constexpr bool dialog_field_is_writable(std::string_view v) noexcept { return remote_is_writable(v); }

/// The dialog that shows appearance `a` in a NOTIFY: the one its driver
/// named, else the first one on that index; nullptr when none is known.
inline line_dialog const* dialog_of(std::span<line_dialog const> dialogs, appearance const& a) noexcept {
  line_dialog const* any = nullptr;
  for (line_dialog const& d : dialogs) {
    if (d.index != a.index) continue;
    if (d.owner == a.driver) return &d;
    if (any == nullptr) any = &d;
  }
  return any;
}

}  // namespace callinfo::v1
