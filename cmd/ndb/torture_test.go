//go:build torture

package main

// The torture test: many mutated copies of real cores and bundles, each
// opened by ndb (a child process under the limits of hostile_test.go) to
// run a set of dcmds. Not in the default run (minutes of CPU):
//
//	go test -tags torture -run TestTorture -v ./cmd/ndb
//
// NDB_TORTURE_SEED changes the mutations (default 1).

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// tortureDcmds run on every mutant, in one ndb process; ADDR is replaced
// by addresses of the mutant's segments.
var tortureDcmds = []string{
	"::status", "::threads", "::mappings", "::jsstack -v", "::findjsobjects",
	"::findjsobjects -c Widget | ::jsprint", "::jsfunctions -n main",
	"ADDR::jsprint", "ADDR::v8print", "ADDR::dump", "ADDR::findjsrefs", "ADDR::jsframe -v",
}

type mutant struct {
	name string
	make func(t *testing.T, dir string) string // writes the mutant, returns its path
	args []string                              // after the path (the executable)
}

var (
	tortureRuns, tortureMutants, tortureMaxRSS atomic.Int64
	tortureExits                               [3]atomic.Int64
)

func TestTorture(t *testing.T) {
	seed := uint64(1)
	if s := os.Getenv("NDB_TORTURE_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	rng := rand.New(rand.NewPCG(seed, 15))
	var ms []mutant
	specs := []struct{ version, fixture string }{{"22.23.3", "crash.js"}}
	for _, v := range testnode.Versions {
		specs = append(specs, struct{ version, fixture string }{v, "abort.js"})
	}
	for _, spec := range specs {
		var flags []string
		if spec.fixture == "crash.js" {
			flags = []string{"--abort-on-uncaught-exception"}
		}
		c, err := testnode.Make(spec.version, spec.fixture, flags, nil)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, coreMutants(t, c, rng)...)
	}
	other, err := testnode.Make("18.20.8", "abort.js", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c20, _ := testnode.Make("20.20.2", "abort.js", nil, nil)
	ms = append(ms, mutant{"wrong-binary", func(t *testing.T, dir string) string { return copyCore(t, c20.Path, dir) },
		[]string{other.Exe}})
	ms = append(ms, bundleMutants(rng)...)
	for _, m := range ms {
		t.Run(m.name, func(t *testing.T) { torture(t, m, rng.Uint64()) })
	}
	t.Logf("%d mutants, %d dcmd runs; exit status 0/1/2: %d/%d/%d; peak RSS at most %d MB",
		tortureMutants.Load(), tortureRuns.Load(), tortureExits[0].Load(), tortureExits[1].Load(),
		tortureExits[2].Load(), tortureMaxRSS.Load()>>20)
}

// torture runs the dcmds on one mutant and checks the contract.
func torture(t *testing.T, m mutant, seed uint64) {
	dir := t.TempDir()
	path := m.make(t, dir)
	in := map[string][32]byte{path: fileSum(t, path)}
	args := []string{}
	rng := rand.New(rand.NewPCG(seed, 1))
	addrs := tortureAddrs(path, rng)
	for i, d := range tortureDcmds {
		if strings.HasPrefix(d, "ADDR") {
			d = fmt.Sprintf("%#x", addrs[i%len(addrs)]) + d[len("ADDR"):]
		}
		args = append(args, "-e", d)
	}
	r := runChild(t, t.TempDir(), append(append(args, path), m.args...)...)
	tortureMutants.Add(1)
	tortureRuns.Add(int64(len(tortureDcmds)))
	if r.code < 0 || r.code > 2 {
		t.Errorf("exit %d", r.code)
	} else {
		tortureExits[r.code].Add(1)
	}
	for old := tortureMaxRSS.Load(); r.maxRSS > old && !tortureMaxRSS.CompareAndSwap(old, r.maxRSS); old = tortureMaxRSS.Load() {
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if len(lines) > len(tortureDcmds)+1 {
		t.Errorf("%d lines on stderr for %d dcmds", len(lines), len(tortureDcmds))
	}
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(l, "ndb: ") || strings.Contains(l, "internal error") {
			t.Errorf("stderr line %q", clip(l))
			break
		}
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "fatal error") {
		t.Errorf("runtime dump: %q", clip(r.stderr))
	}
	if r.maxRSS > childMaxRSS {
		t.Errorf("peak RSS %d MB", r.maxRSS>>20)
	}
	for p, sum := range in {
		if fileSum(t, p) != sum {
			t.Errorf("%s changed", p)
		}
	}
}

// tortureAddrs picks addresses in and around the mutant's PT_LOADs, and a
// few hostile ones.
func tortureAddrs(path string, rng *rand.Rand) []uint64 {
	addrs := []uint64{0, 1, 1<<64 - 1, 1<<64 - 8, 1 << 63, 0xffffffffff600000}
	if f, err := elf.Open(path); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Memsz > 0 {
				addrs = append(addrs, p.Vaddr+rng.Uint64N(p.Memsz)&^7|1, p.Vaddr+p.Memsz-8)
			}
		}
		f.Close()
	}
	rng.Shuffle(len(addrs), func(i, j int) { addrs[i], addrs[j] = addrs[j], addrs[i] })
	return addrs
}

