package commands

import (
	"debug/elf"
	"fmt"
)

func init() {
	Register(&Command{
		Name:     "mappings",
		Synopsis: "::mappings",
		Summary:  "the address space, /proc/PID/maps style, with what the core holds",
		Help: `Lists every mapping of the process as /proc/PID/maps does (start-end, perms,
file offset, path), with a last column saying whether its bytes are in the
core: "core" (all), "partial", "file" (read from the file on disk), or "absent".`,
		JSON:   "One object per mapping.",
		Record: mappingRecord{},
		Run: func(inv *Invocation) error {
			p := inv.Session.Proc
			for _, s := range p.Segments {
				path, off := "", uint64(0)
				if fm, ok := p.FileMappingAt(s.Start); ok {
					path, off = fm.Path, fm.FileOffset+(s.Start-fm.Start)
				}
				perms := []byte("---p")
				if s.Flags&elf.PF_R != 0 {
					perms[0] = 'r'
				}
				if s.Flags&elf.PF_W != 0 {
					perms[1] = 'w'
				}
				if s.Flags&elf.PF_X != 0 {
					perms[2] = 'x'
				}
				have := "core"
				switch {
				case uint64(len(s.Data)) == s.End-s.Start:
				case len(s.Data) > 0:
					have = "partial"
				case path != "" && p.Module(path) != nil:
					have = "file"
				default:
					have = "absent"
				}
				if inv.JSON {
					if err := inv.Emit(mappingRecord{End: Hex(s.End), InCore: have, Offset: Hex(off),
						Path: path, Perms: string(perms), Start: Hex(s.Start)}); err != nil {
						return err
					}
					continue
				}
				if inv.Piped {
					inv.Printf("%x\n", s.Start)
					continue
				}
				inv.Printf("%012x-%012x %s %08x %-7s %s\n", s.Start, s.End, perms, off, have, path)
				if err := inv.Cancelled(); err != nil {
					return err
				}
			}
			_ = fmt.Sprint
			return nil
		},
	})
}

type mappingRecord struct {
	End    string `json:"end" doc:"the first address after the mapping"`
	InCore string `json:"in_core" doc:"where its bytes are: core, partial (some in the core), file (the mapped file) or absent"`
	Offset string `json:"offset" doc:"its offset in the mapped file"`
	Path   string `json:"path" doc:"the mapped file"`
	Perms  string `json:"perms" doc:"r, w and x permissions"`
	Start  string `json:"start" doc:"its first address"`
}
