package value

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/ndb-debugger/ndb/v8/object"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Format describes v and renders it in JavaScript-like text, multi-line,
// four spaces per level (the ::jsprint text format).
func Format(h *object.Heap, v Value, o Options) string {
	return FormatNode(Describe(h, v, o), o)
}

// FormatNode renders a described value as text.
func FormatNode(n *Node, o Options) string {
	var b strings.Builder
	t := textPrinter{b: &b, o: o}
	t.node(n, 0)
	return b.String()
}

// Summary is a one-line description of v for listings (stack frames,
// closures, arrays): primitives in full (strings cut at 80), objects as
// their constructor, functions with their name.
func Summary(h *object.Heap, v Value) string {
	n := Describe(h, v, Options{Depth: -1, MaxString: 80, MaxItems: 1})
	return SummaryNode(n)
}

// AddressedSummary is Summary preceded by the value's address, as
// ::jsprint -a writes it ("0x1c755f9659b1: [OrderProcessor]"); Smis have
// none.
func AddressedSummary(h *object.Heap, v Value) string {
	if !h.IsHeapObject(v) {
		return Summary(h, v)
	}
	return hexAddr(v) + ": " + Summary(h, v)
}

// SummaryNode is Summary for a described value.
func SummaryNode(n *Node) string {
	switch n.Kind {
	case KObject, KTruncated, KGlobal:
		if n.Ctor == "" {
			return "[Object]"
		}
		return "[" + n.Ctor + "]"
	case KArray:
		return fmt.Sprintf("[Array(%d)]", n.Length)
	}
	return FormatNode(n, Options{Depth: -1})
}

// MoreText says what a limit cut: "... 9,900 more elements (-n 0 for
// all)".
func MoreText(n int, what string) string {
	return "... " + Thousands(n) + " more " + what + " (-n 0 for all)"
}

// Thousands writes n with a comma between groups of three digits.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$]*$`)

// propertyKey renders a property name as an object-literal key.
func propertyKey(name string, symbol bool) string {
	switch {
	case symbol:
		return "[" + name + "]"
	case identRE.MatchString(name):
		return name
	}
	if _, err := strconv.ParseUint(name, 10, 32); err == nil {
		return name
	}
	return object.QuoteString(name)
}

type textPrinter struct {
	b *strings.Builder
	o Options
}

func (t *textPrinter) w(s string) { t.b.WriteString(s) }

func (t *textPrinter) indent(level int) { t.w(strings.Repeat("    ", level)) }

func (t *textPrinter) addr(n *Node) {
	if t.o.Addresses && n.Addr != 0 {
		fmt.Fprintf(t.b, "%#x: ", uint64(n.Addr))
	}
}

func fnText(n *Node) string {
	fi := n.Fn
	if fi == nil {
		return "[Function]"
	}
	name := fi.DisplayName()
	if fi.Name == "" && fi.InferredName != "" {
		name = "<anonymous> (as " + fi.InferredName + ")"
	}
	s := "[Function: " + name + "]"
	if loc := fi.Location(); loc != "" {
		s += " " + loc
	}
	return s
}

