// Package golden records what every dcmd prints, in text and JSON, on the
// bundles of testdata/cores, so that a refactoring that changes one byte of
// output fails here. Run with -update to record the files again.
package golden

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/internal/testcores"
	"github.com/ndb-debugger/ndb/repl"
)

var update = flag.Bool("update", false, "record the golden files again")

const (
	coresDir  = "../../testdata/cores"
	goldenDir = "../../testdata/golden"
	// An output longer than maxBytes keeps about keepBytes of its head
	// (lines cut at maxLine) and the digest of the whole, so the files stay
	// small enough to review while any changed byte still fails.
	maxBytes  = 1536
	keepBytes = 400
	maxLine   = 240
	// JavaScript frames of ::jsstack that the frame dcmds run on.
	maxFrames = 4
)

// Constructors whose first census representative the object dcmds run on,
// with the dcmds that only some kinds of object take.
var probeConstructors = []struct {
	name  string
	extra []string
}{
	{"Error", nil},
	{"Map", nil},
	{"Set", nil},
	{"WeakMap", nil},
	{"RegExp", nil},
	{"Uint8Array", []string{"::nodebuffer"}},
	{"ArrayBuffer", []string{"::nodebuffer"}},
	{"Array", []string{"::jsarray", "::jsarray -i"}},
	{"OrderProcessor", []string{"::jsprint -a", "::jsprint -d 1 -N 3", "::jsconstructor -v", "::dump -n 48", "::findjsrefs -v", "::jsarray"}},
	{"LeakTarget", []string{"::findjsrefs -v", "::jsroots -n 3"}},
	{"LeakRequest", []string{"::jsprint -d 1", "::findjsobjects"}},
}

// Dcmds every probed object gets.
var objectCommands = []string{"::jsprint", "::jsconstructor", "::v8type", "::v8print", "::findjsrefs", "::jsroots -n 2"}

// Dcmds every probed function gets.
var functionCommands = []string{"::jsfunction", "::jssource -n 3", "::jsclosure", "::jsprint", "::v8print", "::findjsrefs"}

// Functions (by exact name) every function dcmd runs on.
var probeFunctions = []string{"validate", "check", "leakKeeper", "listOnTimeout"}

// Commands that take no address.
var plainCommands = []string{
	"::dcmds",
	"::status",
	"::threads",
	"::mappings",
	"::v8constants",
	"::v8constants JSFunction",
	"::jsstack",
	"::jsstack -v",
	"::jsstack -a",
	"::jsstack -v -a",
	"::jsstack -n",
	"::jsstack -t all",
	"::jsstack -f validate",
	"::findjsobjects",
	"::findjsobjects -s",
	"::findjsobjects -l",
	"::findjsobjects -m",
	"::findjsobjects -v",
	"::findjsobjects -k closure",
	"::findjsobjects -k string",
	"::findjsobjects -k dict",
	"::findjsobjects -p id",
	"::findjsobjects -a",
	"::findjsobjects -r -s",
	"::jsawaits",
	"::jsawaits -v",
	"::jsfunctions",
	"::jsfunctions -n validate",
	"::jsfunctions -s crash.js",
	"::jsfunctions -s leak.js",
}

func TestGolden(t *testing.T) {
	bundles, err := filepath.Glob(filepath.Join(coresDir, "*.ndb"))
	if err != nil || len(bundles) == 0 {
		t.Fatalf("no bundles in %s: %v", coresDir, err)
	}
	for _, path := range bundles {
		name := strings.TrimSuffix(filepath.Base(path), ".ndb")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := record(t, path)
			golden := filepath.Join(goldenDir, name+".txt")
			if *update {
				if err := os.MkdirAll(goldenDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/golden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s:\n%s", golden, firstDifference(want, got))
			}
		})
	}
}

// session opens a bundle as cmd/ndb does.
func session(t *testing.T, path string) *commands.Session {
	tg := testcores.Target(t, path, "")
	return commands.NewSession(tg.Proc, tg.Meta)
}

type recorder struct {
	t   *testing.T
	s   *commands.Session
	buf bytes.Buffer
}

// run runs one command line and returns its stdout and stderr.
func (r *recorder) run(line string, asJSON bool) (string, string) {
	var out, errOut bytes.Buffer
	runner := &repl.Runner{S: r.s, Out: &out, Err: &errOut, JSON: asJSON}
	if err := runner.Exec(context.Background(), line); err != nil {
		r.t.Fatalf("%s: %v", line, err)
	}
	return out.String(), errOut.String()
}

