package flame

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// zstdRLE is a zstd frame of prefix, n copies of the byte b and suffix,
// made of raw and RLE blocks: a few KiB for gigabytes of content.
func zstdRLE(prefix []byte, b byte, n int64, suffix []byte) []byte {
	const maxBlock = 128 << 10
	out := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38} // magic, no content size, 128 KiB window
	block := func(typ int, size int, last bool) {
		h := uint32(size)<<3 | uint32(typ)<<1
		if last {
			h |= 1
		}
		out = binary.LittleEndian.AppendUint32(out, h)[:len(out)+3]
	}
	raw := func(p []byte, last bool) {
		for len(p) > 0 {
			k := min(len(p), maxBlock)
			block(0, k, last && k == len(p))
			out = append(out, p[:k]...)
			p = p[k:]
		}
	}
	raw(prefix, false)
	for n > 0 {
		k := min(n, maxBlock)
		block(1, int(k), false)
		out = append(out, b)
		n -= k
	}
	raw(suffix, true)
	return out
}

// childResult is how a child `ndb flame` ended.
type childResult struct {
	status         int
	stdout, stderr string
	maxRSS         int64 // bytes
}

// runChild runs the test binary as `ndb flame args...` and measures its
// peak RSS. A child above killRSS is killed, so that a regression fails
// the test instead of taking the machine's memory.
func runChild(t *testing.T, killRSS int64, args ...string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	hwm := filepath.Join(t.TempDir(), "status")
	cmd.Env = append(os.Environ(), "NDB_FLAME_MAIN=1", "GOMAXPROCS=2", "NDB_FLAME_HWM_FILE="+hwm)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	killed := false
	go func() {
		status := "/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status"
		for {
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if rss := procField(status, "VmRSS:"); rss > killRSS {
				killed = true
				cmd.Process.Kill()
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	r := childResult{stdout: out.String(), stderr: errb.String()}
	if killed {
		t.Fatalf("ndb flame %v went over %d MiB of RSS and was killed", args, killRSS>>20)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r.maxRSS = procField(hwm, "VmHWM:")
	if r.maxRSS == 0 {
		t.Fatalf("the child did not report its peak RSS")
	}
	return r
}

// procField reads a size such as VmRSS from a /proc/PID/status file, in
// bytes.
func procField(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// A .cpuprofile whose function name is a 2.2 GB string (as in the report
// that saw 6.4 GB of RSS) is refused with one line, in bounded memory.
func TestCPUProfileHugeString(t *testing.T) {
	prefix := []byte(`{"nodes":[{"id":1,"callFrame":{"functionName":"(root)","url":""},"children":[2]},{"id":2,"callFrame":{"functionName":"`)
	suffix := []byte(`","url":"file:///a.js","lineNumber":0,"columnNumber":0},"hitCount":1}],"startTime":0,"endTime":2,"samples":[2],"timeDeltas":[1]}`)
	in := zstdRLE(prefix, 'a', 2200<<20, suffix)
	path := filepath.Join(t.TempDir(), "huge.cpuprofile.zst")
	if err := os.WriteFile(path, in, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(path), "flame.svg")
	r := runChild(t, 1<<30, "-o", out, path)
	if r.status != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "a JSON value longer than 1 MiB") {
		t.Errorf("status %d, stderr %q; want 2 and one line about a value over 1 MiB", r.status, r.stderr)
	}
	if r.maxRSS > 100<<20 {
		t.Errorf("peak RSS %d MiB, want at most 100", r.maxRSS>>20)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an SVG was written")
	}
	if got, _ := os.ReadFile(path); sha256.Sum256(got) != sha256.Sum256(in) {
		t.Error("the input changed")
	}
	t.Logf("peak RSS %d MiB", r.maxRSS>>20)

	// the same profile with a short name is fine: the frame comes through
	short := zstdRLE(prefix, 'a', 3, suffix)
	rs := run(t, short, "--folded")
	if rs.status != 0 || rs.stdout != "aaa file:///a.js:1:1 1\n" {
		t.Errorf("short name: status %d, %q %q", rs.status, rs.stdout, rs.stderr)
	}
}

// Bounds that follow from a .cpuprofile's structure: a value too long, a
// cycle, a tree deeper than V8 records, trailing data.
func TestCPUProfileLimits(t *testing.T) {
	long := `{"nodes":[{"id":1,"callFrame":{"functionName":"` + strings.Repeat("x", 2<<20) + `"}}]}`
	var deep strings.Builder
	deep.WriteString(`{"nodes":[`)
	for i := 1; i <= maxProfileDepth+2; i++ {
		if i > 1 {
			deep.WriteByte(',')
		}
		deep.WriteString(`{"id":` + strconv.Itoa(i) + `,"callFrame":{"functionName":"f"}`)
		if i <= maxProfileDepth+1 {
			deep.WriteString(`,"children":[` + strconv.Itoa(i+1) + `]`)
		}
		deep.WriteString(`}`)
	}
	deep.WriteString(`],"samples":[` + strconv.Itoa(maxProfileDepth+2) + `],"timeDeltas":[1]}`)
	for _, c := range []struct{ name, in, want string }{
		{"long string", long, "a JSON value longer than 1 MiB"},
		{"deep", deep.String(), "deeper than 4096 frames"},
		{"cycle", `{"nodes":[{"id":1,"callFrame":{"functionName":"a"},"children":[2]},{"id":2,"callFrame":{"functionName":"b"},"children":[1]}],"samples":[1]}`, "deeper than"},
		{"self parent", `{"nodes":[{"id":1,"callFrame":{"functionName":"a"},"children":[1]}],"samples":[1]}`, "two parents"},
		{"trailing", `{"nodes":[{"id":1,"callFrame":{"functionName":"a"}}],"samples":[1]} {}`, "data after the JSON document"},
		{"cut", `{"nodes":[{"id":1,"callFrame":{"functionName":"a"}}],"samples":[1`, "unexpected end of input"},
		{"not an int", `{"nodes":[{"id":1.5}]}`, `"id": want int64, got number 1.5`},
		{"unknown child", `{"nodes":[{"id":1,"children":[7]}]}`, "unknown child 7"},
	} {
		r := run(t, []byte(c.in), "--input=cpuprofile")
		if r.status != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: status %d, stderr %.300q; want 2 and one line with %q", c.name, r.status, r.stderr, c.want)
		}
	}
}

// Bad input of any kind, run as a process: status 2, one line, no output
// file, the input unchanged, bounded memory (issue: binary input exited 1,
// and input cut inside a sample exited 1 with the SVG written).
func TestBadInputProcess(t *testing.T) {
	rec := readTestdata(t, "perf-script.txt.zst")
	cut := bytes.Index(rec[len(rec)/2:], []byte("\n\n")) + len(rec)/2 + 2
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "no samples in the input"},
		{"binary", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00binary"), "binary data"},
		{"truncated", rec[:cut+300], "truncated: the input ends inside a sample"},
		{"bad json", []byte(`{"nodes":[{"id":1,`), ".cpuprofile"},
		// a zstd frame that asks for a 2 GiB window
		{"zstd window", append([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xa8}, 0x09, 0, 0, 'a'), "zstd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out.svg")
			if err := os.WriteFile(in, c.in, 0o644); err != nil {
				t.Fatal(err)
			}
			r := runChild(t, 1<<30, "-o", out, in)
			if r.status != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ndb flame: "+in+": ") || !strings.Contains(r.stderr, c.want) {
				t.Errorf("status %d, stderr %q; want 2 and one line with %q", r.status, r.stderr, c.want)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("wrote %v", ents)
			}
			if got, _ := os.ReadFile(in); !bytes.Equal(got, c.in) {
				t.Error("the input changed")
			}
			if r.maxRSS > 200<<20 {
				t.Errorf("peak RSS %d MiB", r.maxRSS>>20)
			}
		})
	}
}
