package paysim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/edi/x837"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/fixtures"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// simClock is the simulated "now" of the tests: three days after the
// claims' dates of service.
var simClock = time.Date(2026, 11, 5, 14, 30, 0, 0, time.UTC)

const simPayer = "KHP01"

// testRoster has an active family plan with a dependent, an inactive
// member and an active member without cost sharing.
func testRoster() []Member {
	return []Member{
		{
			MemberID: "W123456789", LastName: "SAMPLE", FirstName: "PAT", BirthDate: claim.NewDate(1980, 4, 12), Gender: "F",
			Active: true, Plan: "KEYSTONE PPO GOLD", InsuranceType: "C1", GroupNumber: "GRP100", GroupName: "RIVERBEND EMPLOYEES",
			CoverageBegin: claim.NewDate(2026, 1, 1), CoverageEnd: claim.NewDate(2026, 12, 31),
			CostSharing:     CostSharing{CopayCents: 2500, CoinsurancePercent: 20, DeductibleRemainingCents: 30000},
			DeductibleCents: 150000, OutOfPocketCents: 600000, OutOfPocketRemainingCents: 412550,
			Dependents: []Dependent{{Relationship: "19", LastName: "SAMPLE", FirstName: "LILY", BirthDate: claim.NewDate(2022, 6, 30), Gender: "F"}},
		},
		{
			Payer: simPayer, MemberID: "X555000111", LastName: "FORMER", FirstName: "FRED", BirthDate: claim.NewDate(1955, 2, 3), Gender: "M",
			Active: false, CoverageBegin: claim.NewDate(2020, 1, 1), CoverageEnd: claim.NewDate(2025, 6, 30),
		},
		{MemberID: "Z1", LastName: "PLAIN", FirstName: "PAULA", Active: true},
	}
}

