package x835

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

var update = flag.Bool("update", false, "rewrite golden files from the test models")

func day(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

var envTime = time.Date(2026, 1, 15, 9, 30, 0, 0, time.UTC)

func envelope(n int64) (edi.ISAHeader, edi.GSHeader) {
	return edi.ISAHeader{SenderQualifier: "ZZ", SenderID: "PAYERSIM", ReceiverQualifier: "ZZ", ReceiverID: "CLEARHOUSE",
			Time: envTime, ControlNumber: n, Usage: "T"},
		edi.GSHeader{SenderCode: "PAYERSIM", ReceiverCode: "CLEARHOUSE", Time: envTime, ControlNumber: n}
}

func payer() Party {
	return Party{EntityCode: "PR", Name: "ACME HEALTH PLAN",
		Address:    Address{Line1: "100 MAIN STREET", City: "SPRINGFIELD", State: "IL", PostalCode: "62701"},
		References: []Reference{{"2U", "ACME01"}},
		Contacts:   []Contact{{Function: "BL", Name: "EDI SUPPORT", Numbers: []ContactNumber{{"TE", "8005550100"}, {"EM", "EDI@ACME.EXAMPLE"}}}}}
}

func payee() Party {
	return Party{EntityCode: "PE", Name: "RIVERSIDE CLINIC", IDQualifier: "XX", ID: "1234567893",
		Address:    Address{Line1: "20 RIVER ROAD", City: "SPRINGFIELD", State: "IL", PostalCode: "62704"},
		References: []Reference{{"TJ", "371234567"}}}
}

type txn struct {
	rem    Remittance
	claims []ClaimPayment
	plb    []ProviderAdjustment
}

func patient(last, first, id string) Name {
	return Name{EntityCode: "QC", EntityType: "1", Last: last, First: first, IDQualifier: "MI", ID: id}
}

func line(code string, charge, paid int64, date time.Time, adj ...Adjustment) ServicePayment {
	return ServicePayment{Procedure: Procedure{Qualifier: "HC", Code: code}, ChargeCents: charge, PaidCents: paid, Units: "1",
		Dates: []DateRef{{"472", date}}, Adjustments: adj, Amounts: []Amount{{"B6", paid + sumPR(adj)}}}
}

func sumPR(as []Adjustment) int64 {
	var t int64
	for _, a := range as {
		if a.Group == GroupPatient {
			t += a.AmountCents
		}
	}
	return t
}

// goldenProfessional is a check payment with paid, partially paid, denied,
// reversed and corrected claims in two LX groups, and PLB interest and
// offsets; then an ACH payment of an institutional claim.
func goldenProfessional() []txn {
	dos := day(2026, 1, 5)
	t1 := txn{rem: Remittance{
		HandlingCode: "I", TotalPaidCents: 26250, CreditDebit: "C", PaymentMethod: "CHK", PaymentDate: day(2026, 1, 15),
		TraceType: "1", TraceNumber: "CHK0005521", TraceOriginator: "1370000001",
		ProductionDate: day(2026, 1, 14), Payer: payer(), Payee: payee()}}
	t1.claims = []ClaimPayment{
		{HeaderNumber: 1, PatientControlNumber: "PCN1001", Status: "1", ChargeCents: 15000, PaidCents: 12000,
			FilingIndicator: "12", PayerClaimControlNumber: "PAYER9001", FacilityType: "11", Frequency: "1",
			Patient: patient("DOE", "JANE", "MBR100"),
			Dates:   []DateRef{{"050", day(2026, 1, 7)}},
			ServiceLines: []ServicePayment{func() ServicePayment {
				l := line("99213", 15000, 12000, dos, Adjustment{Group: "CO", Reason: "45", AmountCents: 3000})
				l.References = []Reference{{"6R", "L1001-1"}}
				return l
			}()}},
		{HeaderNumber: 1, PatientControlNumber: "PCN1002", Status: "1", ChargeCents: 30000, PaidCents: 18000, PatientResponsibilityCents: 8000,
			FilingIndicator: "12", PayerClaimControlNumber: "PAYER9002", FacilityType: "11", Frequency: "1",
			Patient: patient("ROE", "RICHARD", "MBR200"),
			Insured: Name{EntityCode: "IL", EntityType: "1", Last: "ROE", First: "MARY", IDQualifier: "MI", ID: "MBR200"},
			ServiceLines: []ServicePayment{
				line("99214", 20000, 14000, dos, Adjustment{Group: "CO", Reason: "45", AmountCents: 2000}, Adjustment{Group: "PR", Reason: "2", AmountCents: 4000}),
				func() ServicePayment {
					l := line("36415", 10000, 4000, dos, Adjustment{Group: "CO", Reason: "45", AmountCents: 2000}, Adjustment{Group: "PR", Reason: "1", AmountCents: 4000})
					l.Remarks = []Remark{{"HE", "N130"}}
					return l
				}(),
			}},
		{HeaderNumber: 1, PatientControlNumber: "PCN1003", Status: "4", ChargeCents: 25000, PaidCents: 0,
			FilingIndicator: "12", PayerClaimControlNumber: "PAYER9003", FacilityType: "11", Frequency: "1",
			Adjustments: []Adjustment{{Group: "CO", Reason: "50", AmountCents: 25000}},
			Patient:     patient("POE", "EDGAR", "MBR300"),
			Outpatient:  &OutpatientAdjudication{RemarkCodes: []string{"MA130"}}},
		{HeaderNumber: 2, PatientControlNumber: "PCN2001", Status: "22", ChargeCents: -15000, PaidCents: -12000,
			FilingIndicator: "12", PayerClaimControlNumber: "PAYER8001", FacilityType: "11", Frequency: "1",
			Adjustments: []Adjustment{{Group: "CO", Reason: "45", AmountCents: -3000}},
			Patient:     patient("SMITH", "JOHN", "MBR400"), Kind: Reversal},
		{HeaderNumber: 2, PatientControlNumber: "PCN2001", Status: "1", ChargeCents: 15000, PaidCents: 13000,
			FilingIndicator: "12", PayerClaimControlNumber: "PAYER8002", FacilityType: "11", Frequency: "1",
			Adjustments:      []Adjustment{{Group: "CO", Reason: "45", AmountCents: 2000}},
			Patient:          patient("SMITH", "JOHN", "MBR400"),
			CorrectedPatient: Name{EntityCode: "74", EntityType: "1", Last: "SMYTHE", First: "JOHN"}, Kind: Correction},
	}
	t1.plb = []ProviderAdjustment{
		{ProviderID: "1234567893", FiscalPeriodEnd: day(2026, 12, 31), Reason: ReasonInterest, Reference: "PCN1002", AmountCents: -250},
		{ProviderID: "1234567893", FiscalPeriodEnd: day(2026, 12, 31), Reason: ReasonOverpaymentRecovery, Reference: "PAYER7001", AmountCents: 4000},
		{ProviderID: "1234567893", FiscalPeriodEnd: day(2026, 12, 31), Reason: ReasonForwardingBalance, Reference: "PAYER7002", AmountCents: 1000},
	}
	t2 := txn{rem: Remittance{
		HandlingCode: "C", TotalPaidCents: 380000, CreditDebit: "C", PaymentMethod: "ACH", PaymentFormat: "CCP",
		SenderBank: BankAccount{"01", "999999992", "DA", "123456"}, OriginatorID: "1370000001",
		ReceiverBank: BankAccount{"01", "999988880", "DA", "98765"}, PaymentDate: day(2026, 1, 16),
		TraceType: "1", TraceNumber: "EFT0000777", TraceOriginator: "1370000001",
		Payer: payer(), Payee: payee()}}
	t2.claims = []ClaimPayment{{
		HeaderNumber:         1,
		ProviderSummary:      &ProviderSummary{ProviderID: "1234567893", FacilityCode: "11", FiscalPeriodEnd: day(2026, 12, 31), ClaimCount: 1, TotalChargeCents: 500000},
		PatientControlNumber: "PCN3001", Status: "1", ChargeCents: 500000, PaidCents: 380000,
		FilingIndicator: "MA", PayerClaimControlNumber: "PAYER6001", FacilityType: "11", Frequency: "1", DRGCode: "470", DRGWeight: "1.8",
		Adjustments: []Adjustment{{Group: "CO", Reason: "45", AmountCents: 120000}},
		Patient:     patient("LANE", "LOIS", "1EG4TE5MK73"),
		Inpatient:   &InpatientAdjudication{CoveredDays: "3", Amounts: []ElementAmount{{4, 380000}}},
		Dates:       []DateRef{{"232", day(2026, 1, 2)}, {"233", day(2026, 1, 5)}},
		Quantities:  []Quantity{{"CA", "3"}},
	}}
	return []txn{t1, t2}
}

func encodeTxns(t testing.TB, txns []txn) []byte {
	t.Helper()
	var buf bytes.Buffer
	isa, gs := envelope(101)
	e := NewEncoder(&buf, isa, gs)
	for i, tx := range txns {
		r := tx.rem
		if err := e.BeginRemittance(&r, int64(i+1)); err != nil {
			t.Fatal(err)
		}
		for j := range tx.claims {
			if err := e.WriteClaim(&tx.claims[j]); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.EndRemittance(tx.plb); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeAll reads every claim and transaction of in.
func decodeAll(t testing.TB, in []byte) ([]*ClaimPayment, []*Remittance, error) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(in))
	var out []*ClaimPayment
	for d.Next() {
		out = append(out, d.Claim().Clone())
	}
	return out, d.Remittances(), d.Err()
}

// Goldens are canonical: the encoder writes them byte for byte from their
// models, and decoding gives the models back.
func TestGolden(t *testing.T) {
	cases := map[string][]txn{"professional_and_institutional.x12": goldenProfessional()}
	for name, txns := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "golden", name)
			got := encodeTxns(t, txns)
			want, err := os.ReadFile(path)
			if *update && (err != nil || !bytes.Equal(got, want)) {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", path)
				want, err = got, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoded differs from %s:\n%s", path, got)
			}
			claims, rems, err := decodeAll(t, want)
			if err != nil {
				t.Fatal(err)
			}
			if len(rems) != len(txns) {
				t.Fatalf("%d transactions, want %d", len(rems), len(txns))
			}
			k := 0
			for i, tx := range txns {
				if len(rems[i].Errors) > 0 {
					t.Errorf("transaction %d errors: %v", i, rems[i].Errors)
				}
				if !reflect.DeepEqual(rems[i].ProviderAdjustments, withPositions(tx.plb, rems[i].ProviderAdjustments)) {
					t.Errorf("PLB:\n got %+v\nwant %+v", rems[i].ProviderAdjustments, tx.plb)
				}
				for j := range tx.claims {
					got := claims[k]
					k++
					if len(got.Errors) > 0 {
						t.Errorf("claim %s errors: %v", got.PatientControlNumber, got.Errors)
					}
					want := tx.claims[j]
					normalize(got, &want)
					if !reflect.DeepEqual(*got, want) {
						t.Errorf("claim %d.%d:\n got %+v\nwant %+v", i, j, *got, want)
					}
				}
			}
		})
	}
}

