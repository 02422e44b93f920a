// callinfo — the Call-Info header: views and printer (no parser, no X3).
//
//   Call-Info   = "Call-Info" HCOLON info *(COMMA info)          RFC 3261 §20.9, §25.1
//   info        = LAQUOT absoluteURI RAQUOT *( SEMI info-param)
//   info-param  = ( "purpose" EQUAL ( "icon" / "info" / "card" / token ) ) / generic-param
//
// plus the Shared Call Appearance params (BroadWorks SCA, OpenSIPS
// presence_callinfo, Kamailio sca), checked while parsing:
//   appearance-index = 1*DIGIT / "*"        (at most 2^32-1)
//   appearance-state = token                (unknown tokens are kept, not rejected)
//   appearance-uri   = quoted-string / token
//
// parse_call_info() (call_info.hpp) validates the whole value in one pass,
// recording where entries and params lie into a small fixed-capacity index
// inside the view, so walking the view reads offsets instead of re-scanning;
// what does not fit the index is re-scanned from the validated text. This
// header holds the views alone, for code that keeps or reads parsed values
// without parsing. Nothing is allocated, nothing is thrown. Commas and
// semicolons inside quoted strings and inside <...> never split.
//
// OpenSIPS writes several appearances into one entry by repeating the params
// (`<sip:l>;appearance-index=1;appearance-state=active;appearance-index=*;appearance-state=idle`);
// Kamailio writes one entry per appearance. appearances() reads both.
#pragma once

#include <callinfo/model/appearance_index.hpp>
#include <callinfo/model/appearance_state.hpp>
#include <callinfo/sink.hpp>
#include <callinfo/syntax/params.hpp>

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string_view>
#include <type_traits>

namespace callinfo::inline v1 {

/// appearance-index = 1*DIGIT / "*"; false when `v` is neither or overflows.
constexpr bool parse_appearance_index(std::string_view v, appearance_index& out) noexcept {
  if (v.size() == 1 && v[0] == '*') {
    out = appearance_index::wildcard();
    return true;
  }
  if (v.empty()) return false;
  std::uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<unsigned>(c - '0');
    if (n > 0xffffffffu) return false;
  }
  out = appearance_index(static_cast<std::uint32_t>(n));
  return true;
}

namespace detail {
enum class sca_param : std::uint8_t { other, index, state, uri };

// Equality of a token with a lower-case literal of letters and '-': OR-ing
// 0x20 folds A-Z onto a-z and maps no other token byte onto a letter or '-'.
constexpr bool token_equals_lower(std::string_view token, std::string_view lower) noexcept {
  if (token.size() != lower.size()) return false;
  for (std::size_t i = 0; i < token.size(); ++i)
    if ((static_cast<unsigned char>(token[i]) | 0x20u) != static_cast<unsigned char>(lower[i])) return false;
  return true;
}

// Eight bytes as a little-endian word: one load at run time.
constexpr std::uint64_t load8(char const* p) noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (!std::is_constant_evaluated()) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      return w;
    }
  }
  std::uint64_t w = 0;
  for (int i = 7; i >= 0; --i) w = (w << 8) | static_cast<unsigned char>(p[i]);
  return w;
}
constexpr std::uint64_t word8(char const (&lit)[9]) noexcept { return load8(lit); }

// Which SCA param a param name (a token) is. The names are 16 bytes
// (appearance-index, appearance-state) or 14 (appearance-uri: bytes 0-7 and
// 6-13): two 8-byte words each, compared case-insensitively by OR-ing 0x20 into every byte
// (see token_equals_lower for why that is exact on token bytes).
constexpr sca_param classify_sca_param(std::string_view name) noexcept {
  constexpr std::uint64_t fold = 0x2020202020202020u;
  if (name.size() == 16) {
    if ((load8(name.data()) | fold) != word8("appearan")) return sca_param::other;
    std::uint64_t const tail = load8(name.data() + 8) | fold;
    if (tail == word8("ce-index")) return sca_param::index;
    if (tail == word8("ce-state")) return sca_param::state;
    return sca_param::other;
  }
  if (name.size() == 14 && (load8(name.data()) | fold) == word8("appearan") &&
      (load8(name.data() + 6) | fold) == word8("ance-uri"))
    return sca_param::uri;
  return sca_param::other;
}
}  // namespace detail

