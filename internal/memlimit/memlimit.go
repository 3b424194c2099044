// Package memlimit keeps ndb within a memory budget, so that input that
// would need more ends with one line on stderr, not a Go runtime dump.
//
// Start sets the Go runtime's soft memory limit (debug.SetMemoryLimit) to
// Limit() and watches the live heap: when, after a collection, it is still
// above the limit, ndb prints one line and exits. The check runs after
// every collection, and collections run more often the nearer the heap is
// to the limit. Big allocations whose
// size comes from the input are bounded where they are made (the budgets
// of elfcore, bundle and heap); this is the last line of defence.
package memlimit

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Limit is the memory ndb allows itself: GOMEMLIMIT when set, else three
// quarters of the smaller of the machine's memory and the cgroup's limit,
// at most 2 GiB less than the address-space rlimit.
func Limit() int64 {
	if v := os.Getenv("GOMEMLIMIT"); v != "" && v != "off" {
		return debug.SetMemoryLimit(-1) // the runtime parsed it
	}
	limit := int64(16 << 30)
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil && si.Totalram > 0 {
		limit = int64(si.Totalram) * int64(si.Unit)
	}
	if cg := cgroupLimit(); cg > 0 && cg < limit {
		limit = cg
	}
	limit = limit / 4 * 3
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_AS, &rl) == nil && rl.Cur != unix.RLIM_INFINITY {
		// The address space holds the mapped core and the runtime's
		// reservations besides the heap.
		limit = min(limit, max(int64(rl.Cur)/2, int64(rl.Cur)-2<<30))
	}
	return max(limit, 256<<20)
}

// cgroupLimit reads cgroup v2's memory.max for this process, or 0.
func cgroupLimit() int64 {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			m, err := os.ReadFile("/sys/fs/cgroup" + rest + "/memory.max")
			if err != nil {
				return 0
			}
			n, err := strconv.ParseInt(strings.TrimSpace(string(m)), 10, 64)
			if err != nil {
				return 0
			}
			return n
		}
	}
	return 0
}

var once sync.Once

// Start sets the memory limit and starts the watch; when the live heap
// stays above the limit, it writes "ndb: out of memory: ..." to stderr and
// exits with status code. It does its work once per process.
func Start(stderr io.Writer, code int) {
	once.Do(func() {
		limit := Limit()
		debug.SetMemoryLimit(limit)
		w := &watch{stderr: stderr, code: code, limit: limit,
			sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
		w.arm()
	})
}

// watch checks the live heap after every garbage collection: a finalizer
// on a fresh object runs once per cycle, and re-arms itself.
type watch struct {
	stderr io.Writer
	code   int
	limit  int64
	sample []metrics.Sample
}

// running names the work under way (a dcmd, a subcommand), so the
// out-of-memory line says what ran out: "ndb: findjsrefs: out of memory".
var running atomic.Pointer[string]

// Running records the name of the work under way until done is called;
// the out-of-memory line is named after it, as every other error line is.
func Running(name string) (done func()) {
	prev := running.Swap(&name)
	return func() { running.Store(prev) }
}

// prefix is "ndb: NAME: " while NAME runs, else "ndb: ".
func prefix() string {
	if n := running.Load(); n != nil && *n != "" {
		return "ndb: " + *n + ": "
	}
	return "ndb: "
}

type sentinel struct{ _ [16]byte }

func (w *watch) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) { w.check(); w.arm() })
}

func (w *watch) check() {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if live := int64(w.sample[0].Value.Uint64()); live > w.limit {
		fmt.Fprintf(w.stderr, "%sout of memory: the input needs more than the %d MiB ndb allows itself (set GOMEMLIMIT to change it)\n", prefix(), w.limit>>20)
		os.Exit(w.code)
	}
}
