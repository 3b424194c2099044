package flame

import (
	"bytes"
	"math/rand"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// refFold is a slow, literal rendering of stackcollapse-perf.pl's main loop
// with Go regexps (whose submatches follow the same leftmost, greedy/lazy
// preferences as Perl's backtracking). The fast folder must agree with it.
// Perl's \s is [\t\n\v\f\r ] for byte strings.
var (
	reHeader = regexp.MustCompile(`^([^\t\n\v\f\r ].+?)[\t\n\v\f\r ]+(\d+)/*(\d+)*[\t\n\v\f\r ]+`)
	reEvent  = regexp.MustCompile(`:[\t\n\v\f\r ]*(\d+)*[\t\n\v\f\r ]+([^\t\n\v\f\r ]+):[\t\n\v\f\r ]*$`)
	reFrame  = regexp.MustCompile(`^[\t\n\v\f\r ]*(\w+)[\t\n\v\f\r ]*(.+) \((.*)\)`)
	reOffset = regexp.MustCompile(`\+0x[\da-f]+$`)
	reGo     = regexp.MustCompile(`\.\(.*\)\.`)
	reKMod   = regexp.MustCompile(`(^\[|vmlinux$)`)
	reJMod   = regexp.MustCompile(`/tmp/perf-\d+\.map`)
)

func perlTrue(s string, defined bool) bool { return defined && s != "" && s != "0" }

func refFold(in string, opt FoldOptions) string {
	collapsed := map[string]weight{}
	var stack []string
	var pname string
	pnameSet := false
	var period weight
	filter := opt.EventFilter
	lines := strings.Split(in, "\n")
	if strings.HasSuffix(in, "\n") {
		lines = lines[:len(lines)-1]
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if l == "" {
			if !pnameSet {
				continue
			}
			stack = append([]string{pname}, stack...)
			w := collapsed[strings.Join(stack, ";")]
			w.add(period)
			collapsed[strings.Join(stack, ";")] = w
			stack = nil
			pnameSet = false
			continue
		}
		if m := reHeader.FindStringSubmatchIndex(l); m != nil {
			comm, pid := l[m[2]:m[3]], l[m[4]:m[5]]
			tid, tidDef := "", m[6] >= 0
			if tidDef {
				tid = l[m[6]:m[7]]
			}
			if !perlTrue(tid, tidDef) {
				tid, pid = pid, "?"
			}
			per := ""
			perDef := false
			if e := reEvent.FindStringSubmatchIndex(l); e != nil {
				if e[2] >= 0 {
					per, perDef = l[e[2]:e[3]], true
				}
				ev := l[e[4]:e[5]]
				if filter == "" {
					filter = ev
				} else if ev != filter {
					continue
				}
			}
			if !perlTrue(per, perDef) {
				period = weight{n: 1}
			} else {
				period = parseWeight([]byte(per))
			}
			if opt.Samples {
				period = weight{n: 1}
			}
			switch {
			case opt.TID:
				pname = comm + "-" + pid + "/" + tid
			case opt.PID:
				pname = comm + "-" + pid
			default:
				pname = comm
			}
			pname = strings.ReplaceAll(pname, " ", "_")
			pnameSet = true
			continue
		}
		m := reFrame.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if !pnameSet {
			continue
		}
		pc, raw, mod := m[1], m[2], m[3]
		raw = reOffset.ReplaceAllString(raw, "")
		if strings.HasPrefix(raw, "(") {
			continue
		}
		parts := strings.Split(raw, "->")
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		var inline []string
		for _, fn := range parts {
			if fn == "[unknown]" {
				if mod != "[unknown]" {
					fn = mod
					if i := strings.LastIndexByte(fn, '/'); i >= 0 {
						fn = fn[i+1:]
					}
				} else {
					fn = "unknown"
				}
				if opt.Addrs {
					fn = "[" + fn + " <" + pc + ">]"
				} else {
					fn = "[" + fn + "]"
				}
			}
			fn = strings.ReplaceAll(fn, ";", ":")
			if !reGo.MatchString(fn) {
				for off := 0; ; {
					i := strings.IndexByte(fn[off:], '(')
					if i < 0 {
						break
					}
					if !strings.HasPrefix(fn[off+i:], "(anonymous namespace)") {
						fn = fn[:off+i]
						break
					}
					off += i + 1
				}
			}
			fn = strings.NewReplacer(`"`, "", "'", "").Replace(fn)
			if strings.HasPrefix(pname, "java") && strings.Contains(fn, "/") {
				fn = strings.TrimPrefix(fn, "L")
			}
			switch {
			case len(inline) > 0:
				if !strings.Contains(fn, "_[i]") {
					fn += "_[i]"
				}
			case opt.Kernel && reKMod.MatchString(mod) && !strings.Contains(mod, "unknown"):
				fn += "_[k]"
			case opt.JIT && reJMod.MatchString(mod):
				if !strings.Contains(fn, "_[j]") {
					fn += "_[j]"
				}
			}
			inline = append(inline, fn)
		}
		stack = append(append([]string(nil), inline...), stack...)
	}
	keys := make([]string, 0, len(collapsed))
	for k := range collapsed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + " " + collapsed[k].String() + "\n")
	}
	return b.String()
}

