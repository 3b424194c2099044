package heapsnapshot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"strconv"
	"unicode/utf8"
)

// MaxNameLength is the longest string name kept, in bytes, as V8's
// StringsStorage keeps at most 1024 characters of a string.
const MaxNameLength = 1024

// Location is a closure's position in its script (0-based line and
// column, as V8 writes them).
type Location struct {
	Node     uint32 // node ordinal
	ScriptID int
	Line     int
	Column   int
}

// Writer streams a snapshot to temporary files until Finish.
type Writer struct {
	nodes, edges, strs, locs spool
	seed                     [2]maphash.Seed
	ids                      map[[2]uint64]uint32 // hash of a string -> its index
	nstr                     uint32
	nodeCount, edgeCount     uint64
	locCount                 uint64
	pending                  uint64 // edges of the node not yet written
	scratch, sbuf            []byte // the line being written; the string being added
}

// spool is one temporary file being written.
type spool struct {
	f *os.File
	w *bufio.Writer
}

func newSpool(dir string) (spool, error) {
	f, err := os.CreateTemp(dir, ".ndb-heapsnapshot-*.part")
	if err != nil {
		return spool{}, err
	}
	// The spool is not needed under a name: gone on close, whatever happens.
	os.Remove(f.Name())
	return spool{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

// NewWriter makes a writer whose temporary files go in dir.
func NewWriter(dir string) (*Writer, error) {
	w := &Writer{ids: map[[2]uint64]uint32{}, seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	for _, s := range []*spool{&w.nodes, &w.edges, &w.strs, &w.locs} {
		sp, err := newSpool(dir)
		if err != nil {
			w.Close()
			return nil, err
		}
		*s = sp
	}
	// V8's strings table starts with "<dummy>".
	w.str("<dummy>")
	return w, nil
}

// Close drops the temporary files.
func (w *Writer) Close() {
	for _, s := range []*spool{&w.nodes, &w.edges, &w.strs, &w.locs} {
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
	}
}

// str returns the index of s in the strings table, adding it when new.
// Strings are told apart by a 128-bit hash, so memory holds 20 bytes per
// distinct string rather than the string.
func (w *Writer) str(s string) uint32 {
	if len(s) > MaxNameLength {
		cut := MaxNameLength
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	k := [2]uint64{maphash.String(w.seed[0], s), maphash.String(w.seed[1], s)}
	if i, ok := w.ids[k]; ok {
		return i
	}
	i := w.nstr
	w.ids[k] = i
	w.nstr++
	b := w.sbuf[:0]
	if i > 0 {
		b = append(b, ",\n"...)
	}
	b = appendString(b, s)
	w.strs.w.Write(b)
	w.sbuf = b
	return i
}

// Edge writes an edge of the node the next EndNode writes: a node's
// edges come first, so that none is held in memory.
func (w *Writer) Edge(e Edge) {
	b := w.scratch[:0]
	if w.edgeCount > 0 {
		b = append(b, ",\n"...)
	}
	b = strconv.AppendInt(b, int64(e.Type), 10)
	b = append(b, ',')
	if e.Type.indexed() {
		b = strconv.AppendUint(b, e.Index, 10)
	} else {
		b = strconv.AppendUint(b, uint64(w.str(e.Name)), 10)
	}
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(e.To)*uint64(len(nodeFields)), 10)
	w.edges.w.Write(b)
	w.edgeCount++
	w.pending++
	w.scratch = b
}

// EndNode writes a node whose edges are those written since the last
// node.
func (w *Writer) EndNode(n Node) {
	b := w.scratch[:0]
	if w.nodeCount > 0 {
		b = append(b, ",\n"...)
	}
	b = strconv.AppendInt(b, int64(n.Type), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(w.str(n.Name)), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, n.ID, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, n.SelfSize, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, w.pending, 10)
	b = append(b, ",0,0"...) // trace_node_id, detachedness (unknown)
	w.nodes.w.Write(b)
	w.nodeCount++
	w.pending = 0
	w.scratch = b
}

// Node writes a node and its edges.
func (w *Writer) Node(n Node, edges []Edge) {
	for _, e := range edges {
		w.Edge(e)
	}
	w.EndNode(n)
}

// Location records where a closure's function is.
func (w *Writer) Location(l Location) {
	b := w.scratch[:0]
	if w.locCount > 0 {
		b = append(b, ",\n"...)
	}
	b = fmt.Appendf(b, "%d,%d,%d,%d", uint64(l.Node)*uint64(len(nodeFields)), l.ScriptID, l.Line, l.Column)
	w.locs.w.Write(b)
	w.locCount++
	w.scratch = b
}

// Counts returns the nodes and edges written so far.
func (w *Writer) Counts() (nodes, edges uint64) { return w.nodeCount, w.edgeCount }

type meta struct {
	NodeFields              []string `json:"node_fields"`
	NodeTypes               []any    `json:"node_types"`
	EdgeFields              []string `json:"edge_fields"`
	EdgeTypes               []any    `json:"edge_types"`
	TraceFunctionInfoFields []string `json:"trace_function_info_fields"`
	TraceNodeFields         []string `json:"trace_node_fields"`
	SampleFields            []string `json:"sample_fields"`
	LocationFields          []string `json:"location_fields"`
}

type header struct {
	Meta               meta   `json:"meta"`
	NodeCount          uint64 `json:"node_count"`
	EdgeCount          uint64 `json:"edge_count"`
	TraceFunctionCount int    `json:"trace_function_count"`
	Extra              any    `json:"ndb,omitempty"`
}

// Finish writes the whole snapshot to out; extra, when not nil, is
// written as snapshot.ndb (what the producer wants readers to know, such
// as damaged pages).
func (w *Writer) Finish(out io.Writer, extra any) error {
	h := header{
		Meta: meta{
			NodeFields:              nodeFields,
			NodeTypes:               []any{nodeTypeNames, "string", "number", "number", "number", "number", "number"},
			EdgeFields:              edgeFields,
			EdgeTypes:               []any{edgeTypeNames, "string_or_number", "node"},
			TraceFunctionInfoFields: []string{"function_id", "name", "script_name", "script_id", "line", "column"},
			TraceNodeFields:         []string{"id", "function_info_index", "count", "size", "children"},
			SampleFields:            []string{"timestamp_us", "last_assigned_id"},
			LocationFields:          []string{"object_index", "script_id", "line", "column"},
		},
		NodeCount: w.nodeCount,
		EdgeCount: w.edgeCount,
		Extra:     extra,
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	bw.WriteString(`{"snapshot":`)
	bw.Write(hb)
	sections := []struct {
		name string
		s    *spool
	}{{"nodes", &w.nodes}, {"edges", &w.edges}, {"", nil}, {"locations", &w.locs}, {"strings", &w.strs}}
	for _, sec := range sections {
		if sec.s == nil {
			bw.WriteString(",\n\"trace_function_infos\":[],\n\"trace_tree\":[],\n\"samples\":[]")
			continue
		}
		fmt.Fprintf(bw, ",\n%q:[", sec.name)
		if err := sec.s.copyTo(bw); err != nil {
			return err
		}
		bw.WriteString("]")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func (s *spool) copyTo(out io.Writer) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(out, s.f)
	return err
}

// appendString appends s as a JSON string. Bytes that are not UTF-8 become
// U+FFFD, as JSON.stringify can only write text.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\ufffd"...)
		} else if r == '\u2028' || r == '\u2029' {
			b = fmt.Appendf(b, `\u%04x`, r)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}
