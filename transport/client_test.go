package transport_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestUploadThenPollRoundTrip(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	reg := prometheus.NewRegistry()
	metrics, err := transport.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	h := newClient(t, s.endpoint(s.port()), func(o *transport.Options) { o.Metrics = metrics })
	ctx := t.Context()

	claims := content(100_000)
	up, err := h.client.Upload(ctx, "claims-0001.x12", bytes.NewReader(claims))
	if err != nil {
		t.Fatal(err)
	}
	if up.RemotePath != "/inbound/claims-0001.x12" || up.Size != int64(len(claims)) || up.SHA256 != sha(claims) || up.Attempts != 1 {
		t.Fatalf("upload result %+v", up)
	}
	select {
	case a := <-s.arrivals:
		if a.Name != "claims-0001.x12" || a.Size != int64(len(claims)) {
			t.Fatalf("arrival %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the simulator saw no arrival")
	}
	inbound := s.Dir(payer, paysim.Inbound)
	if got := files(t, inbound); !slices.Equal(got, []string{"claims-0001.x12"}) {
		t.Fatalf("inbound holds %v", got)
	}
	if b, _ := os.ReadFile(filepath.Join(inbound, "claims-0001.x12")); !bytes.Equal(b, claims) {
		t.Fatal("uploaded content differs")
	}

	// Local file upload replaces an existing file of the same name.
	local := filepath.Join(t.TempDir(), "batch.x12")
	if err := os.WriteFile(local, []byte("replacement"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := h.client.UploadFile(ctx, local, "claims-0001.x12"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(inbound, "claims-0001.x12")); string(b) != "replacement" {
		t.Fatalf("after replacing: %q", b)
	}

	// The payer answers.
	ack, remit := []byte("999 content"), content(50_000)
	if err := s.Drop(payer, "ack-0001.999", ack); err != nil {
		t.Fatal(err)
	}
	if err := s.Drop(payer, "remit-0001.835", remit); err != nil {
		t.Fatal(err)
	}
	// A file the payer is still writing is left alone.
	if err := os.WriteFile(filepath.Join(s.Dir(payer, paysim.Outbound), ".writing.835"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	got, err := h.client.Poll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].RemoteName != "ack-0001.999" || got[1].RemoteName != "remit-0001.835" {
		t.Fatalf("poll returned %+v", got)
	}
	for i, want := range [][]byte{ack, remit} {
		f := got[i]
		b, err := os.ReadFile(f.LocalPath)
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("%s: local copy differs (%v)", f.RemoteName, err)
		}
		if f.SHA256 != sha(want) || f.Size != int64(len(want)) || f.PayerID != payer || f.ReceivedAt.IsZero() {
			t.Fatalf("inbound file %+v", f)
		}
		if filepath.Dir(f.LocalPath) != h.inbox || filepath.Base(f.LocalPath) != f.SHA256[:16]+"-"+f.RemoteName {
			t.Fatalf("local path %s", f.LocalPath)
		}
	}
	if out := files(t, s.Dir(payer, paysim.Outbound)); !slices.Equal(out, []string{".writing.835"}) {
		t.Fatalf("outbound after poll: %v", out)
	}
	if arch := files(t, s.Dir(payer, paysim.Archive)); !slices.Equal(arch, []string{"ack-0001.999", "remit-0001.835"}) {
		t.Fatalf("archive after poll: %v", arch)
	}
	if names := files(t, h.inbox); len(names) != 2 {
		t.Fatalf("inbox holds %v (temporary files left?)", names)
	}

	again, err := h.client.Poll(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second poll: %v %+v", err, again)
	}

	for _, c := range []struct {
		metric, label string
		want          float64
	}{
		{"clearhouse_transport_files_total", "up", 2},
		{"clearhouse_transport_files_total", "down", 2},
		{"clearhouse_transport_bytes_total", "up", float64(len(claims) + len("replacement"))},
		{"clearhouse_transport_bytes_total", "down", float64(len(ack) + len(remit))},
	} {
		if got := counterValue(t, reg, c.metric, c.label); got != c.want {
			t.Errorf("%s{direction=%s} = %v, want %v", c.metric, c.label, got, c.want)
		}
	}
	if n := histogramCount(t, reg, "clearhouse_transport_operation_seconds", "upload"); n != 2 {
		t.Errorf("upload latency observations = %d, want 2", n)
	}
}

// counterValue reads the counter metric whose series has a label with value
// label (and payer ACME).
func counterValue(t *testing.T, reg *prometheus.Registry, metric, label string) float64 {
	t.Helper()
	m := findMetric(t, reg, metric, label)
	if m == nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

func histogramCount(t *testing.T, reg *prometheus.Registry, metric, label string) uint64 {
	t.Helper()
	m := findMetric(t, reg, metric, label)
	if m == nil {
		return 0
	}
	return m.GetHistogram().GetSampleCount()
}

func findMetric(t *testing.T, reg *prometheus.Registry, metric, label string) *dto.Metric {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != metric {
			continue
		}
		for _, m := range f.GetMetric() {
			var hasPayer, hasLabel bool
			for _, l := range m.GetLabel() {
				hasPayer = hasPayer || (l.GetName() == "payer" && l.GetValue() == payer)
				hasLabel = hasLabel || l.GetValue() == label
			}
			if hasPayer && hasLabel {
				return m
			}
		}
	}
	return nil
}

func TestPollWithoutArchiveRemembers(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	ep := s.endpoint(s.port())
	ep.ArchiveDir = ""
	h := newClient(t, ep)
	ctx := t.Context()
	if err := s.Drop(payer, "r1.835", []byte("remit")); err != nil {
		t.Fatal(err)
	}
	got, err := h.client.Poll(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("first poll: %v %+v", err, got)
	}
	calls := h.recorder.calls
	got, err = h.client.Poll(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("second poll: %v %+v", err, got)
	}
	if h.recorder.calls != calls {
		t.Fatal("a remembered file was downloaded and recorded again")
	}
	if out := files(t, s.Dir(payer, paysim.Outbound)); !slices.Equal(out, []string{"r1.835"}) {
		t.Fatalf("outbound: %v", out)
	}

	// A restarted client (memory lost) asks the recorder, which has seen it.
	restarted := newClient(t, ep, func(o *transport.Options) { o.Recorder = h.recorder })
	got, err = restarted.client.Poll(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("poll after restart: %v %+v", err, got)
	}
	if h.recorder.count() != 1 {
		t.Fatalf("recorder holds %d files", h.recorder.count())
	}
}

func TestSameInboundFileOfferedTwice(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()))
	ctx := t.Context()
	remit := content(2048)
	if err := s.Drop(payer, "remit.835", remit); err != nil {
		t.Fatal(err)
	}
	got, err := h.client.Poll(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("first poll: %v %+v", err, got)
	}
	// The payer offers the same file again after it was archived.
	if err := s.Drop(payer, "remit.835", remit); err != nil {
		t.Fatal(err)
	}
	got, err = h.client.Poll(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("poll of the repeated file: %v %+v", err, got)
	}
	if out := files(t, s.Dir(payer, paysim.Outbound)); len(out) != 0 {
		t.Fatalf("the repeated file was not acknowledged: %v", out)
	}
	// Same name, different content: a new file.
	if err := s.Drop(payer, "remit.835", append(remit, '~')); err != nil {
		t.Fatal(err)
	}
	got, err = h.client.Poll(ctx)
	if err != nil || len(got) != 1 {
		t.Fatalf("poll of a changed file: %v %+v", err, got)
	}
	if h.recorder.count() != 2 {
		t.Fatalf("recorder holds %d files, want 2", h.recorder.count())
	}
}

func TestRecorderFailureLeavesFileUnacknowledged(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()))
	if err := s.Drop(payer, "r.835", []byte("x")); err != nil {
		t.Fatal(err)
	}
	h.recorder.err = errors.New("store unavailable")
	got, err := h.client.Poll(t.Context())
	if err == nil || len(got) != 0 || !strings.Contains(err.Error(), "store unavailable") {
		t.Fatalf("poll: %v %+v", err, got)
	}
	if h.waits.count() != 0 {
		t.Fatal("a recorder failure was retried")
	}
	if out := files(t, s.Dir(payer, paysim.Outbound)); !slices.Equal(out, []string{"r.835"}) {
		t.Fatalf("outbound: %v", out)
	}
	h.recorder.err = nil
	got, err = h.client.Poll(t.Context())
	if err != nil || len(got) != 1 {
		t.Fatalf("poll after the store is back: %v %+v", err, got)
	}
}

