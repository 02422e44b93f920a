// sca-server — sca_server's --state records: the library's snapshot, then
// the proxied calls on shared lines.
#pragma once

#include "server.hpp"

#include <callinfo/presence/snapshot.hpp>

#include <cstddef>
#include <istream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace sca {

// ---- State file ---------------------------------------------------------
//
// The library's snapshot, then the proxied calls on shared lines (what
// maps a Call-ID to the dialog id that drives an appearance):
//   sca-server-calls 1
//   last-dialog <id>
//   call <dialog-id> <call-id> <line> <remote> <caller|callee> <index> <confirmed> <held> [<local-tag> <remote-tag>]
//   end
// strings length-prefixed as in the snapshot (`5:hello`).
template <class Policies>
inline std::string sca_server<Policies>::state() {
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
template <class Policies>
inline std::optional<std::size_t> sca_server<Policies>::restore(std::string_view text) {
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

}  // namespace sca
