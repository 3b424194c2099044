package flame

import "strings"

// Without --interpreted-frames-native-stack, every interpreted JavaScript
// function runs in the one shared interpreter entry trampoline, so perf sees
// Builtins_InterpreterEntryTrampoline where the function's name should be;
// without --perf-basic-prof no JavaScript frame has a name at all.
const (
	flagPerfBasicProf  = "--perf-basic-prof"
	flagInterpreterNat = "--interpreted-frames-native-stack"
)

func isTrampoline(frame string) bool {
	f := stripAnnotation(frame)
	return strings.HasPrefix(f, "Builtins_InterpreterEntryTrampoline") ||
		strings.HasPrefix(f, "Builtin:InterpreterEntryTrampoline")
}

// trampolineStats sums, over the samples, the JavaScript frames (named
// ones from the perf map, and interpreter trampolines) and the unnamed
// trampolines among them, each weighted by its sample's weight; and tells
// whether any JavaScript frame is named.
func trampolineStats(p *Profile) (js, unnamed float64, named bool) {
	for _, s := range p.Stacks {
		for _, f := range s.Frames {
			if isTrampoline(f) {
				js += s.Value
				unnamed += s.Value
			} else if _, ok := jsTier(stripAnnotation(f)); ok {
				js += s.Value
				named = true
			}
		}
	}
	return js, unnamed, named
}

// missingNodeFlags names the node flags a profile was recorded without,
// when most of its JavaScript samples pass through unnamed trampolines.
func missingNodeFlags(p *Profile) (flags string, share float64) {
	js, unnamed, named := trampolineStats(p)
	if js <= 0 || unnamed/js <= 0.5 {
		return "", 0
	}
	flags = flagInterpreterNat
	if !named {
		flags = flagPerfBasicProf + " " + flagInterpreterNat
	}
	return flags, unnamed / js
}

func (c *cli) warnTrampolines(p *Profile, name string) {
	if flags, share := missingNodeFlags(p); flags != "" {
		c.warnf("%s: %.0f%% of the JavaScript frames are unnamed interpreter frames (Builtins_InterpreterEntryTrampoline); record with node %s to name them",
			name, 100*share, flags)
	}
}
