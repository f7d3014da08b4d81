#!/bin/sh
# tests/check_list_events.sh KDUMP: `kdump --list-events` prints one line per
# schema row, `name category param:kind ...`, and openat reads as documented.
set -eu
kdump=$1
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$kdump" --list-events >"$out"
fail=0
bad=$(grep -Evc '^[a-z][a-z0-9_]* [a-z]+( [a-z_][a-z0-9_]*:[a-z_]+)*$' "$out" || true)
[ "$bad" = 0 ] || { echo "list-events: $bad malformed lines:"; grep -Ev '^[a-z][a-z0-9_]* [a-z]+( [a-z_][a-z0-9_]*:[a-z_]+)*$' "$out" | head; fail=1; }

lines=$(wc -l <"$out")
rows=$(cat "$src/schema/syscalls.def" "$src/schema/events.def" 2>/dev/null | grep -Ec '^KD_(SC|EV)\(' || true)
[ "$lines" = "$rows" ] || { echo "list-events: $lines lines, the schema has $rows rows"; fail=1; }
dups=$(cut -d' ' -f1 "$out" | sort | uniq -d)
[ -z "$dups" ] || { echo "list-events: duplicate names: $dups"; fail=1; }

if grep -q '^KD_SC([0-9]*, *openat,' "$src/schema/syscalls.def"; then
	want='openat file dfd:dirfd filename:path flags:flags mode:mode'
	got=$(grep '^openat ' "$out" || true)
	[ "$got" = "$want" ] || { echo "list-events: openat line is '$got', want '$want'"; fail=1; }
fi
# The schema covers the x86_64 syscall table: at least 350 event types.
min=${KD_MIN_EVENTS:-350}
[ "$lines" -ge "$min" ] || { echo "list-events: $lines lines, expected at least $min"; fail=1; }
[ $fail = 0 ] && echo "list-events: $lines lines ok"
exit $fail
