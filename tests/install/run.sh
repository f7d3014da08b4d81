#!/bin/sh
# tests/install/run.sh BUILD_DIR [CC [SANITIZE]]: install the build into a
# temporary prefix, then build and run tests/install/consumer.c against it
# twice: with pkg-config and with find_package(kindling) (shared and static).
set -eu
build=$(cd "$1" && pwd)
cc=${2:-cc}
san=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

# A sanitized library needs its runtime linked into the consumer too.
extra=
[ -n "$san" ] && extra="-fsanitize=$san"

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; exit 1; }
pc=$(find "$prefix" -name kindling.pc | head -n1)
[ -n "$pc" ] || { echo "install: no kindling.pc under $prefix"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")

echo "== pkg-config ($pc)"
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror ${extra:+"$extra"} -o "$tmp/consumer_pc" "$here/consumer.c" \
	$(pkg-config --cflags --libs kindling) -Wl,-rpath,"$libdir"
"$tmp/consumer_pc"

echo "== pkg-config --static"
# Requires.private must bring libbpf, libelf and zlib for the archive
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Wextra -Werror ${extra:+"$extra"} -o "$tmp/consumer_pc_static" "$here/consumer.c" \
	$(pkg-config --cflags kindling) -Wl,-Bstatic -lkindling -Wl,-Bdynamic \
	$(pkg-config --static --libs kindling | sed 's/-lkindling//')
"$tmp/consumer_pc_static"

echo "== find_package(kindling)"
cmake -S "$here" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
	-DCMAKE_C_FLAGS="$extra" -DCMAKE_EXE_LINKER_FLAGS="$extra" >"$tmp/cmake.log" 2>&1 ||
	{ cat "$tmp/cmake.log"; exit 1; }
cmake --build "$tmp/cbuild" >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
"$tmp/cbuild/consumer_shared"
"$tmp/cbuild/consumer_static"
if ldd "$tmp/cbuild/consumer_static" | grep -q libkindling; then
	echo "consumer_static links libkindling.so: the static target is wrong"
	exit 1
fi
echo "install consumer: ok"
