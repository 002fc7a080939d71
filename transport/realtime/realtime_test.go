package realtime

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var stamp = time.Date(2026, 12, 7, 9, 30, 0, 0, time.UTC)

func request() Envelope {
	return Envelope{PayloadType: Payload270, ProcessingMode: ProcessingModeRealTime, PayloadID: "f81d4fae-7dec-41d0-a765-00a0c91e6bf6",
		TimeStamp: stamp, SenderID: "CLEARHOUSE", ReceiverID: "SUMMT", RuleVersion: RuleVersion,
		UserName: "clinic1", Password: "secret", Payload: []byte("ISA*00*...~")}
}

func TestEnvelopeRoundTrip(t *testing.T) {
	in := request()
	body, ct, err := in.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "multipart/form-data; boundary=") {
		t.Fatalf("content type %q", ct)
	}
	for _, field := range []string{`name="PayloadLength"`, `name="Checksum"`, `name="CORERuleVersion"`} {
		if !bytes.Contains(body, []byte(field)) {
			t.Errorf("body has no %s", field)
		}
	}
	out, err := Read(bytes.NewReader(body), ct, true)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != in.String() || !out.TimeStamp.Equal(in.TimeStamp) || out.Password != in.Password || !bytes.Equal(out.Payload, in.Payload) {
		t.Fatalf("round trip: got %+v, want %+v", out, in)
	}
	if strings.Contains(out.String(), "secret") || strings.Contains(out.String(), "ISA") {
		t.Fatalf("String() shows the password or payload: %s", out.String())
	}
}

func TestReadRefusesBrokenEnvelopes(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*Envelope)
		code   string
		field  string
		header string // replaces the content type
		body   func([]byte) []byte
	}{
		{name: "no payload type", edit: func(e *Envelope) { e.PayloadType = "" }, code: ErrorPayloadTypeIncorrect, field: "PayloadType"},
		{name: "batch mode", edit: func(e *Envelope) { e.ProcessingMode = "Batch" }, code: ErrorProcessingMode, field: "ProcessingMode"},
		{name: "no payload ID", edit: func(e *Envelope) { e.PayloadID = "" }, code: ErrorPayloadIDRequired, field: "PayloadID"},
		{name: "no sender", edit: func(e *Envelope) { e.SenderID = "" }, code: ErrorSenderRequired, field: "SenderID"},
		{name: "no receiver", edit: func(e *Envelope) { e.ReceiverID = "" }, code: ErrorReceiverUnknown, field: "ReceiverID"},
		{name: "no rule version", edit: func(e *Envelope) { e.RuleVersion = "" }, code: ErrorVersionMismatch, field: "CORERuleVersion"},
		{name: "no password", edit: func(e *Envelope) { e.Password = "" }, code: ErrorUnauthorized, field: "UserName"},
		{name: "not multipart", header: "application/json", code: ErrorPayloadTypeIncorrect},
		{name: "checksum of another payload", body: func(b []byte) []byte {
			return bytes.Replace(b, []byte("ISA*00*...~"), []byte("ISA*00*..!~"), 1)
		}, code: ErrorChecksumMismatch, field: "Checksum"},
		{name: "truncated body", body: func(b []byte) []byte { return b[:len(b)/2] }, code: ErrorPayloadTypeIncorrect, field: "?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := request()
			if tt.edit != nil {
				tt.edit(&e)
			}
			body, ct, err := e.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				ct = tt.header
			}
			if tt.body != nil {
				body = tt.body(body)
			}
			_, err = Read(bytes.NewReader(body), ct, true)
			var ee *EnvelopeError
			if !errors.As(err, &ee) || !errors.Is(err, ErrEnvelope) {
				t.Fatalf("got %v, want an *EnvelopeError", err)
			}
			if ee.Code != tt.code || (tt.field != "?" && ee.Field != tt.field) {
				t.Fatalf("got code %s field %q (%v), want %s %q", ee.Code, ee.Field, err, tt.code, tt.field)
			}
		})
	}
}

func TestPayloadIDIsAVersion4UUID(t *testing.T) {
	a, b := NewPayloadID(), NewPayloadID()
	if a == b || len(a) != 36 || a[14] != '4' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Fatalf("payload IDs %s %s", a, b)
	}
}

func server(t *testing.T, answer Answer) *httptest.Server {
	t.Helper()
	auth := func(_ context.Context, e Envelope) bool { return e.UserName == "clinic1" && e.Password == "secret" }
	srv := httptest.NewServer(Handler(auth, answer, func() time.Time { return stamp }))
	t.Cleanup(srv.Close)
	return srv
}

func TestExchange(t *testing.T) {
	srv := server(t, func(_ context.Context, req Envelope) (string, []byte, error) {
		if req.PayloadType != Payload270 {
			return "", nil, &EnvelopeError{Code: ErrorPayloadTypeIncorrect, Field: "PayloadType", Msg: "not a 270"}
		}
		return Payload271, append([]byte("271 for "), req.Payload...), nil
	})
	c := &Client{URL: srv.URL, SenderID: "CLEARHOUSE", ReceiverID: "SUMMT", UserName: "clinic1", Password: "secret", Timeout: 5 * time.Second}
	resp, err := c.Exchange(context.Background(), Payload270, []byte("ISA~"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.PayloadType != Payload271 || string(resp.Payload) != "271 for ISA~" || resp.SenderID != "SUMMT" || resp.ReceiverID != "CLEARHOUSE" {
		t.Fatalf("response %+v", resp)
	}

	_, err = c.Exchange(context.Background(), Payload276, []byte("ISA~"))
	var re *ResponseError
	if !errors.As(err, &re) || re.Code != ErrorPayloadTypeIncorrect {
		t.Fatalf("a 276 to a 270 endpoint: got %v", err)
	}

	bad := *c
	bad.Password = "guess"
	if _, err := bad.Exchange(context.Background(), Payload270, []byte("ISA~")); !errors.As(err, &re) || re.Code != ErrorUnauthorized {
		t.Fatalf("wrong password: got %v", err)
	}
}

func TestExchangeTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv := server(t, func(ctx context.Context, _ Envelope) (string, []byte, error) {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return Payload271, nil, nil
	})
	c := &Client{URL: srv.URL, SenderID: "CLEARHOUSE", ReceiverID: "SLOWP", UserName: "clinic1", Password: "secret", Timeout: 200 * time.Millisecond}
	_, err := c.Exchange(context.Background(), Payload270, []byte("ISA~"))
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "SLOWP") {
		t.Fatalf("got %v, want ErrTimeout naming the receiver", err)
	}
}

func TestHandlerRefusesGet(t *testing.T) {
	srv := server(t, nil)
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
}

func FuzzRead(f *testing.F) {
	body, ct, _ := request().Bytes()
	boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
	f.Add(body, boundary)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"Payload\"\r\n\r\nISA\r\n--x--\r\n"), "x")
	f.Fuzz(func(t *testing.T, body []byte, boundary string) {
		e, err := Read(bytes.NewReader(body), "multipart/form-data; boundary="+boundary, true)
		if err != nil {
			return
		}
		if len(e.Payload) > MaxPayload || e.ProcessingMode != ProcessingModeRealTime {
			t.Fatalf("accepted %+v", e)
		}
	})
}
