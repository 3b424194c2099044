package repl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

func TestParseErrorsNameTheDcmd(t *testing.T) {
	for _, tc := range []struct{ line, dcmd, reason string }{
		{"-1::jsprint", "jsprint", `bad address "-1" (want hex, 0x optional)`},
		{"::threads |", "threads", "empty pipeline stage"},
		{"::threads | | ::dump", "threads", "empty pipeline stage"},
		{`::jsprint "abc`, "jsprint", "unterminated quote"},
		{"zz::jsprint -d", "jsprint", `bad address "zz" (want hex, 0x optional)`},
		{"::threads !", "threads", "'!' needs a shell command after it"},
		{"! ls", "", "'!' pipes a dcmd's output: put a dcmd before it"},
	} {
		_, err := Parse(tc.line)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Dcmd != tc.dcmd || pe.Error() != tc.reason {
			t.Errorf("Parse(%q) = %#v, want dcmd %q, %q", tc.line, err, tc.dcmd, tc.reason)
		}
	}
}

func TestScriptLineTooLong(t *testing.T) {
	r, out, errb := newRunner()
	script := "::t_emit -n 1\n" + strings.Repeat("x", MaxLine+1) + "\n::t_emit -n 2\n"
	r.RunScript(context.Background(), strings.NewReader(script), "s.txt")
	if want := "ndb: script s.txt: line 2 is longer than 1 MiB; the script stops there\n"; errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}
	if out.String() != "10 some text\n" || r.Failed != 1 {
		t.Errorf("out %q, failed %d", out.String(), r.Failed)
	}
}

func TestScriptReadError(t *testing.T) {
	r, _, errb := newRunner()
	in := iotest.DataErrReader(iotest.TimeoutReader(strings.NewReader("::t_emit -n 1\n::t_emit\n")))
	r.RunScript(context.Background(), in, "stdin")
	if r.Failed != 1 || !strings.HasPrefix(errb.String(), "ndb: script stdin: read after line ") || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("failed %d, stderr %q", r.Failed, errb.String())
	}
}

func TestOpenScriptRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	regular := filepath.Join(dir, "ok.txt")
	if err := os.WriteFile(regular, []byte("::status\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, kind := range map[string]string{dir: "a directory", fifo: "a FIFO", "/dev/zero": "a character device"} {
		f, err := OpenScript(path) // a FIFO with no writer must not block
		if err == nil {
			f.Close()
			t.Errorf("%s: opened", path)
			continue
		}
		if !strings.HasSuffix(err.Error(), "not a regular file ("+kind+")") {
			t.Errorf("%s: %v", path, err)
		}
	}
	f, err := OpenScript(regular)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestNoShell(t *testing.T) {
	r, out, errb := newRunner()
	r.NoShell = true
	r.Exec(context.Background(), "::t_emit -n 1 ! cat")
	if out.Len() != 0 || errb.String() != "ndb: !: shell commands are disabled (--no-shell)\n" || r.Failed != 1 {
		t.Errorf("out %q, stderr %q, failed %d", out.String(), errb.String(), r.Failed)
	}
	r.NoShell = false
	r.Exec(context.Background(), "::t_emit -n 2 ! wc -l")
	if strings.TrimSpace(out.String()) != "2" {
		t.Errorf("with the shell: out %q", out.String())
	}
}

func TestEnvelope(t *testing.T) {
	r, out, _ := newRunner()
	r.JSON, r.Envelope = true, true
	r.Exec(context.Background(), "::t_emit -n 1 | ::t_echo")
	r.Exec(context.Background(), "# a comment is no command")
	r.Exec(context.Background(), "::t_emit |") // a failed line has its number too
	r.Exec(context.Background(), "::t_emit -n 2")
	want := `{"n":1,"dcmd":"t_echo","data":{"addr":"0x10"}}
{"n":3,"dcmd":"t_emit","text":"10 some text"}
{"n":3,"dcmd":"t_emit","text":"20 some text"}
`
	if out.String() != want {
		t.Errorf("out =\n%s\nwant\n%s", out.String(), want)
	}
}

func TestEnvelopeSplitWrites(t *testing.T) {
	var b bytes.Buffer
	e := newEnvelope(&b, 3, `we"ird`)
	for _, part := range []string{`{"a":`, `1}`, "\n\"str", "ing\"\n", "42"} {
		e.Write([]byte(part))
	}
	e.flush()
	want := `{"n":3,"dcmd":"we\"ird","data":{"a":1}}
{"n":3,"dcmd":"we\"ird","data":"string"}
{"n":3,"dcmd":"we\"ird","data":42}
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
