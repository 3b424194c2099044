// Command ndb is a post-mortem debugger for Node.js core dumps.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ndb-debugger/ndb/internal/memlimit"
)

// Version is ndb's version, set at release time with -ldflags.
var Version = "0.1.0-dev"

func main() {
	memlimit.Start(os.Stderr, 1)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run runs ndb with the arguments after the program name and returns the
// exit status: 0 success, 1 a command failed, 2 bad usage or a core that
// cannot be opened (subcommands document their own).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot()
	root.SetArgs(legacyLongFlags(root, args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	// A usage error: one line, and where to read more.
	fmt.Fprintf(stderr, "%s: %v (%s --help for usage)\n", cmd.CommandPath(), err, cmd.CommandPath())
	return 2
}

// exitCode ends ndb with a status; whatever it had to say is printed.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// failf prints one error line named after the command and returns the exit
// status as an error.
func failf(cmd *cobra.Command, code int, format string, args ...any) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "%s: %s\n", cmd.CommandPath(), fmt.Sprintf(format, args...))
	return exitCode(code)
}

// printWarnings writes what is wrong with the input as one line: a damaged
// core may have many problems, and stderr says it once.
func printWarnings(stderr io.Writer, warnings []string) {
	if len(warnings) > 0 {
		fmt.Fprintf(stderr, "ndb: warning: %s\n", strings.Join(warnings, "; "))
	}
}

// isTTY reports whether f (a stream) is a terminal.
func isTTY(f any) bool {
	if fd, ok := f.(interface{ Fd() uintptr }); ok {
		return term.IsTerminal(int(fd.Fd()))
	}
	return false
}
