package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
)

// valuesCore is one core of testdata/fixtures/values.js, opened.
type valuesCore struct {
	s      *Session
	h      *object.Heap
	v      uint64            // the object holding every value
	addrs  map[string]uint64 // property → address, from V8's %DebugPrint of v
	script string
}

var debugPrintRE = regexp.MustCompile(`^DebugPrint: (0x[0-9a-f]+): `)
var v8PropRE = regexp.MustCompile(`#(\w+): (0x[0-9a-f]+) <`)

func openValues(t *testing.T, version string) *valuesCore {
	t.Helper()
	c := testnode.MakeCore(t, version, "values.js", []string{"--allow-natives-syntax", "--expose-gc"}, nil)
	vc := &valuesCore{s: openSession(t, c), addrs: map[string]uint64{}, script: filepath.Join(filepath.Dir(c.Path), "values.js")}
	lines := strings.Split(c.Stdout, "\n")
	var labels []string
	for i, l := range lines {
		mm := debugPrintRE.FindStringSubmatch(l)
		if mm == nil {
			continue
		}
		if strings.Contains(l, "[String]") && strings.HasSuffix(l, "#v") {
			labels = append(labels, "v")
			continue
		}
		if len(labels) == 1 && vc.v == 0 {
			vc.v = parseHex(t, mm[1])
			for _, pl := range lines[i+1:] {
				if strings.HasPrefix(pl, " }") {
					break
				}
				if pm := v8PropRE.FindStringSubmatch(pl); pm != nil {
					vc.addrs[pm[1]] = parseHex(t, pm[2])
				}
			}
		}
	}
	if vc.v == 0 || len(vc.addrs) < 50 {
		t.Fatalf("could not parse %%DebugPrint output (v %#x, %d properties)", vc.v, len(vc.addrs))
	}
	var err error
	vc.h, err = HeapOf(&Invocation{Session: vc.s})
	if err != nil {
		t.Fatal(err)
	}
	return vc
}

func parseHex(t *testing.T, s string) uint64 {
	var a uint64
	for _, c := range strings.TrimPrefix(s, "0x") {
		a = a<<4 | uint64(strings.IndexRune("0123456789abcdef", c))
	}
	return a
}

// run runs one dcmd on addr and returns its output, with the fixture's
// path replaced by SCRIPT.
func (vc *valuesCore) run(t *testing.T, name string, addr uint64, jsonOut bool, args ...string) (string, error) {
	t.Helper()
	c := Lookup(name)
	if c == nil {
		t.Fatalf("no dcmd %s", name)
	}
	inv, err := NewInvocation(context.Background(), vc.s, c, args)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	inv.Out, inv.Addr, inv.HasAddr, inv.JSON = &out, addr, true, jsonOut
	err = inv.Run()
	return strings.ReplaceAll(out.String(), vc.script, "SCRIPT"), err
}

