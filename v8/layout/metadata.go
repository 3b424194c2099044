// Package layout describes V8's object model and frame layout as the
// postmortem metadata (v8dbg_* symbols) of a node binary gives it, filled in
// where the metadata has holes by one per-version fallback table
// (fallbacks.go). No other package holds a V8 offset.
package layout

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
)

// Constant is a named value with where it came from.
type Constant struct {
	Name   string // the symbol name, or "fallback:<key>" for table entries
	Value  int64
	Source string // elfcore.Source* or "fallback"
	Reason string // why a fallback holds this value (the layout it encodes)
}

// SourceFallback marks a value from the per-version fallback table.
const SourceFallback = "fallback"

type fieldEntry struct {
	typ    string
	value  int64
	source string
}

// Metadata is the loaded postmortem metadata of one node binary.
type Metadata struct {
	V8Version    string
	Major, Minor int

	all        []Constant
	misc       map[string]Constant                // v8dbg_<name> without a family prefix
	fields     map[string]map[string][]fieldEntry // class → field → entries
	types      map[string]int                     // INSTANCE_TYPE name → value
	typeNames  map[int][]string                   // value → names (several classes may share)
	typeClass  map[int]string                     // value → class name
	frameTypes map[string]int                     // frame type name → value
	frameNames map[int]string
	parents    map[string]string // class → parent (Node ≤ 20 only)
	node       map[string]Constant
	fallbacks  []Constant // fallback values in effect for this version
}

// ErrNoMetadata: the executable is not a Node binary with V8 postmortem
// support.
type ErrNoMetadata struct{ Exe string }

func (e *ErrNoMetadata) Error() string {
	return fmt.Sprintf("not a Node.js process: %s has no V8 postmortem metadata (no v8dbg_* symbols)", e.Exe)
}

var versionRE = regexp.MustCompile(`^(\d+)\.(\d+)`)

// Load reads the metadata of the process's executable.
func Load(p *elfcore.Process) (*Metadata, error) {
	return FromConstants(p.Constants, p.V8Version, p.ExePath)
}

// FromConstants builds the metadata from raw symbols (as a bundle stores
// them).
func FromConstants(raw []elfcore.RawConstant, v8Version, exe string) (*Metadata, error) {
	m := &Metadata{
		V8Version:  v8Version,
		misc:       map[string]Constant{},
		fields:     map[string]map[string][]fieldEntry{},
		types:      map[string]int{},
		typeNames:  map[int][]string{},
		typeClass:  map[int]string{},
		frameTypes: map[string]int{},
		frameNames: map[int]string{},
		parents:    map[string]string{},
		node:       map[string]Constant{},
	}
	nv8 := 0
	for _, r := range raw {
		c := Constant{Name: r.Name, Value: r.Value, Source: r.Source}
		m.all = append(m.all, c)
		switch {
		case strings.HasPrefix(r.Name, "nodedbg_"):
			m.node[strings.TrimPrefix(r.Name, "nodedbg_")] = c
			continue
		case !strings.HasPrefix(r.Name, "v8dbg_"):
			continue
		}
		nv8++
		name := strings.TrimPrefix(r.Name, "v8dbg_")
		switch {
		case strings.HasPrefix(name, "class_"):
			rest := strings.TrimPrefix(name, "class_")
			cls, ft, ok := strings.Cut(rest, "__")
			if !ok {
				continue
			}
			field, typ := ft, ""
			if i := strings.LastIndex(ft, "__"); i > 0 {
				field, typ = ft[:i], ft[i+2:]
			}
			if m.fields[cls] == nil {
				m.fields[cls] = map[string][]fieldEntry{}
			}
			m.fields[cls][field] = append(m.fields[cls][field], fieldEntry{typ, r.Value, r.Source})
		case strings.HasPrefix(name, "type_"):
			cls, tname, ok := strings.Cut(strings.TrimPrefix(name, "type_"), "__")
			if !ok {
				continue
			}
			v := int(r.Value)
			m.types[tname] = v
			m.typeNames[v] = append(m.typeNames[v], tname)
			m.typeClass[v] = cls
		case strings.HasPrefix(name, "frametype_"):
			f := strings.TrimPrefix(name, "frametype_")
			m.frameTypes[f] = int(r.Value)
			m.frameNames[int(r.Value)] = f
		case strings.HasPrefix(name, "parent_"):
			cls, parent, ok := strings.Cut(strings.TrimPrefix(name, "parent_"), "__")
			if ok {
				m.parents[cls] = parent
			}
		default:
			m.misc[name] = c
		}
	}
	if nv8 == 0 {
		return nil, &ErrNoMetadata{Exe: exe}
	}
	if mm := versionRE.FindStringSubmatch(v8Version); mm != nil {
		m.Major, _ = strconv.Atoi(mm[1])
		m.Minor, _ = strconv.Atoi(mm[2])
	}
	m.applyFallbacks()
	for _, names := range m.typeNames {
		sort.Strings(names)
	}
	return m, nil
}

