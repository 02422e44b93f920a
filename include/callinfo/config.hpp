// callinfo — build configuration.
//
// Header-only by default: every function is `inline` and its definition is
// included by the header that declares it. Define CALLINFO_SEPARATE_COMPILATION
// in every TU and include <callinfo/src.hpp> in exactly one to pay the
// Spirit X3 compile cost once (the pattern of Boost.Beast's src.hpp).
#pragma once

#ifdef CALLINFO_SEPARATE_COMPILATION
#define CALLINFO_DECL
#else
#define CALLINFO_DECL inline
#endif