func TestReferenceFolderMatchesPerl(t *testing.T) {
	// the reference itself must reproduce the Perl outputs
	in := string(readTestdata(t, "edge.perf.txt"))
	for name, opt := range map[string]FoldOptions{
		"edge.default.folded":                   {},
		"edge.all.folded":                       {Kernel: true, JIT: true},
		"edge.ef-cpuclock-tid-all-addrs.folded": {EventFilter: "cpu-clock:ppp", TID: true, Kernel: true, JIT: true, Addrs: true},
	} {
		if got, want := refFold(in, opt), string(readTestdata(t, "expected/"+name)); got != want {
			t.Errorf("reference folder, %s: %s", name, firstDiff([]byte(got), []byte(want)))
		}
	}
}

// fragments of perf script lines, assembled at random
var fuzzPieces = []string{
	"node 10178   362.158957:    1001001 cpu-clock:ppp: ",
	"V8 WorkerThread 24636/25607 [000] 94564.109216: 100 cycles:",
	"java 12688/0 6544038.708352: 10309278 cpu-clock:",
	"a 1 2: 0 ev:", "ab 12//34 3: 9 ev: ", "node 1 2:  cpu-clock:ppp:",
	"\t    7f6b10003ee3 JS:^compileForInternalLoader node:internal/bootstrap/realm:383:27+0x223 (/tmp/perf-20375.map)",
	"\tffffffff8168b7a5 mem_cgroup_from_task+0x15 ([kernel.kallsyms])",
	"\t 401000 [unknown] (/usr/lib/libfoo.so.1)", "\t 401001 [unknown] ([unknown])",
	"\t 401002 a->b->c (/usr/bin/node)", "\t 1 ->x-> (m)", "\t 2 (skip) (m)",
	"\t 3 f(int) const (/x (deleted))", "\t 4 ns::(anonymous namespace)::g(a;b) (m)",
	"\t 5 net/http.(*Client).Do+0x1f (/go)", "\t 6 q\"u'o;te (vmlinux)", "\t 7 x_[j] (/tmp/perf-1.map)",
	"\t7 y (/tmp/perf-x.map)", "x", "\t", "", "", "", "# comment", " 8 +0x1f (m)", "\t 9 z+0xAB (m)",
}

func randomPerf(r *rand.Rand) string {
	var b strings.Builder
	n := r.Intn(40)
	for i := 0; i < n; i++ {
		p := fuzzPieces[r.Intn(len(fuzzPieces))]
		if r.Intn(8) == 0 && len(p) > 2 {
			// mutate a byte
			k := r.Intn(len(p))
			mut := "( )->:;0/\t\v["
			p = p[:k] + string(mut[r.Intn(len(mut))]) + p[k+1:]
		}
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.String()
}

func TestFoldAgreesWithReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	opts := []FoldOptions{{}, {PID: true}, {TID: true, Addrs: true}, {Kernel: true, JIT: true}, {EventFilter: "ev"}, {Samples: true}}
	for i := 0; i < 3000; i++ {
		in := randomPerf(r)
		opt := opts[i%len(opts)]
		want := refFold(in, opt)
		got := string(foldBytes(t, []byte(in), opt))
		if got != want {
			t.Fatalf("input %q, %+v:\n%s", in, opt, firstDiff([]byte(got), []byte(want)))
		}
	}
}

func FuzzFold(f *testing.F) {
	f.Add([]byte(strings.Join(fuzzPieces, "\n")))
	f.Add(readTestdata(f, "edge.perf.txt"))
	f.Fuzz(func(t *testing.T, in []byte) {
		want := refFold(string(in), FoldOptions{TID: true, Kernel: true, JIT: true, Addrs: true})
		got := foldBytes(t, in, FoldOptions{TID: true, Kernel: true, JIT: true, Addrs: true})
		if !bytes.Equal(got, []byte(want)) {
			t.Fatalf("%s", firstDiff(got, []byte(want)))
		}
		// the command never panics, and fails with one line and no output
		mainNeverFails(t, in, "--input=perf")
	})
}
