#!/bin/sh
# The whole test suite, from a fresh clone of a Debian 12 machine:
#   1. install the Debian packages the project needs (deploy/install-deps.sh);
#   2. check formatting against the pinned .clang-format;
#   3. gcc build with -Werror, then every unit and end-to-end test (ctest);
#   4. clang build with AddressSanitizer + UndefinedBehaviorSanitizer and the
#      libFuzzer targets, then every test again plus a bounded fuzz run.
# Exits non-zero if anything fails. TIER_FUZZ_RUNS sets the fuzz run length.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
# End-to-end tests mostly wait on sockets and child processes: one more test
# than CPUs keeps both busy.
tests=$((jobs + 1))

./deploy/install-deps.sh

echo "== format check"
git ls-files '*.c' '*.h' 2>/dev/null | xargs -r clang-format --dry-run --Werror

echo "== gcc build and tests"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-test -j"$jobs"
(cd build-test && ctest --output-on-failure -j"$tests")

echo "== clang ASan+UBSan build, tests and fuzzing"
CC=clang cmake -S . -B build-san -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTIER_FUZZ=ON \
	-DTIER_FUZZ_RUNS="${TIER_FUZZ_RUNS:-30000}" >/dev/null
cmake --build build-san -j"$jobs"
# Stack use after return included: a reply is packed after its handler has
# returned (group commit), so a pointer into a handler's stack must show.
(cd build-san && ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ctest --output-on-failure -j"$tests")