/// One appearance described by an entry: an appearance-index param and the
/// appearance-state / appearance-uri params that follow it.
struct appearance_view {
  std::optional<appearance_index> index;        ///< the appearance-index, if the params give one
  std::optional<std::string_view> state_token;  ///< as written
  std::optional<param_view> uri;                ///< appearance-uri, value as written

  /// The state when its token is one of the SCA states.
  constexpr std::optional<appearance_state> state() const noexcept {
    return state_token ? to_appearance_state(*state_token) : std::nullopt;
  }
};

/// Groups an entry's params into appearances (see the header comment).
class appearance_range {
 public:
  /// Forward iterator over the appearances; each step scans the params of the next one.
  class iterator {
   public:
    using value_type = appearance_view;        ///< what the iterator yields
    using difference_type = std::ptrdiff_t;    ///< the distance between two iterators
    using reference = appearance_view const&;  ///< a reference to the current appearance
    using pointer = appearance_view const*;    ///< a pointer to the current appearance
    /// A forward iterator: each appearance is re-scanned from the params.
    using iterator_category = std::forward_iterator_tag;

    constexpr iterator() noexcept = default;
    /// An iterator at the first appearance of `params`.
    constexpr explicit iterator(param_range params) noexcept : it_(params.begin()) { advance(); }
    /// The current appearance.
    constexpr reference operator*() const noexcept { return current_; }
    /// The current appearance's members.
    constexpr pointer operator->() const noexcept { return &current_; }
    /// Moves to the next appearance.
    constexpr iterator& operator++() noexcept {
      advance();
      return *this;
    }
    /// Moves to the next appearance, returning the iterator before.
    constexpr iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    /// Same position among the same params.
    friend constexpr bool operator==(iterator const& a, iterator const& b) noexcept {
      return a.done_ == b.done_ && (a.done_ || a.start_ == b.start_);
    }

   private:
    constexpr void advance() noexcept {
      current_ = {};
      start_ = position_of(it_);
      bool any = false;
      // A second index, state or uri param starts the next appearance.
      for (; it_ != param_range::iterator{}; ++it_) {
        param_view const& p = *it_;
        detail::sca_param const kind = detail::classify_sca_param(p.name);
        if (kind == detail::sca_param::other) continue;
        if (kind == detail::sca_param::index) {
          if (current_.index) break;
          appearance_index i;
          if (parse_appearance_index(p.value, i)) current_.index = i;
        } else if (kind == detail::sca_param::state) {
          if (current_.state_token) break;
          current_.state_token = p.value;
        } else {
          if (current_.uri) break;
          current_.uri = p;
        }
        any = true;
      }
      done_ = !any;
    }
    param_range::iterator it_{};
    char const* start_ = nullptr;  // position of the param this appearance was read from
    appearance_view current_{};
    bool done_ = true;
  };

  /// The appearances of `params`.
  constexpr explicit appearance_range(param_range params) noexcept : params_(params) {}
  /// The first appearance.
  constexpr iterator begin() const noexcept { return iterator(params_); }
  /// The end of the range.
  constexpr iterator end() const noexcept { return {}; }
  /// Whether the params describe no appearance.
  constexpr bool empty() const noexcept { return begin() == end(); }

 private:
  param_range params_;
};

/// One Call-Info entry (`<uri>` and its params), views into the header.
struct call_info_entry_view {
  std::string_view uri;  ///< exactly the text between '<' and '>'
  param_range params;    ///< every param of the entry, in order

