package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// The tests of issue 15: each fault a hostile core or bundle caused,
// reproduced on a mutated copy of a real core or bundle, with ndb run as a
// child process (the test binary, through TestMain) under an address-space
// limit. Each asserts the error contract: at most one line on stderr, the
// documented exit status, the input unchanged, and bounded time and memory.

// asNDB in the environment makes the test binary run ndb's main.
const asNDB = "NDB_TEST_AS_NDB"

// peakRSSFile names the file where the child writes its own peak RSS
// (VmHWM) as it exits. The rusage of a child is no measure: the kernel
// counts the parent's resident memory at the child's exec into its peak,
// and the test process holds cores of its own.
const peakRSSFile = "NDB_TEST_PEAK_RSS_FILE"

// writePeakRSS writes this process's VmHWM in bytes to path.
func writePeakRSS(path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				os.WriteFile(path, []byte(strconv.FormatInt(kb<<10, 10)), 0o600)
			}
			return
		}
	}
}

// childPeakRSS reads what writePeakRSS wrote, or -1 when the child ended
// another way (the out-of-memory exit).
func childPeakRSS(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

const (
	childTimeout = 30 * time.Second // a safety bound, not a speed assertion
	childMaxRSS  = 2 << 30
	childAS      = 16 << 30 // RLIMIT_AS: ndb maps the core and the node binary
)

type childResult struct {
	code           int
	stdout, stderr string
	maxRSS         int64 // bytes; -1 when the child could not say
}

// runChild runs ndb with args under the limits and returns what it did.
func runChild(t *testing.T, cache string, args ...string) childResult {
	t.Helper()
	return runChildEnv(t, cache, nil, args...)
}

// runChildEnv is runChild with more environment variables.
func runChildEnv(t *testing.T, cache string, env []string, args ...string) childResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	sh := []string{"-c", `ulimit -v ` + strconv.Itoa(childAS>>10) + ` && exec "$0" "$@"`, os.Args[0]}
	cmd := exec.CommandContext(ctx, "/bin/sh", append(sh, args...)...)
	rssFile := filepath.Join(t.TempDir(), "peak-rss")
	cmd.Env = append(append(os.Environ(), asNDB+"=1", peakRSSFile+"="+rssFile, "NDB_BUNDLE_CACHE="+cache, "GOTRACEBACK=single"), env...)
	cmd.Stdin = strings.NewReader("")
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ndb %q: still running after %v (killed)", args, childTimeout)
	}
	r := childResult{stdout: out.String(), stderr: errs.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r.maxRSS = childPeakRSS(rssFile)
	return r
}

// contract checks one run: exit status code, at most one line on stderr
// (exactly one when the status is not 0) that starts with prefix and holds
// want, bounded memory, and the inputs unchanged.
func contract(t *testing.T, r childResult, code int, want string, inputs map[string][32]byte) {
	t.Helper()
	lines := strings.Count(r.stderr, "\n")
	switch {
	case r.code != code:
		t.Errorf("exit %d, want %d; stderr %q", r.code, code, clip(r.stderr))
	case lines > 1 || code != 0 && lines != 1:
		t.Errorf("%d lines on stderr, want one: %q", lines, clip(r.stderr))
	case !strings.HasPrefix(r.stderr, "ndb") && r.stderr != "":
		t.Errorf("stderr does not start with ndb: %q", clip(r.stderr))
	case !strings.Contains(r.stderr, want):
		t.Errorf("stderr %q lacks %q", clip(r.stderr), want)
	}
	if r.maxRSS > childMaxRSS {
		t.Errorf("peak RSS %d MB, bound %d MB", r.maxRSS>>20, childMaxRSS>>20)
	}
	for path, sum := range inputs {
		if got := fileSum(t, path); got != sum {
			t.Errorf("%s changed", path)
		}
	}
	t.Logf("exit %d, peak RSS %d MB, stderr %q", r.code, r.maxRSS>>20, clip(r.stderr))
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// fileSum identifies a file's content without reading it all (the
// mutated cores are gigabytes long): its inode, size, and modification and
// change times, which any write updates.
func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(fmt.Appendf(nil, "%d %d %d.%d %d.%d", st.Ino, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec))
}

