package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
	"github.com/clearhouse/clearhouse/worker"
)

// inbound835 is an 835 of one payment of claims the seeded clinic does not
// know (so a release posts them to the unmatched queue), paying each
// claim paid of charge.
func inbound835(t *testing.T, trace string, claims ...[2]int64) []byte {
	t.Helper()
	var bpr int64
	for _, c := range claims {
		bpr += c[1]
	}
	day := time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC)
	var out bytes.Buffer
	e := x835.NewEncoder(&out, edi.ISAHeader{SenderID: "KEYSTONEHP", ReceiverID: "CLEARHOUSE", Time: day, ControlNumber: 71, Usage: "T"},
		edi.GSHeader{SenderCode: "KHP01", ReceiverCode: "CLEARHOUSE", Time: day, ControlNumber: 71})
	e.BeginRemittance(&x835.Remittance{HandlingCode: "I", TotalPaidCents: bpr, CreditDebit: "C", PaymentMethod: "CHK", PaymentDate: day,
		TraceNumber: trace, TraceOriginator: "1231231234",
		Payer: x835.Party{Name: "KEYSTONE HEALTH PLAN", Address: x835.Address{Line1: "1 PLAN WAY", City: "HARRISBURG", State: "PA", PostalCode: "17101"},
			References: []x835.Reference{{Qualifier: "2U", Value: "KHP01"}},
			Contacts:   []x835.Contact{{Function: "BL", Numbers: []x835.ContactNumber{{Qualifier: "TE", Number: "8005550100"}}}}},
		Payee: x835.Party{Name: "RIVERBEND FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893"}}, 1)
	for i, c := range claims {
		charge, paid := c[0], c[1]
		cp := &x835.ClaimPayment{PatientControlNumber: trace + "-" + strconv.Itoa(i+1), Status: "1", ChargeCents: charge, PaidCents: paid,
			FilingIndicator: "12", PayerClaimControlNumber: "ICN-" + trace + "-" + strconv.Itoa(i+1),
			Patient: x835.Name{EntityCode: "QC", EntityType: "1", Last: "NOBODY", First: "PAT"}}
		if charge != paid {
			cp.Adjustments = []x835.Adjustment{{Group: "CO", Reason: "45", AmountCents: charge - paid}}
		}
		e.WriteClaim(cp)
	}
	e.EndRemittance(nil)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// seedInbound records, in the seeded clinic (1): a quarantined file (1), a
