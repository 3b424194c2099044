// Package flame implements `ndb flame`: it turns perf script output (or
// folded stacks, or a Node.js .cpuprofile) into folded stacks identical to
// stackcollapse-perf.pl, interactive SVG flame graphs, differential flame
// graphs, pprof and speedscope profiles.
package flame

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ndb-debugger/ndb/elfcore"
)

const usage = `usage: ndb flame [options] [PERF_SCRIPT_FILE|-]
       ndb flame --diff [options] BEFORE AFTER
       ndb flame record [options] -- COMMAND [ARGS...]   (see ndb flame record --help)

Reads perf script output (plain, zstd or gzip; "-" or no file: stdin), folded
stacks or a Node.js .cpuprofile, and writes an interactive SVG flame graph.
Exit status: 0 done, 1 failed, 2 bad usage or bad input (nothing is written).

Output:
  -o FILE            write to FILE instead of stdout (whole, or not at all)
  --force            replace FILE if it exists
  --folded           write folded stacks (as stackcollapse-perf.pl) instead of SVG
  --format F         svg (default), folded, pprof, speedscope
Folding (as stackcollapse-perf.pl):
  --pid, --tid       include the PID (and TID) with the process name
  --kernel, --jit    annotate kernel frames with _[k], JIT frames with _[j]
  --all              --kernel and --jit
  --addrs            include raw addresses where symbols are unknown
  --event-filter EV  keep only samples of event EV (default: the first one)
  --weight W         period (default: sum the sample periods) or samples
  --input F          auto (default), perf, folded, cpuprofile
SVG (as flamegraph.pl):
  --title T, --subtitle T, --width PX, --height PX (frame), --fontsize PX
  --minwidth N[%]    omit frames narrower than N px (or N % of the total); 1
  --inverted         icicle graph;   --reverse  reverse the stacks
  --flamechart       keep time order (x is time; stacks are not sorted)
  --countname NAME   unit shown in tooltips (default: from the input)
Differential (as difffolded.pl + flamegraph.pl):
  --diff             two inputs: widths from AFTER, red grew, blue shrank
  --normalize        scale BEFORE to the total of AFTER
  --strip-js         drop JS tier markers (JS:*, ~, ^, +), :line:col and perf-map
                     pids, so a function is one frame in both (default with
                     --diff; --strip-js=false keeps them)
  --negate           swap red and blue
`

// Main runs `ndb flame` with the arguments after "flame"; it returns the process exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (status int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "ndb flame: internal error: %v\n", r)
			status = 1
		}
	}()
	c := &cli{stdin: stdin, stdout: stdout, stderr: stderr, prefix: "ndb flame"}
	if len(args) > 0 && args[0] == "record" {
		return c.record(args[1:])
	}
	if err := c.parse(args); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "ndb flame: %v (see ndb flame --help)\n", err)
		return 2
	}
	return c.run()
}

// errHelp asks for the usage text.
var errHelp = flag.ErrHelp

type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	out, format, input, weight, minwidth string
	fold                                 FoldOptions
	all, folded, diff, normalize         bool
	stripJS, force, help                 bool
	svg                                  SVGOptions
	files                                []string
	pendingFold                          *exactFold
	rec                                  *recording // ndb flame record
	prefix                               string     // of messages: "ndb flame"
}

func (c *cli) parse(args []string) error {
	fs := c.flagSet("ndb flame")
	// flags and files may be interleaved
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		c.files = append(c.files, args[0])
		args = args[1:]
	}
	return c.check(fs)
}

// flagSet defines the options of the graph and its output. Go's flag
// package takes long options as --name and as -name.
func (c *cli) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.out, "o", "", "")
	fs.StringVar(&c.format, "format", "svg", "")
	fs.BoolVar(&c.folded, "folded", false, "")
	fs.StringVar(&c.input, "input", "auto", "")
	if c.rec == nil {
		// in `ndb flame record`, --pid names the process to attach to
		fs.BoolVar(&c.fold.PID, "pid", false, "")
	}
	fs.BoolVar(&c.fold.TID, "tid", false, "")
	fs.BoolVar(&c.fold.Kernel, "kernel", false, "")
	fs.BoolVar(&c.fold.JIT, "jit", false, "")
	fs.BoolVar(&c.all, "all", false, "")
	fs.BoolVar(&c.fold.Addrs, "addrs", false, "")
	fs.StringVar(&c.fold.EventFilter, "event-filter", "", "")
	fs.StringVar(&c.weight, "weight", "period", "")
	fs.StringVar(&c.svg.Title, "title", "", "")
	fs.StringVar(&c.svg.Subtitle, "subtitle", "", "")
	fs.IntVar(&c.svg.Width, "width", 1200, "")
	fs.IntVar(&c.svg.FrameHeight, "height", 16, "")
	fs.Float64Var(&c.svg.FontSize, "fontsize", 12, "")
	fs.StringVar(&c.minwidth, "minwidth", "1", "")
	fs.BoolVar(&c.svg.Inverted, "inverted", false, "")
	fs.BoolVar(&c.svg.Reverse, "reverse", false, "")
	fs.BoolVar(&c.svg.FlameChart, "flamechart", false, "")
	fs.StringVar(&c.svg.CountName, "countname", "", "")
	fs.BoolVar(&c.svg.Negate, "negate", false, "")
	fs.BoolVar(&c.diff, "diff", false, "")
	fs.BoolVar(&c.normalize, "normalize", false, "")
	fs.BoolVar(&c.stripJS, "strip-js", false, "")
	fs.BoolVar(&c.force, "force", false, "")
	fs.BoolVar(&c.help, "help", false, "")
	fs.BoolVar(&c.help, "h", false, "")
	return fs
}

