package flame

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

func recordingPath(t *testing.T) string {
	return writeTemp(t, "perf-script.txt", readTestdata(t, "perf-script.txt.zst"))
}

// titles returns the tooltips of the frames of an SVG.
func titles(svg string) []string {
	re := regexp.MustCompile(`<title>([^<]*)</title>`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestSVG(t *testing.T) {
	path := recordingPath(t)
	r := run(t, nil, path)
	if r.status != 0 || r.stderr != "" {
		t.Fatalf("status %d, stderr %q", r.status, r.stderr)
	}
	svg := r.stdout
	// well-formed XML
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v", err)
		}
	}
	// deterministic
	if r2 := run(t, nil, path); r2.stdout != svg {
		t.Error("two renderings of the same input differ")
	}
	ts := titles(svg)
	if len(ts) == 0 || ts[0] != "all (4,997,997,993 ns, 100%)" {
		t.Errorf("root tooltip %q, want all (4,997,997,993 ns, 100%%)", ts[0])
	}
	for _, want := range []string{
		"Flame Graph", "Reset Zoom", "Search", ">ic<", "4,993 samples",
		"sum of sample periods in ns",
		"JS optimized (TurboFan, JS:*) 26.0%", // leaf mix of the recording
		"kernel 5.6%", "stack cut at perf&#39;s 127-frame limit",
		"[truncated: perf 127-frame limit] (4,004,004 ns, 0.08%; perf recorded only the innermost 127 frames",
		"JS:*fib /work/steering/research/flame-app/app.js:12:13 (",
		"function search(term)", "function zoom(g)", "history.replaceState",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// kernel annotations are used for colours but not shown
	if strings.Contains(svg, "_[k]") || strings.Contains(svg, "_[j]") {
		t.Error("SVG shows _[k]/_[j] annotations")
	}

	// options
	r = run(t, nil, "--weight=samples", "--inverted", "--width=800", "--title=T & T", path)
	if !strings.Contains(r.stdout, `width="800"`) || !strings.Contains(r.stdout, ">T &amp; T<") ||
		!strings.Contains(r.stdout, "all (4,993 samples, 100%)") || !strings.Contains(r.stdout, "sample counts") {
		t.Errorf("--weight=samples --inverted --width --title not applied")
	}
	r = run(t, nil, "--minwidth=5%", path)
	if n, all := len(titles(r.stdout)), len(ts); n >= all/10 || n == 0 {
		t.Errorf("--minwidth=5%% kept %d of %d frames", n, all)
	}
	r = run(t, nil, "--flamechart", "--countname=units", path)
	if !strings.Contains(r.stdout, ">Flame Chart<") || !strings.Contains(r.stdout, "all (4,997,997,993 units, 100%)") {
		t.Errorf("--flamechart --countname not applied")
	}
	// a flame chart has more frames than a merged graph
	if len(titles(r.stdout)) <= len(ts) {
		t.Errorf("flame chart has %d frames, flame graph %d", len(titles(r.stdout)), len(ts))
	}
	r = run(t, nil, "--reverse", path)
	if !strings.Contains(r.stdout, "<title>__libc_start_call_main (") || strings.Contains(r.stdout, "\n<g data-x=\"0\" data-w=\"4997997993\" data-d=\"1\" data-l=\"4\"><title>node (") {
		t.Errorf("--reverse: roots are not the leaves")
	}
}

func TestClassify(t *testing.T) {
	for name, want := range map[string]Kind{
		"JS:*fib /app.js:12:13_[j]":                          KindJSTurbofan,
		"JS:+f a.js:1:1":                                     KindJSMaglev,
		"JS:^tick /app.js:103:14":                            KindJSSparkplug,
		"LazyCompile:~g x.js:1":                              KindJSInterpreted,
		"Builtins_InterpreterEntryTrampoline":                KindJSInterpreted,
		"Builtins_ArrayTimSort":                              KindBuiltin,
		"RegExp:user_[j]":                                    KindRegExp,
		"v8::internal::Heap::CollectGarbage":                 KindGC,
		"v8::internal::ScavengerCollector::CollectGarbage":   KindGC,
		"v8::internal::MarkCompactCollector::CollectGarbage": KindGC,
		"v8::internal::compiler::PipelineImpl::Run":          KindCompiler,
		"v8::internal::Runtime_StringAdd":                    KindV8,
		"node::crypto::Hash::HashUpdate":                     KindNode,
		"uv_run":                                             KindLibuv,
		"do_syscall_64_[k]":                                  KindKernel,
		"deflate_slow":                                       KindNative,
		truncatedFrame:                                       KindTruncated,
	} {
		if got := classify(name, 3); got != want {
			t.Errorf("classify(%q) = %v, want %v", name, got, want)
		}
	}
	if classify("node", 1) != KindProcess {
		t.Error("depth-1 frames are the process")
	}
}

func TestDiff(t *testing.T) {
	before := writeTemp(t, "before.folded", []byte("node;a;b 10\nnode;a;c 10\nnode;JS:*fib /app.js:12:13 4\n"))
	after := writeTemp(t, "after.folded", []byte("node;a;b 5\nnode;a;c 20\nnode;JS:^fib /app.js:14:13 6\n"))
	r := run(t, nil, "--diff", "--folded", before, after)
	want := "node;JS:*fib /app.js:12:13 4 0\nnode;JS:^fib /app.js:14:13 0 6\nnode;a;b 10 5\nnode;a;c 10 20\n"
	if r.status != 0 || r.stdout != want {
		t.Errorf("diff folded: status %d\n%s\nwant\n%s%s", r.status, r.stdout, want, r.stderr)
	}
	r = run(t, nil, "--diff", "--folded", "--strip-js", "--normalize", before, after)
	// totals 24 and 31: BEFORE is scaled by 31/24 and truncated
	want = "node;JS:fib /app.js 5 6\nnode;a;b 12 5\nnode;a;c 12 20\n"
	if r.stdout != want {
		t.Errorf("diff --strip-js --normalize:\n%s\nwant\n%s%s", r.stdout, want, r.stderr)
	}
	r = run(t, nil, "--diff", before, after)
	svg := r.stdout
	for _, want := range []string{
		"Differential Flame Graph", "c (20 samples, 64.52%; +32.26%)", "b (5 samples, 16.13%; -16.13%)",
		"red: grew", "blue: shrank",
	} {
		if !strings.Contains(svg, want) {
			t.Errorf("diff SVG lacks %q", want)
		}
	}
	// c grew the most: full red; b shrank: blue
	if !regexp.MustCompile(`<title>c \([^<]*</title><rect [^>]*fill="rgb\(255,0,0\)"`).MatchString(svg) {
		t.Error("grown frame is not red")
	}
	if !regexp.MustCompile(`<title>b \([^<]*</title><rect [^>]*fill="rgb\(105,105,255\)"`).MatchString(svg) {
		t.Error("shrunk frame is not blue")
	}
	// perf script inputs work too; a recording against itself is all white
	path := recordingPath(t)
	r = run(t, nil, "--diff", path, path)
	frames := r.stdout[strings.Index(r.stdout, `<g id="frames">`):strings.Index(r.stdout, `<g id="legend">`)]
	if r.status != 0 || strings.Count(frames, `fill="rgb(255,255,255)"`) != strings.Count(frames, "<rect") {
		t.Errorf("self-diff: status %d, not all white", r.status)
	}
}

func TestStripJS(t *testing.T) {
	for in, want := range map[string]string{
		"JS:*fib /app.js:12:13":          "JS:fib /app.js",
		"JS:~ node:internal/main:1:1":    "JS: node:internal/main",
		"JS:^f /a.js:3:4_[j]":            "JS:f /a.js_[j]",
		"fib /x/app.js:12:13":            "fib /x/app.js",
		"v8::internal::Heap::Scavenge":   "v8::internal::Heap::Scavenge",
		"node::Start":                    "node::Start",
		"LazyCompile:*g file:///a.mjs:2": "LazyCompile:g file:///a.mjs",
	} {
		if got := stripJS(in); got != want {
			t.Errorf("stripJS(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCPUProfile(t *testing.T) {
	path := writeTemp(t, "app.cpuprofile.zst", mustRead(t, "app.cpuprofile.zst"))
	r := run(t, nil, "--folded", "--weight=samples", path)
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	var total, gc float64
	fib := false
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		stack, v, ok := parseFoldedLine(l)
		if !ok {
			t.Fatalf("bad folded line %q", l)
		}
		total += v
		if strings.HasSuffix(stack, "(garbage collector)") {
			gc += v
		}
		// 0-based lines in the file, 1-based in names (as the perf map)
		if strings.Contains(stack, "fib file:///") && strings.Contains(stack, "app.js:12:13") {
			fib = true
		}
	}
	if total != 4372 {
		t.Errorf("%v samples, want 4372", total)
	}
	if pct := 100 * gc / total; pct < 8.5 || pct > 9.5 {
		t.Errorf("GC %.1f%% of samples, want about 9.0%%", pct)
	}
	if !fib {
		t.Error("no fib frame at app.js:12:13")
	}
	r = run(t, nil, path)
	if r.status != 0 || !strings.Contains(r.stdout, "(garbage collector) (") || !strings.Contains(r.stdout, "µs") {
		t.Errorf("cpuprofile SVG: status %d %s", r.status, r.stderr)
	}
}

func mustRead(t *testing.T, name string) []byte {
	b, err := os.ReadFile(testdata + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPprof(t *testing.T) {
	path := recordingPath(t)
	out := writeTemp(t, "x", nil) + ".pb.gz"
	r := run(t, nil, "--format=pprof", "-o", out, path)
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to run go tool pprof")
	}
	b, err := exec.Command(goCmd, "tool", "pprof", "-top", "-nodecount=3", out).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof: %v\n%s", err, b)
	}
	s := string(b)
	if !strings.Contains(s, "Type: cpu") || !strings.Contains(s, "of 4998ms total") || !strings.Contains(s, "sha256_block_data_order_shaext") {
		t.Errorf("go tool pprof -top:\n%s", s)
	}
}

func TestSpeedscope(t *testing.T) {
	path := recordingPath(t)
	r := run(t, nil, "--format=speedscope", path)
	var f struct {
		Schema string `json:"$schema"`
		Shared struct {
			Frames []struct{ Name string }
		}
		Profiles []struct {
			Type, Unit string
			EndValue   float64
			Samples    [][]int
			Weights    []float64
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &f); err != nil {
		t.Fatal(err)
	}
	p := f.Profiles[0]
	if f.Schema != "https://www.speedscope.app/file-format-schema.json" || p.Type != "sampled" ||
		p.Unit != "nanoseconds" || p.EndValue != 4997997993 || len(p.Samples) != len(p.Weights) {
		t.Errorf("speedscope: %s %s %s %v %d/%d", f.Schema, p.Type, p.Unit, p.EndValue, len(p.Samples), len(p.Weights))
	}
	if f.Shared.Frames[p.Samples[0][0]].Name != "node" {
		t.Errorf("samples do not start at the root")
	}
}

func TestBadInput(t *testing.T) {
	rec := readTestdata(t, "perf-script.txt.zst")
	oneLine := func(name string, r runResult, status int, contains string) {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: status %d, want %d", name, r.status, status)
		}
		if !strings.HasPrefix(r.stderr, "ndb flame: ") || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, contains) {
			t.Errorf("%s: stderr %q, want one line with %q", name, r.stderr, contains)
		}
	}
	oneLine("text", run(t, []byte("hello world\nthis is not perf\n"), "--folded"), 1, "not perf script output")
	oneLine("binary", run(t, []byte("\x7fELF\x02\x01\x01\x00\x00\x00binary"), "-"), 1, "binary data")
	oneLine("missing file", run(t, nil, "/nonexistent/perf.txt"), 1, "no such file")
	oneLine("bad json", run(t, []byte("{\"nodes\": 3}")), 1, ".cpuprofile")
	bad := run(t, nil, "--weight=bytes")
	if bad.status != 2 || !strings.HasPrefix(bad.stderr, "ndb flame: --weight") {
		t.Errorf("bad flag: %d %q", bad.status, bad.stderr)
	}

	// truncated: cut inside a sample; the complete samples are still folded
	cut := bytes.Index(rec[len(rec)/2:], []byte("\n\n")) + len(rec)/2 + 2
	trunc := rec[:cut+200]
	r := run(t, trunc, "--folded")
	oneLine("truncated", r, 1, "truncated")
	if want := string(foldBytes(t, rec[:cut], FoldOptions{})); r.stdout != want {
		t.Errorf("truncated input: the complete samples are not folded as the Perl folder does")
	}

	// empty input: an SVG that says so, status 2
	for _, in := range []string{"", "\n\n", "# only a comment\n"} {
		r := run(t, []byte(in))
		if r.status != 2 || !strings.Contains(r.stdout, "No samples in the input") || !strings.Contains(r.stdout, "</svg>") {
			t.Errorf("empty input %q: status %d, svg %.100q", in, r.status, r.stdout)
		}
		oneLine("empty", r, 2, "no samples")
	}
	// zstd input works from stdin
	z := mustRead(t, "perf-script.txt.zst")
	if r := run(t, z, "--folded"); r.status != 0 || r.stdout != string(readTestdata(t, "expected/perf-script.folded.zst")) {
		t.Errorf("zstd stdin: status %d", r.status)
	}
}
