package flame

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

const testdata = "../testdata/flame"

// readTestdata returns a file of testdata/flame, decompressed if it is zstd.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".zst") {
		d, err := zstd.NewReader(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		b, err = d.DecodeAll(b, nil)
		if err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func foldBytes(t testing.TB, in []byte, opt FoldOptions) []byte {
	t.Helper()
	res, err := Fold(bytes.NewReader(in), opt)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteFolded(&out, res.Stacks); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// firstDiff describes the first differing line of two folds.
func firstDiff(got, want []byte) string {
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return "line " + itoa(i+1) + ":\n got: " + a + "\nwant: " + b
		}
	}
	return "same lines"
}

func itoa(i int) string { return string(weight{n: uint64(i)}.appendTo(nil)) }

// The references were produced by stackcollapse-perf.pl (FlameGraph commit
// 41fee1f) on the same input.
func TestFoldMatchesStackcollapsePerf(t *testing.T) {
	in := readTestdata(t, "perf-script.txt.zst")
	cases := []struct {
		want string
		opt  FoldOptions
	}{
		{"perf-script.folded.zst", FoldOptions{}},
		{"perf-script.kernel.folded.zst", FoldOptions{Kernel: true}},
		{"perf-script.jit.folded.zst", FoldOptions{JIT: true}},
		{"perf-script.all.folded.zst", FoldOptions{Kernel: true, JIT: true}},
		{"perf-script.addrs.folded.zst", FoldOptions{Addrs: true}},
		{"perf-script.pid.folded.zst", FoldOptions{PID: true}},
		{"perf-script.tid.folded.zst", FoldOptions{TID: true}},
		{"perf-script.folded.zst", FoldOptions{EventFilter: "cpu-clock:ppp"}},
	}
	for _, c := range cases {
		want := readTestdata(t, "expected/"+c.want)
		got := foldBytes(t, in, c.opt)
		if !bytes.Equal(got, want) {
			t.Errorf("%s with %+v differs: %s", c.want, c.opt, firstDiff(got, want))
		}
	}
	// The event name includes its modifiers: "cpu-clock" keeps nothing.
	if got := foldBytes(t, in, FoldOptions{EventFilter: "cpu-clock"}); len(got) != 0 {
		t.Errorf("--event-filter=cpu-clock kept %d bytes, want none", len(got))
	}
}

func TestFoldTotals(t *testing.T) {
	in := readTestdata(t, "perf-script.txt.zst")
	res, err := Fold(bytes.NewReader(in), FoldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Total().String(); got != "4997997993" {
		t.Errorf("total period %s, want 4997997993 (4,993 x 1,001,001)", got)
	}
	if res.Samples != 4993 || len(res.Stacks) != 818 || res.Event != "cpu-clock:ppp" {
		t.Errorf("samples %d stacks %d event %q, want 4993, 818, cpu-clock:ppp",
			res.Samples, len(res.Stacks), res.Event)
	}
	res, err = Fold(bytes.NewReader(in), FoldOptions{Samples: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Total().String(); got != "4993" {
		t.Errorf("--weight=samples total %s, want 4993", got)
	}
}

// edge.perf.txt packs corner cases of the Perl folder (inline chains, Go and
// C++ names, quotes, [unknown], pid/tid forms, zero and missing periods,
// event filtering, unterminated samples, overflowing periods).
func TestFoldEdgeCases(t *testing.T) {
	in := readTestdata(t, "edge.perf.txt")
	cases := []struct {
		want string
		opt  FoldOptions
	}{
		{"edge.default.folded", FoldOptions{}},
		{"edge.pid.folded", FoldOptions{PID: true}},
		{"edge.tid.folded", FoldOptions{TID: true}},
		{"edge.kernel.folded", FoldOptions{Kernel: true}},
		{"edge.jit.folded", FoldOptions{JIT: true}},
		{"edge.all.folded", FoldOptions{Kernel: true, JIT: true}},
		{"edge.addrs.folded", FoldOptions{Addrs: true}},
		{"edge.ef-cpuclock.folded", FoldOptions{EventFilter: "cpu-clock:ppp"}},
		{"edge.ef-cpuclock-tid-all-addrs.folded", FoldOptions{EventFilter: "cpu-clock:ppp", TID: true, Kernel: true, JIT: true, Addrs: true}},
		{"edge.ef-cyclesu.folded", FoldOptions{EventFilter: "cycles:u"}},
		{"edge.ef-ev.folded", FoldOptions{EventFilter: "ev"}},
		{"edge.ef-cycles.folded", FoldOptions{EventFilter: "cycles"}},
	}
	for _, c := range cases {
		want := readTestdata(t, "expected/"+c.want)
		got := foldBytes(t, in, c.opt)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs: %s", c.want, firstDiff(got, want))
		}
	}
}

// Chunk boundaries must not change the fold: split the input at many
// places by folding it through a reader that returns few bytes at a time.
func TestFoldChunking(t *testing.T) {
	in := readTestdata(t, "perf-script.txt.zst")
	want := readTestdata(t, "expected/perf-script.folded.zst")
	var big bytes.Buffer
	for i := 0; i < 3; i++ {
		big.Write(in)
	}
	res, err := Fold(&smallReader{r: bytes.NewReader(big.Bytes()), n: 4093}, FoldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := WriteFolded(&got, res.Stacks); err != nil {
		t.Fatal(err)
	}
	// Three copies: every weight is tripled.
	wl := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
	gl := strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n")
	if len(wl) != len(gl) {
		t.Fatalf("%d stacks, want %d", len(gl), len(wl))
	}
	for i := range wl {
		sp := strings.LastIndexByte(wl[i], ' ')
		var n uint64
		for _, c := range wl[i][sp+1:] {
			n = n*10 + uint64(c-'0')
		}
		exp := wl[i][:sp+1] + itoa(int(3*n))
		if gl[i] != exp {
			t.Fatalf("line %d: got %q want %q", i+1, gl[i], exp)
		}
	}
}

type smallReader struct {
	r interface{ Read([]byte) (int, error) }
	n int
}

func (s *smallReader) Read(p []byte) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.Read(p)
}
