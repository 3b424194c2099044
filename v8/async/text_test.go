package async

import "testing"

func TestFrameText(t *testing.T) {
	for _, c := range []struct {
		f    Frame
		want string
	}{
		{Frame{Kind: KindAwait, Name: "handleRequest", Script: "/srv/server.js", Line: 41, Column: 5}, "async handleRequest (/srv/server.js:41:5)"},
		{Frame{Kind: KindAwait, Name: "main", Script: "/srv/a.js"}, "async main (/srv/a.js)"},
		{Frame{Kind: KindAwait, Name: "<anonymous>"}, "async <anonymous> (<anonymous>)"},
		{Frame{Kind: KindCombinator, Name: "Promise.all", Index: 2}, "async Promise.all (index 2)"},
	} {
		if got := c.f.Text(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.f, got, c.want)
		}
	}
}

func TestChainText(t *testing.T) {
	ch := SuspendedChain{Awaits: 0x1001, Frames: []Frame{
		{Kind: KindAwait, Name: "query", Script: "/db.js", Line: 88, Column: 12},
		{Kind: KindCombinator, Name: "Promise.all", Index: 0},
		{Kind: KindAwait, Name: "handleRequest", Script: "/server.js", Line: 41, Column: 5},
	}}
	want := "handleRequest (/server.js:41:5) awaiting Promise.all (index 0) awaiting query (/db.js:88:12) awaiting <Promise pending>"
	if got := chainText(&ch); got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
	ch.Awaits, ch.End = 0, "cycle"
	if got := chainText(&ch); got != "handleRequest (/server.js:41:5) awaiting Promise.all (index 0) awaiting query (/db.js:88:12) awaiting <not awaiting a promise> (chain ends: cycle)" {
		t.Errorf("%q", got)
	}
}
