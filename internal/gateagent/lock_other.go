//go:build !unix

package gateagent

// lockFile does not lock where flock is missing: run one agent per journal.
func lockFile(string) (func(), error) { return func() {}, nil }