func withPositions(want, got []ProviderAdjustment) []ProviderAdjustment {
	out := append([]ProviderAdjustment(nil), want...)
	for i := range out {
		if i < len(got) {
			out[i].Position = got[i].Position
		}
	}
	return out
}

// normalize copies what the model does not state (positions, the header
// pointer, empty-versus-nil slices) from got to want.
func normalize(got, want *ClaimPayment) {
	want.Remittance, want.Position, want.Errors = got.Remittance, got.Position, got.Errors
	fix := func(g, w any) {}
	_ = fix
	if len(want.ServiceLines) == 0 && len(got.ServiceLines) == 0 {
		want.ServiceLines = got.ServiceLines
	}
	for i := range want.ServiceLines {
		if i < len(got.ServiceLines) {
			want.ServiceLines[i].Position = got.ServiceLines[i].Position
		}
	}
	if want.Inpatient != nil && got.Inpatient != nil && want.Inpatient.RemarkCodes == nil {
		want.Inpatient.RemarkCodes = got.Inpatient.RemarkCodes
	}
	if want.Outpatient != nil && got.Outpatient != nil && want.Outpatient.Amounts == nil {
		want.Outpatient.Amounts = got.Outpatient.Amounts
	}
	nilEmpty(reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem())
}

// nilEmpty makes empty slices of got and want alike so DeepEqual compares
// contents.
func nilEmpty(g, w reflect.Value) {
	switch g.Kind() {
	case reflect.Struct:
		for i := 0; i < g.NumField(); i++ {
			if w.Field(i).CanSet() {
				nilEmpty(g.Field(i), w.Field(i))
			}
		}
	case reflect.Slice:
		if g.Len() == 0 && w.Len() == 0 {
			w.Set(g)
			return
		}
		for i := 0; i < g.Len() && i < w.Len(); i++ {
			nilEmpty(g.Index(i), w.Index(i))
		}
	case reflect.Pointer:
		if !g.IsNil() && !w.IsNil() && g.Elem().Kind() == reflect.Struct && g.Type().Elem() != reflect.TypeOf(Remittance{}) {
			nilEmpty(g.Elem(), w.Elem())
		}
	}
}