func (t *textPrinter) node(n *Node, level int) {
	t.addr(n)
	switch n.Kind {
	case KNumber:
		t.w(FormatNumber(n.Num))
	case KString:
		str := n.String
		t.w(object.QuoteString(str.Text))
		if len(str.Text) > 0 && str.Length > len([]rune(str.Text)) || str.Length > 0 && str.Text == "" {
			fmt.Fprintf(t.b, "... (length %d)", str.Length)
		}
	case KBigInt:
		t.w(n.BigInt + "n")
	case KBool:
		t.w(strconv.FormatBool(n.Bool))
	case KUndefined, KNull, KHole:
		t.w(string(n.Kind))
	case KSymbol:
		t.w("Symbol(" + n.Symbol + ")")
	case KCircular:
		fmt.Fprintf(t.b, "[Circular %#x]", uint64(n.Addr))
	case KTruncated:
		if n.Ctor == "" {
			t.w("[Object]")
		} else {
			t.w("[" + n.Ctor + "]")
		}
	case KError:
		t.w("<error: " + n.Err + ">")
	case KInternal:
		t.w("<" + n.InternalType + ">")
	case KReaction:
		t.w(n.Reaction.Text())
	case KDate:
		t.w(n.Date)
	case KRegExp:
		t.w(n.RegExp)
	case KFunction:
		t.w(fnText(n))
		if len(n.Slots) > 0 {
			t.block(" {", "}", level, len(n.Slots), func(i int) { t.prop(n.Slots[i], level+1) })
		}
	case KArrayBuffer, KTypedArray:
		name := n.Ctor
		if name == "FastBuffer" {
			name = "Buffer"
		}
		if name == "" {
			name = "ArrayBuffer"
		}
		buf := n.Buffer
		if vals := TypedElements(buf.ElementType, buf.Bytes); n.Kind == KTypedArray && vals != nil && name != "Buffer" {
			sz := typedSize(buf.ElementType)
			fmt.Fprintf(t.b, "%s(%d) [%s", name, len(vals)+n.More/sz, strings.Join(vals, ", "))
			if n.More > 0 {
				t.w(", " + MoreText(n.More/sz, "elements"))
			}
			t.w("]")
			break
		}
		fmt.Fprintf(t.b, "%s(%d) <", name, n.Length)
		for i, c := range buf.Bytes {
			if i > 0 {
				t.w(" ")
			}
			fmt.Fprintf(t.b, "%02x", c)
		}
		if n.More > 0 {
			t.w(" " + MoreText(n.More, "bytes"))
		}
		t.w(">")
	case KBoxed:
		t.w("[" + n.Ctor + ": ")
		t.node(n.Slots[0].Val, level)
		t.w("]")
	case KArray:
		pre := ""
		if n.Ctor != "Array" && n.Ctor != "" {
			pre = n.Ctor + " "
		}
		if n.Sparse {
			pre += fmt.Sprintf("Array(%d) ", n.Length)
		}
		items := len(n.Elems) + len(n.Props)
		more := n.More > 0
		if more {
			items++
		}
		t.block(pre+"[", "]", level, items, func(i int) {
			switch {
			case i < len(n.Elems):
				t.indent(level + 1)
				if n.Sparse {
					fmt.Fprintf(t.b, "%d: ", n.Elems[i].Index)
				}
				t.node(n.Elems[i].Val, level+1)
				t.w(",\n")
			case i < len(n.Elems)+len(n.Props):
				t.prop(n.Props[i-len(n.Elems)], level+1)
			default:
				t.indent(level + 1)
				t.w(MoreText(n.More, "elements") + "\n")
			}
		})
	case KMap, KSet, KWeakMap, KWeakSet:
		name := n.Ctor
		if n.Kind == KMap || n.Kind == KSet {
			name = fmt.Sprintf("%s(%d)", n.Ctor, n.Length)
		}
		items := len(n.Entries) + len(n.Props)
		if n.More > 0 {
			items++
		}
		t.block(name+" {", "}", level, items, func(i int) {
			switch {
			case i < len(n.Entries):
				e := n.Entries[i]
				t.indent(level + 1)
				t.node(e.Key, level+1)
				if e.Val != nil {
					t.w(" => ")
					t.node(e.Val, level+1)
				}
				t.w(",\n")
			case i < len(n.Entries)+len(n.Props):
				t.prop(n.Props[i-len(n.Entries)], level+1)
			default:
				t.indent(level + 1)
				t.w(MoreText(n.More, "entries") + "\n")
			}
		})
	default: // objects, promises, proxies, weak refs, the global object
		name := n.Ctor
		if name == "Object" {
			name = ""
		}
		if name != "" {
			name += " "
		}
		all := append(append([]NodeProp(nil), n.Slots...), n.Props...)
		t.block(name+"{", "}", level, len(all), func(i int) { t.prop(all[i], level+1) })
	}
}

// block prints open, then items one per line, then close; "{}" when empty.
func (t *textPrinter) block(open, close string, level, items int, item func(int)) {
	if items == 0 {
		t.w(open + close)
		return
	}
	t.w(open + "\n")
	for i := 0; i < items; i++ {
		item(i)
	}
	t.indent(level)
	t.w(close)
}

func (t *textPrinter) prop(p NodeProp, level int) {
	t.indent(level)
	if strings.HasPrefix(p.Name, "[[") {
		t.w(p.Name)
	} else {
		t.w(propertyKey(p.Name, p.Symbol))
	}
	t.w(": ")
	switch {
	case p.Accessor:
		t.w("[Accessor")
		if p.Get != nil {
			t.w(" get ")
			t.node(p.Get, level)
		}
		if p.Set != nil {
			t.w(" set ")
			t.node(p.Set, level)
		}
		t.w("]")
	case p.Val != nil:
		t.node(p.Val, level)
	}
	t.w(",\n")
}

