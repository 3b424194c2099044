package main

import (
	"io"

	"github.com/spf13/cobra"
)

// subcommands are ndb's verbs besides opening a core, one file each
// (flame.go, diff.go, pack.go, version.go, man.go). A verb adds itself from
// its file's init:
//
//	func init() { subcommands = append(subcommands, newHeapsnapshotCmd) }
//
// A verb backed by a package with its own argument parser and a Main like
// flame.Main (heapsnapshot, gcore) can use passthrough; one that declares
// its flags with cobra gets --help, completion and a man page for them.
var subcommands []func() *cobra.Command

// mainFunc is a package's entry point: the arguments after the verb, the
// standard streams, and the exit status it returns.
type mainFunc func(args []string, stdin io.Reader, stdout, stderr io.Writer) int

// passthrough makes a verb that hands its arguments, --help included, to a
// package's own parser.
func passthrough(use, short, long string, main mainFunc) *cobra.Command {
	return &cobra.Command{
		Use:                use,
		Short:              short,
		Long:               long,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if rc := main(args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()); rc != 0 {
				return exitCode(rc)
			}
			return nil
		},
	}
}
