package flame

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// frameBox is where the browser drew a frame, in CSS pixels of the window.
type frameBox struct {
	Name                     string
	Fill                     string
	Left, Top, Right, Bottom float64
}

// firstScreen opens svg in headless Chromium with a 1400×900 window, as a
// user opens a graph, and returns the frames' boxes and a screenshot.
func firstScreen(t *testing.T, svg string) ([]frameBox, image.Image, float64) {
	chrome, driver := findBrowser(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		io.WriteString(w, svg)
	}))
	defer srv.Close()
	d := startWebDriver(t, chrome, driver, "--hide-scrollbars")
	// the viewport itself is 1400×900 (a window's size includes the
	// browser's own bars)
	d.call("POST", "/session/"+d.session+"/goog/cdp/execute", map[string]any{
		"cmd":    "Emulation.setDeviceMetricsOverride",
		"params": map[string]any{"width": 1400, "height": 900, "deviceScaleFactor": 1, "mobile": false},
	})
	d.open(srv.URL + "/flame.svg")
	var boxes []frameBox
	js := `return JSON.stringify(frames.map(function(f){var r=f.rect.getBoundingClientRect();
		return {Name:f.name, Fill:f.fill, Left:r.left, Top:r.top, Right:r.right, Bottom:r.bottom}}))`
	if err := json.Unmarshal([]byte(d.str(js)), &boxes); err != nil {
		t.Fatal(err)
	}
	var height float64
	json.Unmarshal(d.exec(`return window.innerHeight`), &height)
	var b64 string
	if err := json.Unmarshal(d.call("GET", "/session/"+d.session+"/screenshot", nil), &b64); err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return boxes, img, height
}

// shownIn reports whether the screenshot shows the frame's colour in the
// middle of its box.
func shownIn(img image.Image, b frameBox) bool {
	x, y := int((b.Left+b.Right)/2), int((b.Top+b.Bottom)/2)
	if !(image.Point{x, y}.In(img.Bounds())) {
		return false
	}
	var want [3]int
	if _, err := fmt.Sscanf(b.Fill, "rgb(%d,%d,%d)", &want[0], &want[1], &want[2]); err != nil {
		return false
	}
	r, g, bl, _ := img.At(x, y).RGBA()
	got := [3]int{int(r >> 8), int(g >> 8), int(bl >> 8)}
	for i := range got {
		if d := got[i] - want[i]; d > 3 || d < -3 {
			return false
		}
	}
	return true
}

// The default SVG of a real recording fits its data: in the first
// 1400×900 screen the browser shows every frame drawn, the root included.
// (Before, the image was 2,228 px tall with the frames at its bottom.)
func TestFirstScreenShowsTheFrames(t *testing.T) {
	r := run(t, nil, recordingPath(t))
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	boxes, img, height := firstScreen(t, r.stdout)
	if len(boxes) < 100 || boxes[0].Name != "all" {
		t.Fatalf("%d frames, first %+v", len(boxes), boxes)
	}
	if height != 900 {
		t.Fatalf("window is %v px high, want 900", height)
	}
	var off []string
	for _, b := range boxes {
		if b.Top < 0 || b.Bottom > height {
			off = append(off, fmt.Sprintf("%s at y %.0f–%.0f", b.Name, b.Top, b.Bottom))
		}
	}
	if len(off) > 0 {
		t.Errorf("%d of %d frames are outside the first screen, e.g. %s", len(off), len(boxes), off[0])
	}
	// the screenshot shows the root, and each depth's widest frame
	widest := map[float64]frameBox{}
	for _, b := range boxes {
		if w, ok := widest[b.Top]; !ok || b.Right-b.Left > w.Right-w.Left {
			widest[b.Top] = b
		}
	}
	if !shownIn(img, boxes[0]) {
		t.Errorf("the screenshot does not show the root at %+v", boxes[0])
	}
	var hidden []string
	for _, b := range widest {
		// a frame under 3 px is a blend of its edges; its middle need not be its colour
		if b.Right-b.Left >= 3 && !shownIn(img, b) {
			hidden = append(hidden, fmt.Sprintf("%+v", b))
		}
	}
	if len(hidden) > 0 {
		t.Errorf("the screenshot does not show %d of %d depths' widest frames: %s", len(hidden), len(widest), hidden)
	}
}

// A graph deeper than a screen opens at its root: the browser scrolls the
// root and the widest frames into the first screen.
func TestFirstScreenOfADeepGraph(t *testing.T) {
	var stack []string
	for i := 0; i < 150; i++ {
		stack = append(stack, fmt.Sprintf("recurse%d", i))
	}
	in := strings.Join(stack, ";") + " 10\n" + strings.Join(stack[:3], ";") + " 5\n"
	r := run(t, []byte(in))
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	boxes, img, height := firstScreen(t, r.stdout)
	root := boxes[0]
	if root.Name != "all" || root.Top < 0 || root.Bottom > height || !shownIn(img, root) {
		t.Errorf("root at y %.0f–%.0f of a %.0f px window; shown in the screenshot: %v", root.Top, root.Bottom, height, shownIn(img, root))
	}
}
