package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/ndb-debugger/ndb/bundle"
	"github.com/ndb-debugger/ndb/elfcore"
)

func init() { subcommands["pack"] = runPack }

const packUsage = `usage: ndb pack [--force] [--level L] [--files auto|all|none] CORE [EXECUTABLE] [-o NAME.ndb]

Writes one self-contained file with the core's memory and notes and what ndb
needs from the executable and shared libraries (symbols, V8 metadata,
build-ids, versions), so that ` + "`ndb NAME.ndb`" + ` works on any machine, without the
node binary. The bundle holds the process's memory, secrets included: it is
written with mode 0600; treat it like the core. Default output: CORE.ndb.
An existing output file is replaced only with --force; an output path that
is an input, or not a regular file, is always refused.

flags:
`

func runPack(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ndb pack", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the bundle to `FILE` (default CORE.ndb)")
	exe := fs.String("exe", "", "the node executable that dumped the core (default: from the core)")
	force := fs.Bool("force", false, "pack even when the executable's build-id differs from the core's, and replace an existing output file")
	level := fs.String("level", "default", "zstd level: fastest, default, better or best")
	files := fs.String("files", bundle.FilesAuto, "bytes of the executable and libraries to store that the core lacks: auto (what ndb reads), all, none")
	fs.Usage = func() {
		fmt.Fprint(stderr, packUsage)
		fs.PrintDefaults()
	}
	pos, rc := parseInterleaved(fs, args)
	if rc >= 0 {
		return rc
	}
	if len(pos) == 0 || len(pos) > 2 {
		fs.Usage()
		return 2
	}
	if len(pos) == 2 {
		if *exe != "" && *exe != pos[1] {
			fmt.Fprintln(stderr, "ndb pack: give the executable once: as the second argument or with --exe")
			return 2
		}
		*exe = pos[1]
	}
	lv, ok := map[string]zstd.EncoderLevel{"fastest": zstd.SpeedFastest, "default": zstd.SpeedDefault,
		"better": zstd.SpeedBetterCompression, "best": zstd.SpeedBestCompression}[*level]
	if !ok {
		fmt.Fprintf(stderr, "ndb pack: --level %q: want fastest, default, better or best\n", *level)
		return 2
	}
	if *files != bundle.FilesAuto && *files != bundle.FilesAll && *files != bundle.FilesNone {
		fmt.Fprintf(stderr, "ndb pack: --files %q: want auto, all or none\n", *files)
		return 2
	}
	core := pos[0]
	if *out == "" {
		*out = strings.TrimSuffix(filepath.Base(core), ".core") + ".ndb"
	}
	st, err := bundle.Pack(*out, core, bundle.PackOptions{Exe: *exe, Force: *force, Overwrite: *force, Level: lv, Files: *files,
		CreatedBy: "ndb " + Version})
	if err != nil {
		fmt.Fprintf(stderr, "ndb pack: %v\n", err)
		return 2
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(stderr, "ndb pack: warning: %s\n", w)
	}
	secs := st.Elapsed.Seconds()
	fmt.Fprintf(stdout, "%s: core %s (%s on disk) → %s %s in %.1fs (%.0f MB/s)\n",
		core, elfcore.HumanBytes(st.CoreSize), elfcore.HumanBytes(st.CoreOnDisk), *out, elfcore.HumanBytes(st.Bundle),
		secs, float64(st.CoreSize)/(1<<20)/max(secs, 1e-9))
	fmt.Fprintf(stdout, "  memory %s, %s of it non-zero; %s of files, %d symbols; mode 0600: it holds the process's memory, secrets included\n",
		elfcore.HumanBytes(st.Memory), elfcore.HumanBytes(st.Stored), elfcore.HumanBytes(st.FileBytes), st.Symbols)
	return 0
}
