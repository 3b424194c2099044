package elfcore_test

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

func openAbortCore(t *testing.T, version string) (*elfcore.Process, *testnode.Core) {
	t.Helper()
	c := testnode.MakeCore(t, version, "abort.js", nil, nil)
	p, err := elfcore.Open(c.Path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		t.Fatalf("open %s: %v", c.Path, err)
	}
	t.Cleanup(p.Close)
	return p, c
}

var pidRE = regexp.MustCompile(`pid (\d+) node (v\S+)`)

// TestRealCores checks the core reader against what the process printed and
// against gdb on the same core.
func TestRealCores(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			p, c := openAbortCore(t, v)
			m := pidRE.FindStringSubmatch(c.Stdout)
			if m == nil {
				t.Fatalf("fixture printed no pid: %q", c.Stdout)
			}
			pid, _ := strconv.Atoi(m[1])
			if p.Info.PID != pid {
				t.Errorf("pid = %d, the process said %d", p.Info.PID, pid)
			}
			if p.NodeVersion != m[2] || p.NodeVersion != "v"+v {
				t.Errorf("node version = %q, the process said %q", p.NodeVersion, m[2])
			}
			if p.Signal() != 6 {
				t.Errorf("signal = %d, want SIGABRT", p.Signal())
			}
			if st := p.SignalThread(); st == nil || st.TID != pid {
				t.Errorf("signal thread = %+v, want the main thread %d", st, pid)
			}
			if p.BuildIDStatus != "match" {
				t.Errorf("build-id status = %q", p.BuildIDStatus)
			}
			// The abort happens in libc, called from node::Abort.
			if loc, ok := p.Symbolize(p.SignalThread().Regs.RIP); !ok || !strings.HasPrefix(filepath.Base(loc.Path), "libc.so") {
				t.Errorf("signal thread pc %#x symbolized as %v", p.SignalThread().Regs.RIP, loc)
			}
			want, err := exec.Command(c.Exe, "-p", "process.versions.v8").Output()
			if err != nil {
				t.Fatal(err)
			}
			if p.V8Version != strings.TrimSpace(string(want)) {
				t.Errorf("V8 version = %q, node says %q", p.V8Version, want)
			}
			if argv := p.Argv(); len(argv) != 2 || argv[0] != c.Exe || filepath.Base(argv[1]) != "abort.js" {
				t.Errorf("argv = %q, want [%s .../abort.js]", argv, c.Exe)
			}
			compareWithGDB(t, p, c)
		})
	}
}

var (
	gdbThreadRE = regexp.MustCompile(`\(LWP (\d+)\)\)?:?`)
	gdbValueRE  = regexp.MustCompile(`^\$\d+ = (0x[0-9a-f]+)`)
)

// compareWithGDB checks threads, their pc and sp, and a word of the stack
// against gdb's reading of the same core.
func compareWithGDB(t *testing.T, p *elfcore.Process, c *testnode.Core) {
	if _, err := exec.LookPath("gdb"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("gdb is needed as the test oracle")
		}
		t.Skip("gdb not installed")
	}
	out, err := exec.Command("gdb", "-q", "-batch", "-nx", "-ex", "thread apply all p/x $pc", "-ex", "thread apply all p/x $sp",
		"-ex", "thread apply all p/x *(long*)$sp", c.Exe, c.Path).CombinedOutput()
	if err != nil {
		t.Fatalf("gdb: %v\n%s", err, out)
	}
	type regs struct{ pc, sp, top string }
	got := map[int]*regs{}
	var order []int
	cur, pass := 0, 0
	for _, line := range strings.Split(string(out), "\n") {
		if m := gdbThreadRE.FindStringSubmatch(line); m != nil && strings.HasPrefix(line, "Thread ") {
			cur, _ = strconv.Atoi(m[1])
			if got[cur] == nil {
				got[cur] = &regs{}
				order = append(order, cur)
			} else if cur == order[0] {
				pass++
			}
			continue
		}
		if m := gdbValueRE.FindStringSubmatch(line); m != nil && got[cur] != nil {
			switch pass {
			case 0:
				got[cur].pc = m[1]
			case 1:
				got[cur].sp = m[1]
			default:
				got[cur].top = m[1]
			}
		}
	}
	if len(got) != len(p.Threads) {
		t.Fatalf("ndb sees %d threads, gdb %d", len(p.Threads), len(got))
	}
	for _, th := range p.Threads {
		g := got[th.TID]
		if g == nil {
			t.Errorf("thread %d unknown to gdb", th.TID)
			continue
		}
		if g.pc != "0x"+strconv.FormatUint(th.Regs.RIP, 16) || g.sp != "0x"+strconv.FormatUint(th.Regs.RSP, 16) {
			t.Errorf("thread %d: ndb pc %#x sp %#x, gdb pc %s sp %s", th.TID, th.Regs.RIP, th.Regs.RSP, g.pc, g.sp)
		}
		w, err := p.ReadU64(th.Regs.RSP)
		if err != nil || g.top != "0x"+strconv.FormatUint(w, 16) {
			t.Errorf("thread %d: word at sp: ndb %#x (%v), gdb %s", th.TID, w, err, g.top)
		}
	}
}