// newTestSim makes a simulator over a new root with the fixture payers, the
// test roster and fixed rates; mutate adjusts the configuration.
func newTestSim(t testing.TB, root string, mutate ...func(*Config)) *Simulator {
	t.Helper()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	if root == "" {
		root = t.TempDir()
	}
	cfg := Config{
		Server: ServerConfig{
			Root:  root,
			Users: []User{{Name: "clearhouse", Password: "sim-password-1", Payer: simPayer}},
		},
		Registry:            reg,
		Roster:              testRoster(),
		Seed:                6,
		Rates:               Rates{Reject: 0.2, Deny: 0.2, Partial: 0.3},
		AdjudicationDelay:   48 * time.Hour,
		AdjudicationJitter:  6 * time.Hour,
		ProviderAdjustments: ProviderAdjustmentRates{Interest: 0.5, Recovery: 0.5},
		Now:                 func() time.Time { return simClock },
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := NewSimulator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	keepWritten(t, root)
	return s
}

// loadClaims reads claims from the x837 test data.
func loadClaims(t testing.TB, names ...string) []claim.Claim {
	t.Helper()
	var out []claim.Claim
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join("..", "edi", "x837", "testdata", "claims", n+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")) {
			var cs []claim.Claim
			if err := json.Unmarshal(b, &cs); err != nil {
				t.Fatal(err)
			}
			out = append(out, cs...)
			continue
		}
		var c claim.Claim
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

var allClaimFiles = []string{
	"office-visit-single-line", "batch-grouped", "dependent-patient", "multi-line-modifiers", "ndc-drug",
	"referring-prior-auth", "replacement", "secondary-with-primary-payment", "institutional-outpatient", "institutional-inpatient",
}

// encode837 writes claims as an 837 interchange from the clearinghouse to
// Keystone Health Plan.
func encode837(t testing.TB, control int64, claims []claim.Claim) []byte {
	t.Helper()
	return encode837Usage(t, control, claims, "T")
}

// encode837Usage is encode837 with ISA15 usage.
func encode837Usage(t testing.TB, control int64, claims []claim.Claim, usage string) []byte {
	t.Helper()
	var buf bytes.Buffer
	env := x837.Envelope{
		SubmitterName: "CLEARHOUSE BILLING", SubmitterID: "CLH0001", ContactName: "EDI DESK", ContactPhone: "2155550100",
		ReceiverName: "KEYSTONE HEALTH PLAN", ReceiverID: simPayer,
		SenderID: "CLEARHOUSE", InterchangeReceiverID: "KEYSTONEHP", ApplicationSender: "CLEARHOUSE", ApplicationReceiver: simPayer,
		Usage: usage, Time: time.Date(2026, 11, 4, 22, 0, 0, 0, time.UTC),
		Controls: x837.ControlNumbers{Interchange: control, Group: control, Set: 1},
	}
	if _, err := x837.EncodeBatch(&buf, env, claims); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// outbound reads a response the simulator dropped.
func outbound(t testing.TB, s *Simulator, payer, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.Server().Dir(payer, Outbound), name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// released returns the names of the 835 files in the payer's outbound
// folder, in name order, and their contents joined.
func released(t testing.TB, s *Simulator, payer string) ([]string, []byte) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(s.Server().Dir(payer, Outbound), "*.835"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var names []string
	var all []byte
	for _, p := range paths {
		names = append(names, filepath.Base(p))
		all = append(all, outbound(t, s, payer, filepath.Base(p))...)
	}
	return names, all
}

// mustValid checks that b passes envelope and syntax validation cleanly and
// is addressed from the payer to the clearinghouse.
func mustValid(t testing.TB, name string, b []byte) *edi.ValidationReport {
	t.Helper()
	rep, err := edi.Validate(bytes.NewReader(b), edi.ValidateOpts{File: name})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !rep.Clean() {
		t.Fatalf("%s is not valid: %v", name, rep.Err())
	}
	for _, ic := range rep.Interchanges {
		if ic.SenderID != "KEYSTONEHP" || ic.ReceiverID != "CLEARHOUSE" {
			t.Errorf("%s: interchange from %s to %s", name, ic.SenderID, ic.ReceiverID)
		}
	}
	return rep
}

// decode835 decodes an 835 file, checks that every claim balances and that
// no transaction has errors, and returns the claim payments by patient
// control number.
func decode835(t testing.TB, b []byte) (map[string]*x835.ClaimPayment, []*x835.Remittance) {
	t.Helper()
	d := x835.NewDecoder(bytes.NewReader(b))
	got := map[string]*x835.ClaimPayment{}
	for d.Next() {
		cp := d.Claim()
		if errs := x835.CheckBalance(cp); len(errs) > 0 {
			t.Errorf("claim %s does not balance: %v", cp.PatientControlNumber, errs[0])
		}
		for _, e := range cp.Errors {
			t.Errorf("claim %s: %v", cp.PatientControlNumber, e)
		}
		got[cp.PatientControlNumber] = cp.Clone()
	}
	if err := d.Err(); err != nil {
		t.Fatal(err)
	}
	rems := d.Remittances()
	for _, r := range rems {
		for _, e := range r.Errors {
			t.Errorf("remittance %s: %v", r.TraceNumber, e)
		}
	}
	return got, rems
}

func TestClaimsFlow(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	claims := loadClaims(t, allClaimFiles...)
	in := encode837(t, 41, claims)
	names, err := s.HandleFile(t.Context(), simPayer, "claims-41.x12", in)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"claims-41.x12.999", "claims-41.x12.277ca"}; !slices.Equal(names, want) {
		t.Fatalf("responses %v, want %v", names, want)
	}

	ack := outbound(t, s, simPayer, names[0])
	mustValid(t, names[0], ack)
	f, err := x999.Decode(edi.NewReader(bytes.NewReader(ack)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.TA1s) != 0 || len(f.Responses) != 2 {
		t.Fatalf("999: %d TA1s, %d responses; want 0 and one per group (837P, 837I)", len(f.TA1s), len(f.Responses))
	}
	for _, r := range f.Responses {
		if r.Ack != edi.AckAccepted || r.FunctionalID != "HC" {
			t.Errorf("999 group %s: AK901 %s", r.GroupControlNumber, r.Ack)
		}
	}

	ca := outbound(t, s, simPayer, names[1])
	mustValid(t, names[1], ca)
	acks, err := x277.Decode(bytes.NewReader(ca))
	if err != nil {
		t.Fatal(err)
	}
	icn := map[string]string{}
	statuses := map[string]*x277.ClaimStatus{}
	for _, a := range acks {
		if len(a.Errors) > 0 {
			t.Fatalf("277CA errors: %v", a.Errors)
		}
		a.Claims(func(_ *x277.BillingProvider, c *x277.ClaimStatus) {
			statuses[c.PatientControlNumber] = c
			if c.Accepted() {
				if c.PayerClaimControlNumber == "" {
					t.Errorf("accepted claim %s has no REF*1K", c.PatientControlNumber)
				}
				icn[c.PatientControlNumber] = c.PayerClaimControlNumber
			} else if c.PayerClaimControlNumber != "" || !c.Statuses[0].Rejected() {
				t.Errorf("rejected claim %s: %+v", c.PatientControlNumber, c.Statuses)
			}
		})
	}
	if len(statuses) != len(claims) {
		t.Fatalf("277CA answers %d claims, want %d", len(statuses), len(claims))
	}
	if len(icn) == 0 || len(icn) == len(claims) {
		t.Fatalf("%d of %d claims accepted; the seed should accept some and reject some", len(icn), len(claims))
	}
	if s.Pending() != len(icn) {
		t.Fatalf("pending %d, want %d", s.Pending(), len(icn))
	}

	// Nothing is due before the adjudication delay.
	if n, err := s.ReleaseDue(t.Context(), simClock.Add(47*time.Hour)); err != nil || n != 0 {
		t.Fatalf("early release: %d files, %v", n, err)
	}
	later := simClock.Add(60 * time.Hour)
	n, err := s.ReleaseDue(t.Context(), later)
	if err != nil || n != 2 {
		t.Fatalf("release: %d files, %v; want one per payee", n, err)
	}
	if s.Pending() != 0 {
		t.Fatalf("%d claims still pending", s.Pending())
	}
	names, remit := released(t, s, simPayer)
	if want := []string{"KHP01-835-20261108-000000003.835", "KHP01-835-20261108-000000004.835"}; !slices.Equal(names, want) {
		t.Fatalf("835 files %v, want %v", names, want)
	}
	mustValid(t, "835s", remit)
	for _, name := range names {
		_, rems := decode835(t, outbound(t, s, simPayer, name))
		if len(rems) != 1 {
			t.Errorf("%s: %d payments, want one (one payee a file)", name, len(rems))
		}
	}
	paid, rems := decode835(t, remit)
	if len(paid) != len(icn) {
		t.Fatalf("835 pays %d claims, want %d", len(paid), len(icn))
	}
	for pcn, cp := range paid {
		if cp.PayerClaimControlNumber != icn[pcn] {
			t.Errorf("claim %s: CLP07 %s, 277CA REF*1K %s", pcn, cp.PayerClaimControlNumber, icn[pcn])
		}
	}
	traces := map[string]bool{}
	for _, r := range rems {
		if traces[r.TraceNumber] {
			t.Errorf("TRN02 %s used twice", r.TraceNumber)
		}
		traces[r.TraceNumber] = true
	}
	checkCARCs(t, paid)
	var denied, plbs int
	for _, cp := range paid {
		if cp.Status == x835.StatusDenied {
			denied++
		}
	}
	for _, r := range rems {
		plbs += len(r.ProviderAdjustments)
	}
	if denied == 0 || plbs == 0 {
		t.Errorf("%d denials and %d PLB entries; the seed should give some of each", denied, plbs)
	}
	if n, err := s.ReleaseDue(t.Context(), later); err != nil || n != 0 {
		t.Fatalf("second release: %d files, %v", n, err)
	}
}

// checkCARCs checks every adjustment's group and reason against the code
// sets in effect on the date of service.
func checkCARCs(t testing.TB, paid map[string]*x835.ClaimPayment) {
	t.Helper()
	sets, err := codes.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	check := func(pcn string, as []x835.Adjustment) {
		for _, a := range as {
			if _, ok := sets.Set(codes.CARC).Lookup(a.Reason, codes.DayOf(simClock)); !ok {
				t.Errorf("claim %s: CARC %s is not in the code set", pcn, a.Reason)
			}
			if _, ok := sets.Set(codes.GroupCode).Lookup(a.Group, codes.DayOf(simClock)); !ok {
				t.Errorf("claim %s: group %s is not in the code set", pcn, a.Group)
			}
		}
	}
	for pcn, cp := range paid {
		check(pcn, cp.Adjustments)
		for _, l := range cp.ServiceLines {
			check(pcn, l.Adjustments)
		}
	}
}

func TestEnvelopeErrors(t *testing.T) {
	t.Parallel()
	good := encode837(t, 7, loadClaims(t, "office-visit-single-line"))
	cases := []struct {
		name   string
		mutate func([]byte) []byte
		// wantTA1 is TA105 when a TA1 rejects the interchange.
		wantTA1 string
		// wantIK5 is the IK502 code of the rejected set, when a 999
		// rejects it.
		wantIK5 string
	}{
		{"IEA control number", func(b []byte) []byte {
			return bytes.Replace(b, []byte("IEA*1*000000007"), []byte("IEA*1*000000008"), 1)
		}, edi.TA1ControlNumberMismatch, ""},
		{"IEA group count", func(b []byte) []byte {
			return bytes.Replace(b, []byte("IEA*1*"), []byte("IEA*2*"), 1)
		}, edi.TA1InvalidGroupCount, ""},
		{"SE segment count", func(b []byte) []byte {
			i := bytes.Index(b, []byte("~SE*")) + 4
			return append(append(slices.Clone(b[:i]), '9', '9'), b[i+bytes.IndexByte(b[i:], '*'):]...)
		}, "", edi.IK5SegmentCountMismatch},
		{"SE control number", func(b []byte) []byte {
			return bytes.Replace(b, []byte("*0001~GE"), []byte("*0002~GE"), 1)
		}, "", edi.IK5ControlNumberMismatch},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestSim(t, "")
			in := tc.mutate(good)
			names, err := s.HandleFile(t.Context(), simPayer, "bad.x12", in)
			if err != nil {
				t.Fatal(err)
			}
			if s.Pending() != 0 {
				t.Errorf("%d claims of a rejected file queued", s.Pending())
			}
			if tc.wantTA1 != "" {
				if !slices.Equal(names, []string{"bad.x12.ta1"}) {
					t.Fatalf("responses %v, want only a TA1", names)
				}
				b := outbound(t, s, simPayer, names[0])
				mustValid(t, names[0], b)
				f, err := x999.Decode(edi.NewReader(bytes.NewReader(b)))
				if err != nil {
					t.Fatal(err)
				}
				if len(f.TA1s) != 1 || f.TA1s[0].Ack != edi.TA1Rejected || f.TA1s[0].NoteCode != tc.wantTA1 || f.TA1s[0].ControlNumber != "000000007" {
					t.Fatalf("TA1s %+v, want R %s", f.TA1s, tc.wantTA1)
				}
				return
			}
			if !slices.Equal(names, []string{"bad.x12.999"}) {
				t.Fatalf("responses %v, want only a 999", names)
			}
			b := outbound(t, s, simPayer, names[0])
			mustValid(t, names[0], b)
			f, err := x999.Decode(edi.NewReader(bytes.NewReader(b)))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Responses) != 1 || f.Responses[0].Ack != edi.AckRejected || len(f.Responses[0].Sets) != 1 {
				t.Fatalf("999 %+v", f.Responses)
			}
			set := f.Responses[0].Sets[0]
			if set.Ack != edi.AckRejected || !slices.Contains(set.Codes, tc.wantIK5) {
				t.Fatalf("IK5 %s %v, want R with %s", set.Ack, set.Codes, tc.wantIK5)
			}
		})
	}
}

func TestUnsupportedGroupRejected(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	// An 835 sent to a payer: functional group HP is not one it takes.
	in, err := os.ReadFile("../edi/x835/testdata/golden/professional_and_institutional.x12")
	if err != nil {
		t.Fatal(err)
	}
	names, err := s.HandleFile(t.Context(), simPayer, "remit.x12", in)
	if err != nil || !slices.Equal(names, []string{"remit.x12.999"}) {
		t.Fatalf("responses %v, %v", names, err)
	}
	b := outbound(t, s, simPayer, names[0])
	rep, err := edi.Validate(bytes.NewReader(b), edi.ValidateOpts{})
	if err != nil || !rep.Clean() {
		t.Fatalf("999 not valid: %v %v", err, rep.Err())
	}
	f, err := x999.Decode(edi.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Responses[0]
	if r.Ack != edi.AckRejected || !slices.Equal(r.Codes, []string{edi.AK9GroupNotSupported}) || r.Sets[0].Codes[0] != edi.IK5NotSupported {
		t.Fatalf("999 %+v", r)
	}
}

func TestDataErrorsRejected(t *testing.T) {
	t.Parallel()
	claims := loadClaims(t, "office-visit-single-line", "multi-line-modifiers", "referring-prior-auth")
	cases := []struct {
		name   string
		mutate func(*claim.Claim)
		want   string // STC01 as category:code:entity
	}{
		{"billing NPI check digit", func(c *claim.Claim) {}, "A7:562:85"},
		{"future date of service", func(c *claim.Claim) {
			for i := range c.Lines {
				c.Lines[i].ServiceDate, c.Lines[i].ServiceDateEnd = claim.NewDate(2026, 12, 1), claim.Date{}
			}
		}, "A7:187:"},
		{"unknown member", func(c *claim.Claim) { c.Subscriber.MemberID = "NOSUCH1" }, "A7:33:IL"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestSim(t, "", func(cfg *Config) { cfg.Rates.Reject = 0; cfg.RejectUnknownMembers = true })
			cs := slices.Clone(claims)
			for k := range cs {
				cs[k].Lines = slices.Clone(cs[k].Lines)
				tc.mutate(&cs[k])
			}
			in := encode837(t, int64(100+i), cs)
			if i == 0 {
				// 1234567893 passes the check digit, 1234567890 does not; the
				// encoder refuses a bad NPI, so the file is changed after.
				in = bytes.ReplaceAll(in, []byte("*XX*1234567893"), []byte("*XX*1234567890"))
			}
			if _, err := s.HandleFile(t.Context(), simPayer, "c.x12", in); err != nil {
				t.Fatal(err)
			}
			acks, err := x277.Decode(bytes.NewReader(outbound(t, s, simPayer, "c.x12.277ca")))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range acks {
				a.Claims(func(_ *x277.BillingProvider, c *x277.ClaimStatus) {
					n++
					code := c.Statuses[0].Codes[0]
					if got := code.Category + ":" + code.Code + ":" + code.Entity; got != tc.want || c.Accepted() {
						t.Errorf("claim %s: STC01 %s, want %s", c.PatientControlNumber, got, tc.want)
					}
				})
			}
			if n != len(cs) || s.Pending() != 0 {
				t.Fatalf("%d claims answered, %d pending", n, s.Pending())
			}
		})
	}
}

func TestEligibility(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	in := encode270(t)
	names, err := s.HandleFile(t.Context(), simPayer, "elig.x12", in)
	if err != nil || !slices.Equal(names, []string{"elig.x12.271"}) {
		t.Fatalf("responses %v, %v", names, err)
	}
	b := outbound(t, s, simPayer, names[0])
	mustValid(t, names[0], b)
	resps, err := x270.DecodeResponses(bytes.NewReader(b))
	if err != nil || len(resps) != 1 {
		t.Fatalf("271: %d responses, %v", len(resps), err)
	}
	r := resps[0]
	if len(r.Errors) > 0 {
		t.Fatalf("271 errors: %v", r.Errors)
	}
	if r.ReferenceID != "ELG000009" {
		t.Errorf("BHT03 %q", r.ReferenceID)
	}
	cases := []struct {
		trn      string
		coverage x270.CoverageStatus
		aaa      string
	}{
		{"T1", x270.CoverageActive, ""},
		{"T2", x270.CoverageInactive, ""},
		{"T3", x270.CoverageUnknown, aaaSubscriberNotFound},
		{"T4", x270.CoverageActive, ""},
		{"T5", x270.CoverageUnknown, aaaPatientNotFound},
	}
	for _, tc := range cases {
		sum := r.Match(tc.trn)
		if sum == nil {
			t.Errorf("no answer for %s", tc.trn)
			continue
		}
		if sum.TraceOriginator != "9CLRHOUSE1" || sum.Coverage() != tc.coverage {
			t.Errorf("%s: originator %s coverage %s, want %s", tc.trn, sum.TraceOriginator, sum.Coverage(), tc.coverage)
		}
		if tc.aaa != "" && (len(sum.Errors) != 1 || sum.Errors[0].Reason != tc.aaa || sum.Errors[0].FollowUp != "C") {
			t.Errorf("%s: AAA %+v, want %s", tc.trn, sum.Errors, tc.aaa)
		}
	}
	active := r.Match("T1")
	var copay, coins, deductible bool
	for _, sb := range active.ByServiceType() {
		for _, b := range sb.Copay {
			copay = copay || b.AmountCents == 2500
		}
		for _, b := range sb.Coinsurance {
			coins = coins || b.PercentBasisPoints == 2000
		}
		for _, b := range sb.Deductible {
			deductible = deductible || (b.TimePeriod == "29" && b.AmountCents == 30000)
		}
	}
	if !copay || !coins || !deductible {
		t.Errorf("active member's benefits lack copay %v coinsurance %v deductible remaining %v", copay, coins, deductible)
	}
	if num, name := active.GroupNumber(); num != "GRP100" || name != "RIVERBEND EMPLOYEES" {
		t.Errorf("group %s %s", num, name)
	}
	if dep := r.Match("T4").Dependent; dep == nil || dep.First != "LILY" || dep.Relationship != "19" {
		t.Errorf("dependent %+v", dep)
	}
}

// TestDecisionsIndependentOfOrder sends the same claims in two orders and
// files to two simulators with the same seed: every claim is decided alike.
func TestDecisionsIndependentOfOrder(t *testing.T) {
	t.Parallel()
	claims := loadClaims(t, allClaimFiles...)
	reversed := slices.Clone(claims)
	slices.Reverse(reversed)
	run := func(cs []claim.Claim, split int) map[string]*x835.ClaimPayment {
		s := newTestSim(t, "")
		for i, part := range [][]claim.Claim{cs[:split], cs[split:]} {
			if _, err := s.HandleFile(t.Context(), simPayer, "f"+string(rune('a'+i)), encode837(t, int64(50+i), part)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.ReleaseDue(t.Context(), simClock.Add(100*time.Hour)); err != nil {
			t.Fatal(err)
		}
		all := map[string]*x835.ClaimPayment{}
		entries, _ := os.ReadDir(s.Server().Dir(simPayer, Outbound))
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".835") {
				got, _ := decode835(t, outbound(t, s, simPayer, e.Name()))
				for k, v := range got {
					all[k] = v
				}
			}
		}
		return all
	}
	a, b := run(claims, 3), run(reversed, 9)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d claims paid", len(a), len(b))
	}
	for pcn, x := range a {
		y := b[pcn]
		if y == nil {
			t.Errorf("claim %s paid in one order only", pcn)
			continue
		}
		if x.Status != y.Status || x.PaidCents != y.PaidCents || x.PatientResponsibilityCents != y.PatientResponsibilityCents ||
			len(x.ServiceLines) != len(y.ServiceLines) {
			t.Errorf("claim %s decided differently: %+v vs %+v", pcn, x, y)
		}
	}
}

