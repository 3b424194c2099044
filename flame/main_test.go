package flame

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// With NDB_FLAME_MAIN=1 the test binary is `ndb flame`: the benchmark
// figures for the whole command (wall time, RSS) come from running it so.
func TestMain(m *testing.M) {
	if os.Getenv("NDB_FLAME_MAIN") == "1" {
		status := Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		if f := os.Getenv("NDB_FLAME_HWM_FILE"); f != "" {
			// the peak RSS of this process alone: rusage's maxrss of a
			// child also counts the parent's memory it was forked from
			b, _ := os.ReadFile("/proc/self/status")
			os.WriteFile(f, b, 0o644)
		}
		os.Exit(status)
	}
	code := m.Run()
	if bigPath != "" {
		os.RemoveAll(filepath.Dir(bigPath))
	}
	os.Exit(code)
}

type runResult struct {
	status         int
	stdout, stderr string
}

func run(t *testing.T, stdin []byte, args ...string) runResult {
	t.Helper()
	var out, errb bytes.Buffer
	st := Main(args, bytes.NewReader(stdin), &out, &errb)
	return runResult{st, out.String(), errb.String()}
}

func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
