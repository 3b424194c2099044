package commands

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "jsprint",
		Synopsis: "ADDR::jsprint [-a] [-d DEPTH] [-N LEN] [-n COUNT] [MEMBER]",
		Summary:  "print the JavaScript value at ADDR",
		Opts:     "ad:N:n:",
		Addr:     AddrRequired,
		Help: `Prints the JavaScript value at ADDR (a tagged pointer or a Smi) in JavaScript-like
notation, one property per line:

  Widget {
      name: "sprocket",
      tags: [
          "red",
          "round",
      ],
  }

Objects show their constructor's name (plain objects none); arrays their
elements (holes as "hole"; sparse arrays as "index: value"); functions their
name and definition site ([Function: name] script:line:column); Maps and Sets
their entries; Dates their ISO time; RegExps /source/flags; Promises, Proxies,
WeakRefs and bound functions their internal slots ([[PromiseState]], ...);
a pending Promise who waits on it ([[PromiseReactions]]: "await step
(/app.js:14:10) 0xGEN" for an async function suspended at an await of it,
"combinator Promise.all (index 0)", "then onReady (/app.js:31:13) 0xFN",
"catch NAME (...)", "chain 0xPROMISE" for a promise it settles); an async
function or generator object its state and await ([[AsyncFunctionState]]:
"suspended", [[SuspendedAt]]: "async step (/app.js:14:10)"); buffers and typed
arrays their length and bytes (Buffers as hex, typed arrays as numbers).
Objects deeper than DEPTH
print as [Constructor]; a reference to an enclosing object as [Circular ADDR].
A value that cannot be decoded prints as <error: reason>.

  -a        show the address of every heap value ("0x...: value")
  -d DEPTH  levels of nesting to expand (default 2)
  -N LEN    cut strings to LEN characters (default 256), showing the full length
  -n COUNT  show COUNT elements of each array and typed array, entries of each
            Map and Set, and bytes of each Buffer (default 100 elements and
            entries, 50 bytes, as Node's util.inspect); 0 shows all. What is
            cut is counted: "... 9,900 more elements (-n 0 for all)"
  MEMBER    print only this member: a path of property names and indices,
            such as headers.host, items[3] or map["key with spaces"].
            Properties are looked up on the prototype chain too (err.name);
            a getter cannot run, but what V8 keeps outside plain properties
            resolves: "length" of strings (UTF-16 units), arrays and typed
            arrays, and "stack" of errors: the formatted stack once the
            process read err.stack, else a note that it never did (V8 then
            still holds the captured call sites, which ndb does not format)`,
		JSON: `One JSON value per address. Strings, finite numbers other than -0, booleans and
null are themselves (a string cut by -N is {"$string": prefix, "$length": N}).
Objects are JSON objects whose keys are the property names (symbol keys as
"Symbol(desc)") plus "$addr": "0x..." and "$constructor": "Name".
  Array        {"$addr", "$constructor": "Array", "length": N, "$elements": [...]}
               (holes {"$hole": true}; dictionary elements: "$elements" is an
               object keyed by index; elements not shown: "$more": N)
  undefined    {"$undefined": true}
  NaN, ±Infinity, -0   {"$number": "NaN"} ...
  BigInt       {"$bigint": "decimal"}      Symbol  {"$symbol": "desc"}
  Date         {"$addr", "$constructor", "$date": "ISO" or "Invalid Date"}
  RegExp       {"$addr", "$constructor", "$regexp": "/src/flags"}
  Map          {"$addr", "$constructor", "size": N, "$entries": [[k, v], ...]}
  Set          {..., "size": N, "$entries": [v, ...]}   WeakMap/WeakSet: same, no size
  function     {"$addr", "$constructor", "$function": "name", "$script": "path",
               "$line": N, "$column": N}; bound: "$boundTarget", "$boundThis",
               "$boundArgs[i]"
  Buffer, TypedArray, ArrayBuffer  {..., "length": bytes, "$bytes": "hex"}
  Promise      {..., "$state": "pending|fulfilled|rejected", "$result": value};
               pending: "$reactions": [{"kind": "await|combinator|then|catch|chain",
               "function", "script", "line", "column", "object": "0x..."}] (absent
               when nobody waits; "$reactionsNote" when the list was cut)
  async function or generator object  {..., "$asyncState": "suspended|executing|closed",
               "$suspendedAt": "async step (/app.js:14:10)"}
  boxed        {..., "$primitive": value}
  Proxy        {..., "$target": value, "$handler": value}   WeakRef: "$target"
  accessor     "name": {"$accessor": {"get": fn, "set": fn}}
  past -d      {"$addr", "$constructor", "$truncated": true}
  a cycle      {"$circular": "0x..."}
  V8 internal  {"$addr", "$internal": "TYPE_NAME"}
  undecodable  {"$error": "reason", "$addr": "0x..."}`,
		Run: runJSPrint,
	})
}

