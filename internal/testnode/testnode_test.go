package testnode

import (
	"debug/elf"
	"os"
	"strings"
	"testing"
)

// checkCore asserts that c is an ELF core file of a process that aborted.
func checkCore(t *testing.T, c *Core) {
	t.Helper()
	f, err := elf.Open(c.Path)
	if err != nil {
		t.Fatalf("%s: %v", c.Path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_CORE || f.Machine != elf.EM_X86_64 {
		t.Fatalf("%s: ELF type %v machine %v, want ET_CORE EM_X86_64", c.Path, f.Type, f.Machine)
	}
	if _, err := os.Stat(c.Exe); err != nil {
		t.Fatalf("exe: %v", err)
	}
	switch c.Method {
	case "kernel", "gdb", "gcore":
	default:
		t.Fatalf("method %q", c.Method)
	}
}

func TestMakeCoreAbort(t *testing.T) {
	for _, v := range Versions {
		t.Run(v, func(t *testing.T) {
			c := MakeCore(t, v, "abort.js", nil, nil)
			checkCore(t, c)
			if !strings.Contains(c.Stdout, "node v"+v) {
				t.Errorf("stdout %q does not name node v%s", c.Stdout, v)
			}
			again := MakeCore(t, v, "abort.js", nil, nil)
			if !again.Cached || again.Path != c.Path {
				t.Errorf("second MakeCore: cached %v path %s, want the cached %s", again.Cached, again.Path, c.Path)
			}
		})
	}
}
