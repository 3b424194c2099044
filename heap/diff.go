package heap

import "sort"

// DiffRow compares one group across two censuses of the same program.
// Groups match by kind, constructor and ordered property names.
type DiffRow struct {
	Kind        Kind
	Constructor string
	Props       []string
	Old, New    int
	Delta       int
	BytesDelta  int64
	Label       string
	Rep         uint64 // a live object of the group in the new census; 0 when the group is gone
}

// Diff compares two censuses; rows are sorted by growth (count delta, then
// bytes delta), largest first. Unchanged groups are left out unless all.
func Diff(old, new *Census, all bool) []DiffRow {
	var rows []DiffRow
	seen := map[string]bool{}
	add := func(key string, og, ng *Group) {
		g := ng
		if g == nil {
			g = og
		}
		r := DiffRow{Kind: g.Kind, Constructor: g.Constructor, Props: g.Props, Label: g.Label()}
		var ob, nb uint64
		if og != nil {
			r.Old, ob = og.Count, og.Bytes
		}
		if ng != nil {
			r.New, nb = ng.Count, ng.Bytes
			r.Rep = ng.Rep
		}
		r.Delta = r.New - r.Old
		r.BytesDelta = int64(nb) - int64(ob)
		if all || r.Delta != 0 || r.BytesDelta != 0 {
			rows = append(rows, r)
		}
	}
	for _, g := range new.Groups {
		seen[g.Key] = true
		add(g.Key, old.byKey[g.Key], g)
	}
	for _, g := range old.Groups {
		if !seen[g.Key] {
			add(g.Key, g, nil)
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Delta != b.Delta {
			return a.Delta > b.Delta
		}
		if a.BytesDelta != b.BytesDelta {
			return a.BytesDelta > b.BytesDelta
		}
		return a.Label < b.Label
	})
	return rows
}
