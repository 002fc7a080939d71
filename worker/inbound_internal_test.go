package worker

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// TestIsContentError: errors about the file are not retried; errors about
// the database or the network are.
func TestIsContentError(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"positioned X12 error", fmt.Errorf("post: %w", &edi.Error{Err: edi.ErrBalance, Msg: "BPR02"}), true},
		{"not X12", edi.ErrNotX12, true},
		{"not an acknowledgment", fmt.Errorf("f: %w", billing.ErrUnknownFile), true},
		{"illegal claim status transition", fmt.Errorf("835: %w", &claim.TransitionError{ClaimID: 1, From: claim.StatusRejected, To: claim.StatusPaid}), true},
		{"invalid params from the file", fmt.Errorf("claim payment: %w", store.ErrInvalid), true},
		// Issue 14: a 271 from a payer the clinic has not set up was
		// retried 25 times.
		{"a payer the store does not have", fmt.Errorf("eligibility response not applied: payer \"ACME01\": %w", store.ErrNotFound), true},
		{"lost connection", errors.New("write tcp 127.0.0.1:5432: connection reset by peer"), false},
		{"status moved by another writer", fmt.Errorf("claim 3: %w", store.ErrConflict), false},
		{"deadline", context.DeadlineExceeded, false},
	} {
		if got := isContentError(tt.err); got != tt.want {
			t.Errorf("%s: isContentError = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestClinicForRoutesByWhatTheFileAnswers: two clinics share the
// clearinghouse's submitter ID (ISA08 of every response names both, or the
// first only), so an 835 or 277CA goes to the clinic holding its first
// claim, a 999 to the clinic holding the interchange it acknowledges.
func TestClinicForRoutesByWhatTheFileAnswers(t *testing.T) {
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(t.TempDir(), "route.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var clinics []store.Clinic
	for i, submitter := range []string{"CLEARHOUSE", "CLEARHOUSE2"} {
		c, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: fmt.Sprintf("Clinic %d", i+1), SubmitterID: submitter})
		if err != nil {
			t.Fatal(err)
		}
		clinics = append(clinics, c)
		py, err := st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "KHP01", Name: "Keystone"})
		if err != nil {
			t.Fatal(err)
		}
		pt, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "M1", FirstName: "A", LastName: "B"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateClaim(ctx, store.CreateClaimParams{ClinicID: c.ID, PayerID: py.ID, PatientID: pt.ID,
			PatientControlNumber: fmt.Sprintf("E%d", 100+i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: c.ID, SenderID: "CLEARHOUSE", ReceiverID: "KEYSTONEHP",
			ControlNumber: int64(7 + i), GroupControlNumber: int64(7 + i), FirstSetControlNumber: 1, SetCount: 1, TransactionSet: "837P",
			FileName: fmt.Sprintf("f%d.x12", i), Body: strings.NewReader("ISA")}); err != nil {
			t.Fatal(err)
		}
	}
	isa := "ISA*00*          *00*          *ZZ*KEYSTONEHP     *ZZ*CLEARHOUSE     *260301*1200*^*00501*000000041*0*T*:~"
	r := &clinicResolver{st: st}
	for _, tt := range []struct {
		name string
		body string
		want int64
	}{
		{"835 of clinic 2's claim", "GS*HP*KHP01*CLEARHOUSE*20260301*1200*41*X*005010X221A1~ST*835*0001~CLP*E101*1*100*80**12~", clinics[1].ID},
		{"835 of clinic 1's claim", "GS*HP*KHP01*CLEARHOUSE*20260301*1200*41*X*005010X221A1~ST*835*0001~CLP*E100*1*100*80**12~", clinics[0].ID},
		{"277CA of clinic 2's claim", "ST*277*0001*005010X214~HL*3*2*19*1~HL*4*3*PT~TRN*2*E101~", clinics[1].ID},
		{"999 of clinic 2's interchange", "ST*999*0001*005010X231A1~AK1*HC*8*005010X222A1~", clinics[1].ID},
		{"TA1 of clinic 1's interchange", "TA1*000000007*260301*1200*A*000~", clinics[0].ID},
	} {
		got, err := r.clinicFor(ctx, "KHP01", []byte(isa+tt.body))
		if err != nil || got != tt.want {
			t.Errorf("%s: clinic %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	// A file naming nothing a clinic holds goes by ISA08, and fails when
	// that names no clinic.
	if got, err := r.clinicFor(ctx, "KHP01", []byte(isa+"ST*835*0001~CLP*E999*1*100*80**12~")); err != nil || got != clinics[0].ID {
		t.Errorf("835 of no clinic's claim to CLEARHOUSE: clinic %d, %v; want %d", got, err, clinics[0].ID)
	}
	nobody := strings.Replace(isa, "CLEARHOUSE     ", "NOBODY         ", 1)
	if _, err := r.clinicFor(ctx, "KHP01", []byte(nobody+"ST*835*0001~CLP*E999*1*100*80**12~")); !errors.Is(err, ErrNoClinic) {
		t.Errorf("835 of no clinic's claim to NOBODY: %v, want ErrNoClinic", err)
	}
}
