// Call-Info boundary index: parse_call_info records where entries and params
// lie while validating, and the view walks those records. A view built from
// the same text without an index (call_info_view(text, size)) re-scans it;
// both walks must give exactly the same views, byte for byte, including when
// the index is full and the walk falls back to re-scanning part of the value.
#include "support.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

bool same(std::string_view a, std::string_view b) { return a.data() == b.data() && a.size() == b.size(); }

void check_same_params(callinfo::param_range const& a, callinfo::param_range const& b) {
  CHECK(same(a.text(), b.text()));
  CHECK(a.size() == b.size());
  CHECK(a.empty() == b.empty());
  auto i = a.begin();
  auto j = b.begin();
  for (; i != a.end() && j != b.end(); ++i, ++j) {
    CHECK(same(i->name, j->name));
    CHECK(same(i->value, j->value));
    CHECK(i->has_value == j->has_value);
  }
  CHECK(i == a.end());
  CHECK(j == b.end());
  auto const pa = a.find("purpose");
  auto const pb = b.find("purpose");
  REQUIRE(pa.has_value() == pb.has_value());
  if (pa) CHECK(same(pa->value, pb->value));
}

void check_same_appearances(callinfo::call_info_entry_view const& a, callinfo::call_info_entry_view const& b) {
  auto i = a.appearances().begin();
  auto j = b.appearances().begin();
  auto const ra = a.appearances();
  auto const rb = b.appearances();
  for (; i != ra.end() && j != rb.end(); ++i, ++j) {
    CHECK(i->index == j->index);
    REQUIRE(i->state_token.has_value() == j->state_token.has_value());
    if (i->state_token) CHECK(same(*i->state_token, *j->state_token));
    REQUIRE(i->uri.has_value() == j->uri.has_value());
    if (i->uri) CHECK(same(i->uri->value, j->uri->value));
  }
  CHECK(i == ra.end());
  CHECK(j == rb.end());
}

// The indexed walk of `input` against the re-scan walk of the same text.
// Returns the parsed view's number of indexed entries (or -1 when rejected).
int check_walks_agree(std::string_view input, callinfo::parse_limits const& limits = {}) {
  INFO("input: " << callinfo_test::show(input));
  auto const r = callinfo::parse_call_info(input, limits);
  if (!r) return -1;
  callinfo::call_info_view const& indexed = *r;
  callinfo::call_info_view const rescan(indexed.text(), static_cast<std::uint32_t>(indexed.size()));
  CHECK(rescan.indexed_entries() == 0);
  std::size_t n = 0;
  auto i = indexed.begin();
  auto j = rescan.begin();
  for (; i != indexed.end() && j != rescan.end(); ++i, ++j, ++n) {
    CHECK(same(i->uri, j->uri));
    CHECK_FALSE(j->params.indexed());
    check_same_params(i->params, j->params);
    check_same_appearances(*i, *j);
  }
  CHECK(i == indexed.end());
  CHECK(j == rescan.end());
  CHECK(n == indexed.size());
  CHECK(indexed == rescan);
  // A copy of the view walks its own index the same way.
  callinfo::call_info_view const copy = indexed;
  CHECK(copy == rescan);
  std::string a, b;
  callinfo::string_sink sa(a), sb(b);
  print(indexed, sa);
  print(rescan, sb);
  CHECK(a == b);
  return static_cast<int>(indexed.indexed_entries());
}

std::vector<std::string> lines_of(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A random Call-Info value: entries of `<uri>` and params drawn from the
// shapes the parsers meet (tokens, quoted strings holding , ; < > and
// escapes, IPv6 references, whitespace and folds around separators).
std::string random_call_info(std::mt19937& rng) {
  auto pick = [&rng](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  static char const* const uris[] = {"sip:a@example.com", "sip:10.0.0.1:5060;transport=tcp", "http://x.example/a,b",
                                     "sip:[2001:db8::1]", "urn:x-y:z", "sip:%41@b"};
  static char const* const names[] = {"appearance-index", "appearance-state", "appearance-uri", "APPEARANCE-INDEX",
                                      "purpose",          "lr",               "x",              "tag"};
  static char const* const values[] = {"1",      "*",         "42",           "active",   "idle",
                                       "held-private", "\"<sip:b@c>;x=1, y\"", "\"\\\"Bob\\\" <sip:b@c>\"", "[::1]",
                                       "\"\"",   "\"a\r\n b\"", "info"};
  static char const* const spaces[] = {"", "", "", " ", "\t", "\r\n ", " \r\n\t"};
  std::string s = spaces[pick(7)];
  std::size_t const entries = 1 + pick(pick(8) == 0 ? 24 : 4);
  for (std::size_t e = 0; e < entries; ++e) {
    if (e != 0) {
      s += spaces[pick(7)];
      s += ',';
      s += spaces[pick(7)];
    }
    s += '<';
    s += uris[pick(6)];
    s += '>';
    std::size_t const params = pick(pick(6) == 0 ? 20 : 7);
    for (std::size_t p = 0; p < params; ++p) {
      s += spaces[pick(7)];
      s += ';';
      s += spaces[pick(7)];
      std::string_view const name = names[pick(8)];
      s += name;
      // The SCA params need a value; the others may go without.
      if (pick(5) == 0 && !callinfo::detail::iequals(name.substr(0, 10), "appearance")) continue;
      s += spaces[pick(7)];
      s += '=';
      s += spaces[pick(7)];
      if (name == "appearance-index" || name == "APPEARANCE-INDEX")
        s += values[pick(3)];
      else if (name == "appearance-state")
        s += values[3 + pick(3)];
      else if (name == "appearance-uri")
        s += values[6 + pick(2)];
      else
        s += values[pick(12)];
    }
  }
  s += spaces[pick(7)];
  return s;
}

}  // namespace

TEST_CASE("Call-Info index: the indexed walk equals the re-scan walk over the benchmark corpus") {
  auto const lines = lines_of(std::string(CALLINFO_SOURCE_DIR) + "/bench/corpus/call_info.txt");
  REQUIRE(lines.size() > 40);
  for (std::string const& line : lines) {
    int const indexed = check_walks_agree(line);
    CHECK(indexed > 0);
    // Every corpus value fits the index whole.
    auto const r = callinfo::parse_call_info(line);
    REQUIRE(r.has_value());
    CHECK(static_cast<std::size_t>(indexed) == r->size());
    for (auto const& e : *r) CHECK(e.params.indexed());
  }
}

TEST_CASE("Call-Info index: the indexed walk equals the re-scan walk over random values") {
  std::mt19937 rng(20261203);
  std::size_t parsed = 0, partial = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string const v = random_call_info(rng);
    int const indexed = check_walks_agree(v);
    if (indexed < 0) continue;
    ++parsed;
    auto const r = callinfo::parse_call_info(v);
    bool all = static_cast<std::size_t>(indexed) == r->size();
    for (auto const& e : *r) all = all && e.params.indexed();
    if (!all) ++partial;
  }
  // Most values parse, and some of them overflow the index somewhere.
  CHECK(parsed > 2400);
  CHECK(partial > 50);
}

