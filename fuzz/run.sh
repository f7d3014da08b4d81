#!/bin/sh
# fuzz/run.sh: build the libFuzzer targets with clang-14 (ASan + UBSan) and
# run each for a bounded time. CI calls it with no arguments.
#
#   fuzz/run.sh [SECONDS]   fuzz each target SECONDS (default 60)
#   fuzz/run.sh --regress   only replay the seed corpus and fuzz/regress/ (no fuzzing)
#   fuzz/run.sh --seeds     rewrite fuzz/corpus/ with gen_corpus (after a format change)
#
# Env: KD_FUZZ_BUILD (default build-fuzz/), KD_FUZZ_CC (default clang-14).
# New inputs go to $KD_FUZZ_BUILD/corpus-<target>/; crashes to
# $KD_FUZZ_BUILD/crash-<target>-*: copy those to fuzz/regress/<target>/ and add
# a test in tests/test_capture_damage.c (or test_decode.c).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${KD_FUZZ_BUILD:-$ROOT/build-fuzz}
CC=${KD_FUZZ_CC:-clang-14}
MODE=fuzz
SECS=60
case "${1:-}" in
--regress) MODE=regress ;;
--seeds) MODE=seeds ;;
"") ;;
*[!0-9]*) echo "usage: fuzz/run.sh [SECONDS | --regress | --seeds]" >&2; exit 2 ;;
*) SECS=$1 ;;
esac
JOBS=$(nproc 2>/dev/null || echo 2)

# The library with coverage instrumentation, sanitizers on, no -Werror (clang
# warns differently from gcc; the gcc builds hold the warning bar). The
# libFuzzer-convention macro makes the reader skip crc checks, which a fuzzer
# cannot forge, so it reaches the parsing behind them.
mkdir -p "$B"
cmake -S "$ROOT" -B "$B" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DKD_TESTS=OFF -DKD_SANITIZE=address,undefined \
	-DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION" >"$B/cmake.log" 2>&1 ||
	{ cat "$B/cmake.log"; exit 1; }
cmake --build "$B" --target kindling_static -j "$JOBS" >"$B/build.log" 2>&1 ||
	{ tail -50 "$B/build.log"; exit 1; }

LIBS="$B/lib/libkindling.a $(pkg-config --libs libbpf libelf zlib)"
INC="-I$ROOT/include -I$B/gen -I$ROOT/lib/core -I$ROOT/lib/capture -I$ROOT/drivers -I$ROOT/tests"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"

if [ "$MODE" = seeds ]; then
	# shellcheck disable=SC2086
	"$CC" -g -O1 -D_GNU_SOURCE $SAN -fsanitize=fuzzer-no-link $INC "$ROOT/fuzz/gen_corpus.c" $LIBS \
		-o "$B/gen_corpus"
	rm -rf "$ROOT/fuzz/corpus/reader" "$ROOT/fuzz/corpus/decode"
	mkdir -p "$ROOT/fuzz/corpus/reader" "$ROOT/fuzz/corpus/decode"
	"$B/gen_corpus" "$ROOT/fuzz/corpus" "$ROOT/examples/demo.kd"
	ls -l "$ROOT/fuzz/corpus/"*
	exit 0
fi

rc=0
for t in reader decode; do
	# shellcheck disable=SC2086
	"$CC" -g -O1 -D_GNU_SOURCE $SAN -fsanitize=fuzzer $INC "$ROOT/fuzz/fuzz_$t.c" $LIBS \
		-o "$B/fuzz_$t"
	mkdir -p "$B/corpus-$t"
	dirs="$ROOT/fuzz/corpus/$t"
	[ -d "$ROOT/fuzz/regress/$t" ] && dirs="$dirs $ROOT/fuzz/regress/$t"
	if [ "$MODE" = regress ]; then
		# shellcheck disable=SC2086
		"$B/fuzz_$t" -runs=0 $dirs || rc=1
		continue
	fi
	echo "== fuzz_$t for ${SECS}s"
	# shellcheck disable=SC2086
	"$B/fuzz_$t" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$B/crash-$t-" "$B/corpus-$t" $dirs \
		>"$B/fuzz_$t.log" 2>&1 || { rc=1; tail -60 "$B/fuzz_$t.log"; }
	grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)" "$B/fuzz_$t.log" || true
done
[ $rc -eq 0 ] && echo "fuzz: ok" || echo "fuzz: FAILED (inputs in $B/crash-*)"
exit $rc