func readAt(path string, b []byte, off int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.ReadAt(b, off)
	return err
}

// hostileCore returns the real core the tests mutate (Node 20, abort.js).
func hostileCore(t *testing.T) *testnode.Core {
	c, err := testnode.Make("20.20.2", "abort.js", nil, nil)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return c
}

// copyCore copies a core into dir, keeping its holes.
func copyCore(t *testing.T, src, dir string) string {
	t.Helper()
	dst := filepath.Join(dir, "core")
	if out, err := exec.Command("cp", "--sparse=always", src, dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v: %s", err, out)
	}
	return dst
}

// progs returns the core's program headers and the file offset of each.
func progs(t *testing.T, path string) ([]*elf.Prog, []int64) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, 64)
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	if _, err := fh.ReadAt(hdr, 0); err != nil {
		t.Fatal(err)
	}
	phoff := int64(binary.LittleEndian.Uint64(hdr[32:]))
	phentsize := int64(binary.LittleEndian.Uint16(hdr[54:]))
	offs := make([]int64, len(f.Progs))
	for i := range offs {
		offs[i] = phoff + int64(i)*phentsize
	}
	return f.Progs, offs
}

// putU64 writes v at off of the file at path.
func putU64(t *testing.T, path string, off int64, v uint64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// Program header field offsets (Elf64_Phdr).
const (
	phVaddr  = 16
	phFilesz = 32
	phMemsz  = 40
)

// heapSegment returns the index of a PT_LOAD that holds V8 heap pages: a
// writable, fully dumped mapping on 256 KiB boundaries.
func heapSegment(t *testing.T, ps []*elf.Prog) int {
	for i, p := range ps {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_W != 0 && p.Filesz == p.Memsz && p.Memsz >= 1<<18 &&
			p.Vaddr&(1<<18-1) == 0 && p.Memsz&(1<<18-1) == 0 {
			return i
		}
	}
	t.Fatal("no heap segment in the core")
	return -1
}

// Faults 2, 3, 5 and 6: damaged program headers. Heap dcmds end, within
// the bounds, with the problems said in one warning line.
func TestHostileCoreHeaders(t *testing.T) {
	c := hostileCore(t)
	cases := []struct {
		name string
		want string // in the warning
		edit func(t *testing.T, core string, ps []*elf.Prog, offs []int64)
	}{
		{"memsz-2^63", "overlap the next", func(t *testing.T, core string, ps []*elf.Prog, offs []int64) {
			putU64(t, core, offs[heapSegment(t, ps)]+phMemsz, 1<<63)
		}},
		{"filesz-memsz-2^62", "overlap the next", func(t *testing.T, core string, ps []*elf.Prog, offs []int64) {
			i := heapSegment(t, ps)
			putU64(t, core, offs[i]+phFilesz, 1<<62)
			putU64(t, core, offs[i]+phMemsz, 1<<62)
		}},
		{"segment-near-2^64", "", func(t *testing.T, core string, ps []*elf.Prog, offs []int64) {
			// The last PT_LOAD (vsyscall) moved into the last 256 KiB chunk:
			// rounding its start up to a chunk wraps to 0.
			putU64(t, core, offs[len(ps)-1]+phVaddr, 1<<64-1<<18+0x1000)
		}},
		{"segment-wraps", "damaged program header", func(t *testing.T, core string, ps []*elf.Prog, offs []int64) {
			putU64(t, core, offs[heapSegment(t, ps)]+phVaddr, 1<<64-0x1000)
		}},
		{"note-3GB", "notes segment of 3.0 GB cut", func(t *testing.T, core string, ps []*elf.Prog, offs []int64) {
			for i, p := range ps {
				if p.Type == elf.PT_NOTE {
					putU64(t, core, offs[i]+phFilesz, 3<<30)
					// A sparse file long enough to hold it: zeros.
					if err := os.Truncate(core, int64(p.Off)+3<<30+1<<20); err != nil {
						t.Fatal(err)
					}
					return
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			core := copyCore(t, c.Path, dir)
			ps, offs := progs(t, core)
			tc.edit(t, core, ps, offs)
			in := map[string][32]byte{core: fileSum(t, core)}
			for _, dcmd := range []string{"::findjsobjects", "::jsstack"} {
				r := runChild(t, t.TempDir(), "-e", dcmd, core, c.Exe)
				contract(t, r, 0, tc.want, in)
				if r.stdout == "" {
					t.Errorf("%s printed nothing", dcmd)
				}
			}
		})
	}
}

// noteArea builds a PT_NOTE area from the core's notes with NT_FILE's
// entries renamed by rename.
func noteArea(t *testing.T, core string, rename func(path string) string) []byte {
	t.Helper()
	ps, _ := progs(t, core)
	var area []byte
	le := binary.LittleEndian
	for _, p := range ps {
		if p.Type != elf.PT_NOTE {
			continue
		}
		b := make([]byte, p.Filesz)
		if err := readAt(core, b, int64(p.Off)); err != nil {
			t.Fatal(err)
		}
		for len(b) >= 12 {
			namesz, descsz, typ := le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:])
			nameEnd := 12 + int(namesz+3)&^3
			descEnd := nameEnd + int(descsz+3)&^3
			desc := b[nameEnd : nameEnd+int(descsz)]
			if typ == 0x46494c45 { // NT_FILE
				count := le.Uint64(desc)
				names := bytes.Split(desc[16+24*count:], []byte{0})
				nd := append([]byte(nil), desc[:16+24*count]...)
				for _, n := range names[:count] {
					nd = append(append(nd, rename(string(n))...), 0)
				}
				desc = nd
			}
			var h [12]byte
			le.PutUint32(h[:], namesz)
			le.PutUint32(h[4:], uint32(len(desc)))
			le.PutUint32(h[8:], typ)
			area = append(area, h[:]...)
			area = append(area, b[12:nameEnd]...)
			area = append(area, desc...)
			for len(area)%4 != 0 {
				area = append(area, 0)
			}
			b = b[min(descEnd, len(b)):]
		}
	}
	return area
}

// withNotes appends area to the core and points its PT_NOTE at it.
func withNotes(t *testing.T, core string, area []byte) {
	t.Helper()
	ps, offs := progs(t, core)
	f, err := os.OpenFile(core, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(area); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for i, p := range ps {
		if p.Type == elf.PT_NOTE {
			putU64(t, core, offs[i]+8, uint64(end))
			putU64(t, core, offs[i]+phFilesz, uint64(len(area)))
			return
		}
	}
}

// Faults 4 and 13: files the core names are opened on this machine. A FIFO
// or a device there is never opened for reading: the executable so named
// is refused in one line; a library so named is not used.
func TestHostileNTFile(t *testing.T) {
	c := hostileCore(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	zero := filepath.Join(dir, "zero")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{fifo, zero} {
		t.Run(filepath.Base(target), func(t *testing.T) {
			// The executable the core names.
			core := copyCore(t, c.Path, t.TempDir())
			withNotes(t, core, noteArea(t, core, func(p string) string {
				if p == c.Exe {
					return target
				}
				return p
			}))
			in := map[string][32]byte{core: fileSum(t, core)}
			r := runChild(t, t.TempDir(), "-e", "::status", core)
			contract(t, r, 2, "not a regular file", in)
			// Every library, with the executable given.
			core = copyCore(t, c.Path, t.TempDir())
			withNotes(t, core, noteArea(t, core, func(p string) string {
				if strings.Contains(p, ".so") {
					return target
				}
				return p
			}))
			in = map[string][32]byte{core: fileSum(t, core)}
			r = runChild(t, t.TempDir(), "-e", "::jsstack", core, c.Exe)
			contract(t, r, 0, "", in)
			// The frame in the library is named by its mapping only: the
			// file was not read for symbols.
			if !strings.Contains(r.stdout, filepath.Base(target)+"+0x") {
				t.Errorf("::jsstack lacks the frame in the renamed library:\n%s", clip(r.stdout))
			}
		})
	}
}

// Fault 1: ndb pack -o never writes over an input or a non-regular file,
// and replaces a regular file only with --force.
func TestHostilePackOutput(t *testing.T) {
	c := hostileCore(t)
	dir := t.TempDir()
	core := copyCore(t, c.Path, dir)
	link := filepath.Join(dir, "core-link")
	if err := os.Link(core, link); err != nil {
		t.Fatal(err)
	}
	in := map[string][32]byte{core: fileSum(t, core)}
	devNull, err := os.Stat("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	for _, tc := range []struct{ out, want string }{
		{core, "is an input"},
		{link, "is an input"},
		{"/dev/null", "not a regular file (a character device)"},
		{dir, "not a regular file (a directory)"},
	} {
		r := runChild(t, cache, "pack", "--force", core, c.Exe, "-o", tc.out)
		contract(t, r, 2, tc.want, in)
	}
	if st, err := os.Stat("/dev/null"); err != nil || !os.SameFile(st, devNull) || st.Mode()&os.ModeCharDevice == 0 {
		t.Errorf("/dev/null changed: %v %v", st.Mode(), err)
	}
	out := filepath.Join(dir, "old.ndb")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	in[out] = fileSum(t, out)
	r := runChild(t, cache, "pack", core, c.Exe, "-o", out)
	contract(t, r, 2, "exists (use --force to overwrite it)", in)
	delete(in, out)
	r = runChild(t, cache, "pack", "--force", core, c.Exe, "-o", out)
	contract(t, r, 0, "", in)
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 || st.Size() < 1<<20 {
		t.Errorf("bundle written by --force: %v %v", st, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("%s holds %d files, want core, core-link and old.ndb", dir, len(ents))
	}
}

// bombFrame is a zstd frame of n zero bytes; with size, its header
// declares the size.
func bombFrame(t *testing.T, n int64, size bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	if size {
		enc.ResetContentSize(&buf, n)
	} else {
		enc.Reset(&buf)
	}
	if _, err := io.CopyN(enc, zeros{}, n); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zeros struct{}

func (zeros) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// rebundle rewrites the example bundle: edit changes its index (JSON) and
// may add frames before it (add returns the frame's reference); index, if
// not nil, replaces the index frame. Header, trailer and checksum are made
// right, so that what is tested is past them.
func rebundle(t *testing.T, path string, edit func(ix map[string]any, add func([]byte) map[string]any), index []byte) {
	t.Helper()
	b, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	tr := b[len(b)-48:]
	ixOff, ixLen := le.Uint64(tr), le.Uint64(tr[8:])
	dec, _ := zstd.NewReader(nil)
	js, err := dec.DecodeAll(b[ixOff:ixOff+ixLen], nil)
	if err != nil {
		t.Fatal(err)
	}
	var ix map[string]any
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	if err := d.Decode(&ix); err != nil {
		t.Fatal(err)
	}
	body := append([]byte(nil), b[:ixOff]...)
	add := func(frame []byte) map[string]any {
		ref := map[string]any{"offset": len(body), "length": len(frame)}
		body = append(body, frame...)
		return ref
	}
	edit(ix, add)
	if index == nil {
		js, _ = json.Marshal(ix)
		enc, _ := zstd.NewWriter(nil)
		index = enc.EncodeAll(js, nil)
	}
	ixOff = uint64(len(body))
	body = append(body, index...)
	var trailer [48]byte
	le.PutUint64(trailer[:], ixOff)
	le.PutUint64(trailer[8:], uint64(len(index)))
	sum := sha256.Sum256(body[32:])
	copy(trailer[16:], sum[:])
	body = append(body, trailer[:]...)
	le.PutUint64(body[16:], uint64(len(body)))
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Fault 7: bundles whose frames claim more than they may hold, or whose
// index declares an image its parts do not justify.
func TestHostileBundles(t *testing.T) {
	big := bombFrame(t, 1<<30, true)      // declares 1 GiB
	unsized := bombFrame(t, 1<<30, false) // decodes to 1 GiB, size unsaid
	t.Logf("1 GiB of zeros: %d bytes of zstd", len(big))
	chunks := func(frame []byte) func(ix map[string]any, add func([]byte) map[string]any) {
		return func(ix map[string]any, add func([]byte) map[string]any) {
			ref := add(frame)
			ix["chunks"] = []any{ref, ref, ref, ref}
		}
	}
	symbols := func(frame []byte) func(ix map[string]any, add func([]byte) map[string]any) {
		return func(ix map[string]any, add func([]byte) map[string]any) {
			ref := add(frame)
			for _, m := range ix["modules"].([]any) {
				m.(map[string]any)["symbols"] = ref
			}
		}
	}
	none := func(map[string]any, func([]byte) map[string]any) {}
	cases := []struct {
		name  string
		edit  func(ix map[string]any, add func([]byte) map[string]any)
		index []byte
		dcmd  string
		code  int
		want  string
	}{
		{"chunk-1GiB-x4", chunks(big), nil, "::status", 2, "damaged bundle: chunk at"},
		{"chunk-1GiB-x4-unsized", chunks(unsized), nil, "::status", 2, "damaged bundle: chunk at"},
		{"index-1GiB", none, big, "::status", 2, "damaged bundle: index: frame decodes to more than"},
		{"index-1GiB-unsized", none, unsized, "::status", 2, "damaged bundle: index: frame decodes to more than"},
		{"mem_size-1TiB", func(ix map[string]any, _ func([]byte) map[string]any) { ix["mem_size"] = 1 << 40 },
			nil, "::status", 2, "damaged bundle: mem_size 1099511627776, but its segments and file extents take"},
		{"segment-near-2^64", func(ix map[string]any, _ func([]byte) map[string]any) {
			// The last segment (vsyscall) moved into the last 256 KiB chunk
			// of the address space (fault 3).
			segs := ix["segments"].([]any)
			last := segs[len(segs)-1].(map[string]any)
			start := uint64(1<<64 - 1<<18 + 0x1000)
			last["start"], last["end"] = start, start+0x1000
		}, nil, "::findjsobjects", 0, ""},
		{"symbols-1GiB", symbols(big), nil, "::jsstack", 0, ""},
		{"symbols-1GiB-unsized", symbols(unsized), nil, "::jsstack", 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name+".ndb")
			rebundle(t, path, tc.edit, tc.index)
			cache := t.TempDir()
			in := map[string][32]byte{path: fileSum(t, path)}
			r := runChild(t, cache, "-e", tc.dcmd, path)
			contract(t, r, tc.code, tc.want, in)
			// Tighter than the safety bound: frames decode to 64 MiB at
			// most, and a 1 GiB decode would show.
			if r.maxRSS > 512<<20 {
				t.Errorf("peak RSS %d MB, want at most 512 MB", r.maxRSS>>20)
			}
			ents, _ := os.ReadDir(cache)
			if tc.code != 0 && len(ents) != 0 {
				t.Errorf("bundle cache holds %d files after a failed open", len(ents))
			}
			for _, e := range ents {
				if fi, err := e.Info(); err == nil && fi.Size() > 1<<30 {
					t.Errorf("bundle cache holds %s of %d bytes", e.Name(), fi.Size())
				}
			}
		})
	}
}

// Running out of memory is one line named after the dcmd and exit 1, not a
// runtime dump: here under a memory limit far below what a heap census of
// the core needs.
func TestHostileOutOfMemory(t *testing.T) {
	c := hostileCore(t)
	in := map[string][32]byte{c.Path: fileSum(t, c.Path)}
	r := runChildEnv(t, t.TempDir(), []string{"GOMEMLIMIT=2MiB"}, "-e", "::findjsobjects", "-e", "::jsfunctions", c.Path, c.Exe)
	contract(t, r, 1, "ndb: findjsobjects: out of memory: ", in)
}
