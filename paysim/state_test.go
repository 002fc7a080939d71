package paysim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi/x835"
)

// TestStateJournal checks the state file and its journal: each commit is
// one journal entry replayed on load, a last entry cut short is dropped, a
// damaged one before the last is an error, and a journal grown past the
// snapshot becomes a new snapshot that replays to the same state.
func TestStateJournal(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".paysim-state.json")
	st, ss, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 6, 9, 0, 0, 0, time.UTC)
	// commit adds n pending claims and a processed file to the state.
	commit := func(file string, n int) {
		t.Helper()
		next := st.clone()
		next.nextControl("KHP01")
		next.Processed["KHP01/"+file] = processedFile{Name: file, At: at}
		for i := range n {
			pcn := fmt.Sprintf("%s-%05d", file, i)
			next.Pending = append(next.Pending, pendingClaim{Payer: "KHP01", Due: at, Seq: int64(len(next.Pending)),
				Claim: x835.ClaimPayment{PatientControlNumber: pcn, Status: "1", ChargeCents: 10000, PaidCents: 8000}})
			next.recordClaim("KHP01", pcn, claimRecord{State: claimAccepted, ChargeCents: 10000, Received: at})
		}
		if err := ss.commit(st, next); err != nil {
			t.Fatal(err)
		}
		st = next
	}
	reload := func() *simState {
		t.Helper()
		got, _, err := loadState(path)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	same := func(what string, got *simState) {
		t.Helper()
		if len(got.Pending) != len(st.Pending) || len(got.Processed) != len(st.Processed) || len(got.Claims) != len(st.Claims) ||
			got.Counters["KHP01"].Control != st.Counters["KHP01"].Control {
			t.Fatalf("%s: %d pending, %d processed, %d claims, control %d; want %d, %d, %d, %d", what, len(got.Pending), len(got.Processed),
				len(got.Claims), got.Counters["KHP01"].Control, len(st.Pending), len(st.Processed), len(st.Claims), st.Counters["KHP01"].Control)
		}
		for i := range st.Pending {
			if got.Pending[i].Claim.PatientControlNumber != st.Pending[i].Claim.PatientControlNumber {
				t.Fatalf("%s: pending %d is %s, want %s", what, i, got.Pending[i].Claim.PatientControlNumber, st.Pending[i].Claim.PatientControlNumber)
			}
		}
	}

	commit("a", 3)
	commit("b", 2)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a snapshot after two small commits: %v", err)
	}
	same("journal", reload())

	// A release replaces the pending claims.
	next := st.clone()
	next.Pending, next.pendingReplaced = append([]pendingClaim(nil), st.Pending[3:]...), true
	next.recordRemit("KHP01", &st.Pending[0].Claim, at)
	if err := ss.commit(st, next); err != nil {
		t.Fatal(err)
	}
	st = next
	got := reload()
	same("release", got)
	if got.Claims["KHP01/a-00000"].State != claimPaid {
		t.Fatalf("released claim is %s", got.Claims["KHP01/a-00000"].State)
	}

	// A crash while an entry was written leaves it cut short: dropped.
	j, err := os.OpenFile(journalPath(path), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	j.WriteString(`{"seq":99,"append":[{"payer":"KH`)
	j.Close()
	got, ss2, err := loadState(path)
	if err != nil {
		t.Fatal(err)
	}
	same("cut short", got)
	st, ss = got, ss2
	commit("c", 1)
	same("after the cut", reload())

	// A journal past the snapshot's size (and 1 MiB) becomes a snapshot.
	commit("big", 5000)
	if fi, err := os.Stat(path); err != nil || fi.Size() < 1<<20 {
		t.Fatalf("no snapshot after a large commit: %v", err)
	}
	if fi, err := os.Stat(journalPath(path)); err != nil || fi.Size() != 0 {
		t.Fatalf("journal not emptied after the snapshot: %v %v", fi, err)
	}
	commit("d", 1)
	same("snapshot and journal", reload())

	// A damaged entry before the last is an error.
	b, err := os.ReadFile(journalPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journalPath(path), append([]byte("{not json\n"), b...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loadState(path); !errors.Is(err, ErrState) {
		t.Fatalf("damaged journal: %v, want ErrState", err)
	}
}
