package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path string, overwrite bool, inputs ...string) error {
	t.Helper()
	f, err := Create(path, overwrite, inputs...)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteString("new"); err != nil {
		t.Fatal(err)
	}
	return f.Commit()
}

func entries(t *testing.T, dir string) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestCreate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := write(t, out, false); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("stat %v, mode %v; want 0600", err, st.Mode())
	}
	if err := write(t, out, false); !errors.Is(err, ErrExists) {
		t.Errorf("existing file without overwrite: %v", err)
	}
	if err := write(t, out, true); err != nil {
		t.Errorf("existing file with overwrite: %v", err)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v; want only out", names)
	}
}

func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(dir, "core")
	if err := os.WriteFile(input, []byte("input"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "hardlink")
	if err := os.Link(input, link); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	sym := filepath.Join(dir, "symlink")
	if err := os.Symlink(input, sym); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{input, "is an input"},
		{link, "is an input"}, // another name of the same inode
		{fifo, "not a regular file (a FIFO)"},
		{sym, "not a regular file (a symbolic link)"},
		{dir, "not a regular file (a directory)"},
		{"/dev/null", "not a regular file (a character device)"},
	}
	for _, c := range cases {
		err := write(t, c.path, true, input)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want %q", c.path, err, c.want)
		}
	}
	if b, _ := os.ReadFile(input); string(b) != "input" {
		t.Errorf("input changed: %q", b)
	}
	if names := entries(t, dir); len(names) != 4 {
		t.Errorf("directory holds %v; want the four files made", names)
	}
}

// Without Commit, nothing is left: the path keeps its old content.
func TestDiscard(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(out, true)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("partial")
	f.Close()
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Errorf("out is %q after a discarded write", b)
	}
	if names := entries(t, dir); len(names) != 1 {
		t.Errorf("directory holds %v", names)
	}
}
