package commands

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/ndb-debugger/ndb/internal/testnode"
	"github.com/ndb-debugger/ndb/v8/async"
	"github.com/ndb-debugger/ndb/v8/object"
)

// TestAsyncBadInput crafts, with the maps of real objects of a server core,
// a cycle of promises, a reaction list that loops, one longer than
// MaxReactions, a chain longer than MaxFrames and half-written and freed
// generators: every chain ends with a note, nothing panics or hangs.
func TestAsyncBadInput(t *testing.T) {
	for _, v := range testnode.Versions {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			c := testnode.MakeCore(t, v, "async_server.js", nil, nil)
			s := openSession(t, c)
			var g awaitGroupJSON
			first := strings.SplitN(runDcmd(t, s, true, "jsawaits", 0, "-v"), "\n", 2)[0]
			if err := json.Unmarshal([]byte(first), &g); err != nil || len(g.Chains) == 0 {
				t.Fatalf("::jsawaits -v: %v", err)
			}
			parse := func(s string) object.Value {
				a, _ := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 64)
				return object.Value(a)
			}
			inv, err := NewInvocation(context.Background(), s, Lookup("jsawaits"), nil)
			if err != nil {
				t.Fatal(err)
			}
			h, err := HeapOf(inv)
			if err != nil {
				t.Fatal(err)
			}
			r, err := AsyncReaderOf(inv)
			if err != nil {
				t.Fatal(err)
			}
			l := h.Layout
			realPromise, realGen := parse(g.Chains[0].Awaits), parse(g.Chains[0].Frames[0].Generator)
			promiseMap, _ := h.Map(realPromise)
			genMap, _ := h.Map(realGen)
			_, reaction, err := h.Promise(realPromise)
			if err != nil {
				t.Fatal(err)
			}
			reactionMap, _ := h.Map(reaction)
			undefined, _ := h.Word(reaction, l.PromiseReaction.PromiseOrCapability)
			if realPromise == 0 || promiseMap == 0 || genMap == 0 || reactionMap == 0 {
				t.Fatalf("no real objects to copy maps from")
			}

			const objWords = 16 // every crafted object gets 16 words
			n := 2*(async.MaxFrames+8) + async.MaxReactions + 64
			mem := craft(s.Proc, n*objWords)
			next := 0
			alloc := func() (object.Value, func(off int64, v uint64)) {
				base := next * objWords * 8
				next++
				return object.Value(fakeBase + uint64(base) + 1), func(off int64, v uint64) {
					binary.LittleEndian.PutUint64(mem[base+int(off):], v)
				}
			}
			smi := func(i int64) uint64 { return uint64(i) << 32 }
			// pendingPromise makes a pending promise whose reactions are r.
			pendingPromise := func(r object.Value) object.Value {
				p, put := alloc()
				put(0, uint64(promiseMap))
				put(l.JSPromise.ReactionsOrResult, uint64(r))
				put(l.JSPromise.Flags, smi(0))
				return p
			}
			// plainReaction makes a reaction with no handlers that settles next.
			plainReaction := func(nextReaction uint64, settles object.Value) (object.Value, func(off int64, v uint64)) {
				rv, put := alloc()
				put(0, uint64(reactionMap))
				put(l.PromiseReaction.Next, nextReaction)
				put(l.PromiseReaction.FulfillHandler, uint64(undefined))
				put(l.PromiseReaction.RejectHandler, uint64(undefined))
				put(l.PromiseReaction.PromiseOrCapability, uint64(settles))
				return rv, put
			}

			// Two promises settling each other.
			ra, putA := plainReaction(smi(0), 0)
			pa := pendingPromise(ra)
			rb, _ := plainReaction(smi(0), pa)
			pb := pendingPromise(rb)
			putA(l.PromiseReaction.PromiseOrCapability, uint64(pb))
			if ch := r.FromPromise(pa); !strings.Contains(ch.End, "cycle") {
				t.Errorf("promise cycle: chain end %q", ch.End)
			}

			// A reaction list that loops on itself.
			rl, putL := plainReaction(smi(0), 0)
			putL(l.PromiseReaction.Next, uint64(rl))
			if _, note := r.Reactions(pendingPromise(rl)); !strings.Contains(note, "cycle") {
				t.Errorf("looping reaction list: note %q", note)
			}

			// A reaction list longer than any real one.
			head := uint64(smi(0))
			for i := 0; i < async.MaxReactions+1; i++ {
				rv, _ := plainReaction(head, 0)
				head = uint64(rv)
			}
			if rs, note := r.Reactions(pendingPromise(object.Value(head))); len(rs) != async.MaxReactions || !strings.Contains(note, "more than") {
				t.Errorf("long reaction list: %d reactions, note %q", len(rs), note)
			}

			// A chain of promises longer than MaxFrames frames would be: plain
			// chains add no frames, so only the cycle guard and the loop bound
			// could stop it; it must end at its last promise.
			last := pendingPromise(object.Value(smi(0)))
			p := last
			for i := 0; i < async.MaxFrames+4; i++ {
				rv, _ := plainReaction(smi(0), p)
				p = pendingPromise(rv)
			}
			if ch := r.FromPromise(p); ch.Promise != last || ch.End != "" {
				t.Errorf("long plain chain ended at %#x (%q), want %#x", uint64(ch.Promise), ch.End, uint64(last))
			}

			// A half-written generator: its map is right, its fields garbage.
			half, putH := alloc()
			putH(0, uint64(genMap))
			putH(l.JSGenerator.Function, smi(7))
			putH(l.JSGenerator.Continuation, uint64(realPromise)) // not a Smi
			putH(l.JSGenerator.AsyncFunctionPromise, smi(1))
			f := r.Describe(half)
			if f.Note == "" {
				t.Errorf("half-written generator described without a note: %+v", f)
			}
			if ch := r.FromGenerator(half); ch.End == "" {
				t.Errorf("half-written generator: chain without a note")
			}
			// A freed generator: zeroed memory.
			freed, _ := alloc()
			if ch := r.FromGenerator(freed); ch.End == "" {
				t.Errorf("freed generator: chain without a note")
			}
			groups, err := r.Suspended(context.Background(), []object.Value{half, freed, realGen}, []object.Value{pa, pb, p, freed})
			if err != nil || len(groups) == 0 {
				t.Errorf("Suspended over crafted objects: %d groups, %v", len(groups), err)
			}
		})
	}
}