// TestDeterministic answers the same files with two simulators of the same
// seed and clock: every response is byte for byte the same.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	in := encode837(t, 41, loadClaims(t, allClaimFiles...))
	var outs [2]map[string][]byte
	for i := range outs {
		s := newTestSim(t, "")
		if _, err := s.HandleFile(t.Context(), simPayer, "claims.x12", in); err != nil {
			t.Fatal(err)
		}
		if _, err := s.ReleaseDue(t.Context(), simClock.Add(100*time.Hour)); err != nil {
			t.Fatal(err)
		}
		outs[i] = map[string][]byte{}
		entries, _ := os.ReadDir(s.Server().Dir(simPayer, Outbound))
		for _, e := range entries {
			outs[i][e.Name()] = outbound(t, s, simPayer, e.Name())
		}
	}
	if len(outs[0]) != 4 {
		t.Fatalf("%d responses, want 999, 277CA and an 835 for each of two payees", len(outs[0]))
	}
	for name, b := range outs[0] {
		if !bytes.Equal(b, outs[1][name]) {
			t.Errorf("%s differs between runs", name)
		}
	}
	// Another seed decides differently.
	s := newTestSim(t, "", func(c *Config) { c.Seed = 7 })
	if _, err := s.HandleFile(t.Context(), simPayer, "claims.x12", in); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(outbound(t, s, simPayer, "claims.x12.277ca"), outs[0]["claims.x12.277ca"]) {
		t.Error("seed 7 gives the 277CA of seed 6")
	}
}