// coreMutants: truncations, program header and note damage, heap damage,
// bit flips.
func coreMutants(t *testing.T, c *testnode.Core, rng *rand.Rand) []mutant {
	st, err := os.Stat(c.Path)
	if err != nil {
		t.Fatal(err)
	}
	size := st.Size()
	ps, _ := progs(t, c.Path)
	tag := c.Version + "-"
	edit := func(name string, fn func(t *testing.T, core string)) mutant {
		return mutant{tag + name, func(t *testing.T, dir string) string {
			core := copyCore(t, c.Path, dir)
			fn(t, core)
			return core
		}, []string{c.Exe}}
	}
	var ms []mutant
	for i := 0; i < 12; i++ {
		n := rng.Int64N(size)
		if i < 4 {
			n = []int64{0, 63, 64 + 56*3, 4096}[i]
		}
		ms = append(ms, edit(fmt.Sprintf("truncate-%d", n), func(t *testing.T, core string) {
			if err := os.Truncate(core, n); err != nil {
				t.Fatal(err)
			}
		}))
	}
	extremes := []uint64{0, 1, 1 << 62, 1 << 63, 1<<64 - 1, 1<<64 - 1<<18 + 0x1000, 1<<64 - 0x1000}
	fields := map[string]int64{"offset": 8, "vaddr": phVaddr, "filesz": phFilesz, "memsz": phMemsz}
	for i := 0; i < 40; i++ {
		ph := rng.IntN(len(ps))
		fname := []string{"offset", "vaddr", "filesz", "memsz"}[rng.IntN(4)]
		v := extremes[rng.IntN(len(extremes))]
		if i%4 == 3 {
			v = rng.Uint64()
		}
		ms = append(ms, edit(fmt.Sprintf("phdr%d-%s-%#x", ph, fname, v), func(t *testing.T, core string) {
			_, offs := progs(t, core)
			putU64(t, core, offs[ph]+fields[fname], v)
		}))
	}
	var note *elf.Prog
	for _, p := range ps {
		if p.Type == elf.PT_NOTE {
			note = p
		}
	}
	for i := 0; i < 20; i++ {
		at := int64(note.Off) + rng.Int64N(int64(note.Filesz))&^3
		v := uint32(rng.Uint64())
		if i%2 == 0 {
			v = []uint32{0, 0xffffffff, 0x7ffffff0, 1 << 20}[i/2%4]
		}
		ms = append(ms, edit(fmt.Sprintf("note-%d-%#x", at, v), func(t *testing.T, core string) {
			f, err := os.OpenFile(core, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var b [4]byte
			binary.LittleEndian.PutUint32(b[:], v)
			f.WriteAt(b[:], at)
		}))
	}
	heapSeg := ps[heapSegment(t, ps)]
	for i := 0; i < 20; i++ {
		flips := 1 << (i % 12)
		ms = append(ms, edit(fmt.Sprintf("heap-flips-%d-%d", i, flips), func(t *testing.T, core string) {
			flip(t, core, int64(heapSeg.Off), int64(heapSeg.Filesz), flips, rng.Uint64())
		}))
	}
	for i := 0; i < 12; i++ {
		flips := 1 << (i % 8)
		ms = append(ms, edit(fmt.Sprintf("file-flips-%d-%d", i, flips), func(t *testing.T, core string) {
			flip(t, core, 0, size, flips, rng.Uint64())
		}))
	}
	return ms
}

// flip xors random bytes of [off, off+n) of the file.
func flip(t *testing.T, path string, off, n int64, count int, seed uint64) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rng := rand.New(rand.NewPCG(seed, 2))
	var b [1]byte
	for i := 0; i < count && n > 0; i++ {
		at := off + rng.Int64N(n)
		f.ReadAt(b[:], at)
		b[0] ^= byte(1 << rng.IntN(8))
		f.WriteAt(b[:], at)
	}
}