// record runs line in text and JSON and appends both to the golden text.
func (r *recorder) record(line string) {
	for _, asJSON := range []bool{false, true} {
		out, errOut := r.run(line, asJSON)
		mode := "text"
		if asJSON {
			mode = "json"
		}
		if asJSON {
			r.checkRecords(line, out)
		}
		fmt.Fprintf(&r.buf, "### %s (%s)\n%s", line, mode, abridge(scrub(out)))
		if errOut != "" {
			fmt.Fprintf(&r.buf, "--- stderr\n%s", abridge(scrub(errOut)))
		}
	}
}

// checkRecords checks that each JSON line a dcmd printed is one of the
// record types its ::help documents: no field the type lacks.
func (r *recorder) checkRecords(line, out string) {
	name, _, _ := strings.Cut(line[strings.Index(line, "::")+2:], " ")
	c := commands.Lookup(name)
	alts := commands.RecordAlternatives(c.Record)
	if len(alts) == 0 {
		return
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		ok := false
		for _, a := range alts {
			d := json.NewDecoder(strings.NewReader(l))
			d.DisallowUnknownFields()
			if d.Decode(reflect.New(reflect.TypeOf(a.Record)).Interface()) == nil {
				ok = true
				break
			}
		}
		if !ok {
			r.t.Errorf("%s: %s is none of the record types ::help %s documents", line, commands.Truncate(l, 200), name)
		}
	}
}

// jsonRecords runs line with --json and decodes each output line.
func (r *recorder) jsonRecords(line string) []map[string]any {
	out, _ := r.run(line, true)
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			recs = append(recs, m)
		}
	}
	return recs
}

func record(t *testing.T, path string) []byte {
	r := &recorder{t: t, s: session(t, path)}
	for _, c := range plainCommands {
		r.record(c)
	}
	r.recordFrames()
	r.recordFunctions()
	r.recordObjects()
	r.record("::diff " + path)
	return r.buf.Bytes()
}

// recordFrames runs the frame dcmds on every JavaScript frame of the stack
// and disassembles at the innermost pc.
func (r *recorder) recordFrames() {
	frames := 0
	for i, f := range r.jsonRecords("::jsstack") {
		fp, _ := f["fp"].(string)
		pc, _ := f["pc"].(string)
		if i == 0 && pc != "" {
			r.record(pc + "::dis -n 6")
		}
		if f["kind"] != "js" || fp == "" || frames == maxFrames {
			continue
		}
		frames++
		r.record(fp + "::jsframe")
		r.record(fp + "::jsframe -v -n 2")
	}
}

func (r *recorder) recordFunctions() {
	for _, name := range probeFunctions {
		for _, f := range r.jsonRecords("::jsfunctions -n " + name) {
			addr, _ := f["addr"].(string)
			if f["name"] != name || addr == "" {
				continue
			}
			for _, d := range functionCommands {
				r.record(addr + d)
			}
			break
		}
	}
}

func (r *recorder) recordObjects() {
	for _, c := range probeConstructors {
		recs := r.jsonRecords("::findjsobjects -c " + c.name)
		if len(recs) == 0 {
			continue
		}
		addr, _ := recs[0]["representative"].(string)
		if addr == "" {
			continue
		}
		r.record("::findjsobjects -c " + c.name)
		for _, d := range append(objectCommands, c.extra...) {
			r.record(addr + d)
		}
	}
}

// What changes from run to run: the census time and its worker count.
var unstable = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`elapsed time \(seconds\) => [0-9.]+ \([0-9]+ workers\)`), "elapsed time (seconds) => T (W workers)"},
	{regexp.MustCompile(`"seconds":[0-9.e+-]+`), `"seconds":T`},
	{regexp.MustCompile(`"workers":[0-9]+`), `"workers":W`},
}

func scrub(s string) string {
	for _, u := range unstable {
		s = u.re.ReplaceAllString(s, u.with)
	}
	return s
}

// abridge keeps a long output's head and the digest of the whole.
func abridge(s string) string {
	if len(s) <= maxBytes {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	var head strings.Builder
	kept := 0
	for _, l := range lines {
		if head.Len() >= keepBytes {
			break
		}
		l = strings.TrimSuffix(l, "\n")
		if len(l) > maxLine {
			l = l[:maxLine] + "[...]"
		}
		head.WriteString(l + "\n")
		kept++
	}
	return fmt.Sprintf("%s... %d more lines; %d bytes in all, sha256 %x\n", head.String(), len(lines)-kept, len(s), sha256.Sum256([]byte(s)))
}

func firstDifference(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return "(same lines)"
}
