package billing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

var errCrash = errors.New("worker killed")

// crashingStore lets ok transactions commit and fails every one after, as
// a worker killed in the middle of a file.
type crashingStore struct {
	billing.Store
	ok, n int
}

func (c *crashingStore) InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error {
	c.n++
	if c.n > c.ok {
		return errCrash
	}
	return c.Store.InTx(ctx, clinicID, fn)
}

// TestPostRemittanceResumes posts an 835 of five claim payments two a
// transaction, cut short after two chunks: running it again posts the
// fifth, each claim once, and a third run posts nothing.
func TestPostRemittanceResumes(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		var claims []store.Claim
		for range 5 {
			claims = append(claims, w.visit(w.pat))
		}
		w.submitAll()
		r := remit835{trace: "EFT-RESUME"}
		for i, c := range claims {
			r.claims = append(r.claims, paidVisit(c.PatientControlNumber, fmt.Sprintf("ICN-R%d", i), 10000))
		}
		raw := r.bytes(t)
		scr, err := shared()
		must(t, err)
		svc := func(s billing.Store) *billing.Service {
			svc, err := billing.New(s, billing.Options{Now: clock, Scrubber: scr, Payers: registry(t), PostChunkSize: 2,
				Profiles: billing.StaticProfiles(map[int64]*billing.ClinicProfile{w.clinic.ID: profile(t)})})
			must(t, err)
			return svc
		}
		if _, err := svc(&crashingStore{Store: st, ok: 2}).PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw)); !errors.Is(err, errCrash) {
			t.Fatalf("first run: %v, want the crash", err)
		}
		paid := func() int {
			n := 0
			for _, c := range claims {
				ps, err := st.ListClaimPayments(w.ctx, store.ListClaimPaymentsParams{ClinicID: w.clinic.ID, ClaimID: c.ID})
				must(t, err)
				if len(ps) > 1 {
					t.Errorf("claim %s paid %d times", c.PatientControlNumber, len(ps))
				}
				n += len(ps)
			}
			return n
		}
		if n := paid(); n != 4 {
			t.Fatalf("after the crash %d claims paid, want the two chunks' 4", n)
		}
		res, err := svc(st).PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if res.Posted != 1 || res.AlreadyPosted != 0 {
			t.Errorf("resumed run: %+v, want the fifth posted", res)
		}
		if n := paid(); n != 5 {
			t.Errorf("after the resumed run %d claims paid, want 5", n)
		}
		for _, c := range claims {
			if got := w.claim(c.ID).Status; got != claim.StatusPaid {
				t.Errorf("claim %s is %s", c.PatientControlNumber, got)
			}
		}
		rems, err := st.ListRemittances(w.ctx, store.ListRemittancesParams{ClinicID: w.clinic.ID})
		must(t, err)
		if len(rems) != 1 || rems[0].PostedAt == nil {
			t.Fatalf("remittances %+v, want one marked posted", rems)
		}
		again, err := svc(st).PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if again.AlreadyPosted != 1 || again.Posted != 0 {
			t.Errorf("third run: %+v, want nothing posted", again)
		}
		if n := paid(); n != 5 {
			t.Errorf("after the third run %d claims paid, want 5", n)
		}
		checkLedger(t, w)
	})
}

