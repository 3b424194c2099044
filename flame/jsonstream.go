package flame

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// jsonStream reads a JSON document token by token with limits, so that a
// hostile document costs memory bounded by the limits, not by its size:
// encoding/json's Decoder buffers a whole value before it returns it, and
// Decode of a whole document keeps every string.
type jsonStream struct {
	dec *json.Decoder
	lim *valueLimit
}

// maxJSONValue bounds one JSON token (a string or a number). Node writes
// function names and script URLs, far below it.
const maxJSONValue = 1 << 20

// errValueTooLong reports a token over maxJSONValue.
var errValueTooLong = fmt.Errorf("a JSON value longer than %d MiB", maxJSONValue>>20)

// valueLimit fails the read when the decoder holds more than max bytes it
// has not turned into tokens yet: that is one value too long.
type valueLimit struct {
	r    io.Reader
	dec  *json.Decoder
	read int64
	max  int64
}

func (l *valueLimit) Read(p []byte) (int, error) {
	if l.read-l.dec.InputOffset() > l.max {
		return 0, errValueTooLong
	}
	if len(p) > 256<<10 {
		p = p[:256<<10]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

func newJSONStream(r io.Reader) *jsonStream {
	lim := &valueLimit{r: r, max: maxJSONValue}
	dec := json.NewDecoder(lim)
	dec.UseNumber()
	lim.dec = dec
	return &jsonStream{dec: dec, lim: lim}
}

// errorf describes a problem at the current offset.
func (s *jsonStream) errorf(format string, a ...any) error {
	return fmt.Errorf("byte %d: %s", s.dec.InputOffset(), fmt.Sprintf(format, a...))
}

func (s *jsonStream) token() (json.Token, error) {
	t, err := s.dec.Token()
	if err == nil {
		return t, nil
	}
	return nil, s.wrap(err)
}

// decode reads one value into v, as json.Unmarshal does.
func (s *jsonStream) decode(v any) error {
	if err := s.dec.Decode(v); err != nil {
		return s.wrap(err)
	}
	return nil
}

// wrap describes a decoder error with its offset.
func (s *jsonStream) wrap(err error) error {
	if errors.Is(err, errValueTooLong) {
		return s.errorf("%v", errValueTooLong)
	}
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.errorf("unexpected end of input")
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("byte %d: %v", se.Offset, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("byte %d: %q: want %v, got %s", te.Offset, te.Field, te.Type, te.Value)
	}
	return err
}

// delim reads the delimiter want.
func (s *jsonStream) delim(want json.Delim) error {
	t, err := s.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return s.errorf("want %q, got %s", string(want), describeToken(t))
	}
	return nil
}

func describeToken(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		return strconv.Quote(string(v))
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a value"
}

// objectKey returns the next key of an object, or ok false at its end.
func (s *jsonStream) objectKey() (key string, ok bool, err error) {
	t, err := s.token()
	if err != nil {
		return "", false, err
	}
	switch v := t.(type) {
	case string:
		return v, true, nil
	case json.Delim:
		if v == '}' {
			return "", false, nil
		}
	}
	return "", false, s.errorf("want an object key, got %s", describeToken(t))
}

// more reports whether the current array or object has another element.
func (s *jsonStream) more() bool { return s.dec.More() }

// int reads an integer; null, as for encoding/json, leaves the zero value.
func (s *jsonStream) int() (int64, error) {
	t, err := s.token()
	if err != nil || t == nil {
		return 0, err
	}
	n, ok := t.(json.Number)
	if !ok {
		return 0, s.errorf("want an integer, got %s", describeToken(t))
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		return 0, s.errorf("want an integer, got %s", cut(string(n), 40))
	}
	return v, nil
}

// skip reads and drops one value of any kind.
func (s *jsonStream) skip() error {
	depth := 0
	for {
		t, err := s.token()
		if err != nil {
			return err
		}
		if d, ok := t.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

// end checks that nothing but white space follows the document.
func (s *jsonStream) end() error {
	if _, err := s.dec.Token(); err != io.EOF {
		return s.errorf("data after the JSON document")
	}
	return nil
}
