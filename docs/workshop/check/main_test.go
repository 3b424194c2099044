package main

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestLabsComeToTheirAnswers runs the three labs on the shipped data and
// compares what they find with what the lab apps were written to do
// (testdata/workshop/apps): shop.js throws in lineTotal on order 104's
// unknown "banana" and rejects order 105 with a PaymentError from charge;
// reports.js keeps 300 VisitReports a step in ReportCache.entries, keyed by
// request; tags.js spends its time in Array.prototype.includes under
// summarize (addTagSlow inlined), and the fast variant in much less.
func TestLabsComeToTheirAnswers(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	var out bytes.Buffer
	l, err := newLab(root, tmp, &out)
	if err != nil {
		t.Fatal(err)
	}
	l.runAll(tmp)
	t.Logf("check printed:\n%s", out.String())
	if l.failed {
		t.Fatal("a lab failed")
	}
	for step, want := range map[string]string{
		"shop-typo: crashed in":    "lineTotal (shop.js:38)",
		"shop-typo: the bad input": `{ id: 104, customer: "ada", lines: [ { sku: "apple", qty: 2, }, { sku: "banana", qty: 6, }, ], }`,
		"shop-limit: unhandled":    `PaymentError "payment declined: 810 is over the limit of Bob"`,
		"grows the most":           "VisitReport (+600 from reports-1 to reports-3)",
		"hot JavaScript function":  "summarize (90% of the samples in it or under it)",
		"on top of it":             "Builtins_ArrayIncludesSmiOrObject (73% of the samples)",
	} {
		if got := l.found[step]; got != want {
			t.Errorf("%s: %q, want %q", step, got, want)
		}
	}
	if got, want := l.found["held by"], `function handleReport.context cache → ReportCache.entries → Map entry "6:req-457" → VisitReport`; got != want {
		t.Errorf("held by: %q, want %q", got, want)
	}
}
