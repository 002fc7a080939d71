package cli

import (
	"os"
	"syscall"
)

// peakRSS is the peak resident set of this process in bytes, 0 when
// unknown.
func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}

// exitedPeakRSS is the peak resident set in bytes of a process that has
// exited, 0 when unknown.
func exitedPeakRSS(ps *os.ProcessState) int64 {
	if ps == nil {
		return 0
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss * 1024
}
