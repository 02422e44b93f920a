// callinfo — parameter views shared by Call-Info, Event and Subscription-State.
//
//   generic-param = token [ EQUAL gen-value ]        RFC 3261 §25.1
//   gen-value     = token / host / quoted-string
//
// A param_range is a range over text a parser has already validated. It is
// lazy (iterating re-scans the text with a plain loop, no X3, no allocation)
// unless the parser recorded the params' boundaries while validating
// (Call-Info): then it points at those records, byte offsets into its text
// kept in the call_info_view it came from, and iterating reads them without
// scanning. Such a range is valid as long as that view is.
#pragma once

#include <callinfo/sink.hpp>
#include <callinfo/syntax/detail/chars.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace callinfo::inline v1 {

/// One generic-param, views into the header: `name` or `name=value`.
struct param_view {
  std::string_view name;   ///< as written; compare with is()
  std::string_view value;  ///< exactly as written: a quoted-string keeps its quotes
  bool has_value = false;  ///< whether the param has `=value` (`;lr` has none)

  /// Whether the param is named `n` (case-insensitive, as SIP param names are).
  constexpr bool is(std::string_view n) const noexcept { return detail::iequals(name, n); }
  /// Whether the value is a quoted-string.
  constexpr bool quoted() const noexcept { return value.size() >= 2 && value.front() == '"'; }
  /// The value without its surrounding quotes; quoted-pairs are left escaped.
  constexpr std::string_view unquoted() const noexcept {
    return quoted() ? value.substr(1, value.size() - 2) : value;
  }
};

/// Unescapes quoted-string content (as returned by unquoted()) into `out`,
/// which must hold at least `content.size()` bytes. Returns the length written.
constexpr std::size_t unescape_into(std::string_view content, char* out) noexcept {
  std::size_t n = 0;
  for (std::size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\\' && i + 1 < content.size()) ++i;
    out[n++] = content[i];
  }
  return n;
}
/// unescape_into() into a new string (allocates).
inline std::string unescape(std::string_view content) {
  std::string s(content.size(), '\0');
  s.resize(unescape_into(content, s.data()));
  return s;
}

namespace detail {

// Over validated text only: whitespace here is SP, HTAB or the CRLF of a fold.
constexpr char const* skip_lws(char const* p, char const* end) noexcept {
  while (p != end && static_cast<unsigned char>(*p) <= ' ') ++p;  // SP, HTAB, CR, LF: nothing else is < 0x21 here
  return p;
}

// Past the closing '"' of the validated quoted-string that opens at p.
// memchr finds each candidate quote; a quote preceded by an odd run of
// backslashes is escaped and the search goes on.
constexpr char const* find_byte(char const* p, char const* end, char c) noexcept {
  if (std::is_constant_evaluated()) {
    while (p != end && *p != c) ++p;
    return p == end ? nullptr : p;
  }
  return static_cast<char const*>(std::memchr(p, c, static_cast<std::size_t>(end - p)));
}
// The first of two bytes in [p, end), or end. With SSE2 (every x86-64) it
// tests 16 bytes a step, only ever reading inside [p, end).
constexpr char const* find_either(char const* p, char const* end, char a, char b) noexcept {
#if defined(__SSE2__)
  if (!std::is_constant_evaluated()) {
    __m128i const va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    for (; end - p >= 16; p += 16) {
      __m128i const chunk = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p));
      int const mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, va), _mm_cmpeq_epi8(chunk, vb)));
      if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
  }
#endif
  while (p != end && *p != a && *p != b) ++p;
  return p;
}

constexpr char const* skip_quoted(char const* p, char const* end) noexcept {
  for (char const* q = p + 1;;) {
    q = find_byte(q, end, '"');
    if (q == nullptr) return end;
    std::size_t slashes = 0;
    for (char const* b = q - 1; b > p && *b == '\\'; --b) ++slashes;
    if (slashes % 2 == 0) return q + 1;
    ++q;
  }
}

// End of a validated token (a param name, or a token / host value) at p:
// the first ';', ',', '=' or byte below 0x21 (SP, HTAB, CR of a fold), or
// end. In validated text nothing else can follow a token, and no byte of
// 0x80 or above can be in one, so the signed compare is exact.
constexpr char const* token_end(char const* p, char const* end) noexcept {
#if defined(__SSE2__)
  if (!std::is_constant_evaluated()) {
    __m128i const semi = _mm_set1_epi8(';'), comma = _mm_set1_epi8(','), equal = _mm_set1_epi8('='),
                  space = _mm_set1_epi8(0x21);
    for (; end - p >= 16; p += 16) {
      __m128i const c = _mm_loadu_si128(reinterpret_cast<__m128i const*>(p));
      __m128i const hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(c, semi), _mm_cmpeq_epi8(c, comma)),
                                       _mm_or_si128(_mm_cmpeq_epi8(c, equal), _mm_cmplt_epi8(c, space)));
      int const mask = _mm_movemask_epi8(hit);
      if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    }
  }