// FormatJSON describes v and returns its JSON form (the ::jsprint --json
// contract; see docs/jsprint.md).
func FormatJSON(h *object.Heap, v Value, o Options) []byte {
	b, err := json.Marshal(JSONValue(Describe(h, v, o)))
	if err != nil {
		b, _ = json.Marshal(map[string]string{"$error": err.Error(), "$addr": hexAddr(v)})
	}
	return b
}

func hexAddr(v Value) string { return fmt.Sprintf("%#x", uint64(v)) }

// Object is an ordered JSON object.
type Object []Member

// Member is one key and value of an Object.
type Member struct {
	Key   string
	Value any
}

// MarshalJSON keeps the member order.
func (o Object) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.Key)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func jsonNumber(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) || f == 0 && math.Signbit(f) {
		return Object{{"$number", FormatNumber(f)}}
	}
	return f
}

// JSONValue converts a described value to its JSON form.
func JSONValue(n *Node) any {
	head := func() Object {
		o := Object{{"$addr", hexAddr(n.Addr)}}
		if n.Ctor != "" {
			o = append(o, Member{"$constructor", n.Ctor})
		}
		return o
	}
	switch n.Kind {
	case KNumber:
		return jsonNumber(n.Num)
	case KString:
		if n.String.Length > len([]rune(n.String.Text)) {
			return Object{{"$string", n.String.Text}, {"$length", n.String.Length}}
		}
		return n.String.Text
	case KBool:
		return n.Bool
	case KNull:
		return nil
	case KUndefined:
		return Object{{"$undefined", true}}
	case KHole:
		return Object{{"$hole", true}}
	case KBigInt:
		return Object{{"$bigint", n.BigInt}}
	case KSymbol:
		return Object{{"$symbol", n.Symbol}}
	case KCircular:
		return Object{{"$circular", hexAddr(n.Addr)}}
	case KTruncated:
		return append(head(), Member{"$truncated", true})
	case KError:
		return Object{{"$error", n.Err}, {"$addr", hexAddr(n.Addr)}}
	case KInternal:
		return Object{{"$addr", hexAddr(n.Addr)}, {"$internal", n.InternalType}}
	case KReaction:
		return reactionJSON(n.Reaction)
	case KDate:
		return append(head(), Member{"$date", n.Date})
	case KRegExp:
		return append(head(), Member{"$regexp", n.RegExp})
	case KFunction:
		o := head()
		if n.Fn != nil {
			o = append(o, Member{"$function", n.Fn.DisplayName()})
			if n.Fn.ScriptName != "" {
				o = append(o, Member{"$script", n.Fn.ScriptName})
			}
			if n.Fn.Line > 0 {
				o = append(o, Member{"$line", n.Fn.Line}, Member{"$column", n.Fn.Column})
			}
		}
		for _, s := range n.Slots {
			o = append(o, Member{jsonSlot(s.Name), JSONValue(s.Val)})
		}
		return o
	case KArrayBuffer, KTypedArray:
		o := head()
		o = append(o, Member{"length", n.Length}, Member{"$bytes", hex.EncodeToString(n.Buffer.Bytes)})
		if n.More > 0 {
			o = append(o, Member{"$more", n.More})
		}
		return o
	case KArray:
		o := head()
		o = append(o, Member{"length", n.Length})
		if n.Sparse {
			els := Object{}
			for _, e := range n.Elems {
				els = append(els, Member{strconv.FormatInt(e.Index, 10), JSONValue(e.Val)})
			}
			o = append(o, Member{"$elements", els})
		} else {
			els := make([]any, 0, len(n.Elems))
			for _, e := range n.Elems {
				els = append(els, JSONValue(e.Val))
			}
			o = append(o, Member{"$elements", els})
		}
		if n.More > 0 {
			o = append(o, Member{"$more", n.More})
		}
		return jsonProps(o, n.Props)
	case KMap, KSet, KWeakMap, KWeakSet:
		o := head()
		ents := make([]any, 0, len(n.Entries))
		for _, e := range n.Entries {
			if e.Val == nil {
				ents = append(ents, JSONValue(e.Key))
			} else {
				ents = append(ents, []any{JSONValue(e.Key), JSONValue(e.Val)})
			}
		}
		if n.Kind == KMap || n.Kind == KSet {
			o = append(o, Member{"size", n.Length})
		}
		o = append(o, Member{"$entries", ents})
		if n.More > 0 {
			o = append(o, Member{"$more", n.More})
		}
		return jsonProps(o, n.Props)
	}
	o := head()
	for _, s := range n.Slots {
		o = append(o, Member{jsonSlot(s.Name), jsonSlotValue(s)})
	}
	return jsonProps(o, n.Props)
}

