#!/bin/bash -eu
# callinfo — OSS-Fuzz style build of the libFuzzer harnesses.
#
# Uses the variables an outside fuzzing setup provides:
#   CXX, CXXFLAGS        compiler and its flags (sanitizers, coverage)
#   LIB_FUZZING_ENGINE   the fuzzing engine to link (e.g. -fsanitize=fuzzer)
#   OUT                  where the fuzzers, their seed corpora and dictionaries go
# and optionally BOOST_INCLUDE (a directory holding boost/, when Boost is not
# on the default include path) and WORK (a scratch directory for objects).
#
# For each harness H (harness.hpp, build_harness.hpp, server_harness.hpp,
# dialog_info_harness.hpp; they include tests/support/ by relative path, so
# the whole source tree must be there) it writes $OUT/callinfo_H_fuzzer,
# $OUT/callinfo_H_fuzzer_seed_corpus.zip and $OUT/callinfo_H_fuzzer.dict.

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
work=${WORK:-$(mktemp -d)}
: "${CXX:?}" "${OUT:?}" "${LIB_FUZZING_ENGINE:?}"
CXXFLAGS=${CXXFLAGS:-}

includes=(-I"$root/include")
if [ -n "${BOOST_INCLUDE:-}" ]; then includes+=(-isystem "$BOOST_INCLUDE"); fi

harnesses=(call_info event allow_events subscription_state expires etag round_trip server build_round_trip)
# The RFC 7463 body parser's harness needs pugixml (PUGIXML_LIBS, default
# -lpugixml; set PUGIXML_LIBS=none to skip it).
if [ "${PUGIXML_LIBS:-}" != none ]; then harnesses+=(dialog_info); fi
mkdir -p "$OUT" "$work"
for h in "${harnesses[@]}"; do
  name=callinfo_${h}_fuzzer
  extra=() libs=()
  if [ "$h" = dialog_info ]; then
    extra=(-DCALLINFO_FUZZ_DIALOG_INFO)
    read -r -a libs <<< "${PUGIXML_LIBS:--lpugixml}"
  fi
  # shellcheck disable=SC2086 # CXXFLAGS and LIB_FUZZING_ENGINE are word lists
  $CXX $CXXFLAGS -std=c++20 "${includes[@]}" "${extra[@]}" -DCALLINFO_FUZZ_HARNESS="run_$h" \
    -c "$here/fuzz_target.cpp" -o "$work/$name.o"
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS $LIB_FUZZING_ENGINE "$work/$name.o" "${libs[@]}" -o "$OUT/$name"
  rm -f "$OUT/${name}_seed_corpus.zip"
  (cd "$here/corpus/$h" && zip -q -j "$OUT/${name}_seed_corpus.zip" ./*)
  if [ -d "$here/regressions/$h" ]; then
    (cd "$here/regressions/$h" && zip -q -j "$OUT/${name}_seed_corpus.zip" ./*)
  fi
  cp "$here/dict/$h.dict" "$OUT/$name.dict"
done
