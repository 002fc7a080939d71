package transport_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/transport/sftptest"
)

// The SSH handshake and SFTP start take a few kilobytes; cutting at 256 KiB
// lands in the middle of a 1 MiB transfer.
const cutAt = 256 << 10

func TestUploadConnectionDroppedIsRetried(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	proxy := sftptest.NewProxy(t, s.Addr().String(), sftptest.Cut{ClientToServer: cutAt})
	h := newClient(t, s.endpoint(proxy.Port()))
	claims := content(1 << 20)

	up, err := h.client.Upload(t.Context(), "big.x12", bytes.NewReader(claims))
	if err != nil {
		t.Fatal(err)
	}
	if up.Attempts != 2 || proxy.Connections() != 2 || h.waits.count() != 1 {
		t.Fatalf("attempts %d, connections %d, waits %d", up.Attempts, proxy.Connections(), h.waits.count())
	}
	inbound := s.Dir(payer, paysim.Inbound)
	b, err := os.ReadFile(filepath.Join(inbound, "big.x12"))
	if err != nil || !bytes.Equal(b, claims) {
		t.Fatalf("final file differs (%v)", err)
	}
	// The cut attempt's temporary file was removed after reconnecting.
	if got := files(t, inbound); !slices.Equal(got, []string{"big.x12"}) {
		t.Fatalf("inbound holds %v", got)
	}
	select {
	case a := <-s.arrivals:
		if a.Name != "big.x12" || a.Size != int64(len(claims)) {
			t.Fatalf("arrival %+v", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no arrival")
	}
	select {
	case a := <-s.arrivals:
		t.Fatalf("second arrival %+v", a)
	case <-time.After(50 * time.Millisecond):
	}
	if !strings.Contains(h.log.String(), "retrying") {
		t.Fatalf("the retry was not logged:\n%s", h.log.String())
	}
}

func TestUploadFailingEveryTimeLeavesNoFinalFile(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	cut := sftptest.Cut{ClientToServer: cutAt}
	proxy := sftptest.NewProxy(t, s.Addr().String(), cut, cut, cut)
	h := newClient(t, s.endpoint(proxy.Port()))

	_, err := h.client.Upload(t.Context(), "big.x12", bytes.NewReader(content(1<<20)))
	var oe *transport.OpError
	if !errors.As(err, &oe) || oe.Attempts != 3 || oe.Op != transport.OpUpload {
		t.Fatalf("error %v, want an upload OpError after 3 attempts", err)
	}
	if h.waits.count() != 2 {
		t.Fatalf("%d backoff waits, want 2", h.waits.count())
	}
	if _, err := os.Stat(filepath.Join(s.Dir(payer, paysim.Inbound), "big.x12")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a final-named file exists after failed uploads: %v", err)
	}
	select {
	case a := <-s.arrivals:
		t.Fatalf("arrival of a failed upload %+v", a)
	case <-time.After(50 * time.Millisecond):
	}

	// The next upload, over a sound connection, also cleans the leftovers.
	if _, err := h.client.Upload(t.Context(), "small.x12", bytes.NewReader([]byte("ok"))); err != nil {
		t.Fatal(err)
	}
	if got := files(t, s.Dir(payer, paysim.Inbound)); !slices.Equal(got, []string{"small.x12"}) {
		t.Fatalf("inbound holds %v", got)
	}
}

func TestDownloadConnectionDroppedIsRetried(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	proxy := sftptest.NewProxy(t, s.Addr().String(), sftptest.Cut{ServerToClient: cutAt})
	h := newClient(t, s.endpoint(proxy.Port()))
	remit := content(1 << 20)
	if err := s.Drop(payer, "remit.835", remit); err != nil {
		t.Fatal(err)
	}

	got, err := h.client.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].SHA256 != sha(remit) || proxy.Connections() != 2 {
		t.Fatalf("poll %+v over %d connections", got, proxy.Connections())
	}
	if h.recorder.calls != 1 {
		t.Fatalf("recorder called %d times, want 1 (the cut download must not be recorded)", h.recorder.calls)
	}
	if names := files(t, h.inbox); len(names) != 1 {
		t.Fatalf("inbox holds %v (partial download left?)", names)
	}
}

func TestDownloadFailingLeavesFileOnServer(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	cut := sftptest.Cut{ServerToClient: cutAt}
	proxy := sftptest.NewProxy(t, s.Addr().String(), cut, cut, cut)
	h := newClient(t, s.endpoint(proxy.Port()))
	if err := s.Drop(payer, "remit.835", content(1<<20)); err != nil {
		t.Fatal(err)
	}
	got, err := h.client.Poll(t.Context())
	if err == nil || len(got) != 0 {
		t.Fatalf("poll: %v %+v", err, got)
	}
	if h.recorder.calls != 0 {
		t.Fatal("a partial download was recorded")
	}
	if names := files(t, h.inbox); len(names) != 0 {
		t.Fatalf("inbox holds %v", names)
	}
	if out := files(t, s.Dir(payer, paysim.Outbound)); !slices.Equal(out, []string{"remit.835"}) {
		t.Fatalf("outbound: %v", out)
	}
}

func TestServerRestarted(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	addr := s.Addr().String()
	h := newClient(t, s.endpoint(s.port()))
	if _, err := h.client.Upload(t.Context(), "one.x12", bytes.NewReader([]byte("1"))); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// While the server is down the client fails after its retries.
	_, err := h.client.Upload(t.Context(), "down.x12", bytes.NewReader([]byte("x")))
	var ne *net.OpError
	if !errors.As(err, &ne) {
		t.Fatalf("upload to a stopped server: %v", err)
	}

	restarted := startSim(t, addr, s.root, s.hostKey, s.userKey)
	if _, err := h.client.Upload(t.Context(), "two.x12", bytes.NewReader([]byte("2"))); err != nil {
		t.Fatalf("upload after restart: %v", err)
	}
	if got := files(t, restarted.Dir(payer, paysim.Inbound)); !slices.Equal(got, []string{"one.x12", "two.x12"}) {
		t.Fatalf("inbound holds %v", got)
	}
}

func TestServerRestartedBetweenOperations(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	addr := s.Addr().String()
	h := newClient(t, s.endpoint(s.port()))
	if _, err := h.client.Upload(t.Context(), "one.x12", bytes.NewReader([]byte("1"))); err != nil {
		t.Fatal(err)
	}
	s.Close()
	startSim(t, addr, s.root, s.hostKey, s.userKey)
	// The kept connection is dead; the client notices and reconnects.
	up, err := h.client.Upload(t.Context(), "two.x12", bytes.NewReader([]byte("2")))
	if err != nil {
		t.Fatal(err)
	}
	if up.Attempts > 2 {
		t.Fatalf("%d attempts", up.Attempts)
	}
}

func TestOperationTimeout(t *testing.T) {
	t.Parallel()
	// A server that accepts TCP and never speaks.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := newSim(t)
	ep := s.endpoint(ln.Addr().(*net.TCPAddr).Port)
	ep.Timeouts.Dial = 100 * time.Millisecond
	ep.Retry.MaxAttempts = 2
	h := newClient(t, ep)
	start := time.Now()
	_, err = h.client.Upload(t.Context(), "x.x12", bytes.NewReader([]byte("x")))
	if !errors.Is(err, transport.ErrTimeout) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timed out after %v", d)
	}
}

func TestStalledTransferTimesOutAndIsRetried(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	proxy := sftptest.NewProxy(t, s.Addr().String(), sftptest.Cut{ClientToServer: cutAt, Stall: true})
	ep := s.endpoint(proxy.Port())
	ep.Timeouts.Operation = 300 * time.Millisecond
	h := newClient(t, ep)
	claims := content(1 << 20)
	start := time.Now()
	up, err := h.client.Upload(t.Context(), "stalled.x12", bytes.NewReader(claims))
	if err != nil {
		t.Fatal(err)
	}
	if up.Attempts != 2 || time.Since(start) > 5*time.Second {
		t.Fatalf("attempts %d after %v", up.Attempts, time.Since(start))
	}
	if !strings.Contains(h.log.String(), "timed out") {
		t.Fatalf("the timeout was not logged:\n%s", h.log.String())
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(payer, paysim.Inbound), "stalled.x12"))
	if err != nil || !bytes.Equal(b, claims) {
		t.Fatalf("final file differs (%v)", err)
	}
}