TEST_CASE("Call-Info index: full index falls back to re-scanning, with identical results") {
  using index = callinfo::detail::call_info_index;
  SUBCASE("more entries than the index holds: the rest are re-scanned") {
    std::string v = "<sip:a>;appearance-index=1;appearance-state=active";
    for (std::size_t i = 1; i < index::entry_capacity + 5; ++i)
      v += ", <sip:b" + std::to_string(i) + ">;appearance-index=" + std::to_string(i) + ";appearance-state=idle";
    CHECK(check_walks_agree(v) == static_cast<int>(index::entry_capacity));
  }
  SUBCASE("more params than one entry may record: that entry's params are re-scanned") {
    std::string v = "<sip:a>";
    for (std::size_t i = 0; i < callinfo::detail::indexed_params + 1; ++i) v += ";p" + std::to_string(i);
    v += ", <sip:b>;appearance-index=2";
    CHECK(check_walks_agree(v) == 2);
    auto const r = callinfo::parse_call_info(v);
    auto it = r->begin();
    CHECK_FALSE(it->params.indexed());
    CHECK(it->params.size() == callinfo::detail::indexed_params + 1);
    ++it;
    CHECK(it->params.indexed());
    // Exactly indexed_params still fit.
    std::string w = "<sip:a>";
    for (std::size_t i = 0; i < callinfo::detail::indexed_params; ++i) w += ";p" + std::to_string(i);
    CHECK(check_walks_agree(w) == 1);
    CHECK(callinfo::parse_call_info(w)->front().params.indexed());
  }
  SUBCASE("the shared param array full: later entries keep their boundaries, params re-scanned") {
    std::string v;
    for (std::size_t i = 0; i < 6; ++i) {
      if (i != 0) v += ',';
      v += "<sip:a>;a=1;b=2;c=3;d=4;e=5;f=6;g=7";
    }
    CHECK(check_walks_agree(v) == 6);
    auto const r = callinfo::parse_call_info(v);
    std::size_t indexed = 0;
    for (auto const& e : *r) indexed += e.params.indexed() ? 1 : 0;
    CHECK(indexed == index::param_capacity / 7);
  }
  SUBCASE("params text over 255 bytes: re-scanned") {
    std::string v = "<sip:a>;x=\"" + std::string(300, 'q') + "\";appearance-index=3, <sip:b>;y";
    CHECK(check_walks_agree(v) == 2);
    auto const r = callinfo::parse_call_info(v);
    CHECK_FALSE(r->front().params.indexed());
    CHECK(r->front().appearance()->index == callinfo::appearance_index(3));
  }
  SUBCASE("a value over 65535 bytes is not indexed at all") {
    auto const l = callinfo_test::limits_with(1u << 20, 64, 64);
    std::string v = "<sip:a>;x=" + std::string(70000, 't') + ",<sip:b>;p";
    CHECK(check_walks_agree(v, l) == 0);
  }
  SUBCASE("limits at the index capacity: everything indexed") {
    auto const l = callinfo_test::limits_with(8192, index::entry_capacity, callinfo::detail::indexed_params);
    std::string v = "<sip:a>";
    for (std::size_t i = 1; i < index::entry_capacity; ++i) v += ",<sip:b>;p";
    CHECK(check_walks_agree(v, l) == static_cast<int>(index::entry_capacity));
  }
}

TEST_CASE("Call-Info index: the fuzz corpora walk the same both ways") {
  for (char const* dir : {"/fuzz/corpus/call_info", "/fuzz/corpus/round_trip"}) {
    std::filesystem::path const path = std::filesystem::path(CALLINFO_SOURCE_DIR + std::string(dir));
    if (!std::filesystem::is_directory(path)) continue;
    for (auto const& f : std::filesystem::recursive_directory_iterator(path)) {
      if (!f.is_regular_file()) continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::string const bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      check_walks_agree(bytes);
    }
  }
}
