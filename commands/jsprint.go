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
		Synopsis: "ADDR::jsprint [-a] [-d DEPTH] [-N LEN] [MEMBER]",
		Summary:  "print the JavaScript value at ADDR",
		Opts:     "ad:N:",
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
buffers and typed arrays their length and bytes. Objects deeper than DEPTH
print as [Constructor]; a reference to an enclosing object as [Circular ADDR].
A value that cannot be decoded prints as <error: reason>.

  -a        show the address of every heap value ("0x...: value")
  -d DEPTH  levels of nesting to expand (default 2)
  -N LEN    cut strings to LEN characters (default 256), showing the full length
  MEMBER    print only this member: a path of property names and indices,
            such as headers.host, items[3] or map["key with spaces"]`,
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
  Promise      {..., "$state": "pending|fulfilled|rejected", "$result": value}
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
	if o.MaxString, err = inv.IntOpt('N', value.DefaultMaxString); err != nil {
		return o, err
	}
	if o.MaxString <= 0 {
		o.MaxString = -1
	}
	o.Addresses = inv.Flag('a')
	return o, nil
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
	props, err := h.Properties(v)
	if err != nil {
		return 0, err
	}
	for _, p := range props {
		if p.Name == name && !p.Private {
			if p.Accessor {
				return 0, fmt.Errorf("member %q is an accessor", name)
			}
			return p.Value, nil
		}
	}
	return 0, fmt.Errorf("no member %q in %#x", name, uint64(v))
}
