package transport_test

import (
	"bytes"
	"strconv"
	"testing"
)

// BenchmarkUpload measures an atomic upload (temporary name, size check,
// rename) of a 1 MiB interchange to the simulator over loopback TCP, on a
// kept connection.
func BenchmarkUpload(b *testing.B) {
	s := newSim(b)
	h := newClient(b, s.endpoint(s.port()))
	body := bytes.NewReader(content(1 << 20))
	b.SetBytes(int64(body.Len()))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := h.client.Upload(b.Context(), "bench-"+strconv.Itoa(i%4)+".x12", body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoll measures polling one new 1 MiB file: list, download with
// SHA-256, record, archive.
func BenchmarkPoll(b *testing.B) {
	s := newSim(b)
	h := newClient(b, s.endpoint(s.port()))
	remit := content(1 << 20)
	b.SetBytes(int64(len(remit)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		// A distinct name each time, so every poll finds a new file.
		if err := s.Drop(payer, "remit-"+strconv.Itoa(i)+".835", remit); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		got, err := h.client.Poll(b.Context())
		if err != nil || len(got) != 1 {
			b.Fatalf("poll: %v, %d files", err, len(got))
		}
	}
}