func TestKinds(t *testing.T) {
	claims, _, err := decodeAll(t, encodeTxns(t, goldenProfessional()))
	if err != nil {
		t.Fatal(err)
	}
	want := []ClaimKind{Original, Original, Original, Reversal, Correction, Original}
	for i, c := range claims {
		if c.Kind != want[i] {
			t.Errorf("claim %d %s: kind %v, want %v", i, c.PatientControlNumber, c.Kind, want[i])
		}
	}
}

const unbalanced = "ISA*00*          *00*          *ZZ*PAYERSIM       *ZZ*CLEARHOUSE     *260115*0930*^*00501*000000101*0*T*:~" +
	"GS*HP*PAYERSIM*CLEARHOUSE*20260115*0930*101*X*005010X221A1~" +
	"ST*835*0001~" +
	"BPR*I*100*C*CHK************20260115~" +
	"TRN*1*CHK1*1370000001~" +
	"N1*PR*ACME~N3*1 MAIN~N4*CITY*IL*62701~PER*BL*EDI*TE*8005550100~" +
	"N1*PE*CLINIC*XX*1234567893~" +
	"LX*1~" +
	"CLP*A1*1*200*150**12*P1~" +
	"CAS*CO*45*40~" +
	"NM1*QC*1*DOE*JANE****MI*M1~" +
	"SVC*HC:99213*200*150~" +
	"CAS*PR*1*40~" +
	"PLB*1234567893*20261231*L6*-5~" +
	"SE*15*0001~GE*1*101~IEA*1*000000101~"

