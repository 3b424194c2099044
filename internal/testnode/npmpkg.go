package testnode

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NpmPackage installs an npm package (name@version) once into the cache
// and returns the directory whose node_modules holds it. Install scripts
// are not run (memlab's would download a browser). It skips the test when
// npm or the registry cannot be reached (fails it when CI=true).
func NpmPackage(tb testing.TB, spec string) string {
	tb.Helper()
	dir, err := installNpm(spec)
	if err != nil {
		fail(tb, err)
	}
	return dir
}

func installNpm(spec string) (string, error) {
	root := filepath.Join(CacheDir(), "npm")
	name := strings.NewReplacer("/", "+", "@", "_").Replace(spec)
	dir := filepath.Join(root, name)
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir, nil
	}
	unlock, err := lockFile(filepath.Join(root, ".lock-"+name))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return dir, nil // installed while we waited
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", unavailable("npm is not installed: cannot install %s", spec)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-"+name+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--silent", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", tmp, spec)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "PUPPETEER_SKIP_DOWNLOAD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", unavailable("npm install %s failed (network or registry?): %v: %s", spec, err, lastLines(out.String(), 5))
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", err
	}
	return dir, nil
}
