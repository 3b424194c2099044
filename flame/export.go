package flame

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// WritePprof writes p as a gzipped pprof profile (profile.proto), which
// go tool pprof reads.
//
//   - Each module (DSO) of the frames is one mapping, the executable first,
//     with HasFunctions set: the frames are already symbolized.
//   - Each distinct frame name is one function with one location. The
//     annotation suffixes (_[k] …) are kept in the system name.
//   - The sample types say what the values count: samples/count, and, when
//     the weights are not sample counts, the weight (cpu/nanoseconds for the
//     perf clock events, cpu/microseconds for .cpuprofile, EVENT/count for
//     other perf events), which is the default type.
func WritePprof(w io.Writer, p *Profile) error {
	if p.Diff {
		return fmt.Errorf("pprof export of a differential profile is not supported; export BEFORE and AFTER and use go tool pprof -diff_base")
	}
	prof, err := pprofProfile(p)
	if err != nil {
		return err
	}
	return prof.Write(w)
}

// pprofProfile converts p to a checked pprof profile.
func pprofProfile(p *Profile) (*profile.Profile, error) {
	weightType := &profile.ValueType{Type: "samples", Unit: "count"}
	switch p.Unit {
	case "ns":
		weightType = &profile.ValueType{Type: "cpu", Unit: "nanoseconds"}
	case "µs":
		weightType = &profile.ValueType{Type: "cpu", Unit: "microseconds"}
	case "samples", "":
	default:
		weightType = &profile.ValueType{Type: p.Unit, Unit: "count"}
	}
	// With weights other than sample counts, the sample counts come first
	// when every stack knows its own.
	counts := weightType.Type != "samples"
	var nsamples int64
	var total float64
	for _, s := range p.Stacks {
		if s.Value <= 0 {
			continue
		}
		if s.Samples <= 0 {
			counts = false
		}
		nsamples += s.Samples
		total += s.Value
	}
	prof := &profile.Profile{
		SampleType:        []*profile.ValueType{weightType},
		PeriodType:        &profile.ValueType{Type: weightType.Type, Unit: weightType.Unit},
		Period:            1,
		DefaultSampleType: weightType.Type,
	}
	if counts {
		prof.SampleType = []*profile.ValueType{{Type: "samples", Unit: "count"}, weightType}
		// perf's periods vary from sample to sample; the profile's
		// period is their mean.
		prof.Period = max(1, int64(math.Round(total/float64(nsamples))))
	}
	if p.Event != "" {
		prof.Comments = []string{"perf event " + p.Event}
	}

	prof.Mapping = pprofMappings(p)
	byFile := make(map[string]*profile.Mapping, len(prof.Mapping))
	for _, m := range prof.Mapping {
		byFile[m.File] = m
	}
	locs := map[string]*profile.Location{}
	location := func(name string) *profile.Location {
		if l, ok := locs[name]; ok {
			return l
		}
		id := uint64(len(prof.Location) + 1)
		fn := &profile.Function{ID: id, Name: stripAnnotation(name), SystemName: name}
		l := &profile.Location{ID: id, Mapping: byFile[p.Modules[name]], Line: []profile.Line{{Function: fn}}}
		prof.Function = append(prof.Function, fn)
		prof.Location = append(prof.Location, l)
		locs[name] = l
		return l
	}
	for _, s := range p.Stacks {
		if s.Value <= 0 {
			continue
		}
		sample := &profile.Sample{Location: make([]*profile.Location, 0, len(s.Frames))}
		for i := len(s.Frames) - 1; i >= 0; i-- {
			sample.Location = append(sample.Location, location(s.Frames[i]))
		}
		v := int64(math.Round(s.Value))
		if counts {
			sample.Value = []int64{s.Samples, v}
		} else {
			sample.Value = []int64{v}
		}
		prof.Sample = append(prof.Sample, sample)
	}
	if err := prof.CheckValid(); err != nil {
		return nil, fmt.Errorf("pprof export: %v", err)
	}
	return prof, nil
}

// pprofMappings returns one mapping per module of the frames of p, with IDs
// from 1: the executable first, then the others by name. Pseudo-modules
// ("[unknown]") get none.
func pprofMappings(p *Profile) []*profile.Mapping {
	frames := map[string]int{} // distinct frames of each module
	for _, m := range p.Modules {
		if m != "" && m != "[unknown]" {
			frames[m]++
		}
	}
	files := make([]string, 0, len(frames))
	for f := range frames {
		files = append(files, f)
	}
	sort.Strings(files)
	if exe := executableModule(files, frames); exe >= 0 {
		f := files[exe]
		copy(files[1:exe+1], files[:exe])
		files[0] = f
	}
	out := make([]*profile.Mapping, len(files))
	for i, f := range files {
		out[i] = &profile.Mapping{ID: uint64(i + 1), File: f, HasFunctions: true}
	}
	return out
}

// executableModule picks the executable among the sorted modules: the file
// that is neither the kernel, nor a perf map (JIT code), nor a shared object,
// with the most distinct frames. It returns -1 when there is none.
func executableModule(files []string, frames map[string]int) int {
	best := -1
	for i, f := range files {
		base := f[strings.LastIndexByte(f, '/')+1:]
		if !strings.HasPrefix(f, "/") || isPerfMap([]byte(f)) || isKernelMod([]byte(f)) ||
			strings.HasSuffix(base, ".so") || strings.Contains(base, ".so.") {
			continue
		}
		if best < 0 || frames[f] > frames[files[best]] {
			best = i
		}
	}
	return best
}

// WriteSpeedscope writes p in speedscope's JSON file format: one sampled
// profile whose samples are stacks of frame indices, root first.
func WriteSpeedscope(w io.Writer, p *Profile, name string) error {
	if p.Diff {
		return fmt.Errorf("speedscope export of a differential profile is not supported")
	}
	type frame struct {
		Name string `json:"name"`
	}
	type sampled struct {
		Type       string    `json:"type"`
		Name       string    `json:"name"`
		Unit       string    `json:"unit"`
		StartValue float64   `json:"startValue"`
		EndValue   float64   `json:"endValue"`
		Samples    [][]int   `json:"samples"`
		Weights    []float64 `json:"weights"`
	}
	type file struct {
		Schema string `json:"$schema"`
		Shared struct {
			Frames []frame `json:"frames"`
		} `json:"shared"`
		Profiles           []sampled `json:"profiles"`
		Name               string    `json:"name"`
		ActiveProfileIndex int       `json:"activeProfileIndex"`
		Exporter           string    `json:"exporter"`
	}
	unit := "none"
	switch p.Unit {
	case "ns":
		unit = "nanoseconds"
	case "µs":
		unit = "microseconds"
	}
	f := file{Schema: "https://www.speedscope.app/file-format-schema.json", Name: name, Exporter: "ndb flame"}
	f.Shared.Frames = []frame{}
	index := map[string]int{}
	prof := sampled{Type: "sampled", Name: name, Unit: unit, Samples: [][]int{}, Weights: []float64{}}
	for _, s := range p.Stacks {
		st := make([]int, len(s.Frames))
		for i, fr := range s.Frames {
			j, ok := index[fr]
			if !ok {
				j = len(f.Shared.Frames)
				index[fr] = j
				f.Shared.Frames = append(f.Shared.Frames, frame{Name: stripAnnotation(fr)})
			}
			st[i] = j
		}
		prof.Samples = append(prof.Samples, st)
		prof.Weights = append(prof.Weights, s.Value)
		prof.EndValue += s.Value
	}
	f.Profiles = []sampled{prof}
	enc := json.NewEncoder(w)
	return enc.Encode(f)
}
