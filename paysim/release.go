package paysim

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
)

// ReleaseDue writes the 835s of every pending claim due at or before now:
// for each payer, submitter and payee (billing provider, 835 Loop 1000B)
// one file (<payer>-835-<date>-<ISA13>.835) in the payer's outbound
// folder, holding one interchange and in it one 835 transaction, a payment
// of its own (BPR, TRN). A file thus pays one payee: a clearinghouse
// routes it whole to the practice it pays. It returns how many files it
// wrote. The claims are removed from the
// queue only once every file is written and the state saved; released again
// after a crash, the same files are written with the same names.
func (s *Simulator) ReleaseDue(ctx context.Context, now time.Time) (files int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	st := s.state.clone()
	var due, keep []pendingClaim
	for _, p := range st.Pending {
		if !p.Due.After(now) {
			due = append(due, p)
		} else {
			keep = append(keep, p)
		}
	}
	if len(due) == 0 {
		return 0, nil
	}
	// By payer, then submitter and payee in order of first appearance
	// among the payer's claims due first, then due time.
	sort.SliceStable(due, func(i, j int) bool {
		if due[i].Payer != due[j].Payer {
			return due[i].Payer < due[j].Payer
		}
		return due[i].Due.Before(due[j].Due)
	})
	type fileKey struct {
		payer string
		reply replyAddress
		payee payee
	}
	rank := make(map[fileKey]int)
	for _, p := range due {
		k := fileKey{p.Payer, p.Reply, p.Payee}
		if _, ok := rank[k]; !ok {
			rank[k] = len(rank)
		}
	}
	sort.SliceStable(due, func(i, j int) bool {
		return rank[fileKey{due[i].Payer, due[i].Reply, due[i].Payee}] < rank[fileKey{due[j].Payer, due[j].Reply, due[j].Payee}]
	})
	var out []responseFile
	for len(due) > 0 {
		n := 1
		for n < len(due) && due[n].Payer == due[0].Payer && due[n].Reply == due[0].Reply && due[n].Payee == due[0].Payee &&
			(s.cfg.MaxClaimsPer835 <= 0 || n < s.cfg.MaxClaimsPer835) {
			n++
		}
		f, err := s.write835(st, due[:n], now)
		if err != nil {
			return 0, err
		}
		for i := range due[:n] {
			st.recordRemit(due[i].Payer, &due[i].Claim, now)
		}
		out = append(out, f)
		due = due[n:]
	}
	for _, f := range out {
		if err := s.drop(f.payer, f.name, f.content); err != nil {
			return files, err
		}
		files++
	}
	st.Pending, st.pendingReplaced = keep, true
	if err := s.store.commit(s.state, st); err != nil {
		return files, err
	}
	s.state = st
	s.log.Info("paysim released 835s", "files", files)
	return files, nil
}

// RunReleases calls ReleaseDue with the simulator's clock every interval
// until ctx ends, logging failures. It blocks; run it in a goroutine the
// caller owns.
func (s *Simulator) RunReleases(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.ReleaseDue(ctx, s.now()); err != nil && ctx.Err() == nil {
				s.log.Error("paysim release failed", "err", err)
			}
		}
	}
}

// write835 writes due claims of one payer, submitter and payee as one
// file.
func (s *Simulator) write835(st *simState, claims []pendingClaim, now time.Time) (responseFile, error) {
	payer := claims[0].Payer
	profile := s.profile(payer)
	var buf bytes.Buffer
	var first int64
	// One interchange per submitter address, in order of first appearance.
	var replies []replyAddress
	for _, c := range claims {
		if !slices.Contains(replies, c.Reply) {
			replies = append(replies, c.Reply)
		}
	}
	for _, r := range replies {
		n := st.nextControl(payer)
		if first == 0 {
			first = n
		}
		isa := edi.ISAHeader{
			SenderQualifier: r.SenderQualifier, SenderID: r.SenderID,
			ReceiverQualifier: r.ReceiverQualifier, ReceiverID: r.ReceiverID,
			Time: now, ControlNumber: n, Usage: r.Usage,
		}
		gs := edi.GSHeader{SenderCode: r.SenderCode, ReceiverCode: r.ReceiverCode, Time: now, ControlNumber: n}
		enc := x835.NewEncoder(&buf, isa, gs)
		var payees []payee
		for _, c := range claims {
			if c.Reply == r && !slices.Contains(payees, c.Payee) {
				payees = append(payees, c.Payee)
			}
		}
		for i, py := range payees {
			var group []*x835.ClaimPayment
			var paid int64
			for k := range claims {
				if claims[k].Reply == r && claims[k].Payee == py {
					group = append(group, &claims[k].Claim)
					paid += claims[k].Claim.PaidCents
				}
			}
			rem, plbs := s.remittance(st, profile, py, group, paid, now)
			if err := enc.BeginRemittance(rem, int64(i+1)); err != nil {
				return responseFile{}, fmt.Errorf("paysim: 835 for %s: %w", payer, err)
			}
			for _, c := range group {
				if err := enc.WriteClaim(c); err != nil {
					return responseFile{}, fmt.Errorf("paysim: 835 for %s: claim %s: %w", payer, c.PatientControlNumber, err)
				}
			}
			if err := enc.EndRemittance(plbs); err != nil {
				return responseFile{}, fmt.Errorf("paysim: 835 for %s: %w", payer, err)
			}
		}
		if err := enc.Close(); err != nil {
			return responseFile{}, fmt.Errorf("paysim: 835 for %s: %w", payer, err)
		}
	}
	name := fmt.Sprintf("%s-835-%s-%09d.835", payer, now.UTC().Format("20060102"), first)
	return responseFile{payer: payer, name: name, content: buf.Bytes()}, nil
}