// TestRestart checks the state file: a restarted simulator neither answers
// a file twice nor loses the claims waiting for their 835, and answers files
// that arrived while it was down.
func TestRestart(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	in := encode837(t, 41, loadClaims(t, allClaimFiles...))
	a := newTestSim(t, root)
	if _, err := a.HandleFile(t.Context(), simPayer, "claims.x12", in); err != nil {
		t.Fatal(err)
	}
	pending := a.Pending()
	a.Close()

	// A file dropped in the inbound folder while the simulator is down.
	late := encode837(t, 42, loadClaims(t, "office-visit-single-line"))
	if err := os.WriteFile(filepath.Join(root, simPayer, "inbound", "late.x12"), late, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, simPayer, "inbound", "claims.x12"), in, 0o644); err != nil {
		t.Fatal(err)
	}
	b := newTestSim(t, root)
	if b.Pending() != pending {
		t.Fatalf("restarted with %d pending, want %d", b.Pending(), pending)
	}
	names, err := b.HandleFile(t.Context(), simPayer, "again.x12", in)
	if err != nil || len(names) != 0 {
		t.Fatalf("same content answered again: %v %v", names, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(b.Server().Dir(simPayer, Outbound), "late.x12.999")); err != nil {
		t.Fatalf("file received while down not answered: %v", err)
	}
	if _, err := os.Stat(filepath.Join(b.Server().Dir(simPayer, Outbound), "claims.x12.x12.999")); err == nil {
		t.Fatal("answered twice")
	}
	if n, err := b.ReleaseDue(t.Context(), simClock.Add(100*time.Hour)); err != nil || n != 2 {
		t.Fatalf("release after restart: %d, %v", n, err)
	}
	// Control numbers went on from the state: 999 and 277CA of the first
	// run used 1 and 2, the late file's 3 and 4 (or 3 alone when rejected),
	// and the two payees' 835s the next two.
	entries, _ := os.ReadDir(b.Server().Dir(simPayer, Outbound))
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".835") && !strings.HasSuffix(e.Name(), "-000000004.835") &&
			!strings.HasSuffix(e.Name(), "-000000005.835") && !strings.HasSuffix(e.Name(), "-000000006.835") {
			t.Errorf("835 %s does not continue the control numbers", e.Name())
		}
	}
}

