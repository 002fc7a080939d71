package paysim

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/transport/realtime"
)

func TestRealTimeHandler(t *testing.T) {
	s := newTestSim(t, "", func(cfg *Config) {
		cfg.Server.Users = []User{{Name: "all", Password: "pw-all"}, {Name: "only", Password: "pw-only", Payer: "OTHER"}}
		cfg.Server.Payers = []string{simPayer, "OTHER"}
		cfg.Server.LoginDelay = LoginDelay{Initial: time.Millisecond, Max: time.Millisecond}
	})
	srv := httptest.NewServer(s.RealTimeHandler())
	defer srv.Close()
	req, err := os.ReadFile("../edi/x270/testdata/golden/request_batch.x12")
	if err != nil {
		t.Fatal(err)
	}
	client := func(user, password, receiver string) *realtime.Client {
		return &realtime.Client{URL: srv.URL, SenderID: "CLEARHOUSE", ReceiverID: receiver, UserName: user, Password: password, Timeout: 5 * time.Second}
	}
	ctx := context.Background()

	resp, err := client("all", "pw-all", simPayer).Exchange(ctx, realtime.Payload270, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.PayloadType != realtime.Payload271 || !strings.Contains(string(resp.Payload), "ST*271*") {
		t.Fatalf("answer: %s %.80q", resp.PayloadType, resp.Payload)
	}
	// Nothing is recorded: the same 270 over SFTP is still answered.
	if names, err := s.HandleFile(ctx, simPayer, "batch.x12", req); err != nil || len(names) == 0 {
		t.Fatalf("the real-time answer was recorded as the file's: %v %v", names, err)
	}

	var re *realtime.ResponseError
	for _, tt := range []struct{ name, user, password, receiver, code string }{
		{"user confined to another payer", "only", "pw-only", simPayer, realtime.ErrorUnauthorized},
		{"wrong password", "all", "nope", simPayer, realtime.ErrorUnauthorized},
		{"unknown receiver", "all", "pw-all", "NOSUCH", realtime.ErrorUnauthorized},
	} {
		if _, err := client(tt.user, tt.password, tt.receiver).Exchange(ctx, realtime.Payload270, req); !errors.As(err, &re) || re.Code != tt.code {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
		}
	}
	if _, err := client("all", "pw-all", simPayer).Exchange(ctx, "X12_837_Request_005010X222A1", req); !errors.As(err, &re) || re.Code != realtime.ErrorPayloadTypeIncorrect {
		t.Errorf("an 837 payload type: got %v", err)
	}
	if _, err := client("all", "pw-all", simPayer).Exchange(ctx, realtime.Payload270, []byte("not x12")); !errors.As(err, &re) || re.Code != realtime.ErrorPayloadTypeIncorrect {
		t.Errorf("junk payload: got %v", err)
	}
}
