package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// clinicWorld is one clinic with a row in every clinic-owned table.
type clinicWorld struct {
	fixture
	coverage    store.Coverage
	appointment store.Appointment
	encounter   store.Encounter
	charge      store.Charge
	claim       store.Claim
	interchange store.Interchange
	file        store.InboundFile
	remittance  store.Remittance
	payment     store.ClaimPayment
	item        store.WorklistItem
}

func newClinicWorld(t *testing.T, h Harness, tag string) clinicWorld {
	t.Helper()
	ctx := context.Background()
	w := clinicWorld{fixture: newFixture(t, h)}
	s, cid := w.s, w.clinic.ID
	var err error
	w.coverage, err = s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: w.patient.ID, PayerID: w.payer.ID, MemberID: "M-" + tag})
	must(t, err)
	start := time.Date(2025, 3, 4, 14, 0, 0, 0, time.UTC)
	w.appointment, err = s.CreateAppointment(ctx, store.CreateAppointmentParams{ClinicID: cid, PatientID: w.patient.ID, ProviderID: w.provider.ID,
		StartsAt: start, EndsAt: start.Add(30 * time.Minute)})
	must(t, err)
	w.encounter, err = s.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: cid, PatientID: w.patient.ID, ProviderID: w.provider.ID,
		AppointmentID: &w.appointment.ID, ServiceDate: date(2025, 3, 4), PlaceOfService: "11", DiagnosisCodes: []string{"I10"}})
	must(t, err)
	w.charge, err = s.CreateCharge(ctx, store.CreateChargeParams{ClinicID: cid, EncounterID: w.encounter.ID, LineNumber: 1, ProcedureCode: "99213",
		DiagnosisPointers: []int{1}, ChargeCents: 12500, ServiceDate: date(2025, 3, 4)})
	must(t, err)
	w.claim = w.claim0(t, "PCN-"+tag)
	w.interchange, err = s.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: cid, SenderID: "S" + tag, ReceiverID: "R", ControlNumber: 7, Body: bytes.NewReader([]byte("x"))})
	must(t, err)
	w.file, _, err = s.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: cid, FileName: "835-" + tag, FileType: "835", Body: bytes.NewReader([]byte("835 " + tag))})
	must(t, err)
	w.remittance, _, err = s.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: cid, InboundFileID: &w.file.ID, PayerID: &w.payer.ID,
		PayerIdentifier: "1870000001", TraceNumber: "T-" + tag, PaymentMethod: "ACH", PaymentCents: 9000, PaymentDate: date(2025, 3, 20), FileChecksum: w.file.Checksum})
	must(t, err)
	w.payment, err = s.CreateClaimPayment(ctx, store.CreateClaimPaymentParams{ClinicID: cid, RemittanceID: w.remittance.ID, ClaimID: &w.claim.ID,
		PatientControlNumber: "PCN-" + tag, StatusCode: "1", ChargeCents: 12500, PaidCents: 9000, PayerClaimControlNumber: "ICN-" + tag})
	must(t, err)
	w.item, _, err = s.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: cid, Kind: store.WorkDenial, ClaimID: &w.claim.ID,
		PayerID: &w.payer.ID, AmountCents: 3500, Title: "denied " + tag, DedupeKey: "denial:" + tag})
	must(t, err)
	_, _, err = s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: cid, IdempotencyKey: "charge:" + tag,
		Lines: []store.LedgerLine{{Account: "ar", AmountCents: 12500, ClaimID: &w.claim.ID}, {Account: "revenue", AmountCents: -12500}}})
	must(t, err)
	_, err = s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: cid, Actor: "test", Action: "seed", EntityType: "claim"})
	must(t, err)
	return w
}

func (w clinicWorld) claim0(t *testing.T, pcn string) store.Claim {
	return w.fixture.claim(t, pcn, 12500)
}