#endif
  while (p != end && is(*p, cc_token)) ++p;
  return p;
}

// End of a validated gen-value starting at p.
constexpr char const* skip_value(char const* p, char const* end) noexcept {
  if (p != end && *p == '"') return skip_quoted(p, end);
  if (p != end && *p == '[') {
    while (p != end && *p != ']') ++p;
    return p == end ? p : p + 1;
  }
  return token_end(p, end);
}

// Reads the param at p (which may start with whitespace before ';').
// Returns the position after it, or nullptr when no ';' follows.
constexpr char const* next_param(char const* p, char const* end, param_view& out) noexcept {
  p = skip_lws(p, end);
  if (p == end || *p != ';') return nullptr;
  p = skip_lws(p + 1, end);
  char const* const name = p;
  p = token_end(p, end);
  out.name = std::string_view(name, static_cast<std::size_t>(p - name));
  char const* const eq = skip_lws(p, end);
  if (eq != end && *eq == '=') {
    char const* const v = skip_lws(eq + 1, end);
    p = skip_value(v, end);
    out.value = std::string_view(v, static_cast<std::size_t>(p - v));
    out.has_value = true;
  } else {
    out.value = {};
    out.has_value = false;
  }
  return p;
}

// End of a run of validated params starting at p (before trailing whitespace).
constexpr char const* skip_params(char const* p, char const* end) noexcept {
  param_view ignored;
  while (char const* const next = next_param(p, end, ignored)) p = next;
  return p;
}

// A forward iterator over the `left` elements of a validated list:
// Next(p, end, element) reads the element at p (after any separator) and
// returns the position after it. Shared by the Call-Info entries and the
// Allow-Events types; the list's element count is known from validation.
template <class Element, char const* (*Next)(char const*, char const*, Element&) noexcept>
class counted_iterator {
 public:
  using value_type = Element;
  using difference_type = std::ptrdiff_t;
  using reference = Element const&;
  using pointer = Element const*;
  using iterator_category = std::forward_iterator_tag;

  constexpr counted_iterator() noexcept = default;
  constexpr counted_iterator(char const* p, char const* end, std::uint32_t left) noexcept : end_(end), left_(left) {
    load(p);
  }
  constexpr reference operator*() const noexcept { return current_; }
  constexpr pointer operator->() const noexcept { return &current_; }
  constexpr counted_iterator& operator++() noexcept {
    --left_;
    load(next_);
    return *this;
  }
  constexpr counted_iterator operator++(int) noexcept {
    counted_iterator t = *this;
    ++*this;
    return t;
  }
  friend constexpr bool operator==(counted_iterator const& a, counted_iterator const& b) noexcept {
    return a.left_ == b.left_;
  }

 private:
  constexpr void load(char const* p) noexcept {
    if (left_ != 0) next_ = Next(p, end_, current_);
  }
  char const* next_ = nullptr;
  char const* end_ = nullptr;
  std::uint32_t left_ = 0;
  Element current_{};
};

// Where one param lies, as byte offsets from the start of its range's text
// (the ';' before it is not included). A validated gen-value is never empty,
// so value == value_end means "no value".
struct param_bounds {
  std::uint8_t name, name_end, value, value_end;  // no initialisers: an index is filled, never cleared
};
// How many params of one entry are recorded: an OpenSIPS entry with five
// busy appearances and the idle one. More, or a params text longer than 255
// bytes, and the range is lazy.
inline constexpr std::size_t indexed_params = 12;
struct indexed_t {
  explicit indexed_t() = default;
};
inline constexpr indexed_t indexed{};
}  // namespace detail

/// Forward range of param_view over validated `*(SEMI generic-param)` text.
class param_range {
 public:
  /// Forward iterator over the params; each step scans the next one.
  class iterator {
   public:
    using value_type = param_view;           ///< what the iterator yields
    using difference_type = std::ptrdiff_t;  ///< the distance between two iterators
    using reference = param_view const&;     ///< a reference to the current param
    using pointer = param_view const*;       ///< a pointer to the current param
    /// A forward iterator: each param is read from the index, or re-scanned from the text.
    using iterator_category = std::forward_iterator_tag;

