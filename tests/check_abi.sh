#!/bin/sh
# tests/check_abi.sh LIB MAP HEADER: the shared library exports exactly the
# functions kindling.h declares with KD_API, all kd_*, none kd__* (internal),
# each allowed by a global pattern of the version script.
set -eu
lib=$1 map=$2 header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# Defined dynamic symbols, minus the version node names (absolute symbols).
nm -D --defined-only "$lib" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u >"$tmp/exported"
[ -s "$tmp/exported" ] || { echo "abi: $lib exports nothing"; exit 1; }

if grep -v '^kd_' "$tmp/exported" >"$tmp/bad"; then
	echo "abi: exported symbols outside kd_*:"; sed 's/^/  /' "$tmp/bad"; fail=1
fi
if grep '^kd__' "$tmp/exported" >"$tmp/bad"; then
	echo "abi: internal kd__* symbols leak:"; sed 's/^/  /' "$tmp/bad"; fail=1
fi

# Global patterns of the version script (e.g. kd_*), as shell globs.
pats=$(sed -n '/global:/,/local:/p' "$map" | tr -d ' \t;' | grep -v -e 'global:' -e 'local:' -e '^$')
while read -r sym; do
	ok=0
	for p in $pats; do
		# shellcheck disable=SC2254
		case $sym in $p) ok=1 ;; esac
	done
	[ $ok = 1 ] || { echo "abi: $sym is not allowed by $map"; fail=1; }
done <"$tmp/exported"

# Declared in the header: every KD_API function name.
tr '\n' ' ' <"$header" | sed 's/;/;\n/g' | grep 'KD_API' |
	sed -n 's/.*[ *]\(kd_[a-z0-9_]*\)[ ]*(.*/\1/p' | sort -u >"$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
	echo "abi: kindling.h (-) and the library (+) disagree:"; grep '^[-+]kd' "$tmp/diff"; fail=1
fi
[ $fail = 0 ] && echo "abi: $(wc -l <"$tmp/exported") symbols, all declared kd_* and in the map"
exit $fail
