package flame

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"math"
)

// WritePprof writes p as a gzipped pprof profile (profile.proto), which
// go tool pprof reads. Each distinct frame name is one function with one
// location; the annotation suffixes (_[k] …) are kept in the system name.
func WritePprof(w io.Writer, p *Profile) error {
	if p.Diff {
		return fmt.Errorf("pprof export of a differential profile is not supported; export BEFORE and AFTER and use go tool pprof -diff_base")
	}
	typ, unit := "samples", "count"
	switch p.Unit {
	case "ns":
		typ, unit = "cpu", "nanoseconds"
	case "µs":
		typ, unit = "cpu", "microseconds"
	case "samples", "":
	default:
		typ, unit = p.Unit, "count"
	}
	var e pbuf
	strs := map[string]int64{"": 0}
	table := []string{""}
	str := func(s string) int64 {
		if i, ok := strs[s]; ok {
			return i
		}
		i := int64(len(table))
		strs[s] = i
		table = append(table, s)
		return i
	}
	valueType := func(field int, t, u string) {
		var m pbuf
		m.varintField(1, uint64(str(t)))
		m.varintField(2, uint64(str(u)))
		e.bytesField(field, m.b)
	}
	valueType(1, typ, unit)
	ids := map[string]uint64{}
	var names []string
	for _, s := range p.Stacks {
		if s.Value <= 0 {
			continue
		}
		var m, locs, vals pbuf
		for i := len(s.Frames) - 1; i >= 0; i-- {
			id, ok := ids[s.Frames[i]]
			if !ok {
				id = uint64(len(ids) + 1)
				ids[s.Frames[i]] = id
				names = append(names, s.Frames[i])
			}
			locs.varint(id)
		}
		vals.varint(uint64(int64(math.Round(s.Value))))
		m.bytesField(1, locs.b)
		m.bytesField(2, vals.b)
		e.bytesField(2, m.b)
	}
	for i := range names {
		id := uint64(i + 1)
		var line, loc pbuf
		line.varintField(1, id)
		loc.varintField(1, id)
		loc.bytesField(4, line.b)
		e.bytesField(4, loc.b)
	}
	for i, name := range names {
		var fn pbuf
		fn.varintField(1, uint64(i+1))
		fn.varintField(2, uint64(str(stripAnnotation(name))))
		fn.varintField(3, uint64(str(name)))
		e.bytesField(5, fn.b)
	}
	var comment int64 = -1
	if p.Event != "" {
		comment = str("perf event " + p.Event)
	}
	var tail pbuf
	{
		var m pbuf
		m.varintField(1, uint64(str(typ)))
		m.varintField(2, uint64(str(unit)))
		tail.bytesField(11, m.b)
	}
	tail.varintField(12, 1)
	if comment >= 0 {
		tail.varintField(13, uint64(comment))
	}
	for _, s := range table {
		e.bytesField(6, []byte(s))
	}
	e.b = append(e.b, tail.b...)
	zw := gzip.NewWriter(w)
	if _, err := zw.Write(e.b); err != nil {
		return err
	}
	return zw.Close()
}

// pbuf is a minimal protocol buffers encoder.
type pbuf struct{ b []byte }

func (p *pbuf) varint(v uint64) {
	for v >= 0x80 {
		p.b = append(p.b, byte(v)|0x80)
		v >>= 7
	}
	p.b = append(p.b, byte(v))
}

func (p *pbuf) varintField(field int, v uint64) {
	p.varint(uint64(field)<<3 | 0)
	p.varint(v)
}

func (p *pbuf) bytesField(field int, b []byte) {
	p.varint(uint64(field)<<3 | 2)
	p.varint(uint64(len(b)))
	p.b = append(p.b, b...)
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
