package flame

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The browser test drives headless Chromium through chromedriver's W3C
// WebDriver HTTP interface (Debian packages chromium and chromium-driver).
// Without them it skips, except with CI=true, where it fails.

var chromeArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1200,1000",
}

func findBrowser(t *testing.T) (chrome, driver string) {
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			chrome = p
			break
		}
	}
	driver, _ = exec.LookPath("chromedriver")
	if chrome == "" || driver == "" {
		msg := "headless browser test needs chromium and chromedriver (Debian: apt-get install chromium chromium-driver)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return chrome, driver
}

// browserArgs are chromeArgs with extra ones; an extra --window-size
// replaces the default one.
func browserArgs(extra []string) []string {
	var out []string
	for _, a := range chromeArgs {
		replaced := false
		for _, e := range extra {
			replaced = replaced || strings.HasPrefix(a, "--window-size=") && strings.HasPrefix(e, "--window-size=")
		}
		if !replaced {
			out = append(out, a)
		}
	}
	return append(out, extra...)
}

type webDriver struct {
	t       *testing.T
	base    string
	session string
}

func (d *webDriver) call(method, path string, body any) json.RawMessage {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, d.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out struct {
		Value json.RawMessage `json:"value"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil || resp.StatusCode != 200 {
		d.t.Fatalf("webdriver %s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return out.Value
}

func (d *webDriver) exec(script string, args ...any) json.RawMessage {
	d.t.Helper()
	if args == nil {
		args = []any{}
	}
	return d.call("POST", "/session/"+d.session+"/execute/sync", map[string]any{"script": script, "args": args})
}

func (d *webDriver) str(script string, args ...any) string {
	d.t.Helper()
	var s string
	if err := json.Unmarshal(d.exec(script, args...), &s); err != nil {
		d.t.Fatalf("script %q: %v", script, err)
	}
	return s
}

func (d *webDriver) click(css string) {
	d.t.Helper()
	v := d.call("POST", "/session/"+d.session+"/element", map[string]string{"using": "css selector", "value": css})
	var el map[string]string
	json.Unmarshal(v, &el)
	var id string
	for _, x := range el {
		id = x
	}
	d.call("POST", "/session/"+d.session+"/element/"+id+"/click", map[string]any{})
}

func (d *webDriver) open(url string) {
	d.t.Helper()
	d.call("POST", "/session/"+d.session+"/url", map[string]string{"url": url})
}

func startWebDriver(t *testing.T, chrome, driver string, extraArgs ...string) *webDriver {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port))
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting chromedriver: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	d := &webDriver{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	for i := 0; ; i++ {
		resp, err := http.Get(d.base + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if i > 200 {
			t.Fatalf("chromedriver did not start: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	v := d.call("POST", "/session", map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName":        "chrome",
		"goog:chromeOptions": map[string]any{"binary": chrome, "args": browserArgs(extraArgs)},
	}}})
	var s struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(v, &s); err != nil || s.SessionID == "" {
		t.Fatalf("no webdriver session: %s", v)
	}
	d.session = s.SessionID
	t.Cleanup(func() { d.call("DELETE", "/session/"+d.session, nil) })
	return d
}

// expectedMatch is the share of the total, in "Matched: X%" form, of the
// samples whose stack has a frame (below the root) matching re.
func expectedMatch(t *testing.T, re *regexp.Regexp) string {
	res, err := Fold(bytes.NewReader(readTestdata(t, "perf-script.txt.zst")), FoldOptions{Kernel: true, JIT: true, MarkTruncated: true})
	if err != nil {
		t.Fatal(err)
	}
	var m, total float64
	for _, s := range res.Stacks {
		w := s.Weight.float64()
		total += w
		for _, f := range strings.Split(s.Frames, ";") {
			if re.MatchString(stripAnnotation(f)) {
				m += w
				break
			}
		}
	}
	return "Matched: " + strconv.FormatFloat(100*m/total, 'f', 1, 64) + "%"
}

func TestBrowser(t *testing.T) {
	chrome, driver := findBrowser(t)
	// every frame, so that the matches equal those of the folds
	r := run(t, nil, "--minwidth=0", recordingPath(t))
	if r.status != 0 {
		t.Fatalf("status %d: %s", r.status, r.stderr)
	}
	svg := r.stdout
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		io.WriteString(w, svg)
	}))
	defer srv.Close()
	d := startWebDriver(t, chrome, driver)
	url := srv.URL + "/flame.svg"
	d.open(url)

	if n := d.str(`return String(frames.length)`); n != strconv.Itoa(len(titles(svg))) {
		t.Fatalf("script sees %s frames, SVG has %d", n, len(titles(svg)))
	}

	// search
	d.exec(`search("fib")`)
	want := expectedMatch(t, regexp.MustCompile("fib"))
	if got := d.str(`return document.getElementById("matched").textContent`); got != want {
		t.Errorf("search fib: %q, want %q", got, want)
	}
	lit := d.str(`return String(frames.filter(function(f){return f.rect.getAttribute("fill")===cfg.searchcolor}).length)`)
	names := d.str(`return String(frames.filter(function(f){return f.d>0 && f.name.indexOf("fib")>=0}).length)`)
	if lit == "0" || lit != names {
		t.Errorf("search fib highlighted %s frames, %s have fib in their name", lit, names)
	}
	if u := d.str(`return location.search`); u != "?s=fib" {
		t.Errorf("URL after search: %q", u)
	}
	// case: FIB matches nothing until ic is on
	d.exec(`search("FIB")`)
	if got := d.str(`return document.getElementById("matched").textContent`); got != "Matched: 0.0%" {
		t.Errorf("search FIB: %q", got)
	}
	d.click("#ignorecase")
	if got := d.str(`return document.getElementById("matched").textContent`); got != want {
		t.Errorf("search FIB, ignoring case: %q, want %q", got, want)
	}
	d.click("#ignorecase")
	d.click("#search") // resets the search
	if got := d.str(`return document.getElementById("matched").textContent`); got != " " {
		t.Errorf("after reset: %q", got)
	}

	// zoom: click the largest JS:*fib frame
	idx := d.str(`var best=-1,bw=0; frames.forEach(function(f,i){ if(f.name.indexOf("JS:*fib ")===0 && f.w>bw){bw=f.w;best=i} }); return String(best+1)`)
	before := d.str(`var f=frames[arguments[0]-1]; return f.rect.getAttribute("x")+" "+f.rect.getAttribute("width")`, mustAtoi(t, idx))
	d.click("#frames > g:nth-child(" + idx + ") > rect")
	after := d.str(`var f=frames[arguments[0]-1]; return f.rect.getAttribute("x")+" "+f.rect.getAttribute("width")`, mustAtoi(t, idx))
	if after != "10.00 1180.00" {
		t.Errorf("zoomed frame at %q (was %q), want x 10 width 1180", after, before)
	}
	if cls := d.str(`return document.getElementById("unzoom").getAttribute("class")`); cls != "" {
		t.Errorf("Reset Zoom not shown: class %q", cls)
	}
	hidden := d.str(`return String(frames.filter(function(f){return f.g.classList.contains("hide")}).length)`)
	if hidden == "0" {
		t.Error("zoom hid no frame")
	}
	zoomURL := d.str(`return location.search`)
	if !strings.HasPrefix(zoomURL, "?x=") || !strings.Contains(zoomURL, "&y=") {
		t.Errorf("URL after zoom: %q", zoomURL)
	}
	// the root's label is the full width and the ancestors are faded
	if p := d.str(`return String(frames[0].g.classList.contains("parent"))`); p != "true" {
		t.Error("root is not shown as a parent while zoomed")
	}

	// Reset Zoom
	d.click("#unzoom")
	if got := d.str(`var f=frames[arguments[0]-1]; return f.rect.getAttribute("x")+" "+f.rect.getAttribute("width")`, mustAtoi(t, idx)); got != before {
		t.Errorf("after Reset Zoom the frame is at %q, want %q", got, before)
	}
	if n := d.str(`return String(frames.filter(function(f){return f.g.classList.contains("hide")}).length)`); n != "0" {
		t.Errorf("%s frames still hidden after Reset Zoom", n)
	}

	// state from the URL: zoom and search are restored on load
	d.open(url + zoomURL + "&s=sha256&i=1")
	if got, want := d.str(`return document.getElementById("matched").textContent`), expectedMatch(t, regexp.MustCompile("(?i)sha256")); got != want {
		t.Errorf("search from URL: %q, want %q", got, want)
	}
	if got := d.str(`var f=frames[arguments[0]-1]; return f.rect.getAttribute("x")+" "+f.rect.getAttribute("width")`, mustAtoi(t, idx)); got != "10.00 1180.00" {
		t.Errorf("zoom from URL: frame at %q", got)
	}

	// tooltip details on hover
	d.exec(`frames[1].g.dispatchEvent(new MouseEvent("mouseover"))`)
	if got := d.str(`return document.getElementById("details").textContent`); !strings.HasPrefix(got, "Function: node (") {
		t.Errorf("details on hover: %q", got)
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("bad frame index %q", s)
	}
	return n
}
