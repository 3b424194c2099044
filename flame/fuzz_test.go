package flame

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Fuzz targets for the decoders of untrusted input besides perf script
// (FuzzFold): folded stacks and .cpuprofile JSON. Their seeds, from
// testdata/flame, run in every go test; `go test -fuzz FuzzX ./flame`
// explores further.

// seeds returns the files of testdata/flame/seeds ending in ext.
func seeds(f *testing.F, ext string) [][]byte {
	paths, err := filepath.Glob(filepath.Join(testdata, "seeds", "*"+ext))
	if err != nil || len(paths) == 0 {
		f.Fatalf("no %s seeds: %v", ext, err)
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// mainNeverFails runs ndb flame on in: whatever the bytes, it ends with a
// status and one line, never an internal error, and writes nothing unless
// it succeeds.
func mainNeverFails(t *testing.T, in []byte, args ...string) {
	var out, errb bytes.Buffer
	st := Main(append(args, "-"), bytes.NewReader(in), &out, &errb)
	if strings.Contains(errb.String(), "internal error") {
		t.Fatalf("internal error: %s", errb.String())
	}
	if st != 0 && (out.Len() > 0 || st != 2 || strings.Count(errb.String(), "\n") != 1) {
		t.Fatalf("status %d, %d bytes out, stderr %q", st, out.Len(), errb.String())
	}
}

// refFoldedLine is flamegraph.pl's /^(.*)\s+?(\d+(?:\.\d*)?)$/ as a regexp.
var refFoldedLine = regexp.MustCompile(`^(.*)[ \t\n\v\f\r]+?(\d+(?:\.\d*)?)$`)

// refFolded reads folded stacks with the regexp, line by line: the weights
// of each stack (and the BEFORE column of difffolded.pl output).
func refFolded(in []byte) (map[string][2]float64, bool, error) {
	out := map[string][2]float64{}
	diff := false
	for i, l := range strings.Split(string(in), "\n") {
		l = strings.TrimSuffix(l, "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		m := refFoldedLine.FindStringSubmatch(l)
		if m == nil {
			return nil, false, fmt.Errorf("line %d", i+1)
		}
		stack, v := m[1], parseRefFloat(m[2])
		var before float64
		if m2 := refFoldedLine.FindStringSubmatch(stack); m2 != nil {
			diff, stack, before = true, m2[1], parseRefFloat(m2[2])
		}
		w := out[stack]
		out[stack] = [2]float64{w[0] + v, w[1] + before}
	}
	return out, diff, nil
}

func parseRefFloat(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSuffix(s, "."), 64)
	return v
}

func FuzzFolded(f *testing.F) {
	for _, s := range seeds(f, ".folded") {
		f.Add(s)
	}
	f.Add([]byte("a;b 1\na;b 2.5\n"))
	f.Add([]byte("a b 1 2\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want, wantDiff, wantErr := refFolded(in)
		p, err := readFolded(bytes.NewReader(in))
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("readFolded error %v, reference %v", err, wantErr)
		}
		if err == nil {
			got := map[string][2]float64{}
			for _, s := range p.Stacks {
				got[strings.Join(s.Frames, ";")] = [2]float64{s.Value, s.Before}
			}
			if !reflect.DeepEqual(got, want) || p.Diff != wantDiff {
				t.Fatalf("readFolded %v (diff %v), reference %v (diff %v)", got, p.Diff, want, wantDiff)
			}
		}
		mainNeverFails(t, in, "--input=folded")
	})
}

// refDecodeCPUProfile decodes a .cpuprofile with encoding/json in one go,
// as ndb did before it streamed: for documents within the limits, the
// streaming decoder must agree with it. As with encoding/json, null leaves
// the zero value, and the keys of a node match regardless of case.
func refDecodeCPUProfile(in []byte) (*cpuProfile, error) {
	dec := json.NewDecoder(bytes.NewReader(in))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the document")
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("not an object")
	}
	cp := &cpuProfile{}
	var err error
	cp.startTime, err = refInt(top["startTime"], err)
	cp.endTime, err = refInt(top["endTime"], err)
	cp.samples, err = refInts(top["samples"], err)
	cp.timeDeltas, err = refInts(top["timeDeltas"], err)
	if err != nil {
		return nil, err
	}
	nodes, ok := top["nodes"].([]any)
	if !ok && top["nodes"] != nil {
		return nil, errors.New("nodes")
	}
	for _, e := range nodes {
		m, ok := e.(map[string]any)
		if !ok && e != nil {
			return nil, errors.New("node")
		}
		var n cpuNode
		n.id, err = refInt(foldKey(m, "id"), err)
		n.hitCount, err = refInt(foldKey(m, "hitCount"), err)
		n.children, err = refInts(foldKey(m, "children"), err)
		cf, ok := foldKey(m, "callFrame").(map[string]any)
		if !ok && foldKey(m, "callFrame") != nil {
			return nil, errors.New("callFrame")
		}
		n.functionName, err = refStr(foldKey(cf, "functionName"), err)
		n.url, err = refStr(foldKey(cf, "url"), err)
		n.line, err = refInt(foldKey(cf, "lineNumber"), err)
		n.column, err = refInt(foldKey(cf, "columnNumber"), err)
		if err != nil {
			return nil, err
		}
		cp.nodes = append(cp.nodes, n)
	}
	return cp, nil
}

