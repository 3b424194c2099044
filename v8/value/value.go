// Package value is the JavaScript value model of ndb: what a V8 value is
// (read through v8/object) and its text and JSON renderings.
package value

import "github.com/ndb-debugger/ndb/v8/object"

// Value is a tagged V8 word.
type Value = object.Value
