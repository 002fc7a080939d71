package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x276"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// submittedClaimDB returns a SQLite database with one clinic, KHP01 and
// a claim submitted to it in an 837 interchange, and the claim's ID.
func submittedClaimDB(t *testing.T) (string, int64) {
	t.Helper()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "status.db")
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clinic, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "123456789", SubmitterID: "CLEARHOUSE"})
	if err != nil {
		t.Fatal(err)
	}
	c := clinic.ID
	payer, err := st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c, PayerID: "KHP01", Name: "Keystone Health Plan", ReceiverID: "KEYSTONEHP", ClaimFilingCode: "CI"})
	if err != nil {
		t.Fatal(err)
	}
	pat, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c, MRN: "MRN-1", FirstName: "Pat", LastName: "Sample",
		BirthDate: time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), Sex: "F"})
	if err != nil {
		t.Fatal(err)
	}
	dos := time.Date(2026, 2, 16, 0, 0, 0, 0, time.UTC)
	doc := claim.Claim{Kind: claim.Professional, PatientControlNumber: "PCN-STATUS-1", TotalChargeCents: 12500,
		BillingProvider: claim.Provider{Organization: "RIVERBEND FAMILY MEDICINE", NPI: "1234567893"},
		Subscriber:      claim.Subscriber{MemberID: "KHP000111", LastName: "SAMPLE", FirstName: "PAT", BirthDate: claim.DateOf(pat.BirthDate), Gender: "F"},
		Lines:           []claim.ServiceLine{{ProcedureCode: "99213", ChargeCents: 12500, Units: claim.Units(1), ServiceDate: claim.DateOf(dos)}}}
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := st.CreateClaim(ctx, store.CreateClaimParams{ClinicID: c, PayerID: payer.ID, PatientID: pat.ID, PatientControlNumber: doc.PatientControlNumber,
		Status: claim.StatusSubmitted, TotalChargeCents: 12500, ServiceDateFrom: dos, ServiceDateTo: dos, Document: raw, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ic, err := st.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: c, PayerID: &payer.ID, SenderID: "CLEARHOUSE", ReceiverID: "KEYSTONEHP",
		ControlNumber: 1, GroupControlNumber: 1, FirstSetControlNumber: 1, SetCount: 1, TransactionSet: "837P", ClaimCount: 1,
		FileName: "KHP01-837P.edi", Body: bytes.NewReader([]byte("ISA"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: c, ID: cl.ID, InterchangeID: &ic.ID}); err != nil {
		t.Fatal(err)
	}
	return db, cl.ID
}

func TestClaimsStatusCommand(t *testing.T) {
	db, id := submittedClaimDB(t)
	out := t.TempDir()
	code, stdout, stderr := run(t, "--database", db, "claims", "status", "--out", out, fmt.Sprint(id))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "KHP01-276-*.edi"))
	if len(files) != 1 || !strings.Contains(stdout, "1 claim, claims "+fmt.Sprint(id)) {
		t.Fatalf("files %v, stdout %q", files, stdout)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := x276.Decode(bytes.NewReader(b))
	if err != nil || len(reqs) != 1 || len(reqs[0].Errors) > 0 {
		t.Fatalf("276: %v %v", err, reqs)
	}
	var traces []string
	reqs[0].Claims(func(_ *x276.Provider, _ *x276.Subscriber, _ *x276.Dependent, c *x276.Claim) {
		traces = append(traces, c.TraceNumber)
	})
	if len(traces) != 1 || traces[0] != "PCN-STATUS-1" {
		t.Fatalf("traces %v", traces)
	}

	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"claims", "status", "x"}, 1, `claim "x" (an ID or patient control number): store: not found`},
		{[]string{"claims", "status", "999"}, 1, `claim "999"`},
		{[]string{"claims", "status"}, 2, "requires at least 1 arg"},
	} {
		code, _, stderr := run(t, append([]string{"--database", db}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.msg) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}
