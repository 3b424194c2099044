// Command gen writes README.md's dcmd table and docs/dcmds.md from the dcmd
// table. Run it with go generate ./internal/dcmddoc.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ndb-debugger/ndb/commands"
	"github.com/ndb-debugger/ndb/internal/dcmddoc"
	"github.com/ndb-debugger/ndb/internal/testnode"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := testnode.ModuleRoot()
	if err != nil {
		return err
	}
	cmds := commands.All()
	readmePath := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return err
	}
	readme, err = dcmddoc.UpdateREADME(readme, cmds)
	if err != nil {
		return err
	}
	if err := os.WriteFile(readmePath, readme, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "docs", "dcmds.md"), dcmddoc.Reference(cmds), 0o644)
}
