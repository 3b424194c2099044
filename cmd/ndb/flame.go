package main

import (
	"github.com/spf13/cobra"

	"github.com/ndb-debugger/ndb/flame"
)

func init() { subcommands = append(subcommands, newFlameCmd) }

func newFlameCmd() *cobra.Command {
	return passthrough("flame [options] [PERF_SCRIPT|-]", "flame graphs from perf samples or a .cpuprofile",
		`Turns perf script output, folded stacks or a Node.js .cpuprofile into an
interactive SVG flame graph (or folded stacks, pprof, speedscope).

Its options are flame's own: run 'ndb flame --help' for them. See
docs/flame.md.`, flame.Main)
}