func TestStateFileDamaged(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, ".paysim-state.json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := NewSimulator(Config{Server: ServerConfig{Root: root, Users: []User{{Name: "u", Password: "p"}}}})
	if !errors.Is(err, ErrState) {
		t.Fatalf("error %v, want ErrState", err)
	}
}

func TestNotX12(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	names, err := s.HandleFile(t.Context(), simPayer, "junk.txt", []byte("hello, payer"))
	if err != nil || len(names) != 0 {
		t.Fatalf("junk answered: %v %v", names, err)
	}
}

func TestSimulatorConfigValidation(t *testing.T) {
	t.Parallel()
	base := func() Config {
		return Config{Server: ServerConfig{Root: t.TempDir(), Users: []User{{Name: "u", Password: "p"}}}}
	}
	cases := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"rate above one", func(c *Config) { c.Rates.Deny = 1.5 }, "Rates.Deny"},
		{"negative rate", func(c *Config) { c.ProviderAdjustments.Interest = -0.1 }, "ProviderAdjustments.Interest"},
		{"deny and partial", func(c *Config) { c.Rates.Deny, c.Rates.Partial = 0.6, 0.6 }, "add up to more than 1"},
		{"negative delay", func(c *Config) { c.AdjudicationDelay = -time.Second }, "must not be negative"},
		{"payment method", func(c *Config) { c.PaymentMethod = "WIRE" }, "CHK or ACH"},
		{"on arrival", func(c *Config) { c.Server.OnArrival = func(context.Context, Arrival) {} }, "OnArrival must be nil"},
		{"unknown members without roster", func(c *Config) { c.RejectUnknownMembers = true }, "needs a roster"},
		{"payer name", func(c *Config) { c.Payers = []PayerProfile{{ID: "../x"}} }, "payer profile 1"},
		{"fee percent", func(c *Config) { c.Payers = []PayerProfile{{ID: "P", FeeSchedule: &FeeSchedule{}}} }, "DefaultPercent"},
		{"tax id", func(c *Config) { c.Payers = []PayerProfile{{ID: "P", TaxID: "12"}} }, "9 digits"},
		{"delimiter", func(c *Config) { c.Payers = []PayerProfile{{ID: "P", Name: "A*B"}} }, "delimiter"},
		{"member", func(c *Config) { c.Roster = []Member{{MemberID: "1"}} }, "last name are required"},
		{"server", func(c *Config) { c.Server.Users = nil }, "at least one user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.mutate(&cfg)
			_, err := NewSimulator(cfg)
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFeeSchedule(t *testing.T) {
	t.Parallel()
	fs := DefaultFeeSchedule()
	cases := []struct {
		code          string
		units, charge int64
		want          int64
	}{
		{"99213", 1000, 12500, 9500},
		{"99213", 2000, 12500, 12500}, // capped at the charge
		{"36415", 1500, 2000, 450},
		{"J3490", 1000, 10000, 6500}, // not listed: 65%
		{"", 1000, 999, 649},
	}
	for _, tc := range cases {
		if got := fs.allowed(tc.code, tc.units, tc.charge); got != tc.want {
			t.Errorf("allowed(%s, %d, %d) = %d, want %d", tc.code, tc.units, tc.charge, got, tc.want)
		}
	}
}

func TestDrawSpread(t *testing.T) {
	t.Parallel()
	d := draw{seed: 42}
	hits := 0
	for i := range 10000 {
		if d.chance(2500, "x", strings.Repeat("p", i%7), string(rune('a'+i%26)), string(rune(i))) {
			hits++
		}
	}
	if hits < 2200 || hits > 2800 {
		t.Fatalf("25%% chance hit %d of 10000", hits)
	}
	if d.value("a", "bc") == d.value("ab", "c") {
		t.Fatal("parts are not separated")
	}
	if got := d.digits(9, "z"); len(got) != 9 || strings.Trim(got, "0123456789") != "" {
		t.Fatalf("digits %q", got)
	}
}

func TestPaymentMethods(t *testing.T) {
	t.Parallel()
	in := encode837(t, 41, loadClaims(t, allClaimFiles...))
	cases := []struct {
		name                   string
		mutate                 func(*Config)
		handling, method, bank string
	}{
		{"all denied", func(c *Config) { c.Rates = Rates{Deny: 1} }, "H", "NON", ""},
		{"ACH", func(c *Config) { c.PaymentMethod = "ACH" }, "C", "ACH", "999988880"},
		{"check", func(c *Config) {}, "I", "CHK", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newTestSim(t, "", tc.mutate)
			if _, err := s.HandleFile(t.Context(), simPayer, "c.x12", in); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ReleaseDue(t.Context(), simClock.Add(100*time.Hour)); err != nil {
				t.Fatal(err)
			}
			b := outbound(t, s, simPayer, "KHP01-835-20261109-000000003.835")
			mustValid(t, "835", b)
			_, rems := decode835(t, b)
			for _, r := range rems {
				if r.HandlingCode != tc.handling || r.PaymentMethod != tc.method || r.ReceiverBank.DFINumber != tc.bank {
					t.Errorf("BPR %s %s %s, want %s %s %s", r.HandlingCode, r.PaymentMethod, r.ReceiverBank.DFINumber, tc.handling, tc.method, tc.bank)
				}
			}
		})
	}
}