// jsprintWant: the text of `V::jsprint MEMBER`, identical on every Node line.
var jsprintWant = map[string]string{
	"smi":             "42",
	"negSmi":          "-7",
	"double":          "3.5",
	"negZero":         "-0",
	"nan":             "NaN",
	"inf":             "Infinity",
	"ninf":            "-Infinity",
	"bigint":          "12345678901234567890123n",
	"negBigint":       "-5n",
	"zeroBigint":      "0n",
	"undef":           "undefined",
	"nul":             "null",
	"yes":             "true",
	"no":              "false",
	"oneByte":         `"hello from ndb"`,
	"twoByte":         `"héllo wörld ☃"`,
	"escapes":         `"tab\there \"quoted\"\nnewline\\"`,
	"emptyString":     `""`,
	"cons":            `"start-piece0-evenpiece1-oddpiece2-evenpiece3-oddpiece4-evenpiece5-odd"`,
	"twoByteCons":     `"two-byte ☃ part true and more text"`,
	"sliced":          `"quick brown fox jumps over"`,
	"long":            `"` + strings.Repeat("x", 256) + `"... (length 304)`,
	"externalOneByte": `"` + strings.Repeat("external-latin1 ", 16) + `"... (length 1048576)`,
	"externalTwoByte": `"` + strings.Repeat("☃ two-byte external ", 12) + `☃ two-byte exter"... (length 1200000)`,
	"thin":            `"thin-string-key"`,
	"symbol":          "Symbol(my symbol)",
	"noDesc":          "Symbol()",
	"plain":           "{\n    alpha: 1,\n    beta: \"two\",\n    gamma: null,\n    delta: [\n        1,\n        2,\n    ],\n}",
	"widget":          "Widget {\n    name: \"sprocket\",\n    size: 42,\n    tags: [\n        \"red\",\n        \"round\",\n    ],\n}",
	"emptyObject":     "{}",
	"dict":            "{\n    keep: \"kept\",\n    other: 3,\n}",
	"symbolKeyed":     "{\n    [Symbol(tag)]: \"tagged\",\n    plain: 1,\n}",
	"accessor":        "{\n    size: [Accessor get [Function: get size] SCRIPT:80:3 set [Function: set size] SCRIPT:81:3],\n    onlyGet: [Accessor get [Function: get onlyGet] SCRIPT:82:3],\n}",
	"nested":          "{\n    level1: {\n        level2: {\n            level3: [Object],\n        },\n    },\n}",
	"nullProto":       "{\n    x: 1,\n}",
	"packedSmi":       "[\n    1,\n    2,\n    3,\n]",
	"holeySmi":        "[\n    1,\n    hole,\n    3,\n]",
	"packedDouble":    "[\n    1.5,\n    2.5,\n    -0.5,\n]",
	"holeyDouble":     "[\n    1.5,\n    hole,\n    3.5,\n]",
	"packedTagged":    "[\n    1,\n    \"two\",\n    {\n        three: 3,\n    },\n]",
	"holeyTagged":     "[\n    \"a\",\n    hole,\n    \"c\",\n]",
	"sparse":          "Array(100001) [\n    0: \"first\",\n    100000: \"far\",\n]",
	"emptyArray":      "[]",
	"fn":              "[Function: add] SCRIPT:27:1",
	"closure":         "[Function: inner] SCRIPT:21:10",
	"arrow":           "[Function: <anonymous> (as v.arrow)] SCRIPT:105:11",
	"bound":           "[Function: bound add] {\n    [[TargetFunction]]: [Function: add] SCRIPT:27:1,\n    [[BoundThis]]: null,\n    [[BoundArgs]][0]: 1,\n}",
	"method":          "[Function: Widget] SCRIPT:11:3",
	"native":          "[Function: max]",
	"map":             "Map(3) {\n    \"k1\" => 1,\n    \"k2\" => {\n        two: 2,\n    },\n    3 => \"three\",\n}",
	"set":             "Set(3) {\n    1,\n    \"two\",\n    3,\n}",
	"date":            "2020-01-02T03:04:05.678Z",
	"badDate":         "Invalid Date",
	"regexp":          `/ab+c\/d/gi`,
	"arrayBuffer":     "ArrayBuffer(5) <01 02 03 04 fa>",
	"uint8":           "Uint8Array(3) [10, 20, 30]",
	"float64":         "Float64Array(2) [1.5, -2]",
	"buffer":          "Buffer(12) <68 65 6c 6c 6f 20 62 75 66 66 65 72>",
	"pending":         "Promise {\n    [[PromiseState]]: \"pending\",\n}",
	"resolved":        "Promise {\n    [[PromiseState]]: \"fulfilled\",\n    [[PromiseResult]]: 42,\n}",
	"boxedNumber":     "[Number: 3.25]",
	"boxedString":     `[String: "boxed"]`,
	"boxedBool":       "[Boolean: true]",
	"boxedSymbol":     "[Symbol: Symbol(boxsym)]",
	"boxedBigint":     "[BigInt: 9n]",
	"proxy":           "Proxy {\n    [[Target]]: {\n        target: true,\n    },\n    [[Handler]]: {\n        get: [Function: get] SCRIPT:131:41,\n    },\n}",
	"weakKey":         "{\n    wk: 1,\n}",
	"weakMap":         "WeakMap {\n    {\n        wk: 1,\n    } => \"wv\",\n}",
	"weakSet":         "WeakSet {\n    {\n        wk: 1,\n    },\n}",
	"weakRef":         "WeakRef {\n    [[Target]]: {\n        wk: 1,\n    },\n}",
}