// check validates the options once they are parsed.
func (c *cli) check(fs *flag.FlagSet) error {
	if c.help {
		return errHelp
	}
	if c.all {
		c.fold.Kernel, c.fold.JIT = true, true
	}
	if c.folded {
		c.format = "folded"
	}
	switch c.format {
	case "svg", "folded", "pprof", "speedscope":
	default:
		return fmt.Errorf("--format %q: want svg, folded, pprof or speedscope", c.format)
	}
	switch c.weight {
	case "period", "periods":
	case "samples", "sample":
		c.fold.Samples = true
	default:
		return fmt.Errorf("--weight %q: want period or samples", c.weight)
	}
	switch Format(c.input) {
	case FormatAuto, FormatPerf, FormatFolded, FormatCPUProfile:
	default:
		return fmt.Errorf("--input %q: want auto, perf, folded or cpuprofile", c.input)
	}
	mw := strings.TrimSuffix(c.minwidth, "%")
	v, err := strconv.ParseFloat(mw, 64)
	if err != nil || v < 0 {
		return fmt.Errorf("--minwidth %q: want a number of pixels or a percentage", c.minwidth)
	}
	c.svg.MinWidth, c.svg.MinWidthPct = v, mw != c.minwidth
	if c.svg.Width < 100 || c.svg.Width > 100000 {
		return fmt.Errorf("--width %d: want 100 to 100000", c.svg.Width)
	}
	if c.svg.FrameHeight < 1 || c.svg.FrameHeight > 1000 {
		return fmt.Errorf("--height %d: want 1 to 1000", c.svg.FrameHeight)
	}
	if c.svg.FontSize <= 0 || c.svg.FontSize > 200 {
		return fmt.Errorf("--fontsize %v: want a positive size", c.svg.FontSize)
	}
	if c.diff {
		// a differential graph lines up the same function across runs
		// unless --strip-js=false says otherwise
		stripSet := false
		fs.Visit(func(f *flag.Flag) { stripSet = stripSet || f.Name == "strip-js" })
		if !stripSet {
			c.stripJS = true
		}
		if len(c.files) != 2 {
			return fmt.Errorf("--diff needs two inputs, BEFORE and AFTER (got %d)", len(c.files))
		}
	} else {
		if len(c.files) > 1 {
			return fmt.Errorf("one input at a time (got %d); for two, use --diff BEFORE AFTER", len(c.files))
		}
		if c.normalize || c.svg.Negate {
			return fmt.Errorf("--normalize and --negate need --diff")
		}
	}
	if c.svg.FlameChart {
		c.fold.Ordered = true
	}
	return nil
}

func (c *cli) warnf(format string, a ...any) {
	fmt.Fprintf(c.stderr, c.prefix+": warning: "+format+"\n", a...)
}

func (c *cli) run() int {
	if err := c.checkOutput(); err != nil {
		fmt.Fprintf(c.stderr, "ndb flame: %v\n", err)
		return 2
	}
	var p *Profile
	var err error
	if c.diff {
		p, err = c.loadDiff()
	} else {
		name := "-"
		if len(c.files) == 1 {
			name = c.files[0]
		}
		p, err = c.load(name, c.format == "folded")
	}
	if err != nil {
		// bad input of any kind, empty included: nothing is written
		fmt.Fprintf(c.stderr, "ndb flame: %v\n", err)
		return 2
	}
	if err := c.writeProfile(p); err != nil {
		fmt.Fprintf(c.stderr, "ndb flame: %v\n", err)
		return 1
	}
	return 0
}

