package storetest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// testChunk covers the chunk loaders (store.ByIDs) and the bulk writes of
// a Tx (store.BulkWrites): what they return, their conflicts, and that a
// rolled-back chunk leaves nothing.
func testChunk(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	other := newFixture(t, h)

	// Three encounters with two charges each (the last of the third
	// already billed), a coverage and a second patient.
	pat2, err := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-2", FirstName: "Alan", LastName: "Turing", BirthDate: date(1912, 6, 23)})
	must(t, err)
	cov, err := s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: pat2.ID, PayerID: f.payer.ID, MemberID: "M2", Priority: 1})
	must(t, err)
	cov1, err := s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: f.patient.ID, PayerID: f.payer.ID, MemberID: "M1", Priority: 2})
	must(t, err)
	billed := f.claim(t, "CHUNK-BILLED", 100)
	var encIDs, chargeIDs []int64
	for i, pat := range []int64{f.patient.ID, pat2.ID, f.patient.ID} {
		e, err := s.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: cid, PatientID: pat, ProviderID: f.provider.ID,
			ServiceDate: date(2025, 3, i+1), PlaceOfService: "11", DiagnosisCodes: []string{"J06.9"}, Status: store.EncounterReady})
		must(t, err)
		encIDs = append(encIDs, e.ID)
		for line := 1; line <= 2; line++ {
			ch, err := s.CreateCharge(ctx, store.CreateChargeParams{ClinicID: cid, EncounterID: e.ID, LineNumber: line, ProcedureCode: "99213",
				ChargeCents: int64(1000 * line), ServiceDate: date(2025, 3, i+1)})
			must(t, err)
			if i == 2 && line == 2 {
				_, err = s.UpdateCharge(ctx, store.UpdateChargeParams{ClinicID: cid, ID: ch.ID, ProcedureCode: "99213", ChargeCents: 2000,
					ServiceDate: ch.ServiceDate, ClaimID: &billed.ID})
				must(t, err)
				continue
			}
			chargeIDs = append(chargeIDs, ch.ID)
		}
	}
	otherEnc, err := s.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: other.clinic.ID, PatientID: other.patient.ID,
		ProviderID: other.provider.ID, ServiceDate: date(2025, 3, 1), Status: store.EncounterReady})
	must(t, err)

	// Loaders: ID order, missing and other clinics' IDs left out.
	encs, err := s.GetEncountersByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{encIDs[2], encIDs[0], otherEnc.ID, 1 << 40}})
	must(t, err)
	eq(t, "encounters", len(encs), 2)
	eq(t, "encounter order", encs[0].ID, encIDs[0])
	eq(t, "encounter diagnoses", fmt.Sprint(encs[1].DiagnosisCodes), "[J06.9]")
	charges, err := s.ListChargesByEncounters(ctx, store.ListChargesByEncountersParams{ClinicID: cid, EncounterIDs: encIDs, Unbilled: true})
	must(t, err)
	eq(t, "unbilled charges", len(charges), 5)
	eq(t, "charge order", charges[1].LineNumber, 2)
	eq(t, "charge encounter", charges[4].EncounterID, encIDs[2])
	all, err := s.ListChargesByEncounters(ctx, store.ListChargesByEncountersParams{ClinicID: cid, EncounterIDs: encIDs})
	must(t, err)
	eq(t, "all charges", len(all), 6)
	pats, err := s.GetPatientsByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{pat2.ID, f.patient.ID, other.patient.ID}})
	must(t, err)
	eq(t, "patients", len(pats), 2)
	eq(t, "patient order", pats[0].ID, f.patient.ID)
	provs, err := s.GetProvidersByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{f.provider.ID}})
	must(t, err)
	eq(t, "provider", provs[0].NPI, f.provider.NPI)
	payers, err := s.GetPayersByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{f.payer.ID, other.payer.ID}})
	must(t, err)
	eq(t, "payers", len(payers), 1)
	covs, err := s.GetCoveragesByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{cov1.ID, cov.ID}})
	must(t, err)
	eq(t, "coverages", len(covs), 2)
	byPat, err := s.ListCoveragesByPatients(ctx, store.ListCoveragesByPatientsParams{ClinicID: cid, PatientIDs: []int64{pat2.ID, f.patient.ID}})
	must(t, err)
	eq(t, "coverages by patient", len(byPat), 2)
	eq(t, "coverage order", byPat[0].ID, cov1.ID)
	none, err := s.GetPatientsByIDs(ctx, store.IDsParams{ClinicID: cid})
	must(t, err)
	eq(t, "no IDs", len(none), 0)
	taken, err := s.ListTakenPatientControlNumbers(ctx, store.ListTakenPatientControlNumbersParams{ClinicID: cid,
		PatientControlNumbers: []string{"CHUNK-1", "CHUNK-BILLED"}})
	must(t, err)
	eq(t, "taken", fmt.Sprint(taken), "[CHUNK-BILLED]")
	many := make([]int64, 2500)
	for i := range many {
		many[i] = int64(i + 1)
	}
	many[2400] = encIDs[1]
	encs, err = s.GetEncountersByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: many})
	must(t, err)
	found := false
	for _, e := range encs {
		found = found || e.ID == encIDs[1]
	}
	eq(t, "found past the first list chunk", found, true)

	// A chunk written and rolled back leaves nothing.
	claimsFor := func(prefix string) []store.CreateClaimParams {
		return []store.CreateClaimParams{
			{PayerID: f.payer.ID, PatientID: f.patient.ID, EncounterID: &encIDs[0], PatientControlNumber: prefix + "-1", TotalChargeCents: 3000,
				ServiceDateFrom: date(2025, 3, 1), ServiceDateTo: date(2025, 3, 1), Document: []byte(`{"n":1}`), Actor: "billing"},
			{PayerID: f.payer.ID, PatientID: pat2.ID, EncounterID: &encIDs[1], PatientControlNumber: prefix + "-2", TotalChargeCents: 3000,
				ServiceDateFrom: date(2025, 3, 2), ServiceDateTo: date(2025, 3, 2), Actor: "billing"},
		}
	}
	write := func(tx store.Tx, prefix string) ([]int64, []bool, error) {
		ids, err := tx.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{Claims: claimsFor(prefix)})
		if err != nil {
			return nil, nil, err
		}
		if err := tx.SetEncounterStatuses(ctx, store.SetEncounterStatusesParams{IDs: encIDs[:2], From: store.EncounterReady, To: store.EncounterBilled}); err != nil {
			return nil, nil, err
		}
		if err := tx.BillCharges(ctx, store.BillChargesParams{Charges: []store.ChargeBilling{{ChargeID: chargeIDs[0], ClaimID: ids[0]}, {ChargeID: chargeIDs[1], ClaimID: ids[0]},
			{ChargeID: chargeIDs[2], ClaimID: ids[1]}, {ChargeID: chargeIDs[3], ClaimID: ids[1]}}}); err != nil {
			return nil, nil, err
		}
		var txs []store.PostLedgerTransactionParams
		for i, id := range ids {
			txs = append(txs, store.PostLedgerTransactionParams{IdempotencyKey: fmt.Sprintf("charge:%d", id), Description: "charge",
				EffectiveDate: date(2025, 3, i+1), Lines: []store.LedgerLine{
					{Account: "ar_insurance", AmountCents: 3000, ClaimID: &ids[i]}, {Account: "revenue", AmountCents: -3000, ClaimID: &ids[i]}}})
		}
		txs = append(txs, txs[0])
		created, err := tx.PostLedgerTransactions(ctx, store.PostLedgerTransactionsParams{Transactions: txs})
		return ids, created, err
	}
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		if _, _, err := write(tx, "CHUNK-RB"); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, err, errRollback)
	_, err = s.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: cid, PatientControlNumber: "CHUNK-RB-1"})
	wantErr(t, err, store.ErrNotFound)
	charges, err = s.ListChargesByEncounters(ctx, store.ListChargesByEncountersParams{ClinicID: cid, EncounterIDs: encIDs, Unbilled: true})
	must(t, err)
	eq(t, "unbilled after rollback", len(charges), 5)
	bal, err := s.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid, Account: "revenue"})
	must(t, err)
	eq(t, "ledger after rollback", bal, int64(0))

	// Committed: rows as the single-row calls would write them.
	var ids []int64
	var created []bool
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		var err error
		ids, created, err = write(tx, "CHUNK")
		return err
	}))
	eq(t, "created", fmt.Sprint(created), "[true true false]")
	c, err := s.GetClaim(ctx, f.ref(ids[1]))
	must(t, err)
	eq(t, "claim pcn", c.PatientControlNumber, "CHUNK-2")
	eq(t, "claim status", c.Status, claim.StatusDraft)
	eq(t, "claim encounter", *c.EncounterID, encIDs[1])
	eq(t, "default document", string(c.Document) != "", true)
	e, err := s.GetEncounter(ctx, f.ref(encIDs[0]))
	must(t, err)
	eq(t, "encounter billed", e.Status, store.EncounterBilled)
	e, err = s.GetEncounter(ctx, f.ref(encIDs[2]))
	must(t, err)
	eq(t, "other encounter", e.Status, store.EncounterReady)
	onClaim, err := s.ListCharges(ctx, store.ListChargesParams{ClinicID: cid, ClaimID: ids[0]})
	must(t, err)
	eq(t, "charges on claim", len(onClaim), 2)
	entries, err := s.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: cid, ClaimID: ids[1]})
	must(t, err)
	eq(t, "entries", len(entries), 2)
	eq(t, "entry date", entries[0].EffectiveDate, date(2025, 3, 2))
	eq(t, "entry amount", entries[0].AmountCents, int64(3000))
	eq(t, "entry account", entries[1].Account, "revenue")
	bal, err = s.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: cid, Account: "ar_insurance"})
	must(t, err)
	eq(t, "insurance A/R", bal, int64(6000))
	// The same key through the single-row call is not posted again.
	_, again, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: fmt.Sprintf("charge:%d", ids[0]),
		Lines: []store.LedgerLine{{Account: "a", AmountCents: 1}, {Account: "b", AmountCents: -1}}})
	must(t, err)
	eq(t, "posted again", again, false)

	// Conflicts: billed twice, encounter no longer ready, unbalanced,
	// duplicate claim number, another clinic.
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.BillCharges(ctx, store.BillChargesParams{Charges: []store.ChargeBilling{{ChargeID: chargeIDs[4], ClaimID: ids[0]}, {ChargeID: chargeIDs[0], ClaimID: ids[1]}}})
	})
	wantErr(t, err, store.ErrConflict)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetEncounterStatuses(ctx, store.SetEncounterStatusesParams{IDs: encIDs, From: store.EncounterReady, To: store.EncounterBilled})
	})
	wantErr(t, err, store.ErrConflict)
	e, err = s.GetEncounter(ctx, f.ref(encIDs[2]))
	must(t, err)
	eq(t, "conflict rolled back", e.Status, store.EncounterReady)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		_, err := tx.PostLedgerTransactions(ctx, store.PostLedgerTransactionsParams{Transactions: []store.PostLedgerTransactionParams{
			{IdempotencyKey: "x", Lines: []store.LedgerLine{{Account: "a", AmountCents: 1}, {Account: "b", AmountCents: -2}}}}})
		return err
	})
	wantErr(t, err, store.ErrInvalid)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		_, err := tx.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{Claims: claimsFor("CHUNK")[:1]})
		return err
	})
	wantErr(t, err, store.ErrConflict)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		_, err := tx.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: other.clinic.ID, Claims: claimsFor("CHUNK-O")})
		return err
	})
	wantErr(t, err, store.ErrClinicMismatch)
	err = s.InTx(ctx, other.clinic.ID, func(tx store.Tx) error {
		_, err := tx.GetEncountersByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: encIDs})
		return err
	})
	wantErr(t, err, store.ErrClinicMismatch)

	// Claim statuses with their history.
	got, err := s.GetClaimsByIDs(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{ids[1], ids[0], billed.ID}})
	must(t, err)
	eq(t, "claims by ID", len(got), 3)
	eq(t, "claims order", got[0].ID, billed.ID)
	byEnc, err := s.ListClaimsByEncounters(ctx, store.IDsParams{ClinicID: cid, IDs: []int64{encIDs[1], encIDs[0], encIDs[1]}})
	must(t, err)
	eq(t, "claims by encounter", len(byEnc), 2)
	eq(t, "claims by encounter order", fmt.Sprint(byEnc[0].ID < byEnc[1].ID, *byEnc[1].EncounterID == encIDs[1] || *byEnc[0].EncounterID == encIDs[1]), "true true")
	// By patient control number, with their documents or without.
	for _, without := range []bool{false, true} {
		byPCN, err := s.GetClaimsByPatientControlNumbers(ctx, store.KeysParams{ClinicID: cid, Keys: []string{"CHUNK-2", "NONE", "CHUNK-1"}, WithoutDocuments: without})
		must(t, err)
		eq(t, "claims by PCN", len(byPCN), 2)
		eq(t, "claims by PCN order", fmt.Sprint(byPCN[0].ID, byPCN[1].ID), fmt.Sprint(ids[0], ids[1]))
		for _, c := range byPCN {
			eq(t, fmt.Sprintf("claim %s document left out %v", c.PatientControlNumber, without), len(c.Document) == 0, without)
			eq(t, "claim columns", c.PayerID, f.payer.ID)
		}
	}
	err = s.InTx(ctx, other.clinic.ID, func(tx store.Tx) error {
		_, err := tx.ListClaimsByEncounters(ctx, store.IDsParams{ClinicID: cid, IDs: encIDs})
		return err
	})
	wantErr(t, err, store.ErrClinicMismatch)
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "scrubber", Moves: []store.ClaimStatusMove{
			{ID: ids[0], From: claim.StatusDraft, To: claim.StatusReady, Reason: "scrub passed"},
			{ID: ids[1], From: claim.StatusDraft, To: claim.StatusScrubFailed, Reason: "scrub: 1 findings"}}})
	}))
	c, err = s.GetClaim(ctx, f.ref(ids[1]))
	must(t, err)
	eq(t, "moved", c.Status, claim.StatusScrubFailed)
	// A move may record the payer's claim number in the same write; a
	// move without one leaves it.
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "ack", Moves: []store.ClaimStatusMove{
			{ID: ids[1], From: claim.StatusScrubFailed, To: claim.StatusDraft, Reason: "numbered", PayerClaimControlNumber: "ICN-MOVE-1"}}})
	}))
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "ack", Moves: []store.ClaimStatusMove{
			{ID: ids[1], From: claim.StatusDraft, To: claim.StatusScrubFailed, Reason: "back"}}})
	}))
	c, err = s.GetClaim(ctx, f.ref(ids[1]))
	must(t, err)
	eq(t, "moved and numbered", c.Status+" "+claim.Status(c.PayerClaimControlNumber), claim.StatusScrubFailed+" ICN-MOVE-1")
	// A move may put the claim in an interchange in the same write, only
	// one of its own clinic.
	ic, err := s.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: cid, SenderID: "S", ReceiverID: "R", ControlNumber: 41, Body: bytes.NewReader([]byte("x"))})
	must(t, err)
	otherIC, err := s.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: other.clinic.ID, SenderID: "S", ReceiverID: "R", ControlNumber: 42, Body: bytes.NewReader([]byte("x"))})
	must(t, err)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "submit", Moves: []store.ClaimStatusMove{
			{ID: ids[1], From: claim.StatusScrubFailed, To: claim.StatusDraft, InterchangeID: otherIC.ID}}})
	})
	wantErr(t, err, store.ErrInvalidReference)
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "submit", Moves: []store.ClaimStatusMove{
			{ID: ids[1], From: claim.StatusScrubFailed, To: claim.StatusDraft, InterchangeID: ic.ID}}})
	}))
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "ack", Moves: []store.ClaimStatusMove{
			{ID: ids[1], From: claim.StatusDraft, To: claim.StatusScrubFailed, Reason: "back again"}}})
	}))
	c, err = s.GetClaim(ctx, f.ref(ids[1]))
	must(t, err)
	eq(t, "moved into the interchange", fmt.Sprint(c.Status, " ", c.InterchangeID != nil && *c.InterchangeID == ic.ID, " ", c.PayerClaimControlNumber), "scrub_failed true ICN-MOVE-1")
	hist, err := s.ListClaimStatusHistory(ctx, f.ref(ids[0]))
	must(t, err)
	eq(t, "history entries", len(hist), 2)
	eq(t, "history move", fmt.Sprintf("%s>%s %s %s", hist[1].FromStatus, hist[1].ToStatus, hist[1].Reason, hist[1].Actor), "draft>ready scrub passed scrubber")
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Actor: "scrubber", Moves: []store.ClaimStatusMove{
			{ID: billed.ID, From: claim.StatusDraft, To: claim.StatusReady},
			{ID: ids[0], From: claim.StatusDraft, To: claim.StatusReady}}})
	})
	wantErr(t, err, store.ErrConflict)
	c, err = s.GetClaim(ctx, f.ref(billed.ID))
	must(t, err)
	eq(t, "conflict rolled back", c.Status, claim.StatusDraft)
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{Moves: []store.ClaimStatusMove{{ID: ids[1], From: claim.StatusScrubFailed, To: claim.StatusDraft}}})
	}))

	// Totals.
	drafts, err := s.ListClaimIDs(ctx, store.ListClaimsParams{ClinicID: cid, Statuses: []claim.Status{claim.StatusDraft}})
	must(t, err)
	eq(t, "draft IDs", fmt.Sprint(drafts), fmt.Sprint([]int64{billed.ID, ids[1]}))
	drafts, err = s.ListClaimIDs(ctx, store.ListClaimsParams{ClinicID: cid, AfterID: billed.ID, Limit: 1})
	must(t, err)
	eq(t, "IDs after", fmt.Sprint(drafts), fmt.Sprint([]int64{ids[0]}))
	claimCounts, err := s.CountClaimsByStatus(ctx, store.CountParams{ClinicID: cid})
	must(t, err)
	eq(t, "claim counts", fmt.Sprint(claimCounts), "map[draft:2 ready:1]")
	encCounts, err := s.CountEncountersByStatus(ctx, store.CountParams{ClinicID: cid})
	must(t, err)
	eq(t, "encounter counts", fmt.Sprint(encCounts), "map[billed:2 ready:1]")
	balances, err := s.LedgerBalancesByClaim(ctx, store.CountParams{ClinicID: cid})
	must(t, err)
	eq(t, "claim balances", fmt.Sprint(balances), fmt.Sprintf("[{%d ar_insurance 3000} {%d revenue -3000} {%d ar_insurance 3000} {%d revenue -3000}]", ids[0], ids[0], ids[1], ids[1]))

	// Claim payments in a transaction.
	r, _, err := s.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: cid, PayerIdentifier: "1870000001", TraceNumber: "CHUNK", PaymentCents: 1})
	must(t, err)
	var pids []int64
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		var err error
		pids, err = tx.BulkInsertClaimPayments(ctx, store.BulkInsertClaimPaymentsParams{Payments: []store.CreateClaimPaymentParams{
			{RemittanceID: r.ID, ClaimID: &ids[0], PatientControlNumber: "CHUNK-1", StatusCode: "1", ChargeCents: 3000, PaidCents: 2500,
				Adjustments: []store.ClaimAdjustment{{GroupCode: "CO", ReasonCode: "45", AmountCents: 500}}},
			{RemittanceID: r.ID, ClaimID: &ids[1], PatientControlNumber: "CHUNK-2", StatusCode: "4", ChargeCents: 3000},
		}})
		return err
	}))
	p, err := s.GetClaimPayment(ctx, f.ref(pids[0]))
	must(t, err)
	eq(t, "payment claim", *p.ClaimID, ids[0])
	eq(t, "payment adjustment", p.Adjustments[0].AmountCents, int64(500))

	// Eligibility of several coverages in one statement; a missing
	// coverage is a conflict and writes nothing.
	checked := time.Date(2025, 3, 2, 15, 4, 5, 0, time.UTC)
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.RecordEligibilities(ctx, store.RecordEligibilitiesParams{ClinicID: cid, Records: []store.RecordEligibilityParams{
			{CoverageID: cov.ID, Status: store.EligibilityActive, CheckedAt: checked, Benefits: []byte(`{"plan":"GOLD"}`)},
			{CoverageID: cov1.ID, Status: store.EligibilityInactive, CheckedAt: checked.Add(time.Hour)},
		}})
	}))
	gotCov, err := s.GetCoverage(ctx, f.ref(cov.ID))
	must(t, err)
	eq(t, "eligibility status", gotCov.EligibilityStatus, store.EligibilityActive)
	eq(t, "eligibility checked", gotCov.EligibilityChecked.UTC(), checked)
	eq(t, "eligibility benefits", strings.ReplaceAll(string(gotCov.Benefits), " ", ""), `{"plan":"GOLD"}`)
	cov1Got, err := s.GetCoverage(ctx, f.ref(cov1.ID))
	must(t, err)
	eq(t, "second eligibility status", cov1Got.EligibilityStatus, store.EligibilityInactive)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.RecordEligibilities(ctx, store.RecordEligibilitiesParams{ClinicID: cid, Records: []store.RecordEligibilityParams{
			{CoverageID: cov.ID, Status: store.EligibilityInactive}, {CoverageID: 1 << 40, Status: store.EligibilityInactive},
		}})
	})
	wantErr(t, err, store.ErrConflict)
	err = s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.RecordEligibilities(ctx, store.RecordEligibilitiesParams{ClinicID: cid, Records: []store.RecordEligibilityParams{
			{CoverageID: cov.ID, Status: "maybe"}}})
	})
	wantErr(t, err, store.ErrInvalid)
	gotCov, err = s.GetCoverage(ctx, f.ref(cov.ID))
	must(t, err)
	eq(t, "eligibility after the conflict", gotCov.EligibilityStatus, store.EligibilityActive)

	// Worklist items by dedupe key: ID order, unknown keys and other
	// clinics' items left out.
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{ClinicID: cid, Items: []store.CreateWorklistItemParams{
			{Kind: store.WorkEligibility, Title: "first", DedupeKey: "chunk:a"}, {Kind: store.WorkEligibility, Title: "second", DedupeKey: "chunk:b"},
			{Kind: store.WorkEligibility, Title: "again", DedupeKey: "chunk:a"},
		}})
	}))
	_, _, err = s.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: other.clinic.ID, Kind: store.WorkEligibility, Title: "other", DedupeKey: "chunk:c"})
	must(t, err)
	items, err := s.GetWorklistItemsByDedupeKeys(ctx, store.KeysParams{ClinicID: cid, Keys: []string{"chunk:b", "chunk:c", "chunk:a", "chunk:z", ""}})
	must(t, err)
	eq(t, "items by dedupe key", len(items), 2)
	eq(t, "item order", items[0].Title, "first")
	eq(t, "second item", items[1].DedupeKey, "chunk:b")
}