func jsOptions(inv *Invocation) (value.Options, error) {
	o := value.DefaultOptions()
	var err error
	if o.Depth, err = inv.IntOpt('d', value.DefaultDepth); err != nil {
		return o, err
	}
	if err := countOption(inv, &o); err != nil {
		return o, err
	}
	if o.MaxString, err = inv.IntOpt('N', value.DefaultMaxString); err != nil {
		return o, err
	}
	if o.MaxString <= 0 {
		o.MaxString = -1
	}
	o.Addresses = inv.Flag('a')
	o.PromiseReactions = promiseReactions(inv)
	o.AsyncFunction = asyncFunctionState(inv)
	return o, nil
}

// countOption applies -n COUNT: how many elements, entries and bytes of
// each value are shown; 0 shows all (bounded by what the core holds).
func countOption(inv *Invocation, o *value.Options) error {
	if _, ok := inv.Opt('n'); !ok {
		return nil
	}
	n, err := inv.IntOpt('n', 0)
	if err != nil {
		return err
	}
	if n == 0 {
		o.MaxItems, o.MaxBytes = -1, -1
		o.MaxNodes = max(o.MaxNodes, object.MaxElements)
		return nil
	}
	o.MaxItems, o.MaxBytes = n, n
	return nil
}

func runJSPrint(inv *Invocation) error {
	h, err := HeapOf(inv)
	if err != nil {
		return err
	}
	o, err := jsOptions(inv)
	if err != nil {
		return err
	}
	v := object.Value(inv.Addr)
	if len(inv.Args) > 0 {
		path := strings.Join(inv.Args, "")
		v, err = ResolveMember(h, v, path)
		if err != nil {
			if inv.JSON {
				return inv.JSONLine(value.Object{{Key: "$error", Value: err.Error()}, {Key: "$addr", Value: Hex(inv.Addr)}})
			}
			return err
		}
	}
	if inv.JSON {
		_, err := fmt.Fprintf(inv.Out, "%s\n", value.FormatJSON(h, v, o))
		return err
	}
	s := value.Format(h, v, o)
	if inv.Piped {
		s = Hex(uint64(v)) + " " + s
	}
	_, err = fmt.Fprintln(inv.Out, s)
	return err
}

// ResolveMember follows a member path (a.b, a[3], a["x y"]) from v through
// own properties and array elements.
func ResolveMember(h *object.Heap, v object.Value, path string) (object.Value, error) {
	steps, err := parseMemberPath(path)
	if err != nil {
		return 0, err
	}
	cur := v
	for _, s := range steps {
		next, err := member(h, cur, s)
		if err != nil {
			return 0, err
		}
		cur = next
	}
	return cur, nil
}

func parseMemberPath(p string) ([]string, error) {
	var out []string
	i := 0
	for i < len(p) {
		switch p[i] {
		case '.':
			i++
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("bad member path %q: missing ]", p)
			}
			in := p[i+1 : i+j]
			if len(in) >= 2 && (in[0] == '"' || in[0] == '\'') && in[len(in)-1] == in[0] {
				in = in[1 : len(in)-1]
			}
			out = append(out, in)
			i += j + 1
		default:
			j := i
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			out = append(out, p[i:j])
			i = j
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty member path")
	}
	return out, nil
}