func TestBalanceErrors(t *testing.T) {
	d := NewDecoder(strings.NewReader(unbalanced))
	var claimErrs []*edi.Error
	for d.Next() {
		claimErrs = append(claimErrs, d.Claim().Errors...)
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	// Line: 200 - 40 = 160, not 150. Claim: 200 - 40 - 40 = 120, not 150.
	if len(claimErrs) != 2 {
		t.Fatalf("claim errors: %v", claimErrs)
	}
	for i, want := range []struct {
		seg  string
		elem int
	}{{"SVC", 3}, {"CLP", 4}} {
		e := claimErrs[i]
		if !errors.Is(e, edi.ErrBalance) || e.Pos.SegmentID != want.seg || e.Pos.Element != want.elem || e.Pos.Set != "0001" {
			t.Errorf("error %d: %v (%+v)", i, e, e.Pos)
		}
	}
	rem := d.Remittances()[0]
	// BPR02 100 against 150 - (-5) = 155.
	if len(rem.Errors) != 1 || !errors.Is(rem.Errors[0], edi.ErrBalance) || rem.Errors[0].Pos.SegmentID != "SE" {
		t.Fatalf("transaction errors: %v", rem.Errors)
	}
	d = NewDecoder(strings.NewReader(unbalanced))
	d.SkipBalancing = true
	for d.Next() {
		if len(d.Claim().Errors) > 0 {
			t.Fatalf("errors with balancing off: %v", d.Claim().Errors)
		}
	}
	if len(d.Remittances()[0].Errors) != 0 {
		t.Fatal("transaction balance checked with balancing off")
	}
}

func TestDecodeErrors(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260115*0930*^*00501*000000101*0*T*:~GS*HP*A*B*20260115*0930*1*X*005010X221A1~"
	tests := []struct {
		name     string
		in       string
		sentinel error
		fatal    bool
	}{
		{"not 835", head + "ST*270*0001*005010X279A1~SE*2*0001~", edi.ErrImplementation, true},
		{"ends inside set", head + "ST*835*0001~BPR*I*0*C*NON************20260115~", edi.ErrEnvelope, true},
		{"segment outside set", head + "BPR*I*0~", edi.ErrEnvelope, true},
		// Issue 14: an ISA-only file and one cut before its IEA read as
		// an empty, clean remittance.
		{"ISA only", head[:strings.Index(head, "GS*")], edi.ErrEnvelope, true},
		{"no IEA", head + "ST*835*0001~BPR*I*0*C*NON************20260115~SE*3*0001~GE*1*1~", edi.ErrEnvelope, true},
		{"bad amount", head + "ST*835*0001~BPR*I*0*C*NON************20260115~TRN*1*X*1~LX*1~CLP*A*1*1X*0**12~NM1*QC*1*A~SE*7*0001~GE*1*1~IEA*1*000000101~", edi.ErrSyntax, false},
		{"bad date", head + "ST*835*0001~BPR*I*0*C*NON************20261345~SE*3*0001~GE*1*1~IEA*1*000000101~", edi.ErrSyntax, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := NewDecoder(strings.NewReader(tt.in))
			var errs []error
			for d.Next() {
				for _, e := range d.Claim().Errors {
					errs = append(errs, e)
				}
			}
			for _, r := range d.Remittances() {
				for _, e := range r.Errors {
					errs = append(errs, e)
				}
			}
			if tt.fatal {
				errs = append(errs, d.Err())
			} else if d.Err() != nil {
				t.Fatalf("fatal: %v", d.Err())
			}
			found := false
			for _, e := range errs {
				var pe *edi.Error
				if errors.Is(e, tt.sentinel) && errors.As(e, &pe) && pe.Pos.Segment > 0 {
					found = true
				}
			}
			if !found {
				t.Fatalf("no positioned %v among %v", tt.sentinel, errs)
			}
		})
	}
}