// testIsolationEveryMethod tries every store method that takes a clinic
// with clinic A's ID and clinic B's row IDs (crafted, as a caller of A
// would): Gets find nothing, Lists list nothing of B, Updates change
// nothing, and B's rows are as they were.
func testIsolationEveryMethod(t *testing.T, h Harness) {
	ctx := context.Background()
	a, b := newClinicWorld(t, h, "A"), newClinicWorld(t, h, "B")
	s, aid := h.Store, a.clinic.ID
	ref := func(id int64) store.Ref { return store.Ref{ClinicID: aid, ID: id} }

	gets := []struct {
		name string
		get  func() error
	}{
		{"GetProvider", func() error { _, err := s.GetProvider(ctx, ref(b.provider.ID)); return err }},
		{"GetPayer", func() error { _, err := s.GetPayer(ctx, ref(b.payer.ID)); return err }},
		{"GetPatient", func() error { _, err := s.GetPatient(ctx, ref(b.patient.ID)); return err }},
		{"GetCoverage", func() error { _, err := s.GetCoverage(ctx, ref(b.coverage.ID)); return err }},
		{"GetAppointment", func() error { _, err := s.GetAppointment(ctx, ref(b.appointment.ID)); return err }},
		{"GetEncounter", func() error { _, err := s.GetEncounter(ctx, ref(b.encounter.ID)); return err }},
		{"GetCharge", func() error { _, err := s.GetCharge(ctx, ref(b.charge.ID)); return err }},
		{"GetClaim", func() error { _, err := s.GetClaim(ctx, ref(b.claim.ID)); return err }},
		{"GetClaimByPatientControlNumber", func() error {
			_, err := s.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: aid, PatientControlNumber: "PCN-B"})
			return err
		}},
		{"GetInterchange", func() error { _, err := s.GetInterchange(ctx, ref(b.interchange.ID)); return err }},
		{"GetInboundFile", func() error { _, err := s.GetInboundFile(ctx, ref(b.file.ID)); return err }},
		{"GetRemittance", func() error { _, err := s.GetRemittance(ctx, ref(b.remittance.ID)); return err }},
		{"GetClaimPayment", func() error { _, err := s.GetClaimPayment(ctx, ref(b.payment.ID)); return err }},
		{"GetWorklistItem", func() error { _, err := s.GetWorklistItem(ctx, ref(b.item.ID)); return err }},
		{"GetClinic", func() error {
			// Clinic A's transaction reading clinic B's row by ID.
			return s.InTx(ctx, aid, func(tx store.Tx) error {
				_, err := tx.GetClinic(ctx, store.GetClinicParams{ClinicID: b.clinic.ID})
				if err == nil {
					return nil
				}
				return store.ErrNotFound
			})
		}},
	}
	for _, g := range gets {
		if err := g.get(); err == nil {
			t.Errorf("%s: clinic %d read clinic %d's row", g.name, aid, b.clinic.ID)
		}
	}

	// Lists of A, asked about B's rows, list nothing of B.
	count := func(name string, n int, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if n != 0 {
			t.Errorf("%s: clinic %d listed %d of clinic %d's rows", name, aid, n, b.clinic.ID)
		}
	}
	covs, err := s.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: aid, PatientID: b.patient.ID})
	count("ListCoverages", len(covs), err)
	encs, err := s.ListEncounters(ctx, store.ListEncountersParams{ClinicID: aid, PatientID: b.patient.ID})
	count("ListEncounters", len(encs), err)
	chs, err := s.ListCharges(ctx, store.ListChargesParams{ClinicID: aid, EncounterID: b.encounter.ID})
	count("ListCharges", len(chs), err)
	hist, err := s.ListClaimStatusHistory(ctx, ref(b.claim.ID))
	count("ListClaimStatusHistory", len(hist), err)
	rems, err := s.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: aid, InboundFileID: b.file.ID})
	count("ListRemittances", len(rems), err)
	pays, err := s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: aid, RemittanceID: b.remittance.ID})
	count("ListClaimPayments by remittance", len(pays), err)
	pays, err = s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: aid, ClaimID: b.claim.ID})
	count("ListClaimPayments by claim", len(pays), err)
	pays, err = s.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: aid, PayerClaimControlNumbers: []string{"ICN-B"}})
	count("ListClaimPayments by ICN", len(pays), err)
	acks, err := s.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: aid, InterchangeID: b.interchange.ID})
	count("ListAcknowledgments", len(acks), err)
	led, err := s.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: aid, ClaimID: b.claim.ID})
	count("ListLedgerEntries", len(led), err)
	bal, err := s.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: aid, Account: "ar", ClaimID: b.claim.ID})
	count("LedgerBalance", int(bal), err)
	for name, list := range map[string]func() ([]int64, error){
		"ListProviders": func() ([]int64, error) {
			r, err := s.ListProviders(ctx, store.ListProvidersParams{ClinicID: aid})
			return ids(r, func(x store.Provider) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListPayers": func() ([]int64, error) {
			r, err := s.ListPayers(ctx, store.ListPayersParams{ClinicID: aid})
			return ids(r, func(x store.Payer) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListPatients": func() ([]int64, error) {
			r, err := s.ListPatients(ctx, store.ListPatientsParams{ClinicID: aid})
			return ids(r, func(x store.Patient) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListAppointments": func() ([]int64, error) {
			r, err := s.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: aid})
			return ids(r, func(x store.Appointment) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListClaims": func() ([]int64, error) {
			r, err := s.ListClaims(ctx, store.ListClaimsParams{ClinicID: aid})
			return ids(r, func(x store.Claim) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListInterchanges": func() ([]int64, error) {
			r, err := s.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: aid})
			return ids(r, func(x store.Interchange) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListInboundFiles": func() ([]int64, error) {
			r, err := s.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: aid})
			return ids(r, func(x store.InboundFile) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListWorklistItems": func() ([]int64, error) {
			r, err := s.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: aid})
			return ids(r, func(x store.WorklistItem) (int64, int64) { return x.ClinicID, x.ID }), err
		},
		"ListAuditEvents": func() ([]int64, error) {
			r, err := s.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: aid})
			return ids(r, func(x store.AuditEvent) (int64, int64) { return x.ClinicID, x.Seq }), err
		},
	} {
		got, err := list()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if len(got) == 0 {
			t.Errorf("%s: clinic %d listed none of its own rows", name, aid)
		}
		for _, c := range got {
			if c != aid {
				t.Errorf("%s: clinic %d listed a row of clinic %d", name, aid, c)
			}
		}
	}

	// Updates with B's IDs change nothing.
	updates := []struct {
		name string
		run  func() error
	}{
		{"UpdateProvider", func() error {
			_, err := s.UpdateProvider(ctx, store.UpdateProviderParams{ClinicID: aid, ID: b.provider.ID, NPI: "1245319599", LastName: "X"})
			return err
		}},
		{"UpdateCoverage", func() error {
			_, err := s.UpdateCoverage(ctx, store.UpdateCoverageParams{ClinicID: aid, ID: b.coverage.ID, PayerID: a.payer.ID, MemberID: "X", Priority: 1})
			return err
		}},
		{"UpdateAppointment", func() error {
			_, err := s.UpdateAppointment(ctx, store.UpdateAppointmentParams{ClinicID: aid, ID: b.appointment.ID, ProviderID: a.provider.ID,
				StartsAt: b.appointment.StartsAt, EndsAt: b.appointment.EndsAt, Status: store.AppointmentCancelled})
			return err
		}},
		{"UpdateEncounter", func() error {
			_, err := s.UpdateEncounter(ctx, store.UpdateEncounterParams{ClinicID: aid, ID: b.encounter.ID, ProviderID: a.provider.ID,
				ServiceDate: date(2025, 3, 4), PlaceOfService: "22", Status: store.EncounterReady})
			return err
		}},
		{"UpdateCharge", func() error {
			_, err := s.UpdateCharge(ctx, store.UpdateChargeParams{ClinicID: aid, ID: b.charge.ID, ProcedureCode: "99215", UnitsMilli: 1000})
			return err
		}},
		{"UpdateInterchangeTransfer", func() error {
			_, err := s.UpdateInterchangeTransfer(ctx, store.UpdateInterchangeTransferParams{ClinicID: aid, ID: b.interchange.ID, Status: "failed"})
			return err
		}},
		{"UpdateInboundFile", func() error {
			_, err := s.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: aid, ID: b.file.ID, State: "quarantined"})
			return err
		}},
		{"UpdateWorklistItem", func() error {
			st := "dismissed"
			_, err := s.UpdateWorklistItem(ctx, store.UpdateWorklistItemParams{ClinicID: aid, ID: b.item.ID, Status: &st})
			return err
		}},
		{"MatchClaimPayment", func() error {
			_, err := s.MatchClaimPayment(ctx, store.MatchClaimPaymentParams{ClinicID: aid, ID: b.payment.ID, ClaimID: a.fixture.claim(t, "PCN-A2", 1).ID})
			return err
		}},
	}
	for _, u := range updates {
		if err := u.run(); err == nil {
			t.Errorf("%s: clinic %d changed clinic %d's row", u.name, aid, b.clinic.ID)
		}
	}

	// B's rows are as they were.
	bref := b.ref
	if got, err := s.GetCoverage(ctx, bref(b.coverage.ID)); err != nil || got.MemberID != "M-B" {
		t.Errorf("B's coverage: %+v, %v", got, err)
	}
	if got, err := s.GetAppointment(ctx, bref(b.appointment.ID)); err != nil || got.Status != b.appointment.Status {
		t.Errorf("B's appointment: %+v, %v", got, err)
	}
	if got, err := s.GetEncounter(ctx, bref(b.encounter.ID)); err != nil || got.PlaceOfService != "11" {
		t.Errorf("B's encounter: %+v, %v", got, err)
	}
	if got, err := s.GetCharge(ctx, bref(b.charge.ID)); err != nil || got.ProcedureCode != "99213" {
		t.Errorf("B's charge: %+v, %v", got, err)
	}
	if got, err := s.GetInterchange(ctx, bref(b.interchange.ID)); err != nil || got.Status != b.interchange.Status {
		t.Errorf("B's interchange: %+v, %v", got, err)
	}
	if got, err := s.GetInboundFile(ctx, bref(b.file.ID)); err != nil || got.State != b.file.State {
		t.Errorf("B's inbound file: %+v, %v", got, err)
	}
	if got, err := s.GetWorklistItem(ctx, bref(b.item.ID)); err != nil || got.Status != b.item.Status {
		t.Errorf("B's worklist item: %+v, %v", got, err)
	}
	if got, err := s.GetClaimPayment(ctx, bref(b.payment.ID)); err != nil || got.ClaimID == nil || *got.ClaimID != b.claim.ID {
		t.Errorf("B's claim payment: %+v, %v", got, err)
	}
	if got, err := s.GetRemittance(ctx, bref(b.remittance.ID)); err != nil || got.TraceNumber != "T-B" {
		t.Errorf("B's remittance: %+v, %v", got, err)
	}
	if v, err := s.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: b.clinic.ID}); err != nil || !v.OK() {
		t.Errorf("B's audit chain: %+v, %v", v, err)
	}
}

