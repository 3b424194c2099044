// Command check runs the three workshop labs (docs/workshop) end to end, as
// a learner would, and prints what each step found: the crashing function
// and the input of each crash, the leaking constructor and what holds it,
// and the hot function of the CPU profile. An instructor runs it on each
// machine of the room before the session:
//
//	go run ./docs/workshop/check
//
// It builds ndb, runs it on the lab data of testdata/workshop (with --json,
// whose fields are ndb's stable contract) and exits 1 when a lab does not
// come to its answer.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

// lab is what the checks share: the ndb binary, the lab data and what the
// steps found.
type lab struct {
	ndb, data string
	out       io.Writer
	found     map[string]string // step → finding
	failed    bool
}

func main() {
	root, err := testnode.ModuleRoot()
	if err != nil {
		fatal(err)
	}
	tmp, err := os.MkdirTemp("", "ndb-workshop-check")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)
	fmt.Println("building ndb ...")
	l, err := newLab(root, tmp, os.Stdout)
	if err != nil {
		fatal(err)
	}
	l.runAll(tmp)
	if l.failed {
		fmt.Println("\nFAIL: a lab did not come to its answer (see above)")
		os.Exit(1)
	}
	fmt.Println("\nok: all three labs come to their answers")
}

// newLab builds ndb into tmp for the lab data of the module at root.
func newLab(root, tmp string, out io.Writer) (*lab, error) {
	l := &lab{ndb: filepath.Join(tmp, "ndb"), data: filepath.Join(root, "testdata", "workshop"), out: out,
		found: map[string]string{}}
	if b, err := exec.Command("go", "build", "-o", l.ndb, "github.com/ndb-debugger/ndb/cmd/ndb").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, b)
	}
	return l, nil
}

func (l *lab) runAll(tmp string) {
	fmt.Fprintln(l.out, "\nLab 1, crash")
	l.crash()
	fmt.Fprintln(l.out, "\nLab 2, leak")
	l.leak()
	fmt.Fprintln(l.out, "\nLab 3, CPU")
	l.cpu(tmp)
}

// step prints one finding, or the failure to find it.
func (l *lab) step(what, found string, err error) {
	if err != nil {
		l.failed = true
		fmt.Fprintf(l.out, "  %-28s FAILED: %v\n", what, err)
		return
	}
	l.found[what] = found
	fmt.Fprintf(l.out, "  %-28s %s\n", what, found)
}

