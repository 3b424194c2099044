package commands

import (
	"fmt"
	"reflect"
	"strings"
)

// A dcmd's --json output is one typed record per line. The record type is
// named in Command.Record (a zero value); ::help and docs/dcmds.md list its
// fields from the type itself, each with the short description in its doc
// tag, so the documented contract cannot drift from what is printed:
//
//	type dumpRecord struct {
//		Addr  string `json:"addr" doc:"the first byte's address"`
//		Bytes string `json:"bytes" doc:"the bytes in hex"`
//	}
//
// encoding/json prints a struct's fields in their declared order; records
// that replaced map literals declare them in the order of their JSON names,
// as a map printed them.

// Emit prints one record of the dcmd's --json output as a JSON line. The
// record must be of a type the dcmd's Command.Record documents: a record
// ::help does not describe is refused, as an internal error.
func (inv *Invocation) Emit(record any) error {
	if inv.Cmd != nil && !documents(inv.Cmd.Record, reflect.TypeOf(record)) {
		return fmt.Errorf("internal error (please report): ::%s prints a %T record its help does not document", inv.Cmd.Name, record)
	}
	return inv.JSONLine(record)
}

// documents reports whether a Command.Record names type t.
func documents(record any, t reflect.Type) bool {
	for _, a := range RecordAlternatives(record) {
		if reflect.TypeOf(a.Record) == t {
			return true
		}
	}
	return false
}

// Field is one documented field of a --json record.
type Field struct {
	Name string // the JSON name; nested fields are dotted ("path[].addr")
	Type string // the JSON type: string, number, boolean, object, array of …
	Doc  string // the doc tag
}

// RecordFields lists the fields of a record type (a struct, or a pointer
// to one), nested records included, in the order they are printed.
func RecordFields(record any) []Field {
	if record == nil {
		return nil
	}
	return structFields(reflect.TypeOf(record), "", 0)
}

// maxNesting bounds the walk through nested record types (a record never
// nests deeper; the bound stops a self-referencing type).
const maxNesting = 4

func structFields(t reflect.Type, prefix string, depth int) []Field {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || depth > maxNesting {
		return nil
	}
	var out []Field
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && name == "" {
			// encoding/json promotes an embedded struct's fields.
			out = append(out, structFields(f.Type, prefix, depth+1)...)
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		full := prefix + name
		out = append(out, Field{Name: full, Type: jsonType(f.Type), Doc: f.Tag.Get("doc")})
		elem := f.Type
		suffix := "."
		for elem.Kind() == reflect.Pointer || elem.Kind() == reflect.Slice || elem.Kind() == reflect.Array {
			if elem.Kind() != reflect.Pointer {
				suffix = "[]."
			}
			elem = elem.Elem()
		}
		if elem.Kind() == reflect.Struct && !isOpaque(elem) {
			out = append(out, structFields(elem, full+suffix, depth+1)...)
		}
	}
	return out
}

// isOpaque reports a struct type printed as a whole by its own JSON
// marshaller (a JavaScript value tree), not field by field.
func isOpaque(t reflect.Type) bool {
	m := reflect.TypeOf((*interface{ MarshalJSON() ([]byte, error) })(nil)).Elem()
	return t.Implements(m) || reflect.PointerTo(t).Implements(m)
}

func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonType(t.Elem())
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array of " + jsonType(t.Elem())
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return "any"
}

// FieldTable renders fields as the indented list ::help prints.
func FieldTable(fields []Field) string {
	w := 0
	for _, f := range fields {
		w = max(w, len(f.Name))
	}
	var b strings.Builder
	for _, f := range fields {
		fmt.Fprintf(&b, "%-*s  %-16s %s\n", w, f.Name, f.Type, f.Doc)
	}
	return b.String()
}

// Alternatives is the Record of a dcmd that prints one of several record
// types (a bound function or another one).
type Alternatives []Alternative

// Alternative is one record type and when it is printed.
type Alternative struct {
	When   string // "a bound function"
	Record any
}

// RecordAlternatives returns a Command.Record as a list of alternatives
// (one, unnamed, for a single record type).
func RecordAlternatives(record any) Alternatives {
	switch r := record.(type) {
	case nil:
		return nil
	case Alternatives:
		return r
	}
	return Alternatives{{Record: record}}
}

// JSONHelp is the JSON section of ::help: the dcmd's prose, then the
// fields of its record types.
func JSONHelp(c *Command) string {
	var b strings.Builder
	b.WriteString(c.JSON)
	for _, a := range RecordAlternatives(c.Record) {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		if a.When != "" {
			b.WriteString("For " + a.When + ":\n")
		} else {
			b.WriteString("Fields:\n")
		}
		b.WriteString(indent(FieldTable(RecordFields(a.Record))))
	}
	return b.String()
}
