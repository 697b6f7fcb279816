//go:build race

package testproc

// raceEnabled: the tests run with the race detector, so do the commands.
const raceEnabled = true