// TestConstantsMatchStdlib reads the v8dbg_ symbols with debug/elf as an
// independent oracle.
func TestConstantsMatchStdlib(t *testing.T) {
	p, c := openAbortCore(t, "22.23.3")
	ef, err := elf.Open(c.Exe)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	syms, err := ef.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, s := range syms {
		if !strings.HasPrefix(s.Name, "v8dbg_") || int(s.Section) >= len(ef.Sections) {
			continue
		}
		sec := ef.Sections[s.Section]
		if sec.Type == elf.SHT_NOBITS {
			want[s.Name] = 0
			continue
		}
		b := make([]byte, 4)
		if _, err := sec.ReadAt(b, int64(s.Value-sec.Addr)); err != nil {
			t.Fatal(err)
		}
		want[s.Name] = int64(int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24))
	}
	got := map[string]int64{}
	for _, rc := range p.Constants {
		if strings.HasPrefix(rc.Name, "v8dbg_") {
			got[rc.Name] = rc.Value
		}
	}
	if len(got) != len(want) || len(want) < 400 {
		t.Fatalf("ndb read %d v8dbg constants, debug/elf %d", len(got), len(want))
	}
	for n, v := range want {
		if got[n] != v {
			t.Errorf("%s = %d, debug/elf says %d", n, got[n], v)
		}
	}
}

// TestBadInput checks each kind of bad input gives its own clear error.
func TestBadInput(t *testing.T) {
	_, c := openAbortCore(t, "20.20.2")
	other := testnode.MakeCore(t, "18.20.8", "abort.js", nil, nil)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o644)
	text := filepath.Join(dir, "text")
	os.WriteFile(text, []byte("hello, this is not a core\n"), 0o644)
	cases := []struct {
		name, core string
		opts       elfcore.Options
		want       string
	}{
		{"empty", empty, elfcore.Options{}, "empty file"},
		{"not ELF", text, elfcore.Options{}, "not an ELF file"},
		{"ELF not core", c.Exe, elfcore.Options{}, "not a core file (it is an ELF executable)"},
		{"wrong binary", c.Path, elfcore.Options{Exe: other.Exe}, "wrong executable"},
		{"missing binary", c.Path, elfcore.Options{Exe: filepath.Join(dir, "no-such-node")}, "not found"},
		{"missing core", filepath.Join(dir, "no-such-core"), elfcore.Options{}, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := elfcore.Open(tc.core, tc.opts)
			if err == nil {
				p.Close()
				t.Fatal("opened without error")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line containing %q", err, tc.want)
			}
		})
	}
	t.Run("wrong binary forced", func(t *testing.T) {
		p, err := elfcore.Open(c.Path, elfcore.Options{Exe: other.Exe, Force: true})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if !strings.Contains(p.BuildIDStatus, "MISMATCH") || len(p.Warnings) == 0 {
			t.Errorf("forced mismatch not reported: %q %v", p.BuildIDStatus, p.Warnings)
		}
	})
}

