package commands

import (
	"github.com/ndb-debugger/ndb/v8/object"
	"github.com/ndb-debugger/ndb/v8/value"
)

func init() {
	Register(&Command{
		Name:     "jsfunction",
		Synopsis: "ADDR::jsfunction",
		Summary:  "name and definition site of the function at ADDR",
		Addr:     AddrRequired,
		Help: `For a JSFunction: its name, script, line and column of its definition and its
source range:

  function: add
  defined at /app/values.js line 27 column 1
  source range: 617-656

For a bound function: the target, this and the bound arguments.`,
		JSON: "One object.",
		Record: Alternatives{
			{When: "a function", Record: functionRecord{}},
			{When: "a bound function", Record: boundFunctionRecord{}},
		},
		Run: func(inv *Invocation) error {
			h, err := HeapOf(inv)
			if err != nil {
				return err
			}
			fi, err := h.Function(object.Value(inv.Addr))
			if err != nil {
				return err
			}
			if fi.Bound {
				args := make([]string, len(fi.BoundArgs))
				for i, a := range fi.BoundArgs {
					args[i] = Hex(uint64(a))
				}
				if inv.JSON {
					return inv.Emit(boundFunctionRecord{Addr: Hex(inv.Addr), Args: args, Bound: true, Name: fi.Name,
						Target: Hex(uint64(fi.BoundTarget)), This: Hex(uint64(fi.BoundThis))})
				}
				inv.Printf("bound function that wraps: %s (%s)\n", Hex(uint64(fi.BoundTarget)), value.Summary(h, fi.BoundTarget))
				inv.Printf("with \"this\" = %s (%s)\n", Hex(uint64(fi.BoundThis)), value.Summary(h, fi.BoundThis))
				for i, a := range fi.BoundArgs {
					inv.Printf("arg%d  = %s (%s)\n", i, Hex(uint64(a)), value.Summary(h, a))
				}
				return nil
			}
			if inv.JSON {
				return inv.Emit(functionRecord{Addr: Hex(inv.Addr), Column: fi.Column, Context: Hex(uint64(fi.Context)),
					End: fi.End, InferredName: fi.InferredName, Line: fi.Line, Name: fi.Name, Script: fi.ScriptName,
					SFI: Hex(uint64(fi.SFI)), Start: fi.Start})
			}
			name := fi.DisplayName()
			if fi.Name == "" && fi.InferredName != "" {
				name = "<anonymous> (as " + fi.InferredName + ")"
			}
			inv.Printf("function: %s\n", name)
			switch {
			case fi.ScriptName == "":
				inv.Printf("defined in native code\n")
			case fi.Line > 0:
				inv.Printf("defined at %s line %d column %d\n", fi.ScriptName, fi.Line, fi.Column)
			default:
				inv.Printf("defined in %s\n", fi.ScriptName)
			}
			if fi.Start >= 0 {
				inv.Printf("source range: %d-%d\n", fi.Start, fi.End)
			}
			return nil
		},
	})
}

type functionRecord struct {
	Addr         string `json:"addr" doc:"the JSFunction"`
	Column       int    `json:"column" doc:"column of its definition (1-based; 0 if unknown)"`
	Context      string `json:"context" doc:"its Context"`
	End          int    `json:"end" doc:"end of its source range (exclusive; -1 if unknown)"`
	InferredName string `json:"inferredName" doc:"the name V8 inferred for an anonymous function"`
	Line         int    `json:"line" doc:"line of its definition (1-based; 0 if unknown)"`
	Name         string `json:"name" doc:"its name"`
	Script       string `json:"script" doc:"its script's name (empty for native code)"`
	SFI          string `json:"sfi" doc:"its SharedFunctionInfo"`
	Start        int    `json:"start" doc:"start of its source range (-1 if unknown)"`
}

type boundFunctionRecord struct {
	Addr   string   `json:"addr" doc:"the JSBoundFunction"`
	Args   []string `json:"args" doc:"the bound arguments"`
	Bound  bool     `json:"bound" doc:"always true"`
	Name   string   `json:"name" doc:"its name"`
	Target string   `json:"target" doc:"the function it wraps"`
	This   string   `json:"this" doc:"the bound this"`
}