// writeProfile renders p in the chosen format and writes it whole.
func (c *cli) writeProfile(p *Profile) error {
	var buf bytes.Buffer
	var err error
	switch c.format {
	case "svg":
		err = WriteSVG(&buf, p, c.svg)
	case "folded":
		err = writeProfileFolded(&buf, p, c.pendingFold)
	case "pprof":
		err = WritePprof(&buf, p)
	case "speedscope":
		err = WriteSpeedscope(&buf, p, c.title())
	}
	if err != nil {
		return err
	}
	return c.write(buf.Bytes())
}

func (c *cli) title() string {
	if c.svg.Title != "" {
		return c.svg.Title
	}
	if len(c.files) > 0 && c.files[len(c.files)-1] != "-" {
		return c.files[len(c.files)-1]
	}
	return "ndb flame"
}

// checkOutput refuses an output path before any work is done: see
// checkOutputPath.
func (c *cli) checkOutput() error {
	if c.out == "" || c.out == "-" {
		return nil
	}
	return checkOutputPath(c.out, c.files, c.force)
}

func (c *cli) write(b []byte) error {
	if c.out == "" || c.out == "-" {
		_, err := c.stdout.Write(b)
		return err
	}
	return writeFileAtomic(c.out, b, c.files, c.force)
}

// open returns the decompressed input named name ("-" is stdin).
func (c *cli) open(name string) (io.Reader, func(), error) {
	var r io.Reader = c.stdin
	closeFile := func() {}
	if name != "-" {
		f, err := elfcore.OpenRegular(name)
		if err != nil {
			return nil, nil, err
		}
		r = f
		closeFile = func() { f.Close() }
	} else if r == nil {
		r = strings.NewReader("")
	}
	br, closeDec, err := openInput(r)
	if err != nil {
		closeFile()
		return nil, nil, fmt.Errorf("%s: %v", c.label(name), err)
	}
	return br, func() { closeDec(); closeFile() }, nil
}

func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// label names an input in messages: a recording's perf script file is
// "the recording".
func (c *cli) label(name string) string {
	if c.rec != nil {
		return "the recording"
	}
	return displayName(name)
}

// pendingFold holds the exact perf fold for --folded output.
type exactFold struct{ stacks []Stack }

// load reads one input. For perf input with --folded, the exact fold is
// kept so that the output is byte-identical to stackcollapse-perf.pl. Every
// error is a problem with the input, an input without samples included.
func (c *cli) load(name string, exact bool) (*Profile, error) {
	r, closeFn, err := c.open(name)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	br := r.(interface {
		Peek(int) ([]byte, error)
		Read([]byte) (int, error)
	})
	dn := c.label(name)
	head, _ := br.Peek(64 << 10)
	format := Format(c.input)
	if format == FormatAuto {
		format, err = sniff(head)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", dn, err)
		}
	} else if bytes.IndexByte(head, 0) >= 0 {
		return nil, fmt.Errorf("%s: binary data, not %s text", dn, format)
	}
	var p *Profile
	switch format {
	case FormatFolded:
		p, err = readFolded(br)
	case FormatCPUProfile:
		p, err = readCPUProfile(br, c.fold.Samples)
	default:
		p, err = c.loadPerf(br, dn, exact)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dn, err)
	}
	if len(p.Stacks) == 0 {
		return nil, fmt.Errorf("%s: %w", dn, ErrEmpty)
	}
	if format != FormatCPUProfile {
		c.warnTrampolines(p, dn)
	}
	c.postProcess(p)
	return p, nil
}

// loadPerf folds perf script text.
func (c *cli) loadPerf(r io.Reader, dn string, exact bool) (*Profile, error) {
	opt := c.fold
	if !exact {
		// the SVG and the other formats classify frames by module
		opt.Kernel, opt.JIT = true, true
		opt.MarkTruncated = true
		opt.Modules = c.format == "pprof"
	}
	res, err := Fold(r, opt)
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) || errors.Is(err, errNoBlankLine) {
			return nil, err
		}
		return nil, fmt.Errorf("reading: %v", err)
	}
	switch {
	case res.Samples == 0 && res.BadLines > 0 && res.Headers == 0:
		return nil, fmt.Errorf("not perf script output (%s)", res.describeBad())
	case res.OpenAt > 0:
		// perf script always ends a sample with a blank line: the input
		// was cut, and a graph of the rest would silently lack samples
		return nil, fmt.Errorf("truncated: the input ends inside a sample (line %d)", res.OpenAt)
	}
	if res.BadLines > 0 && res.Samples > 0 {
		c.warnf("%s: ignored %d unrecognized line(s), first at %s", dn, res.BadLines, res.describeBad())
	}
	if exact {
		c.pendingFold = &exactFold{res.Stacks}
	}
	p := profileFromFold(res, opt)
	if dn != "stdin" && c.rec == nil {
		p.Source = dn
	}
	return p, nil
}

func (c *cli) postProcess(p *Profile) {
	if c.stripJS {
		applyStripJS(p)
	}
}
