package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// TestStatusJSONAllVersions: `ndb --json -e ::status CORE` on every Node
// line reports the versions node itself prints and the signal it died of:
// SIGABRT for process.abort(), SIGTRAP for an uncaught exception under
// --abort-on-uncaught-exception.
func TestStatusJSONAllVersions(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			for _, tc := range []struct {
				fixture, signal string
				flags           []string
			}{
				{"abort.js", "SIGABRT", nil},
				{"crash.js", "SIGTRAP", []string{"--abort-on-uncaught-exception"}},
			} {
				c := testnode.MakeCore(t, v, tc.fixture, tc.flags, nil)
				var out, errb bytes.Buffer
				if rc := run([]string{"--json", "-e", "::status", c.Path}, strings.NewReader(""), &out, &errb); rc != 0 {
					t.Fatalf("exit %d: %s", rc, errb.String())
				}
				var st map[string]any
				if err := json.Unmarshal(out.Bytes(), &st); err != nil {
					t.Fatalf("%v: %s", err, out.String())
				}
				v8, err := exec.Command(c.Exe, "-p", "process.versions.v8").Output()
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]any{"node_version": "v" + v, "v8_version": strings.TrimSpace(string(v8)),
					"signal": tc.signal, "pid": float64(c.Pid), "threads": float64(7), "build_id_match": true}
				for k, w := range want {
					if st[k] != w {
						t.Errorf("%s: %s = %v, want %v", tc.fixture, k, st[k], w)
					}
				}
			}
		})
	}
}
