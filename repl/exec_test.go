package repl

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ndb-debugger/ndb/commands"
)

// Test-only dcmds: they need no core.
func init() {
	commands.Register(&commands.Command{Name: "t_panic", Synopsis: "::t_panic", Run: func(inv *commands.Invocation) error {
		var m map[string]int
		//lint:ignore SA5000 the point of this dcmd is to panic
		m["boom"]++ // a nil-map write: a runtime panic inside a dcmd
		return nil
	}})
	commands.Register(&commands.Command{Name: "t_spin", Synopsis: "::t_spin", Run: func(inv *commands.Invocation) error {
		for {
			if err := inv.Cancelled(); err != nil {
				return err
			}
			time.Sleep(time.Millisecond)
		}
	}})
	commands.Register(&commands.Command{Name: "t_emit", Synopsis: "::t_emit", Opts: "n:", Run: func(inv *commands.Invocation) error {
		n, _ := inv.IntOpt('n', 3)
		for i := 1; i <= n; i++ {
			inv.Printf("%x some text\n", i*0x10)
		}
		return nil
	}})
	commands.Register(&commands.Command{Name: "t_echo", Synopsis: "ADDR::t_echo", Addr: commands.AddrRequired, Run: func(inv *commands.Invocation) error {
		if inv.JSON {
			return inv.JSONLine(map[string]string{"addr": commands.Hex(inv.Addr)})
		}
		inv.Printf("got %#x\n", inv.Addr)
		return nil
	}})
}

func newRunner() (*Runner, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Runner{S: commands.NewSession(nil, nil), Out: &out, Err: &errb}, &out, &errb
}

func TestPanicIsContained(t *testing.T) {
	r, out, errb := newRunner()
	r.Exec(context.Background(), "::t_panic")
	r.Exec(context.Background(), "::t_emit -n 1")
	if !strings.HasPrefix(errb.String(), "ndb: t_panic: internal error (please report): ") || strings.Contains(errb.String(), "goroutine") {
		t.Errorf("stderr = %q", errb.String())
	}
	if r.Failed != 1 || out.String() != "10 some text\n" {
		t.Errorf("failed %d, out %q: the session must go on", r.Failed, out.String())
	}
}

func TestCancelStopsADcmd(t *testing.T) {
	r, _, errb := newRunner()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Exec(ctx, "::t_spin | ::t_echo"); close(done) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the dcmd did not stop when cancelled")
	}
	if errb.String() != "ndb: t_spin: interrupted\n" {
		t.Errorf("stderr = %q", errb.String())
	}
}

func TestPipelineFeedsAddresses(t *testing.T) {
	r, out, _ := newRunner()
	r.Exec(context.Background(), "::t_emit -n 3 | ::t_echo")
	if want := "got 0x10\ngot 0x20\ngot 0x30\n"; out.String() != want {
		t.Errorf("out = %q, want %q", out.String(), want)
	}
	out.Reset()
	r.JSON = true
	r.Exec(context.Background(), "::t_emit -n 2 | ::t_echo")
	if want := "{\"addr\":\"0x10\"}\n{\"addr\":\"0x20\"}\n"; out.String() != want {
		t.Errorf("json out = %q, want %q", out.String(), want)
	}
	// An empty left side runs nothing on the right.
	out.Reset()
	r.Exec(context.Background(), "::t_emit -n 0 | ::t_echo")
	if out.Len() != 0 || r.Failed != 0 {
		t.Errorf("out %q failed %d", out.String(), r.Failed)
	}
}

func TestScriptExitStatus(t *testing.T) {
	r, out, errb := newRunner()
	r.RunScript(context.Background(), strings.NewReader("::t_emit -n 1\n::nope\n::t_echo\n::t_emit -n 1\n$q\n::t_emit\n"), "test")
	if r.Failed != 2 {
		t.Errorf("failed = %d, want 2", r.Failed)
	}
	if out.String() != "10 some text\n10 some text\n" {
		t.Errorf("out = %q", out.String())
	}
	want := "ndb: unknown dcmd \"nope\" (::dcmds lists them)\nndb: t_echo: needs an address: ADDR::t_echo\n"
	if errb.String() != want {
		t.Errorf("stderr = %q, want %q", errb.String(), want)
	}

}
