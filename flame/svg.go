package flame

import (
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

//go:embed svg.js
var svgScript string

// SVGOptions are the flamegraph.pl-like settings of the SVG.
type SVGOptions struct {
	Title       string
	Subtitle    string
	Width       int     // image width, px (1200)
	FrameHeight int     // px (16)
	FontSize    float64 // px (12)
	FontWidth   float64 // average glyph width relative to FontSize (0.59)
	MinWidth    float64 // omit frames narrower than this many px…
	MinWidthPct bool    // …or this percentage of the total
	Inverted    bool    // icicle graph
	Reverse     bool    // reverse the stacks (merge from the leaves)
	FlameChart  bool    // keep time order, do not merge across time
	CountName   string  // unit shown in tooltips; default from the profile
	Negate      bool    // diff: swap red and blue
}

func (o *SVGOptions) defaults() {
	if o.Width <= 0 {
		o.Width = 1200
	}
	if o.FrameHeight <= 0 {
		o.FrameHeight = 16
	}
	if o.FontSize <= 0 {
		o.FontSize = 12
	}
	if o.FontWidth <= 0 {
		o.FontWidth = 0.59
	}
	if o.MinWidth < 0 {
		o.MinWidth = 0
	}
}

const (
	xpad        = 10
	framePad    = 1
	searchColor = "rgb(230,0,230)"
)

type svgWriter struct {
	b strings.Builder
}

func (w *svgWriter) printf(format string, a ...any) { fmt.Fprintf(&w.b, format, a...) }
func (w *svgWriter) str(s string)                   { w.b.WriteString(s) }

// ff formats a coordinate deterministically.
func ff(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// fv formats a weight for data attributes.
func fv(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func xmlEscape(s string) string {
	if !strings.ContainsAny(s, "&<>\"'") && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&#39;")
		case utf8.RuneError:
			b.WriteString("\uFFFD")
		default:
			if r < 0x20 && r != '\t' {
				b.WriteString("\uFFFD")
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// commas formats an integral weight with thousands separators.
func commas(v float64) string {
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fitText cuts a label to the characters that fit in px, like flamegraph.pl.
func fitText(name string, px, fontSize, fontWidth float64) string {
	chars := int(px / (fontSize * fontWidth))
	if chars < 3 {
		return ""
	}
	r := []rune(name)
	if chars >= len(r) {
		return name
	}
	return string(r[:chars-2]) + ".."
}

// WriteSVG renders p as an interactive flame graph.
func WriteSVG(out io.Writer, p *Profile, o SVGOptions) error {
	o.defaults()
	root := buildTree(p, o.Reverse)
	total := root.value
	countName := o.CountName
	if countName == "" {
		countName = p.Unit
	}
	if countName == "" {
		countName = "samples"
	}
	title := o.Title
	if title == "" {
		switch {
		case p.Diff:
			title = "Differential Flame Graph"
		case o.FlameChart:
			title = "Flame Chart"
		case o.Inverted:
			title = "Icicle Graph"
		default:
			title = "Flame Graph"
		}
	}
	subtitle := o.Subtitle
	if subtitle == "" {
		subtitle = describeProfile(p, countName, total)
	}
	W := float64(o.Width)
	fs := o.FontSize
	fh := float64(o.FrameHeight)
	scale := 0.0
	if total > 0 {
		scale = (W - 2*xpad) / total
	}
	minUnits := o.MinWidth / math.Max(scale, 1e-300)
	if o.MinWidthPct {
		minUnits = total * o.MinWidth / 100
	}

	// frames to draw, depth-first; pruned subtrees are skipped
	var drawn []*node
	maxDepth := 0
	var maxDelta float64
	var collect func(n *node)
	collect = func(n *node) {
		if n.depth > 0 && (n.value <= 0 || n.value < minUnits) {
			return
		}
		drawn = append(drawn, n)
		maxDepth = max(maxDepth, n.depth)
		maxDelta = math.Max(maxDelta, math.Abs(n.delta))
		for _, c := range n.children {
			collect(c)
		}
	}
	if total > 0 {
		collect(root)
	}

	// legend: kinds by self weight
	var selfByKind [numKinds]float64
	var present [numKinds]bool
	var sum func(n *node)
	sum = func(n *node) {
		selfByKind[n.kind] += n.self
		present[n.kind] = true
		for _, c := range n.children {
			sum(c)
		}
	}
	sum(root)
	type item struct{ color, label string }
	var items []item
	if p.Diff {
		red, blue := "grew", "shrank"
		if o.Negate {
			red, blue = blue, red
		}
		items = append(items,
			item{diffColor(1, 1), "red: " + red + " (self weight, AFTER − BEFORE)"},
			item{diffColor(-1, 1), "blue: " + blue},
			item{"rgb(255,255,255)", "white: unchanged; widths are AFTER"})
	} else {
		for k := Kind(0); k < numKinds; k++ {
			if !present[k] || k == KindProcess {
				continue
			}
			label := kindStyles[k].label
			if total > 0 && k != KindTruncated {
				pct := 100 * selfByKind[k] / total
				if pct > 0 && pct < 0.05 {
					label += " <0.1%"
				} else {
					label += fmt.Sprintf(" %.1f%%", pct)
				}
			}
			items = append(items, item{legendColor(k), label})
		}
	}
	charW := fs * 0.9 * o.FontWidth
	legendRows := 1
	lx := float64(xpad)
	var pos [][2]float64
	for _, it := range items {
		iw := 14 + float64(utf8.RuneCountInString(it.label))*charW + 18
		if lx+iw > W-xpad && lx > xpad {
			legendRows++
			lx = xpad
		}
		pos = append(pos, [2]float64{lx, float64(legendRows - 1)})
		lx += iw
	}
	legendH := float64(legendRows)*(fs+6) + 6

	ypad1 := fs * 3
	if subtitle != "" {
		ypad1 += fs * 1.5
	}
	ypad2 := fs*2 + 10 + legendH
	H := (float64(maxDepth)+1)*fh + ypad1 + ypad2
	if total <= 0 {
		H = fs * 8
	}

	w := &svgWriter{}
	w.str(`<?xml version="1.0" standalone="no"?>` + "\n")
	w.str(`<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">` + "\n")
	w.printf(`<svg version="1.1" width="%d" height="%s" onload="init(evt)" viewBox="0 0 %d %s" xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">`+"\n",
		o.Width, ff(H), o.Width, ff(H))
	w.str("<!-- Flame graph by ndb flame. Widths are proportional to weight; the x order is alphabetical (or time in a flame chart). -->\n")
	w.str(`<defs><linearGradient id="background" y1="0" y2="1" x1="0" x2="0"><stop stop-color="#eeeeee" offset="5%"/><stop stop-color="#eeeeb0" offset="95%"/></linearGradient>`)
	w.str(`<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="rgb(77,77,77)"/><line x1="0" y1="0" x2="0" y2="6" stroke="rgb(200,200,200)" stroke-width="2"/></pattern></defs>` + "\n")
	w.printf(`<style type="text/css">
text { font-family:Verdana, sans-serif; font-size:%spx; fill:rgb(0,0,0); }
#title { text-anchor:middle; font-size:%spx; }
#subtitle { text-anchor:middle; fill:rgb(90,90,90); }
#search, #ignorecase, #unzoom { opacity:0.1; cursor:pointer; }
#search:hover, #search.show, #ignorecase:hover, #ignorecase.show, #unzoom:hover { opacity:1; }
#matched { text-anchor:end; }
.hide { display:none; }
.parent { opacity:0.5; }
#frames > g { cursor:pointer; }
#frames text { pointer-events:none; }
#frames > g:hover > rect { stroke:black; stroke-width:0.5; }
</style>
`, ff(fs), ff(fs+5))
	w.printf("<script type=\"text/ecmascript\"><![CDATA[\nvar cfg = {width: %d, xpad: %d, fontsize: %s, fontwidth: %s, total: %s, inverted: %t, searchcolor: %q};\n",
		o.Width, xpad, ff(fs), strconv.FormatFloat(o.FontWidth, 'g', -1, 64), fv(total), o.Inverted, searchColor)
	w.str(strings.ReplaceAll(svgScript, "]]>", "]] >"))
	w.str("]]></script>\n")
	w.printf(`<rect x="0" y="0" width="%d" height="%s" fill="url(#background)"/>`+"\n", o.Width, ff(H))
	w.printf(`<text id="title" x="%s" y="%s">%s</text>`+"\n", ff(W/2), ff(fs*2), xmlEscape(title))
	if subtitle != "" {
		w.printf(`<text id="subtitle" x="%s" y="%s">%s</text>`+"\n", ff(W/2), ff(fs*3.5), xmlEscape(subtitle))
	}
	detailsY := H - legendH - (fs*2+10)/2
	w.printf(`<text id="details" x="%d" y="%s"> </text>`+"\n", xpad, ff(detailsY))
	w.printf(`<text id="unzoom" class="hide" x="%d" y="%s">Reset Zoom</text>`+"\n", xpad, ff(fs*2))
	w.printf(`<text id="search" x="%s" y="%s">Search</text>`+"\n", ff(W-xpad-100), ff(fs*2))
	w.printf(`<text id="ignorecase" x="%s" y="%s">ic</text>`+"\n", ff(W-xpad-16), ff(fs*2))
	w.printf(`<text id="matched" x="%s" y="%s"> </text>`+"\n", ff(W-xpad), ff(detailsY))
	if total <= 0 {
		w.printf(`<text id="empty" x="%s" y="%s" style="text-anchor:middle">%s</text>`+"\n", ff(W/2), ff(fs*5),
			xmlEscape("No samples in the input: nothing to draw."))
	}

	w.str(`<g id="frames">` + "\n")
	for _, n := range drawn {
		x1 := xpad + n.x*scale
		x2 := xpad + (n.x+n.value)*scale
		var y1, y2 float64
		if !o.Inverted {
			y1 = H - ypad2 - float64(n.depth+1)*fh + framePad
			y2 = H - ypad2 - float64(n.depth)*fh
		} else {
			y1 = ypad1 + float64(n.depth)*fh
			y2 = ypad1 + float64(n.depth+1)*fh - framePad
		}
		display := stripAnnotation(n.name)
		var info string
		if n.depth == 0 {
			info = fmt.Sprintf("all (%s %s, 100%%)", commas(n.value), countName)
		} else {
			pct := 100 * n.value / total
			info = fmt.Sprintf("%s (%s %s, %.2f%%", display, commas(n.value), countName, pct)
			if p.Diff {
				d := n.delta
				if o.Negate {
					d = -d
				}
				sign := ""
				if d > 0 {
					sign = "+"
				}
				info += fmt.Sprintf("; %s%.2f%%", sign, 100*d/total)
			}
			if n.kind == KindTruncated {
				info += "; perf recorded only the innermost 127 frames of these stacks"
			}
			info += ")"
		}
		var color string
		switch {
		case p.Diff:
			d := n.delta
			if o.Negate {
				d = -d
			}
			color = diffColor(d, maxDelta)
		case n.kind == KindTruncated:
			color = "url(#hatch)"
		default:
			color = frameColor(n.kind, display)
		}
		w.printf(`<g data-x="%s" data-w="%s" data-d="%d" data-l="%d"><title>%s</title><rect x="%s" y="%s" width="%s" height="%s" fill="%s" rx="2" ry="2"/><text x="%s" y="%s">%s</text></g>`+"\n",
			fv(n.x), fv(n.value), n.depth, utf16Len(display), xmlEscape(info),
			ff(x1), ff(y1), ff(x2-x1), ff(y2-y1), color,
			ff(x1+3), ff(3+(y1+y2)/2), xmlEscape(fitText(display, x2-x1, fs, o.FontWidth)))
	}
	w.str("</g>\n")

	w.str(`<g id="legend">` + "\n")
	for i, it := range items {
		x, row := pos[i][0], pos[i][1]
		y := H - legendH + 4 + row*(fs+6)
		w.printf(`<rect x="%s" y="%s" width="12" height="12" fill="%s" stroke="rgb(120,120,120)" stroke-width="0.5"/><text x="%s" y="%s" style="font-size:%spx">%s</text>`+"\n",
			ff(x), ff(y), it.color, ff(x+16), ff(y+10), ff(fs*0.9), xmlEscape(it.label))
	}
	w.str("</g>\n</svg>\n")
	_, err := io.WriteString(out, w.b.String())
	return err
}

func describeProfile(p *Profile, unit string, total float64) string {
	var parts []string
	if p.Source != "" {
		parts = append(parts, p.Source)
	}
	if p.NSamples > 0 {
		parts = append(parts, commas(float64(p.NSamples))+" samples")
	}
	if p.Event != "" {
		parts = append(parts, "event "+p.Event)
	}
	switch unit {
	case "samples":
		parts = append(parts, "widths: sample counts")
	case "ns":
		parts = append(parts, "widths: sum of sample periods in ns (CPU time)")
	case "µs":
		parts = append(parts, "widths: time in µs")
	default:
		parts = append(parts, "widths: sum of sample periods ("+unit+")")
	}
	return strings.Join(parts, " · ")
}

// utf16Len is the length of s in JavaScript string units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}