  /// The appearances the entry's SCA params describe.
  constexpr appearance_range appearances() const noexcept { return appearance_range(params); }
  /// The first appearance of the entry, if it has any SCA param.
  constexpr std::optional<appearance_view> appearance() const noexcept {
    auto r = appearances();
    if (r.empty()) return std::nullopt;
    return *r.begin();
  }
  /// The purpose param, if present.
  constexpr std::optional<param_view> purpose() const noexcept { return params.find("purpose"); }
};

namespace detail {
// Reads the validated entry at p (possibly after a ',' and whitespace);
// returns the position after its last param.
constexpr char const* next_call_info_entry(char const* p, char const* end, call_info_entry_view& out) noexcept {
  // A validated entry starts at '<' (after whitespace and the ',' before
  // it); '<' and '>' never occur unquoted among the params, so the entry's
  // params end at the next unquoted '<' (the next entry) or at the end.
  while (*p != '<') ++p;  // past ", " and whitespace: a few bytes at most
  char const* const uri = p + 1;
  char const* const raquot = find_either(uri, end, '>', '>');
  out.uri = std::string_view(uri, static_cast<std::size_t>(raquot - uri));
  char const* q = raquot + 1;
  while ((q = find_either(q, end, '<', '"')) != end && *q == '"') q = skip_quoted(q, end);
  char const* params_end = q;
  if (q != end) {  // back over ", " to the end of the last param
    while (*(params_end - 1) != ',') --params_end;
    --params_end;
    while (static_cast<unsigned char>(*(params_end - 1)) <= ' ') --params_end;
  }
  out.params = param_range(std::string_view(raquot + 1, static_cast<std::size_t>(params_end - (raquot + 1))));
  return params_end;
}
}  // namespace detail

namespace detail {
// Where one entry lies, as byte offsets from the start of the view's text
// (which starts at the first entry's '<'), and where its params are in the
// view's param index (params == lazy_params: not recorded, re-scanned).
struct call_info_entry_bounds {  // no initialisers, as param_bounds
  std::uint16_t laquot;      // '<'
  std::uint16_t raquot;      // '>'
  std::uint16_t params_end;  // the byte after the last param
  std::uint8_t first_param;
  std::uint8_t params;
};
inline constexpr std::uint8_t lazy_params = 0xff;

// The boundaries parse_call_info records while validating, so that walking
// the view reads offsets instead of scanning the text again. Fixed capacity,
// never allocated: entries past `entry_capacity` are re-scanned from the end
// of the last recorded one, and an entry whose params do not fit (more than
// indexed_params, a params text over 255 bytes, or the shared array full)
// has a lazy param_range. A text over 65535 bytes is not indexed at all.
struct call_info_view_access;

// Only the first entry_count / param_count records are ever written or read:
// the arrays are left uninitialised so that a parse does not clear 256 bytes.
struct call_info_index {
  static constexpr std::size_t entry_capacity = 16;
  static constexpr std::size_t param_capacity = 32;
  std::array<call_info_entry_bounds, entry_capacity> entries;
  std::array<param_bounds, param_capacity> params;
  std::uint8_t entry_count = 0;
  std::uint8_t param_count = 0;
};
}  // namespace detail

/// A validated Call-Info value.
class call_info_view {
 public:
  /// Forward iterator over the entries: read from the view's index, or
  /// re-scanned from the text past it. It points into the view: keep the
  /// view alive while iterating.
  class iterator {
   public:
    using value_type = call_info_entry_view;        ///< what the iterator yields
    using difference_type = std::ptrdiff_t;         ///< the distance between two iterators
    using reference = call_info_entry_view const&;  ///< a reference to the current entry
    using pointer = call_info_entry_view const*;    ///< a pointer to the current entry
    /// A forward iterator.
    using iterator_category = std::forward_iterator_tag;

