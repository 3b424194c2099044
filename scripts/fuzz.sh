#!/bin/sh
# Fuzzes every fuzz target of the module for FUZZTIME each (a go test
# -fuzztime value; 15s unless set), one after the other, and prints each
# target's wall time. A crash fails the run; go test writes the input that
# found it to the package's testdata/fuzz/, to commit as a seed with the fix.
# scripts/test.sh runs it after the tests; see docs/testing.md for the budget.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
fuzztime=${FUZZTIME:-15s}

# Every "func FuzzX(f *testing.F)" of a _test.go file, as "DIR NAME" lines.
targets=$(grep -r --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*(f \*testing\.F)' . |
	sed 's|^\(.*\)/[^/]*_test\.go:func \(Fuzz[A-Za-z0-9_]*\)(.*|\1 \2|' | sort)
if [ -z "$targets" ]; then
	echo "fuzz: no fuzz targets found" >&2
	exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
echo "$targets" | while read -r dir name; do
	t0=$(date +%s)
	if ! go test "$dir" -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" >"$log" 2>&1; then
		cat "$log" >&2
		exit 1
	fi
	echo "fuzz: $dir $name: $fuzztime, $(($(date +%s) - t0)) s in all"
done
echo "fuzz: $(echo "$targets" | wc -l) targets in $(($(date +%s) - start)) s"
