// callinfo — the validating scanner shared by every header parser (internal).
//
// A cursor over one header value that matches the X3 productions of rules.hpp
// one at a time, so that each failure carries the exact offset and the ABNF
// rule. The list structure (*(SEMI param), *(COMMA element)) is written as
// plain loops here, and this is the one place where limits are counted.
#pragma once

#include <callinfo/error.hpp>
#include <callinfo/syntax/parse_limits.hpp>
#include <callinfo/syntax/detail/rules.hpp>
#include <callinfo/syntax/params.hpp>
#include <callinfo/syntax/detail/numbers.hpp>

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace callinfo::inline v1::detail {

class scanner {
 public:
  scanner(std::string_view value, parse_limits const& limits) noexcept
      : begin_(value.data()), it_(value.data()), end_(value.data() + value.size()), limits_(limits) {}

  char const* begin() const noexcept { return begin_; }
  char const* pos() const noexcept { return it_; }
  char const* end() const noexcept { return end_; }
  void seek(char const* p) noexcept { it_ = p; }
  bool at_end() const noexcept { return it_ == end_; }
  bool peek(char c) const noexcept { return it_ != end_ && *it_ == c; }
  parse_limits const& limits() const noexcept { return limits_; }
  parse_error const& error() const noexcept { return error_; }
  std::uint32_t offset(char const* p) const noexcept { return static_cast<std::uint32_t>(p - begin_); }

  // Records the first failure. A structural error that lands on a control
  // byte (NUL, bare CR/LF, ...) is reported as that byte's fault: it is the
  // real cause and the one a reader must see. A limit keeps its own code
  // whatever byte it was crossed at.
  bool fail(errc code, char const* at, char const* rule) noexcept {
    if (error_.code == errc::ok) {
      if (at != end_ && is(*at, cc_ctl) && *at != '\t' && code != errc::unterminated_quoted_string &&
          code != errc::unterminated_uri && code != errc::header_too_long && code != errc::too_many_entries &&
          code != errc::too_many_params)
        code = errc::control_character;
      error_ = parse_error{code, offset(at), rule};
    }
    return false;
  }

  // Checks the whole-value length limit before any work is done.
  bool check_length() noexcept {
    if (static_cast<std::size_t>(end_ - begin_) > limits_.max_value_length)
      return fail(errc::header_too_long, begin_ + limits_.max_value_length, "header-value");
    return true;
  }

  // SWS = [LWS]
  void sws() noexcept {
    // Most separators have no whitespace around them: test one byte first.
    if (it_ != end_ && (*it_ == ' ' || *it_ == '\t' || *it_ == '\r')) boost::spirit::x3::parse(it_, end_, rules::lws);
  }

  template <class Rule>
  bool match(Rule const& rule, std::string_view& out) noexcept {
    char const* const start = it_;
    if (!boost::spirit::x3::parse(it_, end_, rule)) return false;
    out = std::string_view(start, static_cast<std::size_t>(it_ - start));
    return true;
  }

  bool token(std::string_view& out, errc code, char const* rule) noexcept {
    return match(rules::token, out) || fail(code, it_, rule);
  }

  // quoted-string = DQUOTE *(qdtext / quoted-pair) DQUOTE, at a '"'.
  // `out` keeps the quotes: values are reported exactly as written.
  bool quoted_string(std::string_view& out) noexcept {
    char const* const open = it_;
    ++it_;
    boost::spirit::x3::parse(it_, end_, rules::qcontent);
    if (it_ == end_) return fail(errc::unterminated_quoted_string, open, "quoted-string");
    if (*it_ == '\\') return fail(errc::bad_quoted_pair, it_, "quoted-pair");
    if (*it_ != '"')
      return fail(is(*it_, cc_ctl) ? errc::control_character : errc::invalid_byte, it_, "qdtext");
    ++it_;
    out = std::string_view(open, static_cast<std::size_t>(it_ - open));
    return true;
  }

  // gen-value = token / host / quoted-string
  bool gen_value(std::string_view& out) noexcept {
    if (peek('"')) return quoted_string(out);
    if (peek('[')) return match(rules::ipv6_reference, out) || fail(errc::expected_param_value, it_, "IPv6reference");
    return match(rules::token, out) || fail(errc::expected_param_value, it_, "gen-value");
  }

  // delta-seconds = 1*DIGIT, checked against 2^32-1 without wrapping.
  bool delta_seconds(std::uint32_t& out, char const* rule) noexcept {
    std::string_view digits;
    if (!match(rules::digits, digits)) return fail(errc::bad_delta_seconds, it_, rule);
    return check_delta_seconds(digits, out, rule);
  }
  // A param value that must be delta-seconds (expires, retry-after).
  bool check_delta_seconds(std::string_view v, std::uint32_t& out, char const* rule) noexcept {
    switch (to_delta_seconds(v, out)) {
      case errc::ok: return true;
      case errc::bad_delta_seconds: return fail(errc::bad_delta_seconds, v.data(), rule);
      default: return fail(errc::delta_seconds_out_of_range, v.data(), rule);
    }
  }

  // *( SEMI generic-param ), SEMI = SWS ";" SWS, generic-param = token [ EQUAL gen-value ].
  // Calls on_param(scanner&, param_view const&) for each; it may reject a
  // param by calling fail() and returning false. Stops before anything that
  // is not a ';' (leaving the whitespace before it unconsumed).
  template <class OnParam>
  bool params(std::uint32_t& count, OnParam&& on_param) noexcept {
    for (;;) {
      char const* const before = it_;
      sws();
      if (!peek(';')) {
        it_ = before;
        return true;
      }
      ++it_;
      sws();
      char const* const name_at = it_;
      param_view p;
      if (!sca_name(p.name) && !token(p.name, errc::expected_token, "generic-param")) return false;
      if (++count > limits_.max_params) return fail(errc::too_many_params, name_at, "generic-param");
      char const* const after_name = it_;
      sws();
      if (peek('=')) {
        ++it_;
        sws();
        if (!gen_value(p.value)) return false;
        p.has_value = true;
      } else {
        it_ = after_name;
      }
      if (!on_param(*this, p)) return false;
    }
  }

  // appearance-index / appearance-state (any case) followed by a byte that
  // cannot continue a token: the 16-byte names of most SCA params, matched
  // as two 8-byte words instead of a byte loop. OR-ing 0x20 maps only A-Z
  // onto a-z and CR onto '-', so byte 10 is compared exactly.
  bool sca_name(std::string_view& out) noexcept {
    if (end_ - it_ <= 16 || it_[10] != '-') return false;
    auto const word = [](char const* p) {
      std::uint64_t w;
      std::memcpy(&w, p, sizeof w);
      return w | 0x2020202020202020u;
    };
    // "appearan", "ce-index", "ce-state" as little-endian words.
    constexpr std::uint64_t appearan = 0x6e61726165707061u, ce_index = 0x7865646e692d6563u,
                            ce_state = 0x65746174732d6563u;
    if constexpr (std::endian::native != std::endian::little) return false;
    if (word(it_) != appearan) return false;
    std::uint64_t const tail = word(it_ + 8);
    if ((tail != ce_index && tail != ce_state) || is(it_[16], cc_token)) return false;
    out = std::string_view(it_, 16);
    it_ += 16;
    return true;
  }

  // Between list elements: SWS then either the end, or COMMA (SWS "," SWS)
  // followed by another element. Returns true when another element follows.
  // `more` is false at the end; an error is recorded otherwise.
  bool list_separator(bool& more) noexcept {
    sws();
    if (at_end()) {
      more = false;
      return true;
    }
    if (!peek(',')) return fail(errc::expected_separator, it_, "COMMA");
    char const* const comma = it_;
    ++it_;
    sws();
    if (at_end() || peek(',')) return fail(errc::empty_list_element, at_end() ? comma : it_, "COMMA");
    more = true;
    return true;
  }

  // After the last element or param: only trailing whitespace may remain.
  bool finish(char const* rule) noexcept {
    sws();
    return at_end() || fail(errc::expected_separator, it_, rule);
  }

 private:
  char const* begin_;
  char const* it_;
  char const* end_;
  parse_limits const& limits_;
  parse_error error_{};
};

}  // namespace callinfo::v1::detail
