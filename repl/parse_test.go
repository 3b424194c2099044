package repl

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Line
	}{
		{"::status", Line{Stages: []Stage{{Name: "status"}}}},
		{"status", Line{Stages: []Stage{{Name: "status"}}}},
		{"  ::jsprint -d 3 headers.host  ", Line{Stages: []Stage{{Name: "jsprint", Args: []string{"-d", "3", "headers.host"}}}}},
		{"7f00dead::jsprint", Line{Stages: []Stage{{Addr: 0x7f00dead, HasAddr: true, Name: "jsprint"}}}},
		{"0x10::jsprint", Line{Stages: []Stage{{Addr: 0x10, HasAddr: true, Name: "jsprint"}}}},
		{"abc ::v8type", Line{Stages: []Stage{{Addr: 0xabc, HasAddr: true, Name: "v8type"}}}},
		{"::findjsobjects -c Foo | ::findjsobjects | ::jsprint", Line{Stages: []Stage{
			{Name: "findjsobjects", Args: []string{"-c", "Foo"}}, {Name: "findjsobjects"}, {Name: "jsprint"}}}},
		{"::jsstack ! grep foo | wc -l", Line{Stages: []Stage{{Name: "jsstack"}}, Shell: "grep foo | wc -l"}},
		{`::jsprint "a b" 'c|d' "e!f"`, Line{Stages: []Stage{{Name: "jsprint", Args: []string{"a b", "c|d", "e!f"}}}}},
		{"$q", Line{Quit: true}},
		{"::quit", Line{Quit: true}},
		{"# comment", Line{}},
		{"", Line{}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"::a |", "| ::a", "::a !", "! ls", `::a "open`, "zz::", "0xg::jsprint"} {
		if l, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", in, l)
		}
	}
}

func TestAddrsOf(t *testing.T) {
	got := addrsOf([]byte("7f01 js: foo\n\nnot-an-address\n0x10: x\n  abc\n"))
	want := []uint64{0x7f01, 0x10, 0xabc}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("addrsOf = %x, want %x", got, want)
	}
}
