#!/bin/sh
# tests/check_api_docs.sh HEADER DOCDIR: every KD_API function of kindling.h
# appears in the API reference (docs/api/*.md).
set -eu
header=$1 docs=$2
missing=$(tr '\n' ' ' <"$header" | sed 's/;/;\n/g' | grep 'KD_API' |
	sed -n 's/.*[ *]\(kd_[a-z0-9_]*\)[ ]*(.*/\1/p' | sort -u |
	while read -r f; do grep -q "$f" "$docs"/*.md || echo "$f"; done)
if [ -n "$missing" ]; then
	echo "api docs: not in $docs:"; echo "$missing" | sed 's/^/  /'
	exit 1
fi
echo "api docs: every KD_API function is documented"
