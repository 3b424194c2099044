package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/spf13/cobra"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/elfcore"
	"github.com/ndb-debugger/ndb/internal/progress"
)

func init() { subcommands = append(subcommands, newPackCmd) }

type packOptions struct {
	out, exe, level, files string
	force                  bool
}

func newPackCmd() *cobra.Command {
	var o packOptions
	cmd := &cobra.Command{
		Use:   "pack [flags] CORE [EXECUTABLE]",
		Short: "bundle a core to debug it anywhere",
		Long: `Writes one self-contained file with the core's memory and notes and what ndb
needs from the executable and shared libraries (symbols, V8 metadata,
build-ids, versions), so that 'ndb NAME.ndb' works on any machine, without
the node binary. The bundle holds the process's memory, secrets included: it
is written with mode 0600; treat it like the core. Default output: CORE.ndb
in the current directory.
An existing output file is replaced only with --force; an output path that
is an input, or not a regular file, is always refused.`,
		Example: `  ndb pack core.1234 -o app.ndb
  ndb pack --level best core.1234 /opt/node/bin/node`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || len(args) > 2 {
				return argCountError{"CORE [EXECUTABLE]", len(args)}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runPack(cmd, &o, args) },
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "output", "o", "", "write the bundle to `FILE` (default CORE.ndb)")
	f.StringVar(&o.exe, "exe", "", "the node `EXECUTABLE` that dumped the core (default: from the core)")
	f.BoolVar(&o.force, "force", false, "pack even when the executable's build-id differs from the core's, and replace an existing output file")
	f.StringVar(&o.level, "level", "default", "zstd `LEVEL`: fastest, default, better or best")
	f.StringVar(&o.files, "files", bundle.FilesAuto, "bytes of the executable and libraries to store that the core lacks: auto (what ndb reads), all, none")
	cmd.MarkFlagFilename("output", "ndb")
	cmd.MarkFlagFilename("exe")
	cmd.RegisterFlagCompletionFunc("level", cobra.FixedCompletions([]string{"fastest", "default", "better", "best"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("files", cobra.FixedCompletions([]string{bundle.FilesAuto, bundle.FilesAll, bundle.FilesNone}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runPack(cmd *cobra.Command, o *packOptions, args []string) error {
	exe := o.exe
	if len(args) == 2 {
		if exe != "" && exe != args[1] {
			return failf(cmd, 2, "give the executable once: as the second argument or with --exe")
		}
		exe = args[1]
	}
	lv, ok := map[string]zstd.EncoderLevel{"fastest": zstd.SpeedFastest, "default": zstd.SpeedDefault,
		"better": zstd.SpeedBetterCompression, "best": zstd.SpeedBestCompression}[o.level]
	if !ok {
		return failf(cmd, 2, "--level %q: want fastest, default, better or best", o.level)
	}
	if o.files != bundle.FilesAuto && o.files != bundle.FilesAll && o.files != bundle.FilesNone {
		return failf(cmd, 2, "--files %q: want auto, all or none", o.files)
	}
	core := args[0]
	out := o.out
	if out == "" {
		out = strings.TrimSuffix(filepath.Base(core), ".core") + ".ndb"
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	task := progress.Start(nil, "")
	if term := progressFor(stdout, stderr, false); term != nil {
		task = term.Start("pack " + filepath.Base(core))
	}
	st, err := bundle.Pack(out, core, bundle.PackOptions{Exe: exe, Force: o.force, Overwrite: o.force, Level: lv, Files: o.files,
		CreatedBy: "ndb " + Version})
	task.Done()
	if err != nil {
		return failf(cmd, 2, "%v", err)
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(stderr, "ndb pack: warning: %s\n", w)
	}
	secs := st.Elapsed.Seconds()
	fmt.Fprintf(stdout, "%s: core %s (%s on disk) → %s %s in %.1fs (%.0f MB/s)\n",
		core, elfcore.HumanBytes(st.CoreSize), elfcore.HumanBytes(st.CoreOnDisk), out, elfcore.HumanBytes(st.Bundle),
		secs, float64(st.CoreSize)/(1<<20)/max(secs, 1e-9))
	fmt.Fprintf(stdout, "  memory %s, %s of it non-zero; %s of files, %d symbols; mode 0600: it holds the process's memory, secrets included\n",
		elfcore.HumanBytes(st.Memory), elfcore.HumanBytes(st.Stored), elfcore.HumanBytes(st.FileBytes), st.Symbols)
	return nil
}
