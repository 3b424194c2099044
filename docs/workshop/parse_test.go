package workshop

import (
	"strings"
	"testing"
)

const samplePage = "# Lab\n\nText.\n\n```sh\n$ not a transcript\n```\n\n```console\n$ ndb x.ndb -e ::status\npid: 1\n$ ndb x.ndb\nndb 0.1: banner\nndb> 0x1234abcd99::jsprint\n{}\nndb> ::jsstack\n```\nafter\n"

func TestParse(t *testing.T) {
	blocks, err := Parse([]byte(samplePage))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 1 {
		t.Fatalf("%d blocks, want 1 (the sh block is no transcript)", len(blocks))
	}
	b := blocks[0]
	if b.Line != 9 || len(b.Steps) != 2 {
		t.Fatalf("block at line %d with %d steps, want line 9 and 2 steps", b.Line, len(b.Steps))
	}
	if s := b.Steps[0]; s.Cmd != "ndb x.ndb -e ::status" || s.Output != "pid: 1\n" || s.Line != 10 || s.Session() != nil {
		t.Errorf("step 0 = %+v, session %v", s, s.Session())
	}
	if got := strings.Join(b.Steps[1].Session(), "|"); got != "0x1234abcd99::jsprint|::jsstack" {
		t.Errorf("session dcmds %q", got)
	}
}

func TestSessionWithoutBanner(t *testing.T) {
	// As an author writes a session before the update fills in the output.
	blocks, err := Parse([]byte("```console\n$ ndb x.ndb\nndb> ::status\n```\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := blocks[0].Steps[0].Session(); len(got) != 1 || got[0] != "::status" {
		t.Errorf("Session() = %q, want [::status]", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, page := range []string{
		"```console\n$ a\n",             // unclosed
		"```console\nno command\n```\n", // output before any command
		"```console\n```\n",             // empty
	} {
		if _, err := Parse([]byte(page)); err == nil {
			t.Errorf("Parse(%q) accepted it", page)
		}
	}
}

func TestRewrite(t *testing.T) {
	blocks, err := Parse([]byte(samplePage))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(Rewrite([]byte(samplePage), blocks)); got != samplePage {
		t.Fatalf("rewriting with the same outputs changed the page:\n%s", got)
	}
	blocks[0].Steps[0].Output = "pid: 2\nthreads: 7\n"
	got := string(Rewrite([]byte(samplePage), blocks))
	want := strings.Replace(samplePage, "pid: 1\n", "pid: 2\nthreads: 7\n", 1)
	if got != want {
		t.Fatalf("rewritten page:\n%s\nwant:\n%s", got, want)
	}
}

func TestMismatch(t *testing.T) {
	for _, c := range []struct {
		want, got string
		same      bool
	}{
		{"a\nb\n", "a\nb\n", true},
		{"a\nb\n", "a\r\nb   \r\n", true},
		{"a\nb\n", "a\nc\n", false},
		{"a\n", "a\nb\n", false},
		{"a\nb\n", "a\n", false},
		// addresses, bare and 0x-prefixed, match any address
		{"405487034c1 VisitReport\n", "5a0c87034c1 VisitReport\n", true},
		{"fp 0x7ffc1234 x\n", "fp 0x7ffd9999 x\n", true},
		{"405487034c1 VisitReport\n", "405487034c1 Report\n", false},
		// decimal numbers, even long ones, must be equal
		{"1390781552 ns\n", "1390781553 ns\n", false},
		// a build-id (40 hex digits) must be equal
		{"a9b42ba41811e1291145304b7c278c5d3fbaca71\n", "b9b42ba41811e1291145304b7c278c5d3fbaca71\n", false},
		// testnode's cache directories are named after a hash
		{"/srv/x/cores/shop-22.23.3-a64e2d97013ce9ed/shop.js:38:18\n", "/srv/x/cores/shop-22.23.3-0000000000000001/shop.js:38:18\n", true},
		{"/srv/x/cores/shop-22.23.3-a64e2d97013ce9ed/shop.js:38:18\n", "/srv/x/cores/shop-22.23.3-0000000000000001/shop.js:39:18\n", false},
		{"(/tmp/perf-123.map)\n", "(/tmp/perf-98765.map)\n", true},
	} {
		if d := Mismatch(c.want, c.got); (d == "") != c.same {
			t.Errorf("Mismatch(%q, %q) = %q, want match %v", c.want, c.got, d, c.same)
		}
	}
}

func TestUnseenAddresses(t *testing.T) {
	page := "```console\n$ ndb x -e ::findjsobjects\n405487034c1 Foo\n$ ndb x -e 405487034c1::jsprint\n{}\n$ ndb x -e 5a5a5a5a5a5::jsprint\n```\n" +
		"```console\n$ ndb x\nndb> ::jsstack\nfp 7ffc00001234 foo\nndb> 7ffc00001234::jsframe\nndb> 0x7ffc00009999::jsframe\n```\n"
	blocks, err := Parse([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(UnseenAddresses(blocks), "; ")
	if got != "line 6: 5a5a5a5a5a5; line 13: 0x7ffc00009999" {
		t.Errorf("UnseenAddresses = %q", got)
	}
}