func TestArchiveNotPermittedFallsBackToRemembering(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	ep := s.endpoint(s.port())
	ep.ArchiveDir = "/" // structural: the simulator refuses renames there
	h := newClient(t, ep)
	if err := s.Drop(payer, "r.835", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1, 0} {
		got, err := h.client.Poll(t.Context())
		if err != nil || len(got) != want {
			t.Fatalf("poll %d: %v %+v", i+1, err, got)
		}
	}
}

func TestUnsafeRemoteNames(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()))
	for _, name := range []string{"", ".", "..", "../x.x12", "a/b.x12", "a\\b", "tab\there"} {
		_, err := h.client.Upload(t.Context(), name, bytes.NewReader([]byte("x")))
		if !errors.Is(err, transport.ErrUnsafeName) {
			t.Errorf("Upload(%q): %v, want ErrUnsafeName", name, err)
		}
	}
}

func TestPollNeedsRecorder(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()), func(o *transport.Options) { o.Recorder, o.InboxDir = nil, "" })
	if _, err := h.client.Poll(t.Context()); !errors.Is(err, transport.ErrInvalidConfig) {
		t.Fatalf("poll without recorder: %v", err)
	}
}

func TestClosedClient(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()))
	h.client.Close()
	_, err := h.client.Upload(t.Context(), "x.x12", bytes.NewReader([]byte("x")))
	if !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("upload on a closed client: %v", err)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := h.client.Upload(ctx, "x.x12", bytes.NewReader([]byte("x")))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("upload with a canceled context: %v", err)
	}
	if h.waits.count() != 0 {
		t.Fatal("a canceled upload was retried")
	}
}

func TestRememberedFileRemovedThenOfferedAgain(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	ep := s.endpoint(s.port())
	ep.ArchiveDir = ""
	h := newClient(t, ep)
	out := filepath.Join(s.Dir(payer, paysim.Outbound), "r.835")
	if err := s.Drop(payer, "r.835", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if got, err := h.client.Poll(t.Context()); err != nil || len(got) != 1 {
		t.Fatalf("first poll: %v %+v", err, got)
	}
	if err := os.Remove(out); err != nil {
		t.Fatal(err)
	}
	if got, err := h.client.Poll(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("poll of an empty folder: %v %+v", err, got)
	}
	// Offered again with the same content: downloaded, known to the recorder.
	if err := s.Drop(payer, "r.835", []byte("one")); err != nil {
		t.Fatal(err)
	}
	calls := h.recorder.calls
	if got, err := h.client.Poll(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("poll of the file offered again: %v %+v", err, got)
	}
	if h.recorder.calls != calls+1 {
		t.Fatal("the file offered again was not checked with the recorder")
	}
}
