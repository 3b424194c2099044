package main

import (
	"fmt"
	"os"
	"path/filepath"

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
replaced; anything else by those names (a link, a FIFO) is left alone.
Install with e.g. 'ndb man ~/.local/share/man/man1'.`,
		Args: exactArgs(1, "a directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := writeManPages(cmd.Root(), args[0]); err != nil {
				return failf(cmd, 1, "%v", err)
			}
			return nil
		},
	}
}

// writeManPages generates the pages in a new directory inside dir, then
// renames them into place: nothing is opened at a path that already
// exists, and a name held by something other than a regular file is
// refused.
func writeManPages(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(dir, ".ndb-man-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	header := &doc.GenManHeader{Title: "NDB", Section: "1", Source: "ndb " + Version, Manual: "ndb manual"}
	if err := doc.GenManTree(root, header, tmp); err != nil {
		return err
	}
	pages, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	for _, p := range pages { // check every name before replacing any
		dst := filepath.Join(dir, p.Name())
		if st, err := os.Lstat(dst); err == nil && !st.Mode().IsRegular() {
			return fmt.Errorf("%s exists and is not a regular file", dst)
		}
	}
	for _, p := range pages {
		if err := os.Rename(filepath.Join(tmp, p.Name()), filepath.Join(dir, p.Name())); err != nil {
			return err
		}
	}
	return nil
}
