package main

import (
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { subcommands = append(subcommands, newManCmd) }

func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "man DIR",
		Short: "write ndb's man pages (ndb.1, ndb-diff.1, ...) into DIR",
		Long: `Writes one man page per command into DIR, which must be a directory
(it is created when missing). Existing pages of the same names are
replaced. Install with e.g. 'ndb man /usr/local/share/man/man1'.`,
		Args: exactArgs(1, "a directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return failf(cmd, 1, "%v", err)
			}
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return failf(cmd, 1, "%s is not a directory", dir)
			}
			header := &doc.GenManHeader{Title: "NDB", Section: "1", Source: "ndb " + Version, Manual: "ndb manual"}
			if err := doc.GenManTree(cmd.Root(), header, dir); err != nil {
				return failf(cmd, 1, "%v", err)
			}
			return nil
		},
	}
}
