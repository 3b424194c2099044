package commands

import (
	"fmt"

	"github.com/ndb-debugger/ndb/v8/object"
)

func init() {
	Register(&Command{
		Name:     "v8type",
		Synopsis: "ADDR::v8type",
		Summary:  "the V8 instance type of the heap object at ADDR",
		Addr:     AddrRequired,
		Help:     `Prints "ADDR: TYPE_NAME" (from the binary's metadata), or "ADDR: Smi N".`,
		JSON:     "One object.",
		Record: Alternatives{
			{When: "a heap object", Record: typeRecord{}},
			{When: "a Smi", Record: smiRecord{}},
		},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			v := object.Value(inv.Addr)
			if h.IsSmi(v) {
				if inv.JSON {
					return inv.Emit(smiRecord{Addr: Hex(inv.Addr), Smi: h.SmiValue(v)})
				}
				inv.Printf("%s: Smi %d\n", Hex(inv.Addr), h.SmiValue(v))
				return nil
			}
			t, err := h.InstanceType(v)
			if err != nil {
				return err
			}
			name := h.TypeNameOf(t)
			if inv.JSON {
				return inv.Emit(typeRecord{Addr: Hex(inv.Addr), Type: name, Value: t})
			}
			inv.Printf("%s: %s\n", Hex(inv.Addr), name)
			return nil
		},
	})
	Register(&Command{
		Name:     "v8print",
		Synopsis: "ADDR::v8print [CLASS]",
		Summary:  "the raw fields of the V8 object at ADDR, from the metadata",
		Addr:     AddrRequired,
		Help: `Prints every field the postmortem metadata (and ndb's fallback table) names for
the object's V8 class and its parent classes, with offsets and raw values:

  0x...: JSObject < JSReceiver < HeapObject {
      +0   map                          0x...  (MAP_TYPE)
      ...

CLASS overrides the class chosen from the instance type.`,
		JSON:   "One object.",
		Record: v8ObjectRecord{},
		Run:    runV8Print,
	})
}

func runV8Print(inv *Invocation) error {
	h, err := HeapOf(inv)
	if err != nil {
		return err
	}
	v := object.Value(inv.Addr)
	if !h.IsHeapObject(v) {
		return fmt.Errorf("%#x is not a heap object", inv.Addr)
	}
	cls := ""
	if len(inv.Args) > 0 {
		cls = inv.Args[0]
	} else {
		t, err := h.InstanceType(v)
		if err != nil {
			return err
		}
		cls = inv.Session.Meta.TypeClass(t)
		if cls == "" {
			switch {
			case h.IsFunctionType(t):
				cls = "JSFunction"
			case h.IsStringType(t):
				cls = "String"
			default:
				cls = "HeapObject"
			}
		}
	}
	chain := []string{cls}
	for c := cls; len(chain) < 16; {
		p, ok := inv.Session.Meta.Parent(c)
		if !ok || p == "" || p == "Object" {
			break
		}
		chain = append(chain, p)
		c = p
	}
	type row struct {
		Class, Name, Type string
		Offset            int64
		Value             string
	}
	var rows []row
	seen := map[int64]bool{}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, f := range inv.Session.Meta.ClassFields(chain[i]) {
			if f.Offset < 0 || f.Offset > 1<<16 || seen[f.Offset] && f.Type != "" {
				continue
			}
			seen[f.Offset] = true
			val := "?"
			if w, err := h.Proc.ReadU64(h.Untag(v) + uint64(f.Offset)); err == nil {
				val = fmt.Sprintf("%#x", w)
				if wv := object.Value(w); h.IsHeapObject(wv) && isTaggedType(f.Type) {
					if t, err := h.InstanceType(wv); err == nil {
						val += " (" + h.TypeNameOf(t) + ")"
					}
				} else if h.IsSmi(wv) && isTaggedType(f.Type) {
					val += fmt.Sprintf(" (Smi %d)", h.SmiValue(wv))
				}
			}
			rows = append(rows, row{chain[i], f.Name, f.Type, f.Offset, val})
		}
	}
	if inv.JSON {
		fs := make([]v8FieldRecord, len(rows))
		for i, r := range rows {
			fs[i] = v8FieldRecord{Class: r.Class, Name: r.Name, Offset: r.Offset, Type: r.Type, Value: r.Value}
		}
		return inv.Emit(v8ObjectRecord{Addr: Hex(inv.Addr), Class: cls, Fields: fs})
	}
	inv.Printf("%s: %s {\n", Hex(inv.Addr), joinChain(chain))
	for _, r := range rows {
		inv.Printf("    +%-4d %-40s %s\n", r.Offset, r.Name, r.Value)
	}
	inv.Printf("}\n")
	return nil
}

func joinChain(c []string) string {
	s := c[0]
	for _, x := range c[1:] {
		s += " < " + x
	}
	return s
}

// isTaggedType: field types that hold a tagged value (not raw ints).
func isTaggedType(t string) bool {
	switch t {
	case "char", "int", "int32_t", "uint16_t", "int16_t", "uint8_t", "uint32_t", "uintptr_t", "size_t", "Address", "double":
		return false
	}
	return true
}

type typeRecord struct {
	Addr  string `json:"addr" doc:"the object"`
	Type  string `json:"type" doc:"its instance type's name"`
	Value int    `json:"value" doc:"its instance type's number"`
}

type smiRecord struct {
	Addr string `json:"addr" doc:"the word"`
	Smi  int64  `json:"smi" doc:"its Smi value"`
}

type v8ObjectRecord struct {
	Addr   string          `json:"addr" doc:"the object"`
	Class  string          `json:"class" doc:"its V8 class"`
	Fields []v8FieldRecord `json:"fields" doc:"the fields of the class and its parents"`
}

type v8FieldRecord struct {
	Class  string `json:"class" doc:"the class that declares the field"`
	Name   string `json:"name" doc:"the field"`
	Offset int64  `json:"offset" doc:"its offset in the object"`
	Type   string `json:"type" doc:"its type, as the metadata names it"`
	Value  string `json:"value" doc:"its raw value, with the type or Smi value it points at"`
}