// TestTruncatedCore cuts a real core and checks ndb opens what is left,
// says how much is missing, and fails only reads in the missing part.
func TestTruncatedCore(t *testing.T) {
	full, c := openAbortCore(t, "20.20.2")
	data, err := os.ReadFile(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(data) * 6 / 10
	path := filepath.Join(t.TempDir(), "core")
	if err := os.WriteFile(path, data[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := elfcore.Open(path, elfcore.Options{Exe: c.Exe})
	if err != nil {
		t.Fatalf("truncated core refused: %v", err)
	}
	defer p.Close()
	if p.TruncatedBy == 0 || len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "truncated") {
		t.Fatalf("truncation not reported: %d bytes, %v", p.TruncatedBy, p.Warnings)
	}
	if len(p.Threads) != len(full.Threads) {
		t.Errorf("threads %d, want %d", len(p.Threads), len(full.Threads))
	}
	var okReads, cutReads int
	for _, s := range full.Segments {
		if len(s.Data) == 0 {
			continue
		}
		want := s.Data[0]
		got, err := p.ReadU8(s.Start)
		var me *elfcore.MemError
		switch {
		case err == nil:
			okReads++
			if got != want {
				t.Errorf("%#x: read %#x, full core has %#x", s.Start, got, want)
			}
		case errors.As(err, &me) && strings.Contains(me.Reason, "truncation"):
			cutReads++
		default:
			t.Errorf("%#x: unexpected error %v", s.Start, err)
		}
	}
	if okReads == 0 || cutReads == 0 {
		t.Errorf("reads: %d fine, %d cut; want both", okReads, cutReads)
	}
	// Nothing usable: only the ELF header and program headers survive.
	os.WriteFile(path, data[:4096], 0o600)
	if p, err := elfcore.Open(path, elfcore.Options{Exe: c.Exe}); err == nil {
		p.Close()
		t.Error("a core cut to its headers opened without error")
	} else if !strings.Contains(err.Error(), "truncated") {
		t.Errorf("error %q does not say truncated", err)
	}
}

// TestGcoreCore opens a core written by gdb's gcore from a live node.
func TestGcoreCore(t *testing.T) {
	cores := testnode.Snapshots(t, "22.23.3", "grow.js", nil, nil)
	if len(cores) == 0 {
		t.Fatal("no snapshots")
	}
	p, err := elfcore.Open(cores[0].Path, elfcore.Options{Exe: cores[0].Exe})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.NodeVersion != "v22.23.3" || len(p.Threads) < 2 || p.BuildIDStatus != "match" {
		t.Errorf("gcore core: version %q threads %d build-id %q", p.NodeVersion, len(p.Threads), p.BuildIDStatus)
	}
}

// TestCopyOutAndRelease: CopyOut gives the same bytes as the mapping, and
// a released range reads back unchanged.
func TestCopyOutAndRelease(t *testing.T) {
	p, _ := openAbortCore(t, "20.20.2")
	var buf []byte
	checked := 0
	for _, s := range p.Segments {
		if len(s.Data) < 3*4096 {
			continue
		}
		want := append([]byte(nil), s.Data...)
		got := p.CopyOut(buf, s.Data)
		if string(got) != string(want) {
			t.Fatalf("segment %#x: CopyOut differs from the mapping", s.Start)
		}
		buf = got
		p.Release(s.Data[100 : len(s.Data)-100])
		if string(s.Data) != string(want) {
			t.Fatalf("segment %#x: bytes changed after Release", s.Start)
		}
		if checked++; checked == 10 {
			break
		}
	}
	if checked == 0 {
		t.Fatal("no segment large enough")
	}
	// A slice that is not of the core is returned as is.
	other := []byte("not the core")
	if got := p.CopyOut(nil, other); &got[0] != &other[0] {
		t.Error("CopyOut copied memory that is not the core's")
	}
	p.Release(other)
}
