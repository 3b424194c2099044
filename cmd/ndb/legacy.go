package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// legacyLongFlags rewrites the single-dash long flags of ndb's earlier
// parser (-json, -exe PATH, -force, -level best) to the GNU form, so that
// scripts written for it keep working. Without this, pflag would read
// -force as -f orce. Shorthand clusters (-am) and values are left alone.
func legacyLongFlags(root *cobra.Command, args []string) []string {
	cmd := root
	rest := args
	if len(args) > 0 {
		for _, c := range root.Commands() {
			if c.Name() == args[0] {
				cmd, rest = c, args[1:]
			}
		}
	}
	if cmd.DisableFlagParsing {
		return args
	}
	flags := pflag.NewFlagSet("", pflag.ContinueOnError)
	flags.AddFlagSet(cmd.Flags())
	flags.AddFlagSet(root.PersistentFlags())
	out := append([]string(nil), args[:len(args)-len(rest)]...)
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		out = append(out, a)
		if a == "--" {
			return append(out, rest[i+1:]...)
		}
		if !strings.HasPrefix(a, "-") || len(a) < 2 {
			continue
		}
		long := strings.HasPrefix(a, "--")
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var f *pflag.Flag
		switch {
		case long:
			f = flags.Lookup(name)
		case len(name) > 1 && flags.Lookup(name) != nil:
			f = flags.Lookup(name)
			out[len(out)-1] = "-" + a
		case len(name) == 1:
			f = flags.ShorthandLookup(name)
		}
		if f != nil && f.NoOptDefVal == "" && !hasValue && i+1 < len(rest) {
			i++ // the flag's value, whatever it looks like
			out = append(out, rest[i])
		}
	}
	return out
}
