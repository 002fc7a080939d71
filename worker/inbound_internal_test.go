package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/store"
)

// TestIsContentError: errors about the file are not retried; errors about
// the database or the network are.
func TestIsContentError(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"positioned X12 error", fmt.Errorf("post: %w", &edi.Error{Err: edi.ErrBalance, Msg: "BPR02"}), true},
		{"not X12", edi.ErrNotX12, true},
		{"not an acknowledgment", fmt.Errorf("f: %w", billing.ErrUnknownFile), true},
		{"illegal claim status transition", fmt.Errorf("835: %w", &claim.TransitionError{ClaimID: 1, From: claim.StatusRejected, To: claim.StatusPaid}), true},
		{"invalid params from the file", fmt.Errorf("claim payment: %w", store.ErrInvalid), true},
		// Issue 14: a 271 from a payer the clinic has not set up was
		// retried 25 times.
		{"a payer the store does not have", fmt.Errorf("eligibility response not applied: payer \"ACME01\": %w", store.ErrNotFound), true},
		{"lost connection", errors.New("write tcp 127.0.0.1:5432: connection reset by peer"), false},
		{"status moved by another writer", fmt.Errorf("claim 3: %w", store.ErrConflict), false},
		{"deadline", context.DeadlineExceeded, false},
	} {
		if got := isContentError(tt.err); got != tt.want {
			t.Errorf("%s: isContentError = %v, want %v", tt.name, got, tt.want)
		}
	}
}
