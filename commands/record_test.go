package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

type testInner struct {
	Line int `json:"line" doc:"a line"`
}

type testRecord struct {
	Addr  string      `json:"addr" doc:"an address"`
	Lines []testInner `json:"lines" doc:"some lines"`
	Ptr   *testInner  `json:"ptr,omitempty" doc:"maybe one"`
	edgeRecord
	Skipped string `json:"-"`
	hidden  int
}

func TestRecordFields(t *testing.T) {
	var got []string
	for _, f := range RecordFields(testRecord{}) {
		got = append(got, f.Name+":"+f.Type+":"+f.Doc)
	}
	want := []string{
		"addr:string:an address",
		"lines:array of object:some lines",
		"lines[].line:number:a line",
		"ptr:object:maybe one",
		"ptr.line:number:a line",
		"kind:string:" + RecordFields(edgeRecord{})[0].Doc,
		"key:string:" + RecordFields(edgeRecord{})[1].Doc,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("RecordFields:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_ = testRecord{}.hidden
}

// TestRecordsDocumented checks every dcmd's record types: each field has a
// JSON name and a doc tag, so ::help describes every field it lists.
func TestRecordsDocumented(t *testing.T) {
	for _, c := range All() {
		for _, a := range RecordAlternatives(c.Record) {
			fields := RecordFields(a.Record)
			if len(fields) == 0 {
				t.Errorf("%s: record %T has no fields", c.Name, a.Record)
			}
			for _, f := range fields {
				if f.Doc == "" {
					t.Errorf("%s: field %s of %T has no doc tag", c.Name, f.Name, a.Record)
				}
			}
		}
	}
}

func TestEmitRefusesUndocumentedRecords(t *testing.T) {
	c := &Command{Name: "test", Record: dumpRecord{}}
	var out bytes.Buffer
	inv := &Invocation{Ctx: context.Background(), Cmd: c, Out: &out}
	if err := inv.Emit(dumpRecord{Addr: "0x1", Bytes: "00"}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `{"addr":"0x1","bytes":"00"}`+"\n" {
		t.Errorf("Emit printed %q", got)
	}
	if err := inv.Emit(addrRecord{Addr: "0x1"}); err == nil {
		t.Error("Emit printed a record type the dcmd does not document")
	}
}

func TestHelpListsRecordFields(t *testing.T) {
	var out bytes.Buffer
	inv := &Invocation{Ctx: context.Background(), Cmd: Lookup("help"), Out: &out, Args: []string{"v8constants"}}
	if err := runHelp(inv); err != nil {
		t.Fatal(err)
	}
	for _, f := range RecordFields(constantRecord{}) {
		if !strings.Contains(out.String(), f.Name) || !strings.Contains(out.String(), f.Doc) {
			t.Errorf("::help v8constants lacks field %s (%s):\n%s", f.Name, f.Doc, out.String())
		}
	}
}
