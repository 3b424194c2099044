// Command mkprofiles makes the perf recordings of the CPU lab
// (docs/workshop/lab3-cpu.md): it runs testdata/workshop/apps/tags.js with
// the official Node 22 build under `perf record`, once slow and once fixed,
// and writes each recording's `perf script` text, zstd-compressed, to
// testdata/workshop/tags-slow.perf.zst and tags-fast.perf.zst. Run it from
// the module root, as root or with kernel.perf_event_paranoid <= 1:
//
//	go run ./docs/workshop/mkprofiles
//
// Like mkbundles, it runs node and the app from /srv/ndb-example (unless
// NDB_CACHE says otherwise), so the paths the recordings show are neutral.
package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/ndb-debugger/ndb/internal/testnode"
)

const (
	version = "22.23.3"
	app     = "tags.js"
)

func main() {
	if os.Getenv("NDB_CACHE") == "" {
		os.Setenv("NDB_CACHE", "/srv/ndb-example")
	}
	root, err := testnode.ModuleRoot()
	if err != nil {
		fatal(err)
	}
	perf, err := exec.LookPath("perf")
	if err != nil {
		fatal(fmt.Errorf("perf is not installed (Debian: linux-perf)"))
	}
	node, err := testnode.Fetch(version)
	if err != nil {
		fatal(err)
	}
	work := filepath.Join(testnode.CacheDir(), "workshop")
	if err := os.MkdirAll(work, 0o755); err != nil {
		fatal(err)
	}
	code, err := os.ReadFile(filepath.Join(root, "testdata", "workshop", "apps", app))
	if err != nil {
		fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, app), code, 0o644); err != nil {
		fatal(err)
	}
	for _, variant := range []string{"slow", "fast"} {
		text, err := record(perf, node, work, variant)
		if err != nil {
			fatal(fmt.Errorf("%s: %v", variant, err))
		}
		out := filepath.Join(root, "testdata", "workshop", "tags-"+variant+".perf.zst")
		if err := writeZstd(out, text); err != nil {
			fatal(err)
		}
		fmt.Printf("%s: %d samples, %d bytes of perf script, %d compressed\n", filepath.Base(out),
			bytes.Count(text, []byte(" cpu-clock:")), len(text), fileSize(out))
	}
}

// record runs the app under perf record and returns perf script's text.
// The cpu-clock event works in virtual machines without a PMU too.
func record(perf, node, work, variant string) ([]byte, error) {
	data := filepath.Join(work, variant+".perf.data")
	rec := exec.Command(perf, "record", "-e", "cpu-clock", "-F", "499", "-g", "-o", data, "--",
		node, "--perf-basic-prof", "--interpreted-frames-native-stack", app, variant)
	rec.Dir = work
	rec.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + work, "LANG=C"}
	if out, err := rec.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("perf record: %v: %s", err, out)
	}
	script := exec.Command(perf, "script", "-i", data)
	script.Dir = work
	var stderr bytes.Buffer
	script.Stderr = &stderr
	text, err := script.Output()
	if err != nil {
		return nil, fmt.Errorf("perf script: %v: %s", err, stderr.String())
	}
	// node wrote /tmp/perf-PID.map for perf script; it is not needed any more.
	for _, m := range perfMaps(text) {
		os.Remove(m)
	}
	os.Remove(data)
	return text, nil
}

// perfMaps returns the /tmp/perf-PID.map files the recording names.
func perfMaps(text []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(text), "\n") {
		i := strings.Index(line, "(/tmp/perf-")
		if i < 0 {
			continue
		}
		m := strings.TrimSuffix(line[i+1:], ")")
		if strings.HasSuffix(m, ".map") && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

func writeZstd(path string, data []byte) error {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		return err
	}
	defer enc.Close()
	return os.WriteFile(path, enc.EncodeAll(data, nil), 0o644)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "mkprofiles: %v\n", err)
	os.Exit(1)
}