// jsonSlot names an internal slot in JSON: [[PromiseState]] → $state.
func jsonSlot(s string) string {
	switch s {
	case "[[PromiseState]]":
		return "$state"
	case "[[PromiseResult]]":
		return "$result"
	case "[[PromiseReactions]]":
		return "$reactions"
	case "[[PromiseReactionsNote]]":
		return "$reactionsNote"
	case "[[AsyncFunctionState]]":
		return "$asyncState"
	case "[[SuspendedAt]]":
		return "$suspendedAt"
	case "[[PrimitiveValue]]":
		return "$primitive"
	case "[[Target]]":
		return "$target"
	case "[[Handler]]":
		return "$handler"
	case "[[TargetFunction]]":
		return "$boundTarget"
	case "[[BoundThis]]":
		return "$boundThis"
	}
	if strings.HasPrefix(s, "[[BoundArgs]]") {
		return "$boundArgs" + strings.TrimPrefix(s, "[[BoundArgs]]")
	}
	return s
}

func jsonProps(o Object, props []NodeProp) Object {
	for _, p := range props {
		if p.Accessor {
			acc := Object{}
			if p.Get != nil {
				acc = append(acc, Member{"get", JSONValue(p.Get)})
			}
			if p.Set != nil {
				acc = append(acc, Member{"set", JSONValue(p.Set)})
			}
			o = append(o, Member{p.Name, Object{{"$accessor", acc}}})
			continue
		}
		o = append(o, Member{p.Name, JSONValue(p.Val)})
	}
	return o
}

// ElementSize is the byte size of one element of a typed array of element
// type t ("Uint8", "Float64"...); 0 for an unknown type.
func ElementSize(t string) int { return typedSize(t) }

func typedSize(t string) int {
	switch t {
	case "Uint8", "Int8", "Uint8Clamped":
		return 1
	case "Uint16", "Int16", "Float16":
		return 2
	case "Uint32", "Int32", "Float32":
		return 4
	case "Float64", "BigInt64", "BigUint64":
		return 8
	}
	return 0
}

// TypedElements decodes the bytes of a typed array of element type t
// ("Uint8", "Float64"...) into JavaScript number text; nil for an unknown
// type.
func TypedElements(t string, b []byte) []string {
	sz := typedSize(t)
	if sz == 0 || t == "Float16" {
		return nil
	}
	out := make([]string, 0, len(b)/sz)
	for i := 0; i+sz <= len(b); i += sz {
		var u uint64
		for k := sz - 1; k >= 0; k-- {
			u = u<<8 | uint64(b[i+k])
		}
		var s string
		switch t {
		case "Uint8", "Uint8Clamped", "Uint16", "Uint32":
			s = strconv.FormatUint(u, 10)
		case "Int8":
			s = strconv.FormatInt(int64(int8(u)), 10)
		case "Int16":
			s = strconv.FormatInt(int64(int16(u)), 10)
		case "Int32":
			s = strconv.FormatInt(int64(int32(u)), 10)
		case "Float32":
			s = FormatNumber(float64(math.Float32frombits(uint32(u))))
		case "Float64":
			s = FormatNumber(math.Float64frombits(u))
		case "BigInt64":
			s = strconv.FormatInt(int64(u), 10) + "n"
		case "BigUint64":
			s = strconv.FormatUint(u, 10) + "n"
		}
		out = append(out, s)
	}
	return out
}

// reactionJSON is one element of "$reactions".
func reactionJSON(r *Reaction) Object {
	o := Object{{"kind", r.Kind}}
	if r.Function != "" {
		o = append(o, Member{"function", r.Function})
	}
	if r.Script != "" {
		o = append(o, Member{"script", r.Script})
	}
	if r.Line > 0 {
		o = append(o, Member{"line", r.Line}, Member{"column", r.Column})
	}
	if r.Object != 0 {
		o = append(o, Member{"object", hexAddr(r.Object)})
	}
	return o
}

// jsonSlotValue is an internal slot's JSON value; "$reactions" is a plain
// list of reactions (the first MaxItems of them).
func jsonSlotValue(s NodeProp) any {
	if s.Name != "[[PromiseReactions]]" || s.Val.Kind != KArray {
		return JSONValue(s.Val)
	}
	out := make([]any, 0, len(s.Val.Elems))
	for _, e := range s.Val.Elems {
		out = append(out, JSONValue(e.Val))
	}
	return out
}
