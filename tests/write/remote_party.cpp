// model/remote_party.hpp: remote_is_writable(), the one rule for which
// remote parties can be written, against the character table on all 256
// bytes; and the presence server and the builders applying that same rule.
#include "support.hpp"

#include <callinfo/dialog_info/write.hpp>
#include <callinfo/model/remote_party.hpp>
#include <callinfo/presence/server.hpp>
#include <callinfo/syntax/call_info.hpp>
#include <callinfo/syntax/detail/chars.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using callinfo::appearance;
using callinfo::appearance_state;
using callinfo::build_errc;
using callinfo::event_package;
using callinfo::notify_format;
using callinfo_build_test::make_appearance;
using callinfo_build_test::show;
using callinfo_build_test::view_of;

namespace {

bool table_says_remote(unsigned char c) { return callinfo::detail::is(static_cast<char>(c), callinfo::detail::cc_remote); }

// What remote_is_writable() answers when the compiler evaluates it (the
// byte loop): one byte alone, and the same byte ninth after eight 'a's.
constexpr std::array<bool, 256> constant_answers(bool ninth) {
  std::array<bool, 256> a{};
  for (unsigned c = 0; c < 256; ++c) {
    char s[9] = {'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};
    s[ninth ? 8 : 0] = static_cast<char>(c);
    a[c] = callinfo::remote_is_writable(std::string_view(s, ninth ? 9 : 1));
  }
  return a;
}
constexpr std::array<bool, 256> constant_alone = constant_answers(false);
constexpr std::array<bool, 256> constant_ninth = constant_answers(true);

// "<sip:carol" b "@example.com>": byte b inside a name-addr.
std::string remote_with(unsigned char b) { return "<sip:carol" + std::string(1, static_cast<char>(b)) + "@example.com>"; }

struct broadworks_policies : callinfo::test_policies {
  using dialect = callinfo::broadworks_dialect;  // entry_per_appearance: NOTIFYs carry appearance-uri
};

}  // namespace

TEST_CASE("RFC 3261 §25.1 remote-byte: remote_is_writable() agrees with the character table on all 256 bytes") {
  // Every byte, alone and at every position of every length up to 24 (three
  // eight-byte steps and every tail), among fillers at the edges of the set.
  std::string_view const fillers("a ~\x80\xfd", 5);
  for (unsigned c = 0; c < 256; ++c) {
    bool const expected = table_says_remote(static_cast<unsigned char>(c));
    bool all = constant_alone[c] == expected && constant_ninth[c] == expected;
    for (char filler : fillers)
      for (std::size_t len = 1; len <= 24; ++len)
        for (std::size_t pos = 0; pos < len; ++pos) {
          std::string s(len, filler);
          s[pos] = static_cast<char>(c);
          all = all && callinfo::remote_is_writable(s) == expected;
        }
    if (!all) {
      INFO("byte " << c << ": the table says " << expected);
      CHECK(all);
    }
  }
  CHECK(callinfo::remote_is_writable(""));
  CHECK(callinfo::remote_is_writable("\"Carol \\\"C\\\"\" <sip:carol@example.com>"));
  CHECK_FALSE(callinfo::remote_is_writable("<sip:a@b>\r\nX-Injected: 1"));
  CHECK_FALSE(callinfo::remote_is_writable(std::string_view("<sip:a@b>\0", 10)));
  // dialog-info fields are held to the same rule.
  for (unsigned c = 0; c < 256; ++c) {
    std::string const s = remote_with(static_cast<unsigned char>(c));
    CHECK(callinfo::dialog_field_is_writable(s) == callinfo::remote_is_writable(s));
  }
}

TEST_CASE("remote party: the server stores exactly the remotes the builders write, byte by byte") {
  for (unsigned c = 0; c < 256; ++c) {
    auto const b = static_cast<unsigned char>(c);
    std::string const remote = remote_with(b);
    bool const writable = table_says_remote(b);
    INFO("byte " << c << ", remote " << show(remote));

    // The builders: Call-Info (the format that carries remotes) and dialog-info.
    std::vector<appearance> const busy = {make_appearance(1, appearance_state::active, remote)};
    auto const line = view_of("sip:bob@example.com", busy);
    std::string text;
    callinfo::string_sink sink(text);
    CHECK(callinfo::write_call_info(line, notify_format::entry_per_appearance, sink).code ==
          (writable ? build_errc::ok : build_errc::bad_remote));
    CHECK(callinfo::write_dialog_info(line, {}, sink).code == (writable ? build_errc::ok : build_errc::bad_remote));

    // The server, with a call-info watcher: a management update takes the
    // remote iff the builders write it, and then every NOTIFY it sends is
    // written whole, block and per header.
    callinfo::basic_server<broadworks_policies> server;
    callinfo::subscribe_request sub;
    sub.event = event_package::call_info;
    sub.line = "sip:bob@example.com";
    sub.watcher = "sip:alice@example.com";
    (void)server.on_subscribe(sub);
    callinfo::effect_list fx;
    callinfo::state_change const change = server.update("sip:bob@example.com", 1, appearance_state::active, remote, fx);
    CHECK((change.result != callinfo::transition::refused) == writable);
    CHECK(fx.count<callinfo::notify>() == (writable ? 1u : 0u));
    for (callinfo::effect const& e : fx.items) {
      auto const* n = std::get_if<callinfo::notify>(&e);
      if (n == nullptr) continue;
      std::string block;
      callinfo::string_sink block_sink(block);
      CHECK(callinfo::write_notify_headers(*n, block_sink).ok());
      std::string call_info;
      CHECK(callinfo::for_each_notify_header(*n, [&](std::string_view name, std::string_view value) {
              if (name == "Call-Info") call_info = value;
            }).ok());
      // The remote reads back from the Call-Info the server's NOTIFY carries.
      auto const ci = callinfo::parse_call_info(call_info);
      REQUIRE(ci.has_value());
      std::optional<std::string> read_back;
      for (callinfo::call_info_entry_view const& entry : *ci)
        for (callinfo::appearance_view const& a : entry.appearances())
          if (a.uri) read_back = callinfo::unescape(a.uri->unquoted());
      CHECK(read_back == std::optional<std::string>(remote));
    }

    // A PUBLISH stating that remote: 400 iff the builders would refuse it.
    callinfo::basic_server<broadworks_policies> publisher_side;
    callinfo::appearance_update u;
    u.index = 1;
    u.state = appearance_state::active;
    u.remote = remote;
    std::array<callinfo::appearance_update const, 1> const updates = {u};
    callinfo::publish_request pub;
    pub.line = "sip:bob@example.com";
    pub.publisher = "sip:bob@example.com";
    pub.appearances = std::span<callinfo::appearance_update const>(updates);
    auto const answers = publisher_side.on_publish(pub);
    REQUIRE(answers.count<callinfo::response>() == 1);
    for (callinfo::effect const& e : answers.items)
      if (auto const* r = std::get_if<callinfo::response>(&e)) CHECK((r->code == 400) == !writable);
  }
}