func member(h *object.Heap, v object.Value, name string) (object.Value, error) {
	if h.IsString(v) && name == "length" {
		return lengthMember(h, v)
	}
	if !h.IsHeapObject(v) {
		return 0, fmt.Errorf("no member %q: %#x is not an object", name, uint64(v))
	}
	if idx, err := strconv.ParseInt(name, 10, 64); err == nil && idx >= 0 {
		els, err := h.Elements(v, -1, -1)
		if err == nil {
			for _, e := range els.Elements {
				if e.Index == idx && !e.Hole {
					if e.IsDouble {
						return 0, fmt.Errorf("member %q is an unboxed double (%s): print the array", name, value.FormatNumber(e.Num))
					}
					return e.Value, nil
				}
			}
		}
	}
	p, err := findProperty(h, v, name)
	if err != nil {
		return 0, err
	}
	if p != nil && !p.Accessor {
		return p.Value, nil
	}
	// What V8 keeps outside plain properties: lengths in the object's
	// own fields, an Error's stack under a private symbol.
	switch name {
	case "length":
		if n, err := lengthMember(h, v); err == nil || p == nil || p.Native {
			return n, err
		}
	case "stack":
		if es, err := h.ErrorStack(v); err == nil || p == nil {
			return stackMember(v, es, err)
		}
	}
	if p != nil {
		return 0, fmt.Errorf("member %q is an accessor with a getter, which ndb cannot run", name)
	}
	return 0, fmt.Errorf("no member %q in %#x", name, uint64(v))
}

// findProperty finds the named property on v or its prototype chain, as a
// JavaScript property read does; nil when there is none.
func findProperty(h *object.Heap, v object.Value, name string) (*object.Property, error) {
	cur := v
	for depth := 0; depth < 64 && h.IsHeapObject(cur); depth++ {
		t, err := h.InstanceType(cur)
		if err != nil {
			return nil, err
		}
		if !h.IsJSReceiverType(t) {
			break
		}
		props, err := h.Properties(cur)
		if err != nil {
			if depth == 0 {
				return nil, err
			}
			break
		}
		for i := range props {
			if props[i].Name == name && !props[i].Private && !props[i].IsSymbol {
				return &props[i], nil
			}
		}
		mi, err := h.MapOf(cur)
		if err != nil {
			break
		}
		cur = mi.Prototype
	}
	return nil, nil
}

// lengthMember is the length of a string (UTF-16 code units), an array or
// a typed array (elements), as a Smi.
func lengthMember(h *object.Heap, v object.Value) (object.Value, error) {
	var n int64
	switch t, err := h.InstanceType(v); {
	case err != nil:
		return 0, err
	case h.IsStringType(t):
		_, ln, err := h.ReadString(v, 1)
		if err != nil {
			return 0, err
		}
		n = int64(ln)
	case t == h.Layout.Types.JSArray:
		if n, err = h.ArrayLength(v); err != nil {
			return 0, err
		}
	case t == h.Layout.Types.JSTypedArray:
		// The byte length over the element size: JSTypedArray::length is
		// not where the metadata says on every V8.
		d := value.Describe(h, v, value.Options{Depth: 0, MaxItems: 1, MaxBytes: 1})
		sz := 0
		if d.Buffer != nil {
			sz = value.ElementSize(d.Buffer.ElementType)
		}
		if d.Kind != value.KTypedArray || sz == 0 {
			return 0, fmt.Errorf("no length of %#x: not a typed array ndb knows (%s)", uint64(v), d.Kind)
		}
		n = d.Length / int64(sz)
	default:
		return 0, fmt.Errorf("no member \"length\" in %#x (%s)", uint64(v), h.TypeNameOf(t))
	}
	s, ok := h.Smi(n)
	if !ok {
		return 0, fmt.Errorf("length of %#x is %d, more than a Smi holds", uint64(v), n)
	}
	return s, nil
}

// stackMember is an Error's stack: the formatted one when the process
// read (or set) err.stack; else it says plainly that it never was.
func stackMember(v object.Value, es *object.ErrorStack, err error) (object.Value, error) {
	switch {
	case err != nil:
		return 0, err
	case es.Formatted != 0:
		return es.Formatted, nil
	}
	return 0, fmt.Errorf("the stack of %#x was never formatted: the process did not read err.stack, so V8 still holds the call sites it captured (%#x), which ndb does not format", uint64(v), uint64(es.CallSites))
}
