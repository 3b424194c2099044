package heapsnapshot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	reader "github.com/ndb-debugger/ndb/internal/heapsnapshot"
)

// A small graph through the writer and back through the reader: types,
// names (escaped, deduplicated, truncated at a character), edges and the
// strings table as JSON.parse would see them.
func TestWriterRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.heapsnapshot")
	out, err := Create(path, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(out.Dir())
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", MaxNameLength) // 2 bytes each
	w.Node(Node{Type: NodeSynthetic, ID: 1}, []Edge{{Type: EdgeShortcut, Name: "global", To: 1}})
	w.Node(Node{Type: NodeObject, Name: "A\"b\\c\n\x01\xff", ID: 3, SelfSize: 32}, []Edge{
		{Type: EdgeProperty, Name: "s", To: 2}, {Type: EdgeElement, Index: 7, To: 2}, {Type: EdgeHidden, Index: 3, To: 3},
	})
	w.Node(Node{Type: NodeString, Name: long, ID: 5, SelfSize: 2064}, nil)
	w.Node(Node{Type: NodeClosure, Name: "s", ID: 7, SelfSize: 64}, nil)
	if err := w.Finish(out, Extra{Producer: "test"}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := out.Commit(false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	s, err := reader.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Types, ","); got != "synthetic,object,string,closure" {
		t.Errorf("types %s", got)
	}
	if s.Names[1] != "A\"b\\c\n\x01\ufffd" {
		t.Errorf("name %q", s.Names[1])
	}
	if want := strings.Repeat("é", MaxNameLength/2); s.Names[2] != want {
		t.Errorf("long name: %d bytes, want %d", len(s.Names[2]), len(want))
	}
	if to, err := s.Edge(1, "element", "7"); err != nil || to != 2 {
		t.Errorf("element 7 → %d, %v", to, err)
	}
	if to, err := s.Edge(1, "hidden", "3"); err != nil || to != 3 {
		t.Errorf("hidden 3 → %d, %v", to, err)
	}
	var raw struct {
		Snapshot struct {
			NodeCount int   `json:"node_count"`
			EdgeCount int   `json:"edge_count"`
			Ndb       Extra `json:"ndb"`
		} `json:"snapshot"`
		Strings []string `json:"strings"`
	}
	b, _ := os.ReadFile(path)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Snapshot.NodeCount != 4 || raw.Snapshot.EdgeCount != 4 || raw.Snapshot.Ndb.Producer != "test" {
		t.Errorf("header %+v", raw.Snapshot)
	}
	seen := map[string]bool{}
	for _, x := range raw.Strings {
		if seen[x] {
			t.Errorf("string %q twice", x)
		}
		seen[x] = true
	}
}

func TestOutputPaths(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old")
	os.WriteFile(existing, []byte("keep"), 0o644)
	input := filepath.Join(dir, "in.core")
	os.WriteFile(input, []byte("core"), 0o644)
	for _, c := range []struct {
		path   string
		inputs []string
		force  bool
		want   string
	}{
		{dir, nil, true, "not a regular file"},
		{"/dev/null", nil, true, "not a regular file"},
		{existing, nil, false, "exists; use --force"},
		{input, []string{input}, true, "is the input"},
		{filepath.Join(dir, "no", "such"), nil, false, "no such file or directory"},
	} {
		_, err := Create(c.path, c.inputs, c.force)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Create(%s): %v, want %q", c.path, err, c.want)
		}
	}
	// Replaced with force; an aborted write leaves the old file whole.
	out, err := Create(existing, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	out.WriteString("partial")
	out.Abort()
	if b, _ := os.ReadFile(existing); string(b) != "keep" {
		t.Errorf("aborted write changed the file: %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
