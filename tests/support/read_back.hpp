// Test support: how a shared check reports a broken invariant, and the
// read-back of a written Call-Info value with the library's parser.
//
// Used by the server invariants (server_invariants.hpp) and by the
// Call-Info builder fuzz harness (fuzz/build_harness.hpp). No test
// framework: a check reports through a callable `fail(std::string_view
// what)` that must not return (doctest's FAIL throws, the fuzz harnesses
// trap); should it return all the same, the process aborts.
#pragma once

#include <callinfo/callinfo.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <span>
#include <string>
#include <string_view>

namespace callinfo::test {

template <class Fail>
[[noreturn]] void broken(Fail&& fail, std::string_view what) {
  fail(what);
  std::abort();
}

template <class Fail>
void expect(bool ok, Fail&& fail, std::string_view what) {
  if (!ok) [[unlikely]]
    broken(fail, what);
}

// A failure message from its parts (built only once a check has failed).
template <class... Parts>
std::string message(Parts const&... parts) {
  std::ostringstream o;
  (o << ... << parts);
  return o.str();
}

// An exact-size heap copy, so that a read one past the end is an
// AddressSanitizer report rather than a read of spare capacity.
class exact_copy {
 public:
  explicit exact_copy(std::string_view s) : data_(new char[s.size() + (s.empty() ? 1 : 0)]), size_(s.size()) {
    if (!s.empty()) std::memcpy(data_.get(), s.data(), s.size());
  }
  std::string_view view() const noexcept { return {data_.get(), size_}; }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_;
};

inline bool is_ctl_byte(char c) noexcept {
  auto const u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// Limits that never refuse what a writer produced.
inline parse_limits read_back_limits() noexcept {
  parse_limits l;
  l.max_value_length = std::numeric_limits<std::uint32_t>::max();
  l.max_entries = 1000;
  l.max_params = 1000;
  return l;
}

// `text` is a Call-Info value written for `busy` in `format` with entries
// naming `uri`: it has no control byte, parses, and reads back exactly those
// appearances (the remote only in entry_per_appearance, where a non-empty
// one is written), then the idle wildcard, and nothing else.
template <class Fail>
void check_call_info_read_back(std::string_view text, std::span<appearance const> busy, notify_format format,
                               std::string_view uri, Fail&& fail) {
  for (char c : text) expect(!is_ctl_byte(c), fail, "written Call-Info holds a control byte");
  exact_copy const copy(text);
  auto const r = parse_call_info(copy.view(), read_back_limits());
  if (!r) broken(fail, message("written Call-Info does not parse: ", text));
  bool const per_appearance = format == notify_format::entry_per_appearance;
  expect(r->size() == (per_appearance ? busy.size() + 1 : 1), fail, "written Call-Info: wrong number of entries");
  std::size_t n = 0;  // appearances read so far
  bool wildcard = false;
  for (call_info_entry_view const& e : *r) {
    expect(e.uri == uri, fail, "written Call-Info: an entry names another URI");
    std::size_t in_entry = 0;
    for (appearance_view const& a : e.appearances()) {
      ++in_entry;
      expect(!wildcard && a.index.has_value() && a.state_token.has_value(), fail,
             "written Call-Info: an appearance after the wildcard, or without index or state");
      if (n == busy.size()) {
        expect(a.index->is_wildcard() && *a.state_token == "idle" && !a.uri, fail,
               "written Call-Info: the last appearance is not the idle wildcard");
        wildcard = true;
        continue;
      }
      appearance const& want = busy[n++];
      expect(!a.index->is_wildcard() && a.index->value() == want.index, fail, "written Call-Info: wrong index");
      expect(*a.state_token == to_string(want.state) && a.state() == want.state, fail,
             "written Call-Info: wrong appearance-state");
      if (per_appearance && !want.remote.empty()) {
        expect(a.uri.has_value() && a.uri->quoted(), fail, "written Call-Info: the remote party is missing");
        std::string const got = unescape(a.uri->unquoted());
        if (want.remote.find('<') != std::string::npos) {
          expect(got == want.remote, fail, "written Call-Info: the remote party reads back otherwise");
        } else {
          expect(got.size() == want.remote.size() + 2 && got.front() == '<' && got.back() == '>' &&
                     std::string_view(got).substr(1, want.remote.size()) == want.remote,
                 fail, "written Call-Info: the remote URI reads back otherwise");
        }
      } else {
        expect(!a.uri, fail, "written Call-Info: an appearance-uri nobody asked for");
      }
    }
    expect(in_entry == (per_appearance ? 1 : busy.size() + 1), fail,
           "written Call-Info: wrong number of appearances in an entry");
  }
  expect(wildcard && n == busy.size(), fail, "written Call-Info: appearances missing");
}

// `text` is a line-seize Call-Info value: `<uri>;appearance-index=N`.
template <class Fail>
void check_line_seize_read_back(std::string_view text, std::string_view uri, std::uint32_t index, Fail&& fail) {
  for (char c : text) expect(!is_ctl_byte(c), fail, "written line-seize Call-Info holds a control byte");
  exact_copy const copy(text);
  auto const r = parse_call_info(copy.view(), read_back_limits());
  expect(r.has_value() && r->size() == 1, fail, "written line-seize Call-Info does not parse to one entry");
  call_info_entry_view const e = r->front();
  expect(e.uri == uri && e.params.size() == 1, fail, "written line-seize Call-Info: wrong URI or parameters");
  auto const a = e.appearance();
  expect(a && a->index && !a->index->is_wildcard() && a->index->value() == index && !a->state_token && !a->uri, fail,
         "written line-seize Call-Info: not exactly the seized appearance-index");
}

}  // namespace callinfo::test
