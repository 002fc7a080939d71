package claim

import (
	"errors"
	"testing"
)

func TestTransitions(t *testing.T) {
	tests := []struct {
		from, to Status
		ok       bool
	}{
		{StatusDraft, StatusReady, true},
		{StatusDraft, StatusScrubFailed, true},
		{StatusDraft, StatusSubmitted, false},
		{StatusScrubFailed, StatusReady, true},
		{StatusReady, StatusSubmitted, true},
		{StatusReady, StatusPaid, false},
		{StatusSubmitted, StatusAccepted, true},
		{StatusSubmitted, StatusRejected, true},
		{StatusSubmitted, StatusPaid, true},
		{StatusAccepted, StatusPartiallyPaid, true},
		{StatusAccepted, StatusDenied, true},
		{StatusAccepted, StatusDraft, false},
		{StatusRejected, StatusDraft, true},
		{StatusRejected, StatusPaid, false},
		{StatusPaid, StatusClosed, true},
		{StatusPaid, StatusAccepted, true},
		{StatusDenied, StatusPaid, true},
		{StatusPaid, StatusReplaced, true},
		{StatusClosed, StatusPaid, false},
		{StatusReplaced, StatusPaid, false},
		{StatusVoided, StatusDraft, false},
		{StatusPaid, StatusPaid, true},
		{"bogus", "bogus", false},
	}
	for _, tt := range tests {
		if got := CanTransition(tt.from, tt.to); got != tt.ok {
			t.Errorf("%s -> %s: %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
}

func TestAdjudicated(t *testing.T) {
	for status, want := range map[Status]bool{
		StatusDraft: false, StatusScrubFailed: false, StatusReady: false, StatusSubmitted: false,
		StatusAccepted: false, StatusRejected: false, StatusPaid: true, StatusPartiallyPaid: true,
		StatusDenied: true, StatusClosed: true, StatusReplaced: true, StatusVoided: true,
	} {
		if got := status.Adjudicated(); got != want {
			t.Errorf("Adjudicated(%s) = %v", status, got)
		}
	}
}

func TestTransitionError(t *testing.T) {
	if err := Transition(7, StatusDraft, StatusReady); err != nil {
		t.Fatalf("draft -> ready: %v", err)
	}
	err := Transition(7, StatusDraft, StatusPaid)
	var te *TransitionError
	if !errors.Is(err, ErrIllegalTransition) || !errors.As(err, &te) || te.ClaimID != 7 || te.From != StatusDraft || te.To != StatusPaid {
		t.Fatalf("draft -> paid: %v", err)
	}
	if got, want := err.Error(), "claim 7: draft -> paid: illegal claim status transition"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestStatusesAreTheStateMachine(t *testing.T) {
	all := Statuses()
	if len(all) != len(transitions) {
		t.Fatalf("%d statuses, %d in the state machine", len(all), len(transitions))
	}
	for _, s := range all {
		if !s.Valid() {
			t.Errorf("%s is not in the state machine", s)
		}
		for _, to := range transitions[s] {
			if !to.Valid() {
				t.Errorf("%s -> %s: unknown target", s, to)
			}
		}
	}
	if Status("lost").Valid() {
		t.Error(`"lost" is valid`)
	}
}