// bundleMutants: truncations, flips behind a correct checksum, and index
// fields set to extreme values.
func bundleMutants(rng *rand.Rand) []mutant {
	var ms []mutant
	raw := func(name string, fn func([]byte) []byte) mutant {
		return mutant{"bundle-" + name, func(t *testing.T, dir string) string {
			b, err := os.ReadFile(example)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "m.ndb")
			if err := os.WriteFile(path, fn(b), 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, nil}
	}
	for i := 0; i < 8; i++ {
		frac := rng.Float64()
		ms = append(ms, raw(fmt.Sprintf("truncate-%.3f", frac), func(b []byte) []byte { return b[:int(float64(len(b))*frac)] }))
	}
	for i := 0; i < 16; i++ {
		seed, count := rng.Uint64(), 1<<(i%6)
		ms = append(ms, raw(fmt.Sprintf("flips-%d-%d", i, count), func(b []byte) []byte {
			r := rand.New(rand.NewPCG(seed, 3))
			for k := 0; k < count; k++ {
				b[32+r.IntN(len(b)-80)] ^= byte(1 << r.IntN(8))
			}
			return rehash(b)
		}))
	}
	extremes := []any{0, -1, 1 << 40, uint64(1<<64 - 1), 1 << 62, "x", nil}
	paths := [][]string{{"mem_size"}, {"segments", "0", "data_len"}, {"segments", "3", "start"}, {"segments", "3", "end"},
		{"segments", "5", "image"}, {"chunks", "0", "offset"}, {"chunks", "0", "length"}, {"chunks"},
		{"modules", "0", "symbols", "length"}, {"modules", "0", "extents", "0", "length"}, {"modules", "0", "paths"},
		{"exe_module"}, {"threads", "0", "regs"}, {"files", "0", "end"}, {"page_size"}, {"auxv"}}
	for i := 0; i < 26; i++ {
		p, v := paths[i%len(paths)], extremes[rng.IntN(len(extremes))]
		ms = append(ms, mutant{fmt.Sprintf("bundle-index-%s-%v", strings.Join(p, "."), v), func(t *testing.T, dir string) string {
			path := filepath.Join(dir, "m.ndb")
			rebundle(t, path, func(ix map[string]any, _ func([]byte) map[string]any) { setPath(ix, p, v) }, nil)
			return path
		}, nil})
	}
	return ms
}

// setPath sets the JSON value at p (object keys and array indexes).
func setPath(v any, p []string, x any) {
	for i, k := range p {
		last := i == len(p)-1
		switch c := v.(type) {
		case map[string]any:
			if last {
				c[k] = x
				return
			}
			v = c[k]
		case []any:
			n, err := strconv.Atoi(k)
			if err != nil || n >= len(c) {
				return
			}
			if last {
				c[n] = x
				return
			}
			v = c[n]
		default:
			return
		}
	}
}
