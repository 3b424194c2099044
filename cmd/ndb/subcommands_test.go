package main

import (
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestPassthroughKeepsArguments: a package's own parser gets every
// argument after its verb as given, --help and -- included, and its exit
// status is ndb's.
func TestPassthroughKeepsArguments(t *testing.T) {
	for _, args := range [][]string{
		{"record", "--duration", "5", "--", "node", "--perf-basic-prof", "app.js"},
		{"--help"},
		{"-o", "x.svg", "-"},
		{},
	} {
		var got []string
		sub := passthrough("fake", "", "", func(a []string, _ io.Reader, _, _ io.Writer) int {
			got = append([]string{}, a...)
			return 3
		})
		root := &cobra.Command{Use: "ndb", SilenceErrors: true, SilenceUsage: true}
		root.AddCommand(sub)
		root.SetArgs(append([]string{"fake"}, args...))
		root.SetOut(&bytes.Buffer{})
		err := root.Execute()
		if !slices.Equal(got, args) {
			t.Errorf("%q: the parser got %q", args, got)
		}
		if code, ok := err.(exitCode); !ok || code != 3 {
			t.Errorf("%q: error %v, want exit status 3", args, err)
		}
	}
}

// TestLegacyLongFlags: single-dash long flags become GNU ones; shorthands,
// values and everything after -- stay.
func TestLegacyLongFlags(t *testing.T) {
	root := newRoot()
	for _, tc := range []struct{ in, want string }{
		{"-json -e ::status core", "--json -e ::status core"},
		{"-exe /bin/node -force core", "--exe /bin/node --force core"},
		{"-exe=/bin/node core", "--exe=/bin/node core"},
		{"-f -json core", "-f -json core"}, // a script named -json
		{"-e -force core", "-e -force core"},
		{"core -- -json", "core -- -json"},
		{"diff -json -am -exe n a b", "diff --json -am --exe n a b"},
		{"pack -level best -o out.ndb core", "pack --level best -o out.ndb core"},
		{"flame -json x", "flame -json x"},
	} {
		got := strings.Join(legacyLongFlags(root, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("%s: %s, want %s", tc.in, got, tc.want)
		}
	}
}
