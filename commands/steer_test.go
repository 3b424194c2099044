package commands

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
)

// seq writes "    FROM,\n" ... "    TO-1,\n": elements of bigArray (its
// element i is i).
func seq(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		b.WriteString("    " + strconv.Itoa(i) + ",\n")
	}
	return b.String()
}

// member is the address of v's member name, found by ResolveMember.
func (vc *valuesCore) member(t *testing.T, name string) uint64 {
	t.Helper()
	a, err := ResolveMember(vc.h, object.Value(vc.v), name)
	if err != nil {
		t.Fatal(err)
	}
	return uint64(a)
}

// TestJSPrintCount: -n COUNT cuts arrays, Maps, typed arrays and Buffers
// of values.js (whose contents the fixture fixes) and says what it cut;
// -n 0 shows all.
func TestJSPrintCount(t *testing.T) {
	for _, ver := range testnode.Versions {
		t.Run(ver, func(t *testing.T) {
			vc := openValues(t, ver)
			check := func(want string, args ...string) {
				t.Helper()
				got, err := vc.run(t, "jsprint", vc.v, false, args...)
				if err != nil || got != want {
					t.Errorf("::jsprint %v: %v\n got: %.600q\nwant: %.600q", args, err, got, want)
				}
			}
			check("[\n"+seq(0, 100)+"    ... 9,900 more elements (-n 0 for all)\n]\n", "bigArray")
			check("[\n"+seq(0, 3)+"    ... 9,997 more elements (-n 0 for all)\n]\n", "-n", "3", "bigArray")
			check("[\n"+seq(0, 10000)+"]\n", "-n", "0", "bigArray")
			check("Buffer(256) <"+strings.TrimSpace(strings.Repeat("ab ", 50))+" ... 206 more bytes (-n 0 for all)>\n", "bigBuffer")
			check("Buffer(256) <ab ab ... 254 more bytes (-n 0 for all)>\n", "-n", "2", "bigBuffer")
			check("Buffer(256) <"+strings.TrimSpace(strings.Repeat("ab ", 256))+">\n", "-n", "0", "bigBuffer")
			check("Float64Array(200) [0.5, 0.5, ... 198 more elements (-n 0 for all)]\n", "-n", "2", "bigFloat64")
			check("Map(150) {\n    0 => \"v0\",\n    ... 149 more entries (-n 0 for all)\n}\n", "-n", "1", "bigMap")
			got, _ := vc.run(t, "jsprint", vc.v, false, "bigMap")
			if !strings.HasSuffix(got, "    99 => \"v99\",\n    ... 50 more entries (-n 0 for all)\n}\n") {
				t.Errorf("bigMap: default is not 100 entries: %.300q", got[max(0, len(got)-300):])
			}
			got, _ = vc.run(t, "jsprint", vc.v, false, "-n", "0", "bigMap")
			if !strings.HasSuffix(got, "    149 => \"v149\",\n}\n") {
				t.Errorf("bigMap -n 0: %.300q", got[max(0, len(got)-300):])
			}
			// JSON counts what it cut.
			got, _ = vc.run(t, "jsprint", vc.v, true, "-n", "2", "bigArray")
			if want := `"length":10000,"$elements":[0,1],"$more":9998}`; !strings.HasSuffix(strings.TrimSpace(got), want) {
				t.Errorf("--json -n 2 bigArray: %s, want suffix %s", got, want)
			}
			if _, err := vc.run(t, "jsprint", vc.v, false, "-n", "-1", "bigArray"); err == nil {
				t.Errorf("-n -1 was accepted")
			}

			// ::jsarray and ::nodebuffer at the values' own addresses.
			arr, buf := vc.member(t, "bigArray"), vc.member(t, "bigBuffer")
			got, _ = vc.run(t, "jsarray", arr, false, "-i", "-n", "2")
			if want := "0 0x0\n1 0x100000000\n"; got != want {
				t.Errorf("::jsarray -i -n 2: %q, want %q", got, want)
			}
			got, _ = vc.run(t, "jsarray", arr, false)
			if n := strings.Count(got, "\n"); n != 1000 {
				t.Errorf("::jsarray printed %d elements by default, want 1000", n)
			}
			got, _ = vc.run(t, "jsarray", arr, false, "-n", "0")
			if n := strings.Count(got, "\n"); n != 10000 {
				t.Errorf("::jsarray -n 0 printed %d elements, want 10000", n)
			}
			got, _ = vc.run(t, "nodebuffer", buf, false, "-n", "3")
			if lines := strings.Split(got, "\n"); len(lines) != 3 || !strings.HasSuffix(lines[0], " 256") || lines[1] != "ab ab ab ... 253 more bytes (-n 0 for all)" {
				t.Errorf("::nodebuffer -n 3: %q", got)
			}
			got, _ = vc.run(t, "nodebuffer", buf, true, "-n", "3")
			if !strings.Contains(got, `"length":256,"bytes":"ababab","more":253}`) {
				t.Errorf("::nodebuffer --json -n 3: %s", got)
			}
		})
	}
}