    constexpr iterator() noexcept = default;
    /// The current param.
    constexpr reference operator*() const noexcept { return current_; }
    /// The current param's members.
    constexpr pointer operator->() const noexcept { return &current_; }
    /// Moves to the next param.
    constexpr iterator& operator++() noexcept {
      advance();
      return *this;
    }
    /// Moves to the next param, returning the iterator before.
    constexpr iterator operator++(int) noexcept {
      iterator t = *this;
      ++*this;
      return t;
    }
    /// Same position in the same text: both kinds of range give the same
    /// position for the same param (the byte after it; nullptr past the end).
    friend constexpr bool operator==(iterator const& a, iterator const& b) noexcept { return a.next_ == b.next_; }
    /// That position, for ranges built on this one (appearance_range).
    friend constexpr char const* position_of(iterator const& i) noexcept { return i.next_; }

   private:
    friend class param_range;
    constexpr explicit iterator(param_range const& r) noexcept
        : next_(r.text_.data()),
          base_(r.text_.data()),
          end_(r.text_.data() + r.text_.size()),
          bounds_(r.bounds_),
          count_(r.count_),
          indexed_(r.indexed_) {
      advance();
    }
    constexpr void advance() noexcept {
      if (next_ == nullptr) return;
      if (!indexed_) {
        next_ = detail::next_param(next_, end_, current_);
        return;
      }
      if (at_ == count_) {
        next_ = nullptr;
        return;
      }
      char const* const base = base_;
      detail::param_bounds const b = bounds_[at_++];
      current_.name = std::string_view(base + b.name, static_cast<std::size_t>(b.name_end - b.name));
      current_.has_value = b.value_end != b.value;
      current_.value = current_.has_value
                           ? std::string_view(base + b.value, static_cast<std::size_t>(b.value_end - b.value))
                           : std::string_view();
      next_ = base + (current_.has_value ? b.value_end : b.name_end);
    }
    char const* next_ = nullptr;
    char const* base_ = nullptr;  // where the offsets count from
    char const* end_ = nullptr;
    detail::param_bounds const* bounds_ = nullptr;
    std::uint8_t count_ = 0;
    std::uint8_t at_ = 0;
    bool indexed_ = false;
    param_view current_{};
  };

  constexpr param_range() noexcept = default;
  /// A range over `validated` text (what the parsers hand out).
  constexpr explicit param_range(std::string_view validated) noexcept : text_(validated) {}
  /// Validated text whose `count` params lie at `bounds` (count <= indexed_params),
  /// which must outlive the range (the parser's index inside call_info_view).
  constexpr param_range(detail::indexed_t, std::string_view validated, detail::param_bounds const* bounds,
                        std::size_t count) noexcept
      : text_(validated), bounds_(bounds), count_(static_cast<std::uint8_t>(count)), indexed_(true) {}

  /// The first param.
  constexpr iterator begin() const noexcept { return iterator(*this); }
  /// The end of the range.
  constexpr iterator end() const noexcept { return {}; }
  /// Whether there is no param.
  constexpr bool empty() const noexcept { return indexed_ ? count_ == 0 : begin() == end(); }
  /// How many params (from the index, or counted by a scan).
  constexpr std::size_t size() const noexcept {
    if (indexed_) return count_;
    std::size_t n = 0;
    for (auto it = begin(); it != end(); ++it) ++n;
    return n;
  }
  /// Whether the params' boundaries were recorded while validating.
  constexpr bool indexed() const noexcept { return indexed_; }
  /// The first param with this name (case-insensitive), if any.
  constexpr std::optional<param_view> find(std::string_view name) const noexcept {
    for (param_view const& p : *this)
      if (p.is(name)) return p;
    return std::nullopt;
  }
  /// The validated text, from the first ';' to the end of the last param.
  constexpr std::string_view text() const noexcept { return text_; }

 private:
  std::string_view text_;
  detail::param_bounds const* bounds_ = nullptr;
  std::uint8_t count_ = 0;
  bool indexed_ = false;
};

/// Writes params in canonical form: `;name=value`, names lower-cased,
/// values as written with any fold removed (shared by every printer).
template <sink Sink>
void print_params(param_range params, Sink& out) {
  for (param_view const& p : params) {
    out.append(";");
    detail::append_lower(out, p.name);
    if (p.has_value) {
      out.append("=");
      detail::append_unfolded(out, p.value);
    }
  }
}

/// Same params in the same order: names case-insensitive, values as written
/// up to line folding (a fold is equivalent to the whitespace after it).
constexpr bool params_equal(param_range a, param_range b) noexcept {
  auto i = a.begin(), j = b.begin();
  for (; i != a.end() && j != b.end(); ++i, ++j) {
    if (!i->is(j->name) || i->has_value != j->has_value) return false;
    if (!detail::equal_unfolded(i->value, j->value)) return false;
  }
  return i == a.end() && j == b.end();
}

}  // namespace callinfo::v1
