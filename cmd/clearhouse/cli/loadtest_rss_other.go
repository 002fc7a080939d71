//go:build !linux

package cli

import "os"

// peakRSS is unknown (0) outside Linux.
func peakRSS() int64 { return 0 }

// exitedPeakRSS is unknown (0) outside Linux.
func exitedPeakRSS(*os.ProcessState) int64 { return 0 }