    constexpr iterator() noexcept = default;
    /// The current entry.
    constexpr reference operator*() const noexcept { return current_; }
    /// The current entry's members.
    constexpr pointer operator->() const noexcept { return &current_; }
    /// Moves to the next entry.
    constexpr iterator& operator++() noexcept {
      ++at_;
      load();
      return *this;
    }
    /// Moves to the next entry, returning the iterator before.
    constexpr iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    /// Same position in the same view.
    friend constexpr bool operator==(iterator const& a, iterator const& b) noexcept { return a.left() == b.left(); }

   private:
    friend class call_info_view;
    constexpr explicit iterator(call_info_view const& v) noexcept
        : view_(&v), next_(v.text_.data()), count_(v.count_) {
      load();
    }
    constexpr std::uint32_t left() const noexcept { return count_ - at_; }
    constexpr void load() noexcept {
      if (at_ == count_) return;
      detail::call_info_index const& ix = view_->index_;
      char const* const base = view_->text_.data();
      if (at_ >= ix.entry_count) {
        next_ = detail::next_call_info_entry(next_, base + view_->text_.size(), current_);
        return;
      }
      detail::call_info_entry_bounds const e = ix.entries[at_];
      current_.uri = std::string_view(base + e.laquot + 1, static_cast<std::size_t>(e.raquot - e.laquot - 1));
      std::string_view const params(base + e.raquot + 1, static_cast<std::size_t>(e.params_end - e.raquot - 1));
      current_.params = e.params == detail::lazy_params
                            ? param_range(params)
                            : param_range(detail::indexed, params, ix.params.data() + e.first_param, e.params);
      next_ = base + e.params_end;  // where a re-scan of the entries past the index starts
    }
    call_info_view const* view_ = nullptr;
    char const* next_ = nullptr;
    std::uint32_t count_ = 0;
    std::uint32_t at_ = 0;
    call_info_entry_view current_{};
  };

  // User-provided, so that value-initialising a view (as result<T> does)
  // does not clear the index arrays.
  constexpr call_info_view() noexcept {}
  /// A view of `entries` entries in `validated` text (what the parser returns).
  constexpr call_info_view(std::string_view validated, std::uint32_t entries) noexcept
      : text_(validated), count_(entries) {}

  /// The first entry.
  constexpr iterator begin() const noexcept { return iterator(*this); }
  /// The end of the range.
  constexpr iterator end() const noexcept { return {}; }
  /// How many entries.
  constexpr std::size_t size() const noexcept { return count_; }
  /// Whether the header has no entry.
  constexpr bool empty() const noexcept { return count_ == 0; }
  /// The first entry; the view must not be empty.
  constexpr call_info_entry_view front() const noexcept { return *begin(); }
  /// The validated text, without surrounding whitespace.
  constexpr std::string_view text() const noexcept { return text_; }
  /// How many entries (from the first) have recorded boundaries.
  constexpr std::size_t indexed_entries() const noexcept { return index_.entry_count; }

 private:
  friend struct detail::call_info_view_access;  // parse_call_info fills the view in place
  std::string_view text_;
  std::uint32_t count_ = 0;
  detail::call_info_index index_;
};

/// Structural equality: same URIs, same params in the same order, names
/// compared case-insensitively, values up to line folding.
constexpr bool operator==(call_info_view const& a, call_info_view const& b) noexcept {
  if (a.size() != b.size()) return false;
  for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
    if (i->uri != j->uri || !params_equal(i->params, j->params)) return false;
  return true;
}

/// Writes the canonical form: `<uri>;name=value` entries joined by ", ",
/// param names lower-cased, folds removed. parse(print(x)) == x.
template <sink Sink>
void print(call_info_view const& ci, Sink& out) {
  bool first = true;
  for (call_info_entry_view const& e : ci) {
    out.append(first ? "<" : ", <");
    first = false;
    out.append(e.uri);
    out.append(">");
    print_params(e.params, out);
  }
}

}  // namespace callinfo::v1