func ids[T any](rows []T, f func(T) (clinic, id int64)) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i], _ = f(r)
	}
	return out
}

// testCrossClinicReferences writes clinic A's rows naming clinic B's (and
// rows that do not exist) through every path that writes a reference in
// bulk or changes one: each is refused with ErrInvalidReference and
// writes nothing, and the same write naming A's own rows goes through.
func testCrossClinicReferences(t *testing.T, h Harness) {
	ctx := context.Background()
	a, b := newClinicWorld(t, h, "A"), newClinicWorld(t, h, "B")
	s, aid := h.Store, a.clinic.ID
	missing := int64(1 << 40)

	ack := func(file, ic, claimID *int64) store.CreateAcknowledgmentParams {
		return store.CreateAcknowledgmentParams{InboundFileID: file, InterchangeID: ic, ClaimID: claimID, Kind: "277CA", ControlNumber: "1", Code: "A1", Accepted: true}
	}
	line := func(claimID, patientID, remittanceID *int64) []store.LedgerLine {
		return []store.LedgerLine{{Account: "ar", AmountCents: 1, ClaimID: claimID, PatientID: patientID, RemittanceID: remittanceID}, {Account: "revenue", AmountCents: -1}}
	}
	cases := []struct {
		name    string
		bad, ok func() error
	}{
		{"acknowledgment's claim", func() error {
			return s.InTx(ctx, aid, func(tx store.Tx) error {
				return tx.CreateAcknowledgments(ctx, store.CreateAcknowledgmentsParams{ClinicID: aid, Acknowledgments: []store.CreateAcknowledgmentParams{
					ack(&a.file.ID, &a.interchange.ID, &a.claim.ID), ack(&a.file.ID, &a.interchange.ID, &b.claim.ID)}})
			})
		}, func() error {
			return s.InTx(ctx, aid, func(tx store.Tx) error {
				return tx.CreateAcknowledgments(ctx, store.CreateAcknowledgmentsParams{ClinicID: aid, Acknowledgments: []store.CreateAcknowledgmentParams{
					ack(&a.file.ID, &a.interchange.ID, &a.claim.ID)}})
			})
		}},
		{"acknowledgment's file", func() error {
			_, err := s.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{ClinicID: aid, InboundFileID: &b.file.ID, Kind: "999", ControlNumber: "1", Code: "A", Accepted: true})
			return err
		}, func() error {
			_, err := s.CreateAcknowledgment(ctx, store.CreateAcknowledgmentParams{ClinicID: aid, InboundFileID: &a.file.ID, Kind: "999", ControlNumber: "1", Code: "A", Accepted: true})
			return err
		}},
		{"acknowledgment's interchange", func() error {
			return s.InTx(ctx, aid, func(tx store.Tx) error {
				return tx.CreateAcknowledgments(ctx, store.CreateAcknowledgmentsParams{ClinicID: aid, Acknowledgments: []store.CreateAcknowledgmentParams{
					ack(&a.file.ID, &missing, nil)}})
			})
		}, nil},
		{"ledger line's claim", func() error {
			_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "x-claim", Lines: line(&b.claim.ID, nil, nil)})
			return err
		}, func() error {
			_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "x-claim", Lines: line(&a.claim.ID, nil, nil)})
			return err
		}},
		{"ledger line's patient", func() error {
			_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "x-patient", Lines: line(nil, &b.patient.ID, nil)})
			return err
		}, func() error {
			_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "x-patient", Lines: line(nil, &a.patient.ID, nil)})
			return err
		}},
		{"ledger line's remittance", func() error {
			_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "x-remit", Lines: line(nil, nil, &b.remittance.ID)})
			return err
		}, func() error {
			_, _, err := s.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: aid, IdempotencyKey: "x-remit", Lines: line(nil, nil, &a.remittance.ID)})
			return err
		}},
		{"charge's claim", func() error {
			return s.InTx(ctx, aid, func(tx store.Tx) error {
				return tx.BillCharges(ctx, store.BillChargesParams{ClinicID: aid, Charges: []store.ChargeBilling{{ChargeID: a.charge.ID, ClaimID: b.claim.ID}}})
			})
		}, func() error {
			return s.InTx(ctx, aid, func(tx store.Tx) error {
				return tx.BillCharges(ctx, store.BillChargesParams{ClinicID: aid, Charges: []store.ChargeBilling{{ChargeID: a.charge.ID, ClaimID: a.claim.ID}}})
			})
		}},
		{"claim's interchange", func() error {
			_, err := s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: aid, ID: a.claim.ID, InterchangeID: &b.interchange.ID})
			return err
		}, func() error {
			_, err := s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: aid, ID: a.claim.ID, InterchangeID: &a.interchange.ID})
			return err
		}},
		{"claim's patient", func() error {
			_, err := s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: aid, Claims: []store.CreateClaimParams{
				{PayerID: a.payer.ID, PatientID: a.patient.ID, PatientControlNumber: "X-1"}, {PayerID: a.payer.ID, PatientID: b.patient.ID, PatientControlNumber: "X-2"}}})
			return err
		}, nil},
		{"claim's payer", func() error {
			_, err := s.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: aid, ID: a.claim.ID, PayerID: &missing})
			return err
		}, nil},
	}
	for _, c := range cases {
		acks, err := s.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: aid})
		must(t, err)
		entries, err := s.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: aid})
		must(t, err)
		if err := c.bad(); !errors.Is(err, store.ErrInvalidReference) {
			t.Errorf("%s naming another clinic's row: error %v, want %v", c.name, err, store.ErrInvalidReference)
		}
		acks2, err := s.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: aid})
		must(t, err)
		entries2, err := s.ListLedgerEntries(ctx, store.ListLedgerEntriesParams{ClinicID: aid})
		must(t, err)
		if len(acks2) != len(acks) || len(entries2) != len(entries) {
			t.Errorf("%s: the refused write left rows (acknowledgments %d -> %d, ledger entries %d -> %d)", c.name, len(acks), len(acks2), len(entries), len(entries2))
		}
		if c.ok != nil {
			if err := c.ok(); err != nil {
				t.Errorf("%s naming the clinic's own row: %v", c.name, err)
			}
		}
	}
	got, err := s.GetClaim(ctx, a.ref(a.claim.ID))
	must(t, err)
	if got.PayerID != a.payer.ID || got.InterchangeID == nil || *got.InterchangeID != a.interchange.ID {
		t.Errorf("claim after the refused updates: payer %d, interchange %v; want payer %d, interchange %d", got.PayerID, got.InterchangeID, a.payer.ID, a.interchange.ID)
	}
}