// foldKey is m's value for key, the key matched regardless of case.
func foldKey(m map[string]any, key string) any {
	if v, ok := m[key]; ok {
		return v
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func refInt(v any, err error) (int64, error) {
	if err != nil || v == nil {
		return 0, err
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, errors.New("not a number")
	}
	return strconv.ParseInt(string(n), 10, 64)
}

func refInts(v any, err error) ([]int64, error) {
	if err != nil || v == nil {
		return nil, err
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, errors.New("not an array")
	}
	var out []int64
	for _, e := range arr {
		var i int64
		if i, err = refInt(e, nil); err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, nil
}

func refStr(v any, err error) (string, error) {
	if err != nil || v == nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", errors.New("not a string")
	}
	return s, nil
}

func FuzzCPUProfile(f *testing.F) {
	for _, s := range seeds(f, ".cpuprofile") {
		f.Add(s)
	}
	f.Add(readTestdata(f, "app.cpuprofile.zst"))
	f.Add([]byte(`{"nodes":[{"id":1,"children":[1]}],"samples":[1]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := decodeCPUProfile(bytes.NewReader(in))
		mainNeverFails(t, in, "--input=cpuprofile")
		if hasRepeatedKey(in) {
			// encoding/json keeps the last value of a repeated key and
			// ignores the type of the others; the stream reader checks each
			return
		}
		want, wantErr := refDecodeCPUProfile(in)
		if wantErr != nil && strings.Contains(wantErr.Error(), "exceeded max depth") {
			wantErr = nil // encoding/json's nesting limit; the token reader has none to reach
			want = got
		}
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decode error %v, encoding/json %v", err, wantErr)
		}
		if err == nil {
			norm := func(cp *cpuProfile) {
				for i := range cp.nodes {
					if len(cp.nodes[i].children) == 0 {
						cp.nodes[i].children = nil
					}
				}
				if len(cp.samples) == 0 {
					cp.samples = nil
				}
				if len(cp.timeDeltas) == 0 {
					cp.timeDeltas = nil
				}
				if len(cp.nodes) == 0 {
					cp.nodes = nil
				}
			}
			norm(got)
			norm(want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded %+v\nencoding/json %+v", got, want)
			}
			// the conversion never panics, and keeps every sample's weight
			if p, err := got.profile(true); err == nil && len(got.samples) > 0 {
				var n float64
				for _, s := range p.Stacks {
					n += s.Value
				}
				if n > float64(len(got.samples)) {
					t.Fatalf("%v samples weigh %v", len(got.samples), n)
				}
			}
		}
	})
}

// hasRepeatedKey reports whether an object of the JSON document in has a
// key twice, regardless of case.
func hasRepeatedKey(in []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(in))
	type frame struct {
		keys     map[string]bool
		expected bool // the next token of this object is a key
	}
	var stack []*frame
	for {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.expected {
			if k, ok := t.(string); ok {
				// encoding/json matches keys to fields regardless of case
				k = strings.ToLower(k)
				if top.keys[k] {
					return true
				}
				top.keys[k] = true
				top.expected = false
				continue
			}
		}
		if top != nil && top.keys != nil {
			top.expected = true // after this value comes a key
		}
		switch t {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, expected: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].keys != nil {
				stack[len(stack)-1].expected = true
			}
		}
	}
}

// The weights of a small .cpuprofile, computed by hand from its samples
// and time deltas: each sample lasts until the next, the last until
// endTime.
func TestCPUProfileWeights(t *testing.T) {
	r := run(t, mustRead(t, "seeds/minimal.cpuprofile"), "--folded")
	want := "(anonymous) file:///app.js:12:13 15\n(anonymous) file:///app.js:12:13;fib file:///app.js:12:13 70\n(garbage collector) 10\n"
	if r.status != 0 || r.stdout != want {
		t.Errorf("status %d, %q, want %q; %s", r.status, r.stdout, want, r.stderr)
	}
}
