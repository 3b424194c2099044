package commands

import (
	"fmt"
	"strings"

	"github.com/ndb-debugger/ndb/heap"
	"github.com/ndb-debugger/ndb/v8/object"
)

func init() {
	Register(&Command{
		Name:     "jsfunctions",
		Synopsis: "[ADDR]::jsfunctions [-n NAME] [-s FILE]",
		Summary:  "every JavaScript function in the heap: closures, name, script:line",
		Opts:     "n:s:",
		Addr:     AddrOptional,
		Help: `One line per function definition (SharedFunctionInfo), from the heap census:
  FUNC #FUNCS NAME FROM
FUNC is one of its closures (a JSFunction), #FUNCS how many closures exist,
FROM the script and line of its definition. -n keeps functions whose name
contains NAME, -s those whose script path contains FILE. ADDR::jsfunctions
lists the closures of the function of the closure at ADDR.`,
		JSON: "One object per function, or per closure with ADDR.",
		Record: Alternatives{
			{When: "::jsfunctions", Record: functionGroupRecord{}},
			{When: "ADDR::jsfunctions", Record: addrRecord{}},
		},
		Run: runJSFunctions,
	})
}

func runJSFunctions(inv *Invocation) error {
	c, err := CensusOf(inv)
	if err != nil {
		return err
	}
	h, err := HeapOf(inv)
	if err != nil {
		return err
	}
	if inv.HasAddr {
		sfi, err := h.SharedInfo(object.Value(inv.Addr | 1))
		if err != nil {
			return err
		}
		for _, f := range c.Functions {
			if f.SFI != uint64(sfi) {
				continue
			}
			for _, a := range f.Closures {
				if inv.JSON {
					if err := inv.Emit(addrRecord{Addr: Hex(a | 1)}); err != nil {
						return err
					}
					continue
				}
				inv.Printf("%x\n", a|1)
			}
			return nil
		}
		return fmt.Errorf("%#x is not a closure the census found", inv.Addr)
	}
	nameSub, _ := inv.Opt('n')
	fileSub, _ := inv.Opt('s')
	if !inv.Piped && !inv.JSON {
		inv.Printf("%16s %8s %-40s %s\n", "FUNC", "#FUNCS", "NAME", "FROM")
	}
	for _, f := range c.Functions {
		if err := inv.Cancelled(); err != nil {
			return err
		}
		name := f.Name
		if name == "" {
			name = "<anonymous>"
		}
		if nameSub != "" && !strings.Contains(name, nameSub) {
			continue
		}
		from, script, line := functionFrom(h, f)
		if fileSub != "" && !strings.Contains(script, fileSub) {
			continue
		}
		if inv.JSON {
			if err := inv.Emit(functionGroupRecord{Addr: Hex(f.Closures[0] | 1), Count: len(f.Closures),
				Line: line, Name: name, Script: script}); err != nil {
				return err
			}
			continue
		}
		inv.Printf("%16x %8d %-40s %s\n", f.Closures[0]|1, len(f.Closures), Truncate(name, 40), from)
	}
	return nil
}

func functionFrom(h *object.Heap, f *heap.Function) (from, script string, line int) {
	fi, err := h.Function(object.Value(f.Closures[0] | 1))
	if err != nil || fi.ScriptName == "" {
		return "(native)", "", 0
	}
	if fi.Line > 0 {
		return fmt.Sprintf("%s:%d", fi.ScriptName, fi.Line), fi.ScriptName, fi.Line
	}
	return fi.ScriptName, fi.ScriptName, 0
}

type functionGroupRecord struct {
	Addr   string `json:"addr" doc:"one closure of the function"`
	Count  int    `json:"count" doc:"how many closures share its code"`
	Line   int    `json:"line" doc:"line of its definition (0 if unknown)"`
	Name   string `json:"name" doc:"its name (<anonymous> when it has none)"`
	Script string `json:"script" doc:"its script's name"`
}