// held 835 (2), a processed 835 with a held claim payment (3) and a second
// quarantined file (4), as the worker leaves them.
func seedInbound(t *testing.T, db string) {
	t.Helper()
	ctx := context.Background()
	now := func() time.Time { return reporttest.End }
	st, err := storedb.Open(ctx, db, storedb.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc, err := billing.New(st, billing.Options{Now: now, Actor: "worker"})
	if err != nil {
		t.Fatal(err)
	}
	const clinic = 1
	quarantine := func(name string, content []byte, reason string, cause *edi.Error) {
		t.Helper()
		f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: clinic, FileName: name, Source: "KHP01", Body: bytes.NewReader(content)})
		if err != nil {
			t.Fatal(err)
		}
		d := worker.QuarantineDetails{InboundFileID: f.ID, FileName: name, Source: "KHP01", Reason: reason, Error: cause.Error(),
			Interchange: cause.Pos.Interchange, Group: cause.Pos.Group, Set: cause.Pos.Set, Segment: cause.Pos.Segment, SegmentID: cause.Pos.SegmentID,
			Element: cause.Pos.Element}
		raw, _ := json.Marshal(d)
		err = st.InTx(ctx, clinic, func(tx store.Tx) error {
			if _, err := tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: clinic, ID: f.ID, State: store.InboundQuarantined,
				QuarantineReason: reason, Error: cause.Error()}); err != nil {
				return err
			}
			_, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: store.WorkQuarantinedFile, Priority: 2,
				Title:   "Inbound file " + name + " quarantined (" + reason + ") at segment " + strconv.Itoa(d.Segment) + " " + d.SegmentID,
				Details: raw, DedupeKey: "inbound-file-" + strconv.FormatInt(f.ID, 10)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	quarantine("KHP01-0001.999", []byte("ISA*00*          *00*          *ZZ*KEYSTONEHP     *ZZ*CLEARHOUSE     *260330*1200*^*00501*000000072*0*T*:~GS*FA~"),
		worker.ReasonSyntax, &edi.Error{Pos: edi.Position{File: "KHP01-0001.999", Interchange: "000000072", Segment: 2, SegmentID: "GS", Element: 2},
			Err: edi.ErrSyntax, Msg: "GS02 is required"})
	post := func(name string, content []byte) {
		t.Helper()
		f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: clinic, FileName: name, Source: "KHP01", FileType: "835", Body: bytes.NewReader(content)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.PostRemittance(ctx, clinic, f.ID, bytes.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	// BPR02 5.00 above the claims' 210.00.
	post("KHP01-0002.835", bytes.Replace(inbound835(t, "TRC2", [2]int64{15000, 12000}, [2]int64{10000, 9000}), []byte("BPR*I*210*"), []byte("BPR*I*215*"), 1))
	// The second claim paid 45.00 on a 20.00 charge.
	post("KHP01-0003.835", inbound835(t, "TRC3", [2]int64{15000, 12000}, [2]int64{2000, 4500}))
	quarantine("KHP01-0004.271", []byte("not x12 at all\n"), worker.ReasonSyntax,
		&edi.Error{Pos: edi.Position{File: "KHP01-0004.271", Segment: 1}, Err: edi.ErrNotX12, Msg: "the file does not start with ISA"})
}

func TestInboundCommands(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			db := seededDB(t, backend)
			seedInbound(t, db)
			ana := map[string]string{"LOGIN": "ana"}
			now := "--now=" + workNow
			runCases(t, db, "inbound", []cliCase{
				{"list", []string{"inbound", "list", now}, nil},
				{"list-held-json", []string{"inbound", "list", "--state", "held", "-o", "json", now}, nil},
				{"list-csv", []string{"inbound", "list", "--type", "835", "-o", "csv", now}, nil},
				{"list-bad-state", []string{"inbound", "list", "--state", "lost"}, nil},
				{"list-bad-output", []string{"inbound", "list", "-o", "xml"}, nil},
				{"show-quarantined", []string{"inbound", "show", "1", now}, nil},
				{"show-held", []string{"inbound", "show", "2", now}, nil},
				{"show-held-json", []string{"inbound", "show", "2", "-o", "json", now}, nil},
				{"show-held-payment", []string{"inbound", "show", "3", now}, nil},
				{"show-missing", []string{"inbound", "show", "99", now}, nil},
				{"show-bad-id", []string{"inbound", "show", "x"}, nil},
				{"show-content", []string{"inbound", "show", "4", "--content", "-"}, nil},
				{"release-biller-refused", []string{"inbound", "release", "1", now}, map[string]string{"LOGIN": "lee"}},
				{"release-payment-of-quarantined", []string{"inbound", "release", "1", "--claim-payment", "11", now}, ana},
				{"release-quarantined", []string{"inbound", "release", "1", "--reason", "payer resent the GS", now}, ana},
				{"release-quarantined-again", []string{"inbound", "release", "1", now}, ana},
				{"release-held", []string{"inbound", "release", "2", "--reason", "payer confirmed the 5.00 is a late PLB", now}, ana},
				{"release-held-again", []string{"inbound", "release", "2", now}, ana},
				{"show-released", []string{"inbound", "show", "2", now}, nil},
				{"release-payment-not-held", []string{"inbound", "release", "3", "--claim-payment", "9", now}, ana},
				{"release-payments", []string{"inbound", "release", "3", "--claim-payment", "11", "--reason", "retro rate increase", now}, ana},
				{"release-payments-again", []string{"inbound", "release", "3", now}, ana},
				{"discard-no-reason", []string{"inbound", "discard", "4", now}, ana},
				{"discard", []string{"inbound", "discard", "4", "--reason", "a 271 we never asked for", now}, ana},
				{"discard-again", []string{"inbound", "discard", "4", "--reason", "again", now}, ana},
				{"discard-processed", []string{"inbound", "discard", "2", "--reason", "too late", now}, ana},
				{"list-after", []string{"inbound", "list", now}, nil},
				{"audit", []string{"audit", "verify"}, nil},
			})
		})
	}
}