// TestPostRemittanceWithinStopsBetweenChunks posts an 835 of five claim
// payments two a transaction in runs that each stop after their first
// chunk: three runs post it (two chunks, then the last payment and the
// remittance's end), each claim once, and only the last is not partial.
func TestPostRemittanceWithinStopsBetweenChunks(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		var claims []store.Claim
		for range 5 {
			claims = append(claims, w.visit(w.pat))
		}
		w.submitAll()
		r := remit835{trace: "EFT-WITHIN"}
		for i, c := range claims {
			r.claims = append(r.claims, paidVisit(c.PatientControlNumber, fmt.Sprintf("ICN-W%d", i), 10000))
		}
		raw := r.bytes(t)
		scr, err := shared()
		must(t, err)
		svc, err := billing.New(st, billing.Options{Now: clock, Scrubber: scr, Payers: registry(t), PostChunkSize: 2,
			Profiles: billing.StaticProfiles(map[int64]*billing.ClinicProfile{w.clinic.ID: profile(t)})})
		must(t, err)
		always := func() bool { return true }
		var posted []int
		var partial []bool
		for range 5 {
			res, err := svc.PostRemittanceWithin(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw), always)
			must(t, err)
			posted = append(posted, res.Posted)
			partial = append(partial, res.Partial)
			if !res.Partial {
				break
			}
		}
		if !slices.Equal(posted, []int{2, 2, 1}) || !slices.Equal(partial, []bool{true, true, false}) {
			t.Errorf("runs posted %v (partial %v), want [2 2 1] ([true true false])", posted, partial)
		}
		for _, c := range claims {
			ps, err := st.ListClaimPayments(w.ctx, store.ListClaimPaymentsParams{ClinicID: w.clinic.ID, ClaimID: c.ID})
			must(t, err)
			if len(ps) != 1 {
				t.Errorf("claim %s paid %d times", c.PatientControlNumber, len(ps))
			}
		}
		rems, err := st.ListRemittances(w.ctx, store.ListRemittancesParams{ClinicID: w.clinic.ID})
		must(t, err)
		if len(rems) != 1 || rems[0].PostedAt == nil {
			t.Fatalf("remittances %+v, want one marked posted", rems)
		}
		checkLedger(t, w)
	})
}

// TestPostRemittanceSplitsRepeatedClaims posts, two a transaction's worth
// of chunk, a payment, its reversal and the correction of one claim: each
// names the claim an earlier one of its chunk named, so each goes in a
// transaction of its own and sees the one before.
func TestPostRemittanceSplitsRepeatedClaims(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		c1 := w.visit(w.pat)
		c2 := w.visit(w.pat)
		w.submitAll()
		pay := paidVisit(c1.PatientControlNumber, "ICN-S1", 10000)
		rev := paidVisit(c1.PatientControlNumber, "ICN-S1", 10000)
		rev.Status, rev.PaidCents, rev.ChargeCents, rev.PatientResponsibilityCents = "22", -rev.PaidCents, -rev.ChargeCents, -rev.PatientResponsibilityCents
		for i := range rev.ServiceLines {
			l := &rev.ServiceLines[i]
			l.ChargeCents, l.PaidCents = -l.ChargeCents, -l.PaidCents
			for j := range l.Adjustments {
				l.Adjustments[j].AmountCents = -l.Adjustments[j].AmountCents
			}
		}
		corr := paidVisit(c1.PatientControlNumber, "ICN-S1", 9500)
		other := paidVisit(c2.PatientControlNumber, "ICN-S2", 10000)
		raw := remit835{trace: "EFT-SPLIT", claims: []*x835.ClaimPayment{pay, other, rev, corr}}.bytes(t)
		scr, err := shared()
		must(t, err)
		svc, err := billing.New(st, billing.Options{Now: clock, Scrubber: scr, Payers: registry(t), PostChunkSize: 4,
			Profiles: billing.StaticProfiles(map[int64]*billing.ClinicProfile{w.clinic.ID: profile(t)})})
		must(t, err)
		res, err := svc.PostRemittance(w.ctx, w.clinic.ID, 0, bytes.NewReader(raw))
		must(t, err)
		if res.Posted != 4 || res.Reversals != 1 || res.Held != 0 {
			t.Fatalf("posting: %+v", res)
		}
		if got := w.balance(store.LedgerBalanceParams{Account: billing.AccountCash, ClaimID: c1.ID}); got != 11500 {
			t.Errorf("claim cash after payment, reversal and correction %d, want 11500", got)
		}
		for _, c := range []store.Claim{c1, c2} {
			if got := w.claim(c.ID).Status; got != claim.StatusPaid {
				t.Errorf("claim %s is %s", c.PatientControlNumber, got)
			}
		}
		checkLedger(t, w)
	})
}
