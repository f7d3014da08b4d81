#!/bin/sh
# docs/events.md is committed and generated: fail when it differs from what
# kd-schemagen wrote in this build. Usage: check_events_md.sh SRC_DIR BUILD_DIR
set -eu
src=${1:?usage: check_events_md.sh SRC_DIR BUILD_DIR}
build=${2:?usage: check_events_md.sh SRC_DIR BUILD_DIR}
gen=$build/gen/events.md
if [ ! -f "$gen" ]; then
	echo "check_events_md: $gen missing: build the kd-gen target first" >&2
	exit 1
fi
if ! diff -u "$src/docs/events.md" "$gen"; then
	echo "check_events_md: docs/events.md is stale: run cmake --build $build --target docs-events" >&2
	exit 1
fi
