package demo

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// claimStatus asks, at t, every payer that takes 276 about the claims it
// has accepted but not yet paid (the claims the simulator leaves unpaid
// until the remittances of the next morning), through the worker's
// claim_status job, and collects and applies the 277 answers.
func (r *runner) claimStatus(ctx context.Context, n int, t time.Time) error {
	r.clock.Set(t)
	cid := r.clinic.ID
	byPayer := map[int64][]int64{}
	for after := int64(0); ; {
		cs, err := r.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: cid, Statuses: []claim.Status{claim.StatusSubmitted, claim.StatusAccepted}, AfterID: after, Limit: 1000})
		if err != nil {
			return err
		}
		for _, c := range cs {
			byPayer[c.PayerID] = append(byPayer[c.PayerID], c.ID)
		}
		if len(cs) < 1000 {
			break
		}
		after = cs[len(cs)-1].ID
	}
	var payerIDs []int64
	asked := 0
	for _, py := range r.payerRows {
		reg, ok := r.reg.Get(py.PayerID)
		if !ok || !reg.Accepts(payers.Tx276) || len(byPayer[py.ID]) == 0 {
			continue
		}
		payerIDs = append(payerIDs, py.ID)
		asked += len(byPayer[py.ID])
	}
	slices.Sort(payerIDs)
	p := r.bar(fmt.Sprintf("day %d: 276 claim status inquiries sent", n), "claims", asked)
	before, err := r.interchanges(ctx, "276")
	if err != nil {
		return err
	}
	earlier, err := r.st.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: cid})
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, a := range earlier {
		seen[a.ID] = true
	}
	for _, id := range payerIDs {
		if _, err := r.st.InsertJob(ctx, worker.ClaimStatusArgs{ClinicID: cid, PayerID: id, ClaimIDs: byPayer[id]}, nil); err != nil {
			return err
		}
	}
	files := 0
	err = r.waitFor(ctx, "the 276 uploads", func() (bool, error) {
		ics, err := r.interchanges(ctx, "276")
		if err != nil {
			return false, err
		}
		sent, claims := 0, 0
		for _, ic := range ics[len(before):] {
			if ic.Status != store.InterchangeCreated && ic.Status != store.InterchangeUploading && ic.Status != store.InterchangeFailed {
				sent++
				claims += ic.ClaimCount
			}
		}
		p.Set(claims)
		files = sent
		return sent == len(payerIDs), nil
	})
	if err != nil {
		return err
	}
	p.Finish(fmt.Sprintf("(%d 276 files)", files))
	r.expected += files // one 277 each
	if err := r.collect(ctx, fmt.Sprintf("day %d: 277 claim status answers applied", n)); err != nil {
		return err
	}
	acks, err := r.st.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: cid})
	if err != nil {
		return err
	}
	standing := map[x277.Standing]int{}
	for _, a := range acks {
		if a.Kind == store.Ack277 && !seen[a.ID] {
			standing[x277.StandingOf(strings.SplitN(a.Code, ":", 2)[0])]++
		}
	}
	var parts []string
	for s, k := range standing {
		parts = append(parts, fmt.Sprintf("%s %d", s, k))
	}
	sort.Strings(parts)
	fmt.Fprintf(r.opts.Stderr, "  claim status: %s\n", strings.Join(parts, ", "))
	return nil
}

// interchanges lists the clinic's interchanges of a transaction set,
// oldest first.
func (r *runner) interchanges(ctx context.Context, set string) ([]store.Interchange, error) {
	var out []store.Interchange
	for after := int64(0); ; {
		ics, err := r.st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: r.clinic.ID, AfterID: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, ic := range ics {
			if ic.TransactionSet == set {
				out = append(out, ic)
			}
		}
		if len(ics) < 1000 {
			return out, nil
		}
		after = ics[len(ics)-1].ID
	}
}