// remittance builds the header of one payment (BPR, TRN, payer and payee
// loops) and its provider adjustments (PLB), so that BPR02 is the claims'
// payments less the adjustments.
func (s *Simulator) remittance(st *simState, p PayerProfile, py payee, claims []*x835.ClaimPayment, paid int64, now time.Time) (*x835.Remittance, []x835.ProviderAdjustment) {
	trn := fmt.Sprintf("%s%08d", p.ID, st.nextPayment(p.ID))
	dr := draw{seed: s.cfg.Seed}
	fiscalEnd := time.Date(now.Year(), time.December, 31, 0, 0, 0, 0, time.UTC)
	var plbs []x835.ProviderAdjustment
	if paid > 0 && dr.chance(s.rates.interest, "interest", p.ID, trn) {
		// Prompt-pay interest: 0.1% to 1.5% of the payment, at least a cent;
		// negative, since it adds to the payment.
		rate := int64(10 + dr.value("interest-rate", p.ID, trn)%141)
		amount := max(1, paid*rate/10000)
		plbs = append(plbs, x835.ProviderAdjustment{ProviderID: py.NPI, FiscalPeriodEnd: fiscalEnd, Reason: x835.ReasonInterest,
			Reference: claims[0].PayerClaimControlNumber, AmountCents: -amount})
	}
	if paid > 0 && dr.chance(s.rates.recovery, "recovery", p.ID, trn) {
		// Recovery of an earlier overpayment, never more than this payment.
		amount := min(paid, 500+int64(dr.value("recovery-amount", p.ID, trn)%5000))
		ref := fmt.Sprintf("%02d%03d%s", now.Year()%100, 1+dr.pick(365, "recovery-day", p.ID, trn), dr.digits(9, "recovery-icn", p.ID, trn))
		plbs = append(plbs, x835.ProviderAdjustment{ProviderID: py.NPI, FiscalPeriodEnd: fiscalEnd, Reason: x835.ReasonOverpaymentRecovery,
			Reference: ref, AmountCents: amount})
	}
	total := paid
	for _, a := range plbs {
		total -= a.AmountCents
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	rem := &x835.Remittance{
		TotalPaidCents:  total,
		CreditDebit:     "C",
		PaymentDate:     today,
		TraceType:       "1",
		TraceNumber:     trn,
		TraceOriginator: "1" + p.TaxID,
		ProductionDate:  today,
		Payer: x835.Party{
			EntityCode: "PR", Name: p.Name,
			Address:    x835.Address{Line1: p.Address.Line1, City: p.Address.City, State: p.Address.State, PostalCode: p.Address.PostalCode},
			References: []x835.Reference{{Qualifier: "2U", Value: p.ID}},
			Contacts:   []x835.Contact{{Function: "BL", Name: "EDI SUPPORT", Numbers: []x835.ContactNumber{{Qualifier: "TE", Number: p.Phone}}}},
		},
		Payee: x835.Party{
			EntityCode: "PE", Name: py.Name, IDQualifier: "XX", ID: py.NPI,
			Address: x835.Address{Line1: py.Address.Line1, City: py.Address.City, State: py.Address.State, PostalCode: py.Address.PostalCode},
		},
	}
	if py.TaxID != "" {
		rem.Payee.References = []x835.Reference{{Qualifier: "TJ", Value: py.TaxID}}
	}
	switch {
	case total == 0:
		// Nothing to pay: notification only, non-payment data (BPR01 H,
		// BPR04 NON).
		rem.HandlingCode, rem.PaymentMethod = "H", "NON"
	case s.cfg.PaymentMethod == "ACH":
		rem.HandlingCode, rem.PaymentMethod, rem.PaymentFormat = "C", "ACH", "CCP"
		rem.SenderBank = x835.BankAccount{DFIQualifier: "01", DFINumber: "999999992", AccountQualifier: "DA",
			AccountNumber: dr.digits(10, "payer-account", p.ID)}
		rem.OriginatorID = "1" + p.TaxID
		rem.ReceiverBank = x835.BankAccount{DFIQualifier: "01", DFINumber: "999988880", AccountQualifier: "DA",
			AccountNumber: dr.digits(10, "payee-account", p.ID, py.NPI)}
	default:
		// A check mailed apart from the remittance advice (BPR01 I).
		rem.HandlingCode, rem.PaymentMethod = "I", "CHK"
	}
	return rem, plbs
}