var addressedRE = regexp.MustCompile(`^\s+(this|arg\d+): (?:(0x[0-9a-f]+): )?(.*)$`)

// TestJSStackArgAddresses: ::jsstack -v -a gives the address of every heap
// argument and receiver, and the value there is the one crash.js passed:
// forEach's receiver is the array [order] (order = 42), which it passes to
// the callback as its third argument; Smis have no address.
func TestJSStackArgAddresses(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			c := testnode.MakeCore(t, v, "crash.js", []string{"--abort-on-uncaught-exception"}, nil)
			s := openSession(t, c)
			out := runDcmd(t, s, false, "jsstack", 0, "-v", "-a", "-n")
			frames := map[string]map[string][2]string{} // function → slot → (address, summary)
			var fn string
			for _, l := range strings.Split(out, "\n") {
				if i := strings.Index(l, "js:      "); i >= 0 {
					fn = strings.Fields(l[i+len("js:      "):])[0]
					if frames[fn] == nil {
						frames[fn] = map[string][2]string{}
					}
					continue
				}
				if m := addressedRE.FindStringSubmatch(l); m != nil && fn != "" {
					frames[fn][m[1]] = [2]string{m[2], m[3]}
				}
			}
			this := frames["Array.forEach"]["this"]
			if this[0] == "" || this[1] != "[Array]" {
				t.Fatalf("Array.forEach this = %q in\n%s", this, out)
			}
			if got := runDcmd(t, s, false, "jsprint", parseHex(t, this[0])); got != "[\n    42,\n]\n" {
				t.Errorf("%s::jsprint = %q, want the array [42]", this[0], got)
			}
			if a := frames["<anonymous>"]["arg3"]; a != this {
				t.Errorf("callback arg3 = %q, want forEach's receiver %q", a, this)
			}
			if a := frames["<anonymous>"]["arg1"]; a != [2]string{"", "42"} {
				t.Errorf("callback arg1 = %q, want the Smi 42 without an address", a)
			}
			recv := frames["OrderProcessor.check"]["this"]
			if got := runDcmd(t, s, false, "jsprint", parseHex(t, recv[0]), "-d", "0"); recv[1] != "[OrderProcessor]" || !strings.HasPrefix(got, "OrderProcessor {") {
				t.Errorf("OrderProcessor.check this = %q, printed %q", recv, got)
			}
		})
	}
}

// TestJSPrintMembersOutsideProperties: member paths reach what V8 keeps
// outside plain properties (lengths, an Error's stack) and inherited data
// properties; values.js fixes the expected values.
func TestJSPrintMembersOutsideProperties(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "testdata", "fixtures", "values.js"))
	if err != nil {
		t.Fatal(err)
	}
	line, col := 0, 0
	for i, l := range strings.Split(string(src), "\n") {
		if c := strings.Index(l, "new TypeError('bad thing happened')"); c >= 0 {
			line, col = i+1, c+1
		}
	}
	for _, ver := range testnode.Versions {
		t.Run(ver, func(t *testing.T) {
			vc := openValues(t, ver)
			for path, want := range map[string]string{
				"bigArray.length":    "10000",
				"oneByte.length":     "14",
				"twoByte.length":     "13", // UTF-16 code units of "héllo wörld ☃"
				"emptyString.length": "0",
				"uint8.length":       "3",
				"float64.length":     "2",
				"bigBuffer.length":   "256",
				"error.message":      `"bad thing happened"`,
				"error.name":         `"TypeError"`, // from TypeError.prototype
				"unformatted.name":   `"RangeError"`,
				"widget.tags.length": "2",
			} {
				got, err := vc.run(t, "jsprint", vc.v, false, path)
				if err != nil || got != want+"\n" {
					t.Errorf("::jsprint %s = %q, %v; want %s", path, got, err, want)
				}
			}
			got, err := vc.run(t, "jsprint", vc.v, false, "-N", "0", "error.stack")
			want := fmt.Sprintf(`"TypeError: bad thing happened\n    at Object.<anonymous> (SCRIPT:%d:%d)\n`, line, col)
			if err != nil || !strings.HasPrefix(got, want) {
				t.Errorf("error.stack = %.200q, %v; want prefix %q", got, err, want)
			}
			_, err = vc.run(t, "jsprint", vc.v, false, "unformatted.stack")
			if err == nil || !strings.Contains(err.Error(), "was never formatted") {
				t.Errorf("unformatted.stack: %v", err)
			}
			if _, err := vc.run(t, "jsprint", vc.v, false, "plain.stack"); err == nil || !strings.Contains(err.Error(), "has no stack: it is not an Error") {
				t.Errorf("plain.stack: %v", err)
			}
		})
	}
}
