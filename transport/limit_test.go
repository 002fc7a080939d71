package transport_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport"
)

// TestPollRefusesTooLarge is the regression test of issue 14's unbounded
// inbound file (400 MB pushed serve to 5 GB): a file over MaxInboundSize
// is neither downloaded nor recorded nor archived, Poll's error names it
// and the limit, and the other files still come in.
func TestPollRefusesTooLarge(t *testing.T) {
	t.Parallel()
	const limit = 4096
	s := newSim(t)
	h := newClient(t, s.endpoint(s.port()), func(o *transport.Options) { o.MaxInboundSize = limit })
	for name, size := range map[string]int{"a-small.835": 100, "b-huge.835": limit + 1, "c-at-limit.835": limit} {
		if err := s.Drop(payer, name, content(size)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := h.client.Poll(t.Context())
	var names []string
	for _, f := range got {
		names = append(names, f.RemoteName)
	}
	if !slices.Equal(names, []string{"a-small.835", "c-at-limit.835"}) {
		t.Fatalf("polled %v", names)
	}
	if !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	var op *transport.OpError
	if !errors.As(err, &op) || op.Payer != payer {
		t.Fatalf("err %T %v, want an OpError of payer %s", err, err, payer)
	}
	for _, want := range []string{"/outbound/b-huge.835", "4097 bytes", "limit of 4096 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := h.recorder.count(); n != 2 {
		t.Errorf("recorded %d files, want 2", n)
	}
	if n := h.waits.count(); n != 0 {
		t.Errorf("retried %d times: a file too large will not shrink", n)
	}
	if out := files(t, s.Dir(payer, paysim.Outbound)); !slices.Equal(out, []string{"b-huge.835"}) {
		t.Errorf("outbound after poll: %v (the large file stays for the operator)", out)
	}
	if inbox := files(t, h.inbox); len(inbox) != 2 {
		t.Errorf("inbox holds %v", inbox)
	}
	if !strings.Contains(h.log.String(), "b-huge.835") {
		t.Errorf("refusal not logged:\n%s", h.log.String())
	}

	// The next poll refuses it again, from the listing alone.
	got, err = h.client.Poll(t.Context())
	if len(got) != 0 || !errors.Is(err, transport.ErrTooLarge) {
		t.Fatalf("second poll: %v %v", got, err)
	}
}

func TestMaxInboundSizeValidated(t *testing.T) {
	t.Parallel()
	s := newSim(t)
	_, err := transport.New(s.endpoint(s.port()), transport.Options{MaxInboundSize: -1})
	if !errors.Is(err, transport.ErrInvalidConfig) || !strings.Contains(err.Error(), "MaxInboundSize") {
		t.Fatalf("err %v", err)
	}
}

// TestUploadOverServerLimit checks what the clearinghouse sees when a
// payer's server refuses an upload for its size (the simulator's
// MaxFileSize): an error carrying the server's message and the limit, and
// no file left under the final name nor under a temporary one.
func TestUploadOverServerLimit(t *testing.T) {
	t.Parallel()
	const limit = 2048
	s := startSimWith(t, func(c *paysim.ServerConfig) { c.MaxFileSize = limit })
	h := newClient(t, s.endpoint(s.port()))
	_, err := h.client.Upload(t.Context(), "claims.x12", bytes.NewReader(content(limit+1)))
	if err == nil || !strings.Contains(err.Error(), "file too large: the limit is 2048 bytes") {
		t.Fatalf("err %v", err)
	}
	if in := files(t, s.Dir(payer, paysim.Inbound)); len(in) != 0 {
		t.Fatalf("inbound after a refused upload: %v", in)
	}
	if _, err := h.client.Upload(t.Context(), "small.x12", bytes.NewReader(content(limit))); err != nil {
		t.Fatalf("upload at the limit: %v", err)
	}
}