func TestEncoderRefuses(t *testing.T) {
	txns := goldenProfessional()
	bad := txns[0]
	bad.rem.TotalPaidCents++
	var buf bytes.Buffer
	isa, gs := envelope(1)
	e := NewEncoder(&buf, isa, gs)
	e.BeginRemittance(&bad.rem, 1)
	for i := range bad.claims {
		e.WriteClaim(&bad.claims[i])
	}
	if err := e.EndRemittance(bad.plb); !errors.Is(err, edi.ErrBalance) {
		t.Fatalf("unbalanced BPR02: %v", err)
	}
	c := goldenProfessional()[0].claims[0]
	c.PaidCents++
	e = NewEncoder(&buf, isa, gs)
	r := goldenProfessional()[0].rem
	e.BeginRemittance(&r, 1)
	if err := e.WriteClaim(&c); !errors.Is(err, edi.ErrBalance) {
		t.Fatalf("unbalanced claim: %v", err)
	}
	r.Payer.Contacts = nil
	e = NewEncoder(&buf, isa, gs)
	if err := e.BeginRemittance(&r, 1); !errors.Is(err, edi.ErrImplementation) {
		t.Fatalf("missing PER*BL: %v", err)
	}
}

// Every 835 of the committed samples decodes or fails with positioned errors.
func TestSamples(t *testing.T) {
	files, _ := filepath.Glob("../../fixtures/x12/samples/835/*")
	if len(files) == 0 {
		t.Fatal("no 835 samples in fixtures/x12/samples")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			d := NewDecoder(bytes.NewReader(in))
			n := 0
			for d.Next() {
				n++
				for _, e := range d.Claim().Errors {
					if e.Pos.Segment == 0 {
						t.Errorf("unpositioned: %v", e)
					}
				}
			}
			if err := d.Err(); err != nil {
				var pe *edi.Error
				if !errors.As(err, &pe) || pe.Pos.Segment == 0 {
					t.Fatalf("unpositioned error: %v", err)
				}
				t.Logf("error: %v", err)
			}
			if n == 0 && d.Err() == nil {
				t.Errorf("no claims decoded")
			}
		})
	}
}

