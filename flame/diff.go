package flame

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// loadDiff reads BEFORE and AFTER and merges them as difffolded.pl does:
// each stack carries both weights; widths come from AFTER.
func (c *cli) loadDiff() (*Profile, error) {
	var ps [2]*Profile
	for i, name := range c.files {
		p, err := c.load(name, false)
		if err != nil {
			return nil, err
		}
		if p.Diff {
			return nil, fmt.Errorf("%s: already a differential profile", displayName(name))
		}
		ps[i] = p
	}
	c.pendingFold = nil
	return diffProfiles(ps[0], ps[1], c.normalize), nil
}

// diffProfiles merges before and after into a differential profile. With
// normalize, the BEFORE weights are scaled to the AFTER total (truncated to
// integers, as difffolded.pl -n).
func diffProfiles(before, after *Profile, normalize bool) *Profile {
	type pair struct{ b, a float64 }
	m := map[string]*pair{}
	var keys []string
	get := func(k string) *pair {
		p, ok := m[k]
		if !ok {
			p = &pair{}
			m[k] = p
			keys = append(keys, k)
		}
		return p
	}
	var tb, ta float64
	for _, s := range before.Stacks {
		get(strings.Join(s.Frames, ";")).b += s.Value
		tb += s.Value
	}
	for _, s := range after.Stacks {
		get(strings.Join(s.Frames, ";")).a += s.Value
		ta += s.Value
	}
	sort.Strings(keys)
	out := &Profile{Diff: true, Unit: after.Unit, Event: after.Event, NSamples: after.NSamples, Kinds: map[string]Kind{}}
	if out.Unit == "" {
		out.Unit = before.Unit
	}
	for _, p := range []*Profile{before, after} {
		for k, v := range p.Kinds {
			out.Kinds[k] = v
		}
	}
	for _, k := range keys {
		p := m[k]
		b := p.b
		if normalize && tb != ta && tb > 0 {
			b = math.Trunc(b * ta / tb)
		}
		out.Stacks = append(out.Stacks, PStack{Frames: strings.Split(k, ";"), Value: p.a, Before: b})
	}
	return out
}

// applyStripJS renames JS frames with stripJS and merges the stacks that
// become equal.
func applyStripJS(p *Profile) {
	index := map[string]int{}
	var out []PStack
	for _, s := range p.Stacks {
		fr := make([]string, len(s.Frames))
		for i, f := range s.Frames {
			fr[i] = stripJS(f)
			if k, ok := p.Kinds[f]; ok {
				p.Kinds[fr[i]] = k
			}
			if m, ok := p.Modules[f]; ok {
				p.Modules[fr[i]] = m
			}
		}
		if p.Ordered {
			out = append(out, PStack{Frames: fr, Value: s.Value, Before: s.Before, Samples: s.Samples})
			continue
		}
		key := strings.Join(fr, ";")
		if i, ok := index[key]; ok {
			out[i].Value += s.Value
			out[i].Before += s.Before
			out[i].Samples += s.Samples
			continue
		}
		index[key] = len(out)
		out = append(out, PStack{Frames: fr, Value: s.Value, Before: s.Before, Samples: s.Samples})
	}
	if !p.Ordered {
		sort.Slice(out, func(i, j int) bool {
			return strings.Join(out[i].Frames, ";") < strings.Join(out[j].Frames, ";")
		})
	}
	p.Stacks = out
}

// writeProfileFolded writes folded stacks; for a diff, "stack before after"
// lines like difffolded.pl. An exact perf fold is written as is.
func writeProfileFolded(w io.Writer, p *Profile, exact *exactFold) error {
	if exact != nil && !p.Diff {
		return WriteFolded(w, exact.stacks)
	}
	var b strings.Builder
	for _, s := range p.Stacks {
		b.WriteString(strings.Join(s.Frames, ";"))
		if p.Diff {
			b.WriteByte(' ')
			b.WriteString(formatWeight(s.Before))
		}
		b.WriteByte(' ')
		b.WriteString(formatWeight(s.Value))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatWeight(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
