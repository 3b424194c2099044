package v8layout

// Positions of baseline and optimized frames: through the Code object that
// contains the pc.

func (h *Heap) baselinePosition(f *Frame) {
	f.PositionNote = "baseline code: position not decoded"
}

func (h *Heap) optimizedPosition(f *Frame) {
	f.PositionNote = "optimized code: position not decoded"
}
