package flame

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/google/pprof/profile"
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
	// the recording was made with --perf-basic-prof alone, as the quick
	// start of old said: most of its JavaScript frames are trampolines
	r := run(t, nil, "--minwidth=0.1", path)
	wantWarning := "ndb flame: warning: " + path + ": 72% of the JavaScript frames are unnamed interpreter frames (Builtins_InterpreterEntryTrampoline); record with node --interpreted-frames-native-stack to name them\n"
	if r.status != 0 || r.stderr != wantWarning {
		t.Fatalf("status %d, stderr %q, want %q", r.status, r.stderr, wantWarning)
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
	if r2 := run(t, nil, "--minwidth=0.1", path); r2.stdout != svg {
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
	r := run(t, nil, "--diff", "--folded", "--strip-js=false", before, after)
	want := "node;JS:*fib /app.js:12:13 4 0\nnode;JS:^fib /app.js:14:13 0 6\nnode;a;b 10 5\nnode;a;c 10 20\n"
	if r.status != 0 || r.stdout != want {
		t.Errorf("diff folded: status %d\n%s\nwant\n%s%s", r.status, r.stdout, want, r.stderr)
	}
	// by default a diff lines up the same function across tiers and edits
	r = run(t, nil, "--diff", "--folded", before, after)
	want = "node;JS:fib /app.js 4 6\nnode;a;b 10 5\nnode;a;c 10 20\n"
	if r.status != 0 || r.stdout != want {
		t.Errorf("diff folded, default: status %d\n%s\nwant\n%s%s", r.status, r.stdout, want, r.stderr)
	}
	r = run(t, nil, "--diff", "--folded", "--normalize", before, after)
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
	// the recording has churnGarbage in two tiers (JS:^ and JS:*): a diff makes
	// them one function, unless --strip-js=false
	tiers := func(svg string) map[string]bool {
		m := map[string]bool{}
		for _, ti := range titles(svg) {
			if strings.Contains(ti, "churnGarbage") {
				m[ti[:strings.Index(ti, " (")]] = true
			}
		}
		return m
	}
	if got := tiers(r.stdout); len(got) != 1 || !got["JS:churnGarbage /work/steering/research/flame-app/app.js"] {
		t.Errorf("diff frames of churnGarbage: %v", got)
	}
	r = run(t, nil, "--diff", "--strip-js=false", path, path)
	if got := tiers(r.stdout); !got["JS:^churnGarbage /work/steering/research/flame-app/app.js:48:22"] || !got["JS:*churnGarbage /work/steering/research/flame-app/app.js:48:22"] {
		t.Errorf("diff --strip-js=false frames of churnGarbage: %v", got)
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
		"LazyCompile:*g file:///a.mjs:2": "JS:g file:///a.mjs",
		"Function:~h /b.js:1:2+0x1c":     "JS:h /b.js",
		"[perf-10178.map]_[j]":           "[perf-map]_[j]",
		"[perf-10178.map <7f0012ab>]":    "[perf-map]",
		"[libfoo.so.1 <401000>]":         "[libfoo.so.1]",
		"[unknown]":                      "[unknown]",
		"[perf-x.map]":                   "[perf-x.map]",
		"(garbage collector)":            "(garbage collector)",
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
	checkPprofAgainstFolds(t, out, path)
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

// checkPprofAgainstFolds parses the pprof profile at out and compares it
// with the folds of the perf script at in, folded as ndb flame folds for
// pprof: sample counts, total period, frames, top frame and mappings.
func checkPprofAgainstFolds(t *testing.T, out, in string) {
	t.Helper()
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	prof, err := profile.Parse(f)
	if err != nil {
		t.Fatalf("profile.Parse: %v", err)
	}
	if err := prof.CheckValid(); err != nil {
		t.Fatalf("CheckValid: %v", err)
	}
	src, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	res, err := Fold(src, FoldOptions{Kernel: true, JIT: true, MarkTruncated: true})
	if err != nil {
		t.Fatal(err)
	}

	var types []string
	for _, st := range prof.SampleType {
		types = append(types, st.Type+"/"+st.Unit)
	}
	if got := strings.Join(types, " "); got != "samples/count cpu/nanoseconds" || prof.DefaultSampleType != "cpu" {
		t.Errorf("sample types %q, default %q; want samples/count cpu/nanoseconds, default cpu", got, prof.DefaultSampleType)
	}
	if len(prof.Comments) != 1 || prof.Comments[0] != "perf event cpu-clock:ppp" {
		t.Errorf("comments %q", prof.Comments)
	}

	// exact totals
	var count, period uint64
	flat := map[string]int64{} // by leaf function
	frames := map[string]bool{}
	for _, s := range prof.Sample {
		if len(s.Value) != 2 {
			t.Fatalf("sample with %d values", len(s.Value))
		}
		count += uint64(s.Value[0])
		period += uint64(s.Value[1])
		flat[s.Location[0].Line[0].Function.SystemName] += s.Value[1]
	}
	wantFlat := map[string]int64{}
	for _, s := range res.Stacks {
		fr := strings.Split(s.Frames, ";")
		wantFlat[fr[len(fr)-1]] += int64(s.Weight.n)
		for _, f := range fr {
			frames[f] = true
		}
	}
	if total := res.Total(); total.float || count != uint64(res.Samples) || period != total.n {
		t.Errorf("pprof totals %d samples, %d ns; folds %d samples, %s ns", count, period, res.Samples, total)
	}
	if count != 4993 || period != 4997997993 {
		t.Errorf("pprof totals %d samples, %d ns; want 4993 samples, 4997997993 ns", count, period)
	}

	// the top frame by flat weight
	top := func(m map[string]int64) (string, int64) {
		var name string
		var v int64
		for k, w := range m {
			if w > v || w == v && k < name {
				name, v = k, w
			}
		}
		return name, v
	}
	gotTop, gotV := top(flat)
	wantTop, wantV := top(wantFlat)
	if gotTop != wantTop || gotV != wantV || !strings.HasPrefix(wantTop, "JS:*") {
		t.Errorf("top frame %q (%d ns), folds %q (%d ns)", gotTop, gotV, wantTop, wantV)
	}

	// one location and one function per distinct frame
	if len(prof.Location) != len(frames) || len(prof.Function) != len(frames) {
		t.Errorf("%d locations, %d functions; folds have %d distinct frames", len(prof.Location), len(prof.Function), len(frames))
	}
	mapping := map[string]string{}
	for _, l := range prof.Location {
		fn := l.Line[0].Function
		if !frames[fn.SystemName] || fn.Name != stripAnnotation(fn.SystemName) {
			t.Errorf("function %q (system name %q) is not a frame of the folds", fn.Name, fn.SystemName)
		}
		if l.Mapping != nil {
			mapping[fn.SystemName] = l.Mapping.File
		}
	}

	// one mapping per DSO, the executable first
	var files []string
	for _, m := range prof.Mapping {
		files = append(files, m.File)
		if !m.HasFunctions {
			t.Errorf("mapping %s: HasFunctions is false", m.File)
		}
	}
	wantFiles := "/usr/bin/node /tmp/perf-10178.map /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30 [kernel.kallsyms] [vdso]"
	if got := strings.Join(files, " "); got != wantFiles {
		t.Errorf("mappings\n%s\nwant\n%s", got, wantFiles)
	}
	for frame, file := range map[string]string{
		"sha256_block_data_order_shaext": "/usr/bin/node",
		wantTop:                          "/tmp/perf-10178.map",
		"asm_exc_page_fault_[k]":         "[kernel.kallsyms]",
		"__libc_start_call_main":         "/usr/lib/x86_64-linux-gnu/libc.so.6",
		"node":                           "", // the comm
		truncatedFrame:                   "",
	} {
		if mapping[frame] != file {
			t.Errorf("frame %q in mapping %q, want %q", frame, mapping[frame], file)
		}
	}
}

func TestPprofOtherInputs(t *testing.T) {
	for _, c := range []struct {
		name, file string
		args       []string
		types      string
	}{
		{"cpuprofile", "app.cpuprofile.zst", nil, "samples/count cpu/microseconds"},
		{"cpuprofile samples", "app.cpuprofile.zst", []string{"--weight=samples"}, "samples/count"},
		{"perf samples", "perf-script.txt.zst", []string{"--weight=samples"}, "samples/count"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeTemp(t, c.file, mustRead(t, c.file))
			r := run(t, nil, append(c.args, "--format=pprof", path)...)
			if r.status != 0 {
				t.Fatalf("status %d: %s", r.status, r.stderr)
			}
			prof, err := profile.ParseData([]byte(r.stdout))
			if err != nil {
				t.Fatal(err)
			}
			var types []string
			for _, st := range prof.SampleType {
				types = append(types, st.Type+"/"+st.Unit)
			}
			if got := strings.Join(types, " "); got != c.types {
				t.Errorf("sample types %q, want %q", got, c.types)
			}
			var n int64
			for _, s := range prof.Sample {
				n += s.Value[0]
			}
			if c.file == "perf-script.txt.zst" && n != 4993 {
				t.Errorf("%d samples, want 4993", n)
			}
			if n <= 0 {
				t.Errorf("%d samples", n)
			}
		})
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
	// bad input of any kind: status 2, one line, no output
	noOutput := func(name string, r runResult, contains string) {
		t.Helper()
		oneLine(name, r, 2, contains)
		if r.stdout != "" {
			t.Errorf("%s: wrote %.100q", name, r.stdout)
		}
	}
	noOutput("text", run(t, []byte("hello world\nthis is not perf\n"), "--folded"), "not perf script output")
	noOutput("binary", run(t, []byte("\x7fELF\x02\x01\x01\x00\x00\x00binary"), "-"), "binary data")
	noOutput("missing file", run(t, nil, "/nonexistent/perf.txt"), "no such file")
	noOutput("directory", run(t, nil, t.TempDir()), "not a regular file (a directory)")
	noOutput("device", run(t, nil, "/dev/null"), "not a regular file")
	noOutput("bad json", run(t, []byte("{\"nodes\": 3}")), ".cpuprofile")
	bad := run(t, nil, "--weight=bytes")
	if bad.status != 2 || !strings.HasPrefix(bad.stderr, "ndb flame: --weight") {
		t.Errorf("bad flag: %d %q", bad.status, bad.stderr)
	}

	// truncated: cut inside a sample. perf script ends every sample with a
	// blank line, so a graph of the rest would hide that samples are lost.
	cut := bytes.Index(rec[len(rec)/2:], []byte("\n\n")) + len(rec)/2 + 2
	trunc := rec[:cut+200]
	noOutput("truncated", run(t, trunc, "--folded"), "truncated")
	noOutput("truncated svg", run(t, trunc), "ends inside a sample")
	// the complete part alone is fine
	if r := run(t, rec[:cut], "--folded"); r.status != 0 || r.stdout != string(foldBytes(t, rec[:cut], FoldOptions{})) {
		t.Errorf("complete samples: status %d, or not folded as the Perl folder does", r.status)
	}
	// with -o, nothing is written either, and no temporary is left
	dir := t.TempDir()
	out := filepath.Join(dir, "flame.svg")
	oneLine("truncated -o", run(t, trunc, "-o", out), 2, "truncated")
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("truncated input left %v in the output directory", ents)
	}

	// empty input: status 2, no output
	for _, in := range []string{"", "\n\n", "# only a comment\n"} {
		noOutput("empty", run(t, []byte(in)), "no samples")
	}
	// zstd input works from stdin
	z := mustRead(t, "perf-script.txt.zst")
	if r := run(t, z, "--folded"); r.status != 0 || r.stdout != string(readTestdata(t, "expected/perf-script.folded.zst")) {
		t.Errorf("zstd stdin: status %d", r.status)
	}
}

// -o never replaces an input, a device or (without --force) an existing
// file, and an input that is not a regular file is never opened for reading.
func TestOutputPath(t *testing.T) {
	in := recordingPath(t)
	dir := t.TempDir()
	before, _ := os.ReadFile(in)
	one := func(name string, r runResult, contains string) {
		t.Helper()
		if r.status != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, contains) {
			t.Errorf("%s: status %d, stderr %q; want 2 and one line with %q", name, r.status, r.stderr, contains)
		}
	}
	one("input", run(t, nil, "--force", "-o", in, in), "is the input")
	one("device", run(t, nil, "--force", "-o", "/dev/null", in), "not a regular file")
	one("directory", run(t, nil, "--force", "-o", dir, in), "not a regular file")
	if after, _ := os.ReadFile(in); !bytes.Equal(before, after) {
		t.Fatal("the input changed")
	}
	out := filepath.Join(dir, "flame.svg")
	os.WriteFile(out, []byte("old"), 0o600)
	one("exists", run(t, nil, "-o", out, in), "exists; use --force to replace it")
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Error("an existing file was replaced without --force")
	}
	r := run(t, nil, "--minwidth=0.1", "--force", "-o", out, in)
	b, _ := os.ReadFile(out)
	st, _ := os.Stat(out)
	if r.status != 0 || r.stdout != "" || !bytes.HasSuffix(b, []byte("</svg>\n")) || st.Mode().Perm() != 0o644 {
		t.Errorf("--force: status %d, %d bytes, mode %v", r.status, len(b), st.Mode())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left %v in the output directory", ents)
	}
	// a FIFO as input is refused at once, not read (the open would block)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	one("fifo", run(t, nil, fifo), "not a regular file")
}
