package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const example = "../../testdata/cores/crash-20.20.2.ndb"

func runNDB(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errs)
	return code, out.String(), errs.String()
}

// damaged writes a copy of the example bundle changed by fix.
func damaged(t *testing.T, name string, fix func([]byte) []byte) string {
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, fix(b), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rehash fixes the body checksum after a change, to reach the checks past it.
func rehash(b []byte) []byte {
	sum := sha256.Sum256(b[32 : len(b)-48])
	copy(b[len(b)-32:], sum[:])
	return b
}

func TestBadBundles(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	cases := []struct {
		name, want string
		fix        func([]byte) []byte
	}{
		{"truncated.ndb", "truncated bundle", func(b []byte) []byte { return b[:len(b)/2] }},
		{"corrupt.ndb", "checksum mismatch", func(b []byte) []byte { b[len(b)/3] ^= 0x40; return b }},
		{"future.ndb", "bundle format version 9 is newer than this ndb reads (1); update ndb", func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[8:], 9)
			return b
		}},
		{"badchunk.ndb", "damaged bundle: chunk", func(b []byte) []byte {
			b[200] ^= 0xff // inside the first memory frame
			return rehash(b)
		}},
		{"longer.ndb", "damaged bundle", func(b []byte) []byte { return append(b, 0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := damaged(t, c.name, c.fix)
			code, out, errs := runNDB("-e", "::status", path)
			if code != 2 || out != "" || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, c.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errs, c.want)
			}
		})
	}
	// Nothing half-loaded: no memory image was left in the cache.
	if ents, _ := os.ReadDir(os.Getenv("NDB_BUNDLE_CACHE")); len(ents) != 0 {
		t.Errorf("cache has %d entries after failed opens", len(ents))
	}
}

// A bundle is recognised by its content: renamed to .core it still opens,
// and ndb pack refuses to pack it again.
func TestRenamedBundle(t *testing.T) {
	t.Setenv("NDB_BUNDLE_CACHE", t.TempDir())
	path := damaged(t, "crash.core", func(b []byte) []byte { return b })
	code, out, errs := runNDB("-e", "::status", path)
	if code != 0 || !strings.Contains(out, "node version:  v20.20.2") && !strings.Contains(out, "v20.20.2") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runNDB("pack", path, "-o", filepath.Join(t.TempDir(), "again.ndb"))
	if code != 2 || strings.Count(errs, "\n") != 1 || !strings.Contains(errs, "is already an ndb bundle") {
		t.Errorf("pack of a bundle: exit %d, stderr %q", code, errs)
	}
}
