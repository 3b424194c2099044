package main

import "github.com/ndb-debugger/ndb/flame"

func init() { subcommands["flame"] = flame.Main }