// run runs ndb and returns its stdout.
func (l *lab) run(args ...string) ([]byte, error) {
	cmd := exec.Command(l.ndb, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("ndb %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// jsonLines runs ndb --json on a bundle and decodes each line of output.
func (l *lab) jsonLines(bundle string, dcmds ...string) ([]map[string]any, error) {
	args := []string{"--json", filepath.Join(l.data, bundle)}
	for _, d := range dcmds {
		args = append(args, "-e", d)
	}
	out, err := l.run(args...)
	if err != nil {
		return nil, err
	}
	var recs []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("ndb printed a line that is not JSON: %.80s", sc.Text())
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func str(r map[string]any, key string) string {
	s, _ := r[key].(string)
	return s
}

// crash: the function each crash died in, and the input behind it.
func (l *lab) crash() {
	frames, err := l.jsonLines("shop-typo.ndb", "::jsstack")
	var top map[string]any
	for _, f := range frames {
		if str(f, "kind") == "js" {
			top = f
			break
		}
	}
	if err == nil && top == nil {
		err = fmt.Errorf("no JavaScript frame on the stack")
	}
	if err == nil {
		l.step("shop-typo: crashed in", fmt.Sprintf("%s (%s:%v)", str(top, "function"),
			filepath.Base(str(top, "script")), top["line"]), nil)
	} else {
		l.step("shop-typo: crashed in", "", err)
	}
	input, err := l.frameArgument(frames, "orderTotal")
	l.step("shop-typo: the bad input", input, err)

	recs, err := l.jsonLines("shop-limit.ndb", "::findjsobjects -p total | ::jsprint")
	var perr map[string]any
	for _, r := range recs {
		if str(r, "$constructor") == "PaymentError" || str(r, "name") == "PaymentError" {
			perr = r
		}
	}
	if err == nil && perr == nil {
		err = fmt.Errorf("no PaymentError in the heap")
	}
	if err != nil {
		l.step("shop-limit: unhandled", "", err)
		return
	}
	thrower := strings.TrimSpace(strings.SplitN(str(perr, "stack")+"\n\n", "\n", 3)[1])
	l.step("shop-limit: unhandled", fmt.Sprintf("PaymentError %q", str(perr, "message")), nil)
	l.step("shop-limit: thrown", thrower, nil)
}

// frameArgument finds the JS frame of function fn and prints its first
// argument with ::jsprint, as one line.
func (l *lab) frameArgument(frames []map[string]any, fn string) (string, error) {
	for _, f := range frames {
		if str(f, "function") != fn {
			continue
		}
		args, _ := f["args"].([]any)
		if len(args) == 0 {
			return "", fmt.Errorf("%s has no arguments in the core", fn)
		}
		arg, _ := args[0].(map[string]any)
		addr := str(arg, "$addr")
		if addr == "" {
			return "", fmt.Errorf("%s's argument has no address", fn)
		}
		out, err := l.run(filepath.Join(l.data, "shop-typo.ndb"), "-e", addr+"::jsprint -d 3")
		if err != nil {
			return "", err
		}
		return strings.Join(strings.Fields(string(out)), " "), nil
	}
	return "", fmt.Errorf("no frame of %s", fn)
}

// leak: what grows from snapshot to snapshot, and the path that holds it.
func (l *lab) leak() {
	out, err := l.run("diff", filepath.Join(l.data, "reports-1.ndb"), filepath.Join(l.data, "reports-3.ndb"))
	if err != nil {
		l.step("grows the most", "", err)
		return
	}
	// The first named group among the growing ones (the census lists plain
	// objects and arrays by their properties, and strings as "(string)").
	var grower, delta string
	for _, line := range strings.Split(string(out), "\n")[1:] {
		f := strings.Fields(line)
		// OLD NEW DELTA BYTES_DELTA ADDR CONSTRUCTOR: PROPS
		if len(f) < 6 || !strings.HasPrefix(f[2], "+") || f[2] == "+0" {
			continue
		}
		name := strings.TrimSuffix(f[5], ":")
		if name != "Object" && name != "Array" && !strings.HasPrefix(name, "(") {
			grower, delta = name, f[2]
			break
		}
	}
	if grower == "" {
		l.step("grows the most", "", fmt.Errorf("no constructor grows in ndb diff:\n%s", out))
		return
	}
	l.step("grows the most", fmt.Sprintf("%s (%s from reports-1 to reports-3)", grower, delta), nil)
	reps, err := l.run(filepath.Join(l.data, "reports-3.ndb"), "-e", "::findjsobjects -c "+grower)
	if err != nil {
		l.step("held by", "", err)
		return
	}
	addr := strings.TrimSpace(strings.SplitN(string(reps), "\n", 2)[0])
	roots, err := l.run(filepath.Join(l.data, "reports-3.ndb"), "-e", addr+"::jsroots")
	if err != nil {
		l.step("held by", "", err)
		return
	}
	path := strings.SplitN(string(roots), "\n", 2)[0]
	hops := strings.Split(path, " → ")
	if len(hops) > 4 {
		hops = hops[len(hops)-4:]
	}
	l.step("held by", strings.Join(hops, " → "), nil)
}

// cpu: the JavaScript frame under which most samples were taken, and the
// change after the fix.
func (l *lab) cpu(tmp string) {
	slow, err := l.jsTotals("tags-slow.perf.zst")
	if err != nil {
		l.step("hot function", "", err)
		return
	}
	fast, err := l.jsTotals("tags-fast.perf.zst")
	if err != nil {
		l.step("hot function", "", err)
		return
	}
	hot := slow.top()
	l.step("hot JavaScript function", fmt.Sprintf("%s (%.0f%% of the samples in it or under it)", hot,
		100*float64(slow.byFrame[hot])/float64(slow.total)), nil)
	leaf := slow.topLeafUnder(hot)
	l.step("on top of it", leaf, nil)
	l.step("after the fix", fmt.Sprintf("total %s → %s", ms(slow.total), ms(fast.total)), nil)
	svg := filepath.Join(tmp, "diff.svg")
	if _, err := l.run("flame", "--diff", "--strip-js", filepath.Join(l.data, "tags-slow.perf.zst"),
		filepath.Join(l.data, "tags-fast.perf.zst"), "-o", svg); err != nil {
		l.step("differential flame graph", "", err)
		return
	}
	l.step("differential flame graph", "written", nil)
}

func ms(ns int64) string { return strconv.FormatInt(ns/1e6, 10) + " ms" }

// totals is a folded profile summed by JavaScript frame.
type totals struct {
	total   int64
	byFrame map[string]int64 // JS function (no tier mark, no position) → weight in or under it
	leaves  map[string]map[string]int64
}

// jsTotals folds a recording and sums each sample's weight under the
// innermost JavaScript frame of the app (not Node's own modules).
func (l *lab) jsTotals(rec string) (*totals, error) {
	out, err := l.run("flame", "--folded", "--strip-js", filepath.Join(l.data, rec))
	if err != nil {
		return nil, err
	}
	t := &totals{byFrame: map[string]int64{}, leaves: map[string]map[string]int64{}}
	for _, line := range strings.Split(string(out), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		w, err := strconv.ParseInt(line[i+1:], 10, 64)
		if err != nil {
			continue
		}
		t.total += w
		frames := strings.Split(line[:i], ";")
		for j := len(frames) - 1; j >= 0; j-- {
			f := frames[j]
			if strings.HasPrefix(f, "JS:") && strings.Contains(f, ".js") && !strings.Contains(f, "node:") {
				name := strings.TrimLeft(strings.Fields(strings.TrimPrefix(f, "JS:"))[0], "*^~+")
				t.byFrame[name] += w
				if t.leaves[name] == nil {
					t.leaves[name] = map[string]int64{}
				}
				t.leaves[name][frames[len(frames)-1]] += w
				break
			}
		}
	}
	if t.total == 0 {
		return nil, fmt.Errorf("%s: no samples", rec)
	}
	return t, nil
}

func (t *totals) top() string { return heaviest(t.byFrame) }

func (t *totals) topLeafUnder(fn string) string {
	leaf := heaviest(t.leaves[fn])
	return fmt.Sprintf("%s (%.0f%% of the samples)", leaf, 100*float64(t.leaves[fn][leaf])/float64(t.total))
}

// heaviest returns the key of the largest weight (the first name on ties).
func heaviest(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) == 0 {
		return ""
	}
	return keys[0]
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "check: %v\n", err)
	os.Exit(1)
}
