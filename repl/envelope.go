package repl

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
)

// envelope wraps each JSON line a dcmd prints as
//
//	{"n":N,"dcmd":"NAME","data":LINE}
//
// so that the output of several commands (several -e, a script) can be
// split: N counts the command lines of the run from 1, NAME is the dcmd
// that printed the line. A line that is not valid JSON (it should not
// happen) is kept as a string under "text" instead of "data".
type envelope struct {
	w      io.Writer
	prefix []byte // {"n":N,"dcmd":"NAME",
	line   []byte // an unfinished line
}

func newEnvelope(w io.Writer, n int, dcmd string) *envelope {
	name, _ := json.Marshal(dcmd)
	prefix := []byte(`{"n":` + strconv.Itoa(n) + `,"dcmd":`)
	prefix = append(append(prefix, name...), ',')
	return &envelope{w: w, prefix: prefix}
}

func (e *envelope) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			e.line = append(e.line, b...)
			break
		}
		var err error
		if len(e.line) > 0 {
			e.line = append(e.line, b[:i]...)
			err = e.emit(e.line)
			e.line = e.line[:0]
		} else {
			err = e.emit(b[:i])
		}
		if err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
	return n, nil
}

func (e *envelope) emit(line []byte) error {
	if len(bytes.TrimSpace(line)) == 0 {
		return nil
	}
	out := make([]byte, 0, len(e.prefix)+len(line)+10)
	out = append(out, e.prefix...)
	if json.Valid(line) {
		out = append(out, `"data":`...)
		out = append(out, line...)
	} else {
		s, _ := json.Marshal(string(line))
		out = append(out, `"text":`...)
		out = append(out, s...)
	}
	out = append(out, "}\n"...)
	_, err := e.w.Write(out)
	return err
}

// flush emits a last line that had no newline.
func (e *envelope) flush() error {
	if len(e.line) == 0 {
		return nil
	}
	err := e.emit(e.line)
	e.line = e.line[:0]
	return err
}