func TestTA1Requested(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	in := encode837(t, 9, loadClaims(t, "office-visit-single-line"))
	// ISA14 1: the sender asks for a TA1 even when all is well.
	in = bytes.Replace(in, []byte("*000000009*0*T*"), []byte("*000000009*1*T*"), 1)
	names, err := s.HandleFile(t.Context(), simPayer, "ta1.x12", in)
	if err != nil {
		t.Fatal(err)
	}
	b := outbound(t, s, simPayer, names[0])
	mustValid(t, names[0], b)
	f, err := x999.Decode(edi.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.TA1s) != 1 || f.TA1s[0].Ack != edi.TA1Accepted || f.TA1s[0].NoteCode != edi.TA1NoError || len(f.Responses) != 1 {
		t.Fatalf("TA1s %+v, %d 999s", f.TA1s, len(f.Responses))
	}
}

// encode270 writes a 270 with five inquiries: an active subscriber, an
// inactive one, an unknown one, a known dependent and an unknown dependent.
func encode270(t testing.TB) []byte {
	t.Helper()
	dos := time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC)
	req := &x270.Request{
		ReferenceID: "ELG000009", Created: simClock,
		Source:   x270.Entity{EntityCode: "PR", EntityType: "2", Last: "KEYSTONE HEALTH PLAN", IDQualifier: "PI", ID: simPayer},
		Receiver: x270.Entity{EntityCode: "1P", EntityType: "2", Last: "RIVERBEND FAMILY MEDICINE", IDQualifier: "XX", ID: "1234567893"},
		Inquiries: []x270.Inquiry{
			{TraceNumber: "T1", TraceOriginator: "9CLRHOUSE1", Subscriber: x270.Person{Last: "SAMPLE", First: "PAT", MemberID: "W123456789"},
				ServiceTypes: []string{"30", "98", "UC"}, ServiceDate: dos},
			{TraceNumber: "T2", TraceOriginator: "9CLRHOUSE1", Subscriber: x270.Person{Last: "FORMER", First: "FRED", MemberID: "X555000111"}, ServiceDate: dos},
			{TraceNumber: "T3", TraceOriginator: "9CLRHOUSE1", Subscriber: x270.Person{Last: "NOBODY", First: "NED", MemberID: "Q000000000"}, ServiceDate: dos},
			{TraceNumber: "T4", TraceOriginator: "9CLRHOUSE1", Subscriber: x270.Person{Last: "SAMPLE", First: "PAT", MemberID: "W123456789"},
				Dependent: &x270.Person{Last: "SAMPLE", First: "LILY", BirthDate: time.Date(2022, 6, 30, 0, 0, 0, 0, time.UTC)}, ServiceDate: dos},
			{TraceNumber: "T5", TraceOriginator: "9CLRHOUSE1", Subscriber: x270.Person{Last: "SAMPLE", First: "PAT", MemberID: "W123456789"},
				Dependent: &x270.Person{Last: "SAMPLE", First: "OTTO", BirthDate: time.Date(2019, 1, 2, 0, 0, 0, 0, time.UTC)}, ServiceDate: dos},
		},
	}
	var in bytes.Buffer
	isa := edi.ISAHeader{SenderQualifier: "ZZ", SenderID: "CLEARHOUSE", ReceiverQualifier: "ZZ", ReceiverID: "KEYSTONEHP",
		Time: simClock, ControlNumber: 301, Usage: "T"}
	gs := edi.GSHeader{SenderCode: "CLEARHOUSE", ReceiverCode: simPayer, Time: simClock, ControlNumber: 301}
	if err := x270.EncodeRequests(&in, isa, gs, req); err != nil {
		t.Fatal(err)
	}
	return in.Bytes()
}