// A file may hold several interchanges, each with its own transactions.
func TestSeveralInterchanges(t *testing.T) {
	one := encodeTxns(t, goldenProfessional())
	in := append(append([]byte(nil), one...), one...)
	claims, rems, err := decodeAll(t, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 12 || len(rems) != 4 {
		t.Fatalf("%d claims, %d remittances", len(claims), len(rems))
	}
	for _, r := range rems {
		if !r.Complete || len(r.Errors) > 0 {
			t.Fatalf("remittance %s: complete %v, errors %v", r.TraceNumber, r.Complete, r.Errors)
		}
	}
	if claims[6].Remittance != rems[2] || claims[6].Kind != Original || claims[9].Kind != Reversal || claims[10].Kind != Correction {
		t.Fatal("claims of the second interchange are misattributed")
	}
}

// The decoder reuses one claim and its lines: nothing a claim set may show
// in the next one (names, MIA/MOA, SVC06).
func TestClaimReuseClears(t *testing.T) {
	in := strings.Replace(unbalanced, "LX*1~CLP*A1*1*200*150**12*P1~CAS*CO*45*40~NM1*QC*1*DOE*JANE****MI*M1~SVC*HC:99213*200*150~CAS*PR*1*40~",
		"LX*1~CLP*A1*1*200*150**12*P1~NM1*QC*1*DOE*JANE****MI*M1~NM1*IL*1*DOE*JOHN****MI*M2~NM1*82*1*WELBY*MARCUS****XX*1234567893~"+
			"MIA*0***5~MOA***MA01~SVC*HC:99213*200*150**1*HC:99214~"+
			"CLP*A2*1*100*100**12*P2~NM1*QC*1*ROE*RITA****MI*M3~SVC*HC:99212*100*100~", 1)
	claims, _, err := decodeAll(t, []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(claims) != 2 {
		t.Fatalf("%d claims", len(claims))
	}
	first, c := claims[0], claims[1]
	if first.Insured.IsZero() || first.RenderingProvider.IsZero() || first.Inpatient == nil || first.Outpatient == nil ||
		first.ServiceLines[0].OriginalProcedure.Code != "99214" {
		t.Fatalf("first claim not read as sent: %+v", first)
	}
	if !c.Insured.IsZero() || !c.RenderingProvider.IsZero() || c.Inpatient != nil || c.Outpatient != nil ||
		!c.ServiceLines[0].OriginalProcedure.IsZero() || c.ServiceLines[0].Units != "" || c.Patient.Last != "ROE" {
		t.Fatalf("second claim keeps data of the first: %+v", c)
	}
}

// An ST03 naming the base guide of GS08's addenda (005010X221 under
// 005010X221A1) is read without an error, as partners send it; another
// guide's ST03 is still an error.
func TestST03BaseGuide(t *testing.T) {
	head := "ISA*00*          *00*          *ZZ*A              *ZZ*B              *260115*0930*^*00501*000000101*0*T*:~GS*HP*A*B*20260115*0930*1*X*005010X221A1~"
	body := "*0001%s~BPR*I*0*C*NON************20260115~TRN*1*X*1~SE*4*0001~GE*1*1~IEA*1*000000101~"
	for _, tt := range []struct {
		st03 string
		errs int
	}{{"", 0}, {"*005010X221A1", 0}, {"*005010X221", 0}, {"*005010X222A1", 1}} {
		in := head + "ST*835" + strings.Replace(body, "%s", tt.st03, 1)
		d := NewDecoder(strings.NewReader(in))
		for d.Next() {
		}
		if d.Err() != nil {
			t.Fatalf("ST03 %q: %v", tt.st03, d.Err())
		}
		n := 0
		for _, r := range d.Remittances() {
			n += len(r.Errors)
		}
		if n != tt.errs {
			t.Errorf("ST03 %q: %d errors, want %d", tt.st03, n, tt.errs)
		}
	}
}
