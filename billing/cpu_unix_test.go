//go:build unix

package billing_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user and system) the test process has used:
// a measure of the work a benchmark does that other load on the machine
// disturbs less than wall time (on SQLite it includes the database's
// work; on PostgreSQL only the client's).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