// AtLeast reports whether the V8 version is major.minor or newer.
func (m *Metadata) AtLeast(major, minor int) bool {
	return m.Major > major || (m.Major == major && m.Minor >= minor)
}

// Field returns the offset of class.field, whatever type suffix the
// metadata used, trying the known alternative field names, then the
// fallback table.
func (m *Metadata) Field(class, field string) (int64, bool) {
	for _, f := range append([]string{field}, fieldAliases[class+"."+field]...) {
		if es := m.fields[class][f]; len(es) > 0 {
			return es[0].value, true
		}
	}
	return 0, false
}

// Const returns a misc constant (v8dbg_<name>), or its fallback.
func (m *Metadata) Const(name string) (int64, bool) {
	c, ok := m.misc[name]
	return c.Value, ok
}

// NodeConst returns a nodedbg_<name> constant.
func (m *Metadata) NodeConst(name string) (int64, bool) {
	c, ok := m.node[name]
	return c.Value, ok
}

// Type returns the value of an instance type by its enum name
// (e.g. "JS_OBJECT_TYPE").
func (m *Metadata) Type(name string) (int, bool) {
	v, ok := m.types[name]
	return v, ok
}

// TypeName names an instance type value ("JS_OBJECT_TYPE"), or "" if the
// metadata does not know it.
func (m *Metadata) TypeName(v int) string {
	if n := m.typeNames[v]; len(n) > 0 {
		return n[0]
	}
	return ""
}

// TypeClass names the V8 class of an instance type ("JSObject").
func (m *Metadata) TypeClass(v int) string { return m.typeClass[v] }

// Types returns every named instance type, sorted by value.
func (m *Metadata) Types() []Constant {
	var out []Constant
	for n, v := range m.types {
		out = append(out, Constant{Name: n, Value: int64(v)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Value < out[j].Value || out[i].Value == out[j].Value && out[i].Name < out[j].Name
	})
	return out
}

// FrameType returns a StackFrame::Type value by name ("InterpretedFrame").
func (m *Metadata) FrameType(name string) (int, bool) {
	v, ok := m.frameTypes[name]
	return v, ok
}

// FrameTypeName names a frame type value.
func (m *Metadata) FrameTypeName(v int) string { return m.frameNames[v] }

// MaxFrameType is the largest frame type value named by the metadata.
func (m *Metadata) MaxFrameType() int {
	mx := 0
	for _, v := range m.frameTypes {
		mx = max(mx, v)
	}
	return mx
}

// Parent returns the parent class named by v8dbg_parent_* (Node ≤ 20), or
// the built-in hierarchy for the common classes.
func (m *Metadata) Parent(class string) (string, bool) {
	if p, ok := m.parents[class]; ok {
		return p, true
	}
	p, ok := builtinParents[class]
	return p, ok
}

// ClassFields returns the fields the metadata names for one class, by
// offset.
func (m *Metadata) ClassFields(class string) []Field {
	var out []Field
	for f, es := range m.fields[class] {
		out = append(out, Field{Name: f, Type: es[0].typ, Offset: es[0].value})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Offset < out[j].Offset || out[i].Offset == out[j].Offset && out[i].Name < out[j].Name
	})
	return out
}

// Classes lists every class that has fields in the metadata.
func (m *Metadata) Classes() []string {
	var out []string
	for c := range m.fields {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Field is one field of a V8 class.
type Field struct {
	Name   string
	Type   string
	Offset int64
}

// All returns every constant: the binary's symbols, then the fallback
// values in effect.
func (m *Metadata) All() []Constant {
	out := append([]Constant(nil), m.all...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return append(out, m.fallbacks...)
}

// Missing lists which of the named requirements the metadata (with its
// fallbacks) cannot satisfy. A requirement is "Class.field", "const:Name",
// "type:NAME" or "frame:Name".
func (m *Metadata) Missing(reqs ...string) []string {
	var miss []string
	for _, r := range reqs {
		ok := false
		switch {
		case strings.HasPrefix(r, "const:"):
			_, ok = m.Const(r[6:])
		case strings.HasPrefix(r, "type:"):
			_, ok = m.Type(r[5:])
		case strings.HasPrefix(r, "frame:"):
			_, ok = m.FrameType(r[6:])
		default:
			cls, f, _ := strings.Cut(r, ".")
			_, ok = m.Field(cls, f)
		}
		if !ok {
			miss = append(miss, r)
		}
	}
	return miss
}

// Require returns an error naming the missing constants, or nil.
func (m *Metadata) Require(reqs ...string) error {
	if miss := m.Missing(reqs...); len(miss) > 0 {
		return fmt.Errorf("V8 metadata of this binary (V8 %s) lacks %s", m.V8Version, strings.Join(miss, ", "))
	}
	return nil
}
