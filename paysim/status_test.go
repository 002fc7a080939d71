package paysim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x276"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x835"
)

// encode276 asks Keystone Health Plan about claims.
func encode276(t testing.TB, control int64, at time.Time, claims []claim.Claim) []byte {
	t.Helper()
	qs := make([]x276.ClaimInquiry, len(claims))
	for i := range claims {
		qs[i] = x276.ClaimInquiry{Claim: &claims[i]}
	}
	req := x276.RequestFor("INQ1", at,
		x276.Entity{Last: "KEYSTONE HEALTH PLAN", ID: simPayer},
		x276.Entity{Last: "CLEARHOUSE BILLING", ID: "CLH0001"}, qs)
	var buf bytes.Buffer
	isa := edi.ISAHeader{SenderID: "CLEARHOUSE", ReceiverID: "KEYSTONEHP", Time: at, ControlNumber: control, Usage: "T"}
	gs := edi.GSHeader{SenderCode: "CLEARHOUSE", ReceiverCode: simPayer, Time: at, ControlNumber: control}
	if err := x276.Encode(&buf, isa, gs, req); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ask sends a 276 about claims and returns the 277's claims by trace.
func ask(t *testing.T, s *Simulator, control int64, at time.Time, claims []claim.Claim) map[string]*x277.StatusClaim {
	t.Helper()
	name := "status-" + edi.FormatAmount(control) + ".x12"
	names, err := s.HandleFile(t.Context(), simPayer, name, encode276(t, control, at, claims))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || names[0] != name+".277" {
		t.Fatalf("responses %v, want only %s.277", names, name)
	}
	b := outbound(t, s, simPayer, names[0])
	mustValid(t, names[0], b)
	resps, err := x277.DecodeStatus(bytes.NewReader(b))
	if err != nil || len(resps) != 1 || len(resps[0].Errors) > 0 {
		t.Fatalf("277: %v %v", err, resps)
	}
	out := map[string]*x277.StatusClaim{}
	resps[0].Claims(func(_ *x277.StatusSubscriber, _ *x277.StatusDependent, c *x277.StatusClaim) { out[c.TraceNumber] = c })
	if len(out) != len(claims) {
		t.Fatalf("277 answers %d claims, want %d", len(out), len(claims))
	}
	return out
}

// The 277 follows each claim through the simulator: received (A2) on the
// day its 277CA accepts it, pending (P1) after, paid (F1) or denied (F2)
// once its 835 is out, with the 835's payment; a claim the 277CA rejected
// keeps its rejection's category; a claim never received is not found
// (A4).
func TestClaimStatus(t *testing.T) {
	t.Parallel()
	now := simClock
	s := newTestSim(t, "", func(c *Config) { c.Now = func() time.Time { return now } })
	claims := loadClaims(t, allClaimFiles...)
	if _, err := s.HandleFile(t.Context(), simPayer, "claims-41.x12", encode837(t, 41, claims)); err != nil {
		t.Fatal(err)
	}
	acks, err := x277.Decode(bytes.NewReader(outbound(t, s, simPayer, "claims-41.x12.277ca")))
	if err != nil {
		t.Fatal(err)
	}
	accepted := map[string]bool{}
	rejection := map[string]string{}
	for _, a := range acks {
		a.Claims(func(_ *x277.BillingProvider, c *x277.ClaimStatus) {
			accepted[c.PatientControlNumber] = c.Accepted()
			rejection[c.PatientControlNumber] = c.Statuses[0].Category()
		})
	}
	unknown := claims[0]
	unknown.PatientControlNumber = "NEVERSENT1"
	asked := append(append([]claim.Claim(nil), claims...), unknown)

	check := func(got map[string]*x277.StatusClaim, want func(pcn string) string) {
		t.Helper()
		for pcn, c := range got {
			if w := want(pcn); c.Category() != w {
				t.Errorf("claim %s: category %s, want %s", pcn, c.Category(), w)
			}
		}
	}
	got := ask(t, s, 51, now, asked)
	check(got, func(pcn string) string {
		switch {
		case pcn == "NEVERSENT1":
			return "A4"
		case accepted[pcn]:
			return "A2"
		}
		return rejection[pcn]
	})
	if c := got["NEVERSENT1"]; x277.StandingOf(c.Category()) != x277.StandingNotFound || c.Statuses[0].Codes[0].Code != "35" {
		t.Errorf("unknown claim: %+v", c.Statuses)
	}

	now = simClock.Add(30 * time.Hour)
	check(ask(t, s, 52, now, asked), func(pcn string) string {
		switch {
		case pcn == "NEVERSENT1":
			return "A4"
		case accepted[pcn]:
			return "P1"
		}
		return rejection[pcn]
	})

	now = simClock.Add(60 * time.Hour)
	if n, err := s.ReleaseDue(t.Context(), now); err != nil || n != 2 {
		t.Fatalf("release: %d, %v; want an 835 for each of two payees", n, err)
	}
	_, remits := released(t, s, simPayer)
	paid, _ := decode835(t, remits)
	got = ask(t, s, 53, now, asked)
	var f1, f2 int
	for pcn, c := range got {
		cp, ok := paid[pcn]
		if !ok {
			continue
		}
		want := "F1"
		if cp.Status == x835.StatusDenied {
			want = "F2"
			f2++
		} else {
			f1++
		}
		st := c.Statuses[0]
		if c.Category() != want || st.PaidCents != cp.PaidCents || st.AmountCents != cp.ChargeCents || c.PayerClaimControlNumber != cp.PayerClaimControlNumber {
			t.Errorf("claim %s: %+v, 835 %s paid %d of %d", pcn, st, cp.Status, cp.PaidCents, cp.ChargeCents)
		}
	}
	if f1 == 0 || f2 == 0 {
		t.Errorf("%d paid and %d denied; the seed should give some of each", f1, f2)
	}
}

// TestStatusGolden answers a 276 about every claim of an 837 (and one
// never sent) after the 835 went out, and compares the 277 with
// testdata/golden/status-277.x12 (go test -run TestStatusGolden -update
// rewrites it when it differs).
func TestStatusGolden(t *testing.T) {
	t.Parallel()
	now := simClock
	s := newTestSim(t, "", func(c *Config) { c.Now = func() time.Time { return now } })
	claims := loadClaims(t, allClaimFiles...)
	if _, err := s.HandleFile(t.Context(), simPayer, "claims.x12", encode837(t, 41, claims)); err != nil {
		t.Fatal(err)
	}
	// Half the accepted claims are paid or denied, the rest still pending.
	now = simClock.Add(50 * time.Hour)
	if _, err := s.ReleaseDue(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	unknown := claims[0]
	unknown.PatientControlNumber = "NEVERSENT1"
	names, err := s.HandleFile(t.Context(), simPayer, "status.x12", encode276(t, 61, now, append(claims, unknown)))
	if err != nil || len(names) != 1 {
		t.Fatalf("responses %v, %v", names, err)
	}
	got := outbound(t, s, simPayer, names[0])
	mustValid(t, names[0], got)
	path := filepath.Join("testdata", "golden", "status-277.x12")
	want, err := os.ReadFile(path)
	if *update && !bytes.Equal(got, want) {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		want, err = got, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", names[0], path, got)
	}
}
