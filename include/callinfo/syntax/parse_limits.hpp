// callinfo — parse limits: the bounds every parser enforces.
//
// Exceeding a limit is an error with its own code and the offset where the
// limit was crossed, never a silent truncation. Defaults are generous for
// real SCA traffic (Kamailio and BroadWorks send one entry per busy
// appearance; OpenSIPS repeats params in one entry) and small enough that a
// hostile header cannot make a parser do unbounded work.
#pragma once

#include <cstdint>

namespace callinfo::inline v1 {

/// The bounds every parser enforces; crossing one is an error at its offset, never a truncation.
struct parse_limits {
  std::uint32_t max_value_length = 8192;  ///< bytes of one header value
  std::uint32_t max_entries = 64;         ///< list elements (Call-Info infos, Allow-Events types)
  std::uint32_t max_params = 64;          ///< params of one entry
};

}  // namespace callinfo::v1
