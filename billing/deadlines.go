package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// notYetAccepted are the statuses of a claim the payer has not accepted:
// what must still reach it before its filing deadline.
var notYetAccepted = []claim.Status{claim.StatusDraft, claim.StatusScrubFailed, claim.StatusReady, claim.StatusRejected}

// DeadlineResult is what TimelyFilingDeadlines found.
type DeadlineResult struct {
	// Near counts claims within their payer's warning window
	// (payers.Payer.FilingWarnDays), Passed those past the deadline.
	Near, Passed int
	// Items counts worklist items created (an item already open for the
	// same claim and stage is not created again).
	Items int
}

// TimelyFilingDeadlines raises a worklist item (kind timely_filing, due at
// the deadline) for every claim of the clinic the payer has not accepted
// (draft, scrub failed, ready or rejected) whose payer's filing deadline
// (payers.Payer.FilingDeadline of its first date of service) is within the
// payer's warning window of today, and another when it has passed (appeal
// with proof of timely filing, or write off). Claims are read per payer
// with one query bounded by date of service; the items of a clinic are
// written in one transaction. Running it again the same day creates
// nothing new.
func (s *Service) TimelyFilingDeadlines(ctx context.Context, clinicID int64, today time.Time) (DeadlineResult, error) {
	var res DeadlineResult
	if s.opts.Payers == nil {
		return res, fmt.Errorf("%w: Options.Payers (the payer registry) is required for filing deadlines", ErrConfig)
	}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)
	payerRows, err := s.st.ListPayers(ctx, store.ListPayersParams{ClinicID: clinicID})
	if err != nil {
		return res, err
	}
	type flagged struct {
		c        store.Claim
		payer    store.Payer
		deadline time.Time
		passed   bool
	}
	var found []flagged
	for _, py := range payerRows {
		rp, ok := s.opts.Payers.Get(py.PayerID)
		if !ok || rp.TimelyFilingDays <= 0 {
			continue
		}
		// A claim is flagged once today is within FilingWarnDays of its
		// deadline: its first date of service is on or before this day.
		latest := today.AddDate(0, 0, rp.FilingWarnDays()-rp.TimelyFilingDays)
		claims, err := s.st.ListClaims(ctx, store.ListClaimsParams{ClinicID: clinicID, PayerID: py.ID, Statuses: notYetAccepted,
			ServiceTo: latest})
		if err != nil {
			return res, err
		}
		for _, c := range claims {
			if c.ServiceDateFrom.IsZero() || c.ServiceDateFrom.After(latest) {
				continue
			}
			deadline := rp.FilingDeadline(c.ServiceDateFrom)
			f := flagged{c: c, payer: py, deadline: deadline, passed: today.After(deadline)}
			if f.passed {
				res.Passed++
			} else {
				res.Near++
			}
			found = append(found, f)
		}
	}
	if len(found) == 0 {
		return res, nil
	}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		res.Items = 0
		for _, f := range found {
			stage, priority := "near", 2
			left := int(f.deadline.Sub(today).Hours() / 24)
			title := fmt.Sprintf("Claim %s must reach %s by %s (timely filing: %d days left; now %s)",
				f.c.PatientControlNumber, f.payer.PayerID, f.deadline.Format(time.DateOnly), left, f.c.Status)
			if f.passed {
				stage, priority = "passed", 1
				title = fmt.Sprintf("Claim %s passed %s's timely filing deadline %s (now %s): appeal with proof of timely filing or write off",
					f.c.PatientControlNumber, f.payer.PayerID, f.deadline.Format(time.DateOnly), f.c.Status)
			}
			details, _ := json.Marshal(map[string]any{"deadline": f.deadline.Format(time.DateOnly), "first_date_of_service": f.c.ServiceDateFrom.Format(time.DateOnly),
				"status": f.c.Status, "days_left": left})
			cid, pid, pyid := f.c.ID, f.c.PatientID, f.payer.ID
			due := f.deadline
			_, created, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: clinicID, Kind: store.WorkTimelyFiling,
				Priority: priority, ClaimID: &cid, PatientID: &pid, PayerID: &pyid, AmountCents: f.c.TotalChargeCents, Title: title,
				Details: details, DedupeKey: "timely:" + strconv.FormatInt(f.c.ID, 10) + ":" + stage, DueAt: &due})
			if err != nil {
				return fmt.Errorf("claim %d: %w", f.c.ID, err)
			}
			if created {
				res.Items++
			}
		}
		return nil
	})
	if err == nil && res.Items > 0 {
		s.opts.Logger.InfoContext(ctx, "timely filing deadlines", "clinic", clinicID, "near", res.Near, "passed", res.Passed, "items", res.Items)
	}
	return res, err
}
