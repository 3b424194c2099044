package commands

import (
	"encoding/binary"
	"sort"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/object"
)

// fakeBase is where the tests put crafted objects: a segment added to the
// real core's memory.
const fakeBase = 0x7ff0_0000_0000

// craft adds a segment of n words at fakeBase and returns a writer.
func craft(p *elfcore.Process, n int) []byte {
	data := make([]byte, 8*n)
	p.Segments = append(p.Segments, elfcore.Segment{Start: fakeBase, End: fakeBase + uint64(len(data)), Data: data, FileSize: uint64(len(data))})
	sort.Slice(p.Segments, func(i, j int) bool { return p.Segments[i].Start < p.Segments[j].Start })
	return data
}

func TestJSPrintBadInput(t *testing.T) {
	for _, ver := range testnode.Versions {
		t.Run(ver, func(t *testing.T) {
			vc := openValues(t, ver)
			h := vc.h
			consMap, err := h.Map(object.Value(vc.addrs["cons"]))
			if err != nil {
				t.Fatal(err)
			}
			seqMap, _ := h.Map(object.Value(vc.addrs["oneByte"]))
			objMap, _ := h.Map(object.Value(vc.addrs["emptyObject"]))
			arrMap, _ := h.Map(object.Value(vc.addrs["packedTagged"]))
			mem := craft(vc.s.Proc, 64)
			put := func(word int, v uint64) { binary.LittleEndian.PutUint64(mem[8*word:], v) }
			tag := func(word int) uint64 { return fakeBase + uint64(8*word) + 1 }
			// A cons string whose halves are itself: a cycle.
			put(0, uint64(consMap))
			put(1, 20<<32)
			put(2, tag(0))
			put(3, tag(0))
			// A sequential string with length 2^31 (and 2^31-1).
			put(4, uint64(seqMap))
			put(5, 0x80000000<<32)
			put(6, uint64(seqMap))
			put(7, 0x7fffffff<<32)
			// An object whose map word points at a string (corrupted map).
			put(8, uint64(vc.addrs["oneByte"]))
			// An object whose map is a pointer outside the core.
			put(9, 0x10001)
			// An array with a huge length and elements outside the core.
			put(10, uint64(arrMap))
			put(11, uint64(h.Tag(0x20000)))
			put(12, uint64(h.Tag(0x30000)))
			put(13, 0x7fff0000<<32)
			// An object whose properties pointer is garbage.
			put(14, uint64(objMap))
			put(15, uint64(h.Tag(0x40000)))
			put(16, uint64(h.Tag(0x40000)))
			cases := []struct {
				addr uint64
				want string
			}{
				{tag(0), "cycle or corrupted cons string"},
				{tag(4), "bad length"},
				{tag(6), "bad length"},
				{tag(8), "not a Map"},
				{tag(9), "not in the core"},
				{0x10001, "not in the core"},
				{0x2a, ""}, // a Smi word: fine, prints a number
				{fakeBase + 3, "weak reference"},
			}
			for _, c := range cases {
				for _, js := range []bool{false, true} {
					got, err := vc.run(t, "jsprint", c.addr, js)
					if err != nil {
						t.Errorf("%#x::jsprint: error %v (want a decoded error value)", c.addr, err)
					}
					if c.want == "" {
						continue
					}
					if !strings.Contains(got, c.want) {
						t.Errorf("%#x::jsprint (json %v) = %q, want it to contain %q", c.addr, js, got, c.want)
					}
					if js && !strings.HasPrefix(got, `{"$error":`) {
						t.Errorf("%#x::jsprint --json = %q, want {\"$error\"...}", c.addr, got)
					}
				}
			}
			// Elements outside the core: the array prints, its elements are an error.
			got, _ := vc.run(t, "jsprint", tag(10), true)
			if !strings.Contains(got, `"length":2147418112,"$elements":[{"$error":"address 0x30008: not in the core`) {
				t.Errorf("array with bad elements: %q", got)
			}
			// Garbage inside an object is reported for that value only.
			got, _ = vc.run(t, "jsprint", tag(14), false)
			if !strings.Contains(got, "<error:") && !strings.HasPrefix(got, "{") {
				t.Errorf("object with bad properties: %q", got)
			}
			// The other dcmds refuse bad input with a short error.
			for _, name := range []string{"v8type", "jsconstructor", "jsfunction", "jssource", "jsclosure", "nodebuffer", "jsarray", "v8print"} {
				if _, err := vc.run(t, name, tag(9), false); err == nil {
					t.Errorf("%#x::%s: no error", tag(9), name)
				} else if len(err.Error()) > 200 {
					t.Errorf("%s: error too long: %v", name, err)
				}
			}
		})
	}
}

func TestJSOtherCommands(t *testing.T) {
	for _, ver := range testnode.Versions {
		t.Run(ver, func(t *testing.T) {
			vc := openValues(t, ver)
			check := func(name string, addr uint64, want string, args ...string) {
				t.Helper()
				got, err := vc.run(t, name, addr, false, args...)
				if err != nil || got != want {
					t.Errorf("%#x::%s %v: %v\n got: %q\nwant: %q", addr, name, args, err, got, want)
				}
			}
			check("jsclosure", vc.addrs["closure"], "greeting: \"hello\"\nsecret: \"captured value\"\ncounter: 7\n")
			check("jsfunction", vc.addrs["fn"], "function: add\ndefined at SCRIPT line 27 column 1\nsource range: 870-896\n")
			check("jssource", vc.addrs["fn"], "file: SCRIPT\n    27 function add(a, b) {\n    28   return a + b;\n    29 }\n")
			check("jsconstructor", vc.addrs["widget"], "Widget\n")
			check("jsconstructor", vc.addrs["buffer"], "Buffer\n")
			check("v8type", vc.addrs["widget"], Hex(vc.addrs["widget"])+": JS_OBJECT_TYPE\n")
			check("v8type", vc.addrs["map"], Hex(vc.addrs["map"])+": JS_MAP_TYPE\n")
			got, err := vc.run(t, "jsfunction", vc.addrs["bound"], false)
			if err != nil || !strings.HasPrefix(got, "bound function that wraps: "+Hex(vc.addrs["fn"])+" ([Function: add] SCRIPT:27:1)\n") {
				t.Errorf("bound ::jsfunction: %v %q", err, got)
			}
			got, err = vc.run(t, "nodebuffer", vc.addrs["buffer"], false)
			if err != nil || !strings.HasSuffix(got, " 12\n") {
				t.Errorf("::nodebuffer: %v %q", err, got)
			} else {
				data := parseHex(t, strings.Fields(got)[0])
				b, err := vc.s.Proc.Slice(data, 12)
				if err != nil || string(b) != "hello buffer" {
					t.Errorf("::nodebuffer data %#x holds %q (%v)", data, b, err)
				}
			}
			got, err = vc.run(t, "jsarray", vc.addrs["packedTagged"], false)
			lines := strings.Split(strings.TrimSpace(got), "\n")
			if err != nil || len(lines) != 3 || lines[0] != "0x100000000" {
				t.Errorf("::jsarray: %v %q", err, got)
			} else if s, _ := vc.run(t, "jsprint", parseHex(t, lines[1]), false); s != "\"two\"\n" {
				t.Errorf("::jsarray element 1 prints %q", s)
			}
			got, err = vc.run(t, "v8print", vc.addrs["widget"], false)
			if err != nil || !strings.Contains(got, "JSObject < JSReceiver < HeapObject {") || !strings.Contains(got, " elements ") {
				t.Errorf("::v8print: %v %q", err, got)
			}
		})
	}
}
