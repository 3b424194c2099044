package heap

import "fmt"

// EdgeKind says how a holder references an object.
type EdgeKind string

const (
	EdgeProperty      EdgeKind = "property"       // a named property; Key is its name
	EdgeGetter        EdgeKind = "getter"         // an accessor's getter; Key is the property
	EdgeSetter        EdgeKind = "setter"         // an accessor's setter; Key is the property
	EdgeElement       EdgeKind = "element"        // an array element; Key is its index
	EdgeMapEntry      EdgeKind = "map-entry"      // a Map value; Key is its key, as text
	EdgeMapKey        EdgeKind = "map-key"        // a Map key
	EdgeSetEntry      EdgeKind = "set-entry"      // a Set member
	EdgeContext       EdgeKind = "context"        // a closure's context variable; Key is its name
	EdgeInternal      EdgeKind = "internal"       // a slot no name tells (a path step)
	EdgeInternalField EdgeKind = "internal-field" // a direct slot no name tells (a holder)
)

// Edge is how a holder references an object: its kind and key.
type Edge struct {
	Kind EdgeKind
	Key  string // the property name, element index, Map key or variable name
}

// String is the edge as ndb prints it: "headers", "get x", "[7]",
// `Map entry "k-17"`, "Set entry", "Map key", "context kept", "(internal)".
func (e Edge) String() string {
	switch e.Kind {
	case "":
		return ""
	case EdgeProperty:
		return e.Key
	case EdgeGetter:
		return "get " + e.Key
	case EdgeSetter:
		return "set " + e.Key
	case EdgeElement:
		return "[" + e.Key + "]"
	case EdgeMapEntry:
		return "Map entry " + e.Key
	case EdgeMapKey:
		return "Map key"
	case EdgeSetEntry:
		return "Set entry"
	case EdgeContext:
		return "context " + e.Key
	case EdgeInternal:
		return "(internal)"
	case EdgeInternalField:
		return "(internal field)"
	}
	return fmt.Sprintf("(%s %s)", e.Kind, e.Key)
}