// TestUsageRouted sends one 837 in test (ISA15 T) and one in production
// (P): each answer (999, 277CA) carries its request's usage, and the 835
// paying both has one interchange of each.
func TestUsageRouted(t *testing.T) {
	t.Parallel()
	s := newTestSim(t, "")
	claims := loadClaims(t, allClaimFiles...)
	usageOf := func(b []byte) []string {
		t.Helper()
		rep := mustValid(t, "response", b)
		var out []string
		for _, ic := range rep.Interchanges {
			out = append(out, ic.Usage)
		}
		return out
	}
	for i, usage := range []string{"T", "P"} {
		in := encode837Usage(t, int64(61+i), claims[:3], usage)
		name := "claims-" + usage + ".x12"
		names, err := s.HandleFile(t.Context(), simPayer, name, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if got := usageOf(outbound(t, s, simPayer, n)); !slices.Equal(got, []string{usage}) {
				t.Errorf("%s answered with ISA15 %v, want %s", n, got, usage)
			}
		}
	}
	if _, err := s.ReleaseDue(t.Context(), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(s.Server().Dir(simPayer, Outbound))
	if err != nil {
		t.Fatal(err)
	}
	// One 835 file per payee and interchange: the test claims' and the
	// production claims' remittances travel in their own interchanges.
	var usages []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".835") {
			continue
		}
		got := usageOf(outbound(t, s, simPayer, e.Name()))
		if len(got) != 1 {
			t.Errorf("835 %s: interchanges with ISA15 %v, want one", e.Name(), got)
		}
		usages = append(usages, got...)
	}
	slices.Sort(usages)
	if !slices.Equal(usages, []string{"P", "T"}) {
		t.Errorf("835 files' ISA15 %v, want one P and one T", usages)
	}
}