func TestJSPrintValues(t *testing.T) {
	for _, ver := range testnode.Versions {
		t.Run(ver, func(t *testing.T) {
			vc := openValues(t, ver)
			names := make([]string, 0, len(jsprintWant))
			for n := range jsprintWant {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, name := range names {
				want := jsprintWant[name] + "\n"
				got, err := vc.run(t, "jsprint", vc.v, false, name)
				if err != nil || got != want {
					t.Errorf("::jsprint %s: %v\n got: %s\nwant: %s", name, err, got, want)
				}
				// The same value at the address V8 itself printed.
				if a, ok := vc.addrs[name]; ok {
					got2, err := vc.run(t, "jsprint", a, false)
					if err != nil || got2 != want {
						t.Errorf("%#x::jsprint (%s per %%DebugPrint): %v\n got: %s\nwant: %s", a, name, err, got2, want)
					}
				}
			}
			// Cycles, errors, rejected promises and the global object.
			got, _ := vc.run(t, "jsprint", vc.addrs["cyclic"], false)
			if want := "{\n    name: \"cycle\",\n    self: [Circular " + Hex(vc.addrs["cyclic"]) + "],\n}\n"; got != want {
				t.Errorf("cyclic: got %q want %q", got, want)
			}
			got, _ = vc.run(t, "jsprint", vc.v, false, "-N", "29", "error")
			if want := "TypeError {\n    message: \"bad thing happened\",\n    stack: \"TypeError: bad thing happened\"... (length "; !strings.HasPrefix(got, want) {
				t.Errorf("error: got %q want prefix %q", got, want)
			}
			got, _ = vc.run(t, "jsprint", vc.v, false, "-d", "0", "rejected")
			if want := "Promise {\n    [[PromiseState]]: \"rejected\",\n    [[PromiseResult]]: [Error],\n}\n"; got != want {
				t.Errorf("rejected: got %q want %q", got, want)
			}
			got, _ = vc.run(t, "jsprint", vc.v, false, "-d", "0", "global")
			if !strings.HasPrefix(got, "global {\n") || !strings.Contains(got, "\n    ndbGlobalMarker: \"marker\",\n") {
				t.Errorf("global: no ndbGlobalMarker in %q", got)
			}
			got, _ = vc.run(t, "jsprint", vc.v, false, "plain.delta[1]")
			if got != "2\n" {
				t.Errorf("member plain.delta[1] = %q", got)
			}
			got, _ = vc.run(t, "jsprint", vc.v, false, "-a", "plain.beta")
			if want := Hex(vc.addrs["plain"]); !strings.Contains(got, ": \"two\"") {
				t.Errorf("-a plain.beta = %q (%s)", got, want)
			}
			if _, err := vc.run(t, "jsprint", vc.v, false, "nosuchmember"); err == nil || !strings.Contains(err.Error(), "no member") {
				t.Errorf("missing member: %v", err)
			}
		})
	}
}

// jsonWant: `V::jsprint --json MEMBER`, with addresses replaced by ADDR.
var jsonWant = map[string]string{
	"smi":         `42`,
	"negZero":     `{"$number":"-0"}`,
	"nan":         `{"$number":"NaN"}`,
	"ninf":        `{"$number":"-Infinity"}`,
	"bigint":      `{"$bigint":"12345678901234567890123"}`,
	"undef":       `{"$undefined":true}`,
	"nul":         `null`,
	"yes":         `true`,
	"twoByte":     `"héllo wörld ☃"`,
	"long":        `{"$string":"` + strings.Repeat("x", 256) + `","$length":304}`,
	"symbol":      `{"$symbol":"my symbol"}`,
	"widget":      `{"$addr":"ADDR","$constructor":"Widget","name":"sprocket","size":42,"tags":{"$addr":"ADDR","$constructor":"Array","length":2,"$elements":["red","round"]}}`,
	"symbolKeyed": `{"$addr":"ADDR","$constructor":"Object","Symbol(tag)":"tagged","plain":1}`,
	"accessor":    `{"$addr":"ADDR","$constructor":"Object","size":{"$accessor":{"get":{"$addr":"ADDR","$constructor":"Function","$function":"get size","$script":"SCRIPT","$line":80,"$column":3},"set":{"$addr":"ADDR","$constructor":"Function","$function":"set size","$script":"SCRIPT","$line":81,"$column":3}}},"onlyGet":{"$accessor":{"get":{"$addr":"ADDR","$constructor":"Function","$function":"get onlyGet","$script":"SCRIPT","$line":82,"$column":3}}}}`,
	"nested":      `{"$addr":"ADDR","$constructor":"Object","level1":{"$addr":"ADDR","$constructor":"Object","level2":{"$addr":"ADDR","$constructor":"Object","level3":{"$addr":"ADDR","$constructor":"Object","$truncated":true}}}}`,
	"holeyDouble": `{"$addr":"ADDR","$constructor":"Array","length":3,"$elements":[1.5,{"$hole":true},3.5]}`,
	"sparse":      `{"$addr":"ADDR","$constructor":"Array","length":100001,"$elements":{"0":"first","100000":"far"}}`,
	"fn":          `{"$addr":"ADDR","$constructor":"Function","$function":"add","$script":"SCRIPT","$line":27,"$column":1}`,
	"map":         `{"$addr":"ADDR","$constructor":"Map","size":3,"$entries":[["k1",1],["k2",{"$addr":"ADDR","$constructor":"Object","two":2}],[3,"three"]]}`,
	"set":         `{"$addr":"ADDR","$constructor":"Set","size":3,"$entries":[1,"two",3]}`,
	"date":        `{"$addr":"ADDR","$constructor":"Date","$date":"2020-01-02T03:04:05.678Z"}`,
	"regexp":      `{"$addr":"ADDR","$constructor":"RegExp","$regexp":"/ab+c\\/d/gi"}`,
	"buffer":      `{"$addr":"ADDR","$constructor":"Buffer","length":12,"$bytes":"68656c6c6f20627566666572"}`,
	"resolved":    `{"$addr":"ADDR","$constructor":"Promise","$state":"fulfilled","$result":42}`,
	"boxedNumber": `{"$addr":"ADDR","$constructor":"Number","$primitive":3.25}`,
	"proxy":       `{"$addr":"ADDR","$constructor":"Proxy","$target":{"$addr":"ADDR","$constructor":"Object","target":true},"$handler":{"$addr":"ADDR","$constructor":"Object","get":{"$addr":"ADDR","$constructor":"Function","$function":"get","$script":"SCRIPT","$line":131,"$column":41}}}`,
	"weakSet":     `{"$addr":"ADDR","$constructor":"WeakSet","$entries":[{"$addr":"ADDR","$constructor":"Object","wk":1}]}`,
}

var addrRE = regexp.MustCompile(`"0x[0-9a-f]+"`)

func TestJSPrintJSON(t *testing.T) {
	for _, ver := range testnode.Versions {
		t.Run(ver, func(t *testing.T) {
			vc := openValues(t, ver)
			for name, want := range jsonWant {
				got, err := vc.run(t, "jsprint", vc.v, true, name)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if !json.Valid([]byte(got)) {
					t.Errorf("%s: invalid JSON %s", name, got)
				}
				if a, ok := vc.addrs[name]; ok && strings.HasPrefix(want, `{"$addr"`) && !strings.HasPrefix(got, `{"$addr":"`+Hex(a)+`"`) {
					t.Errorf("%s: $addr is not V8's %#x: %s", name, a, got)
				}
				got = addrRE.ReplaceAllString(strings.TrimSpace(got), `"ADDR"`)
				if got != want {
					t.Errorf("--json %s:\n got: %s\nwant: %s", name, got, want)
				}
			}
			got, _ := vc.run(t, "jsprint", vc.addrs["cyclic"], true)
			if want := `{"$circular":"` + Hex(vc.addrs["cyclic"]) + `"}`; !strings.Contains(got, want) {
				t.Errorf("cyclic JSON %s lacks %s", got, want)
			}
		})
	}
}

// TestReadTypedArrayLength: the byte length and element count of typed
// arrays as values.js made them (new Uint8Array([10, 20, 30]), new
// Float64Array([1.5, -2])); where the layout knows no count (V8 14) it is
// 0, never a word that is not one.
func TestReadTypedArrayLength(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			vc := openValues(t, v)
			for _, tc := range []struct {
				name              string
				byteLength, count uint64
			}{{"uint8", 3, 3}, {"float64", 16, 2}} {
				ta, err := vc.h.ReadTypedArray(object.Value(vc.addrs[tc.name]))
				if err != nil {
					t.Fatal(err)
				}
				want := tc.count
				if vc.h.Layout.JSTypedArray.Length < 0 {
					want = 0
				}
				if ta.ByteLength != tc.byteLength || ta.Length != want {
					t.Errorf("%s: byte length %d, length %d; want %d, %d", tc.name, ta.ByteLength, ta.Length, tc.byteLength, want)
				}
			}
		})
	}
}