// TestMaxClaimsPer835 splits a release into files of at most two claim
// payments, each valid, its own payment (TRN) and balanced, every accepted
// claim paid once across them.
func TestMaxClaimsPer835(t *testing.T) {
	t.Parallel()
	const most = 2
	s := newTestSim(t, "", func(c *Config) { c.MaxClaimsPer835 = most })
	claims := loadClaims(t, allClaimFiles...)
	if _, err := s.HandleFile(t.Context(), simPayer, "claims-41.x12", encode837(t, 41, claims)); err != nil {
		t.Fatal(err)
	}
	pending := s.Pending()
	n, err := s.ReleaseDue(t.Context(), simClock.Add(60*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n < (pending+most-1)/most {
		t.Fatalf("%d files for %d claims, want at least %d", n, pending, (pending+most-1)/most)
	}
	names, _ := released(t, s, simPayer)
	paid := map[string]bool{}
	traces := map[string]bool{}
	for _, name := range names {
		b := outbound(t, s, simPayer, name)
		mustValid(t, name, b)
		got, rems := decode835(t, b)
		if len(got) > most {
			t.Errorf("%s: %d claim payments, want at most %d", name, len(got), most)
		}
		for pcn := range got {
			if paid[pcn] {
				t.Errorf("claim %s paid in two files", pcn)
			}
			paid[pcn] = true
		}
		for _, r := range rems {
			if traces[r.TraceNumber] {
				t.Errorf("trace %s in two payments", r.TraceNumber)
			}
			traces[r.TraceNumber] = true
		}
	}
	if len(paid) != pending {
		t.Errorf("%d claims paid, want %d", len(paid), pending)
	}
}
