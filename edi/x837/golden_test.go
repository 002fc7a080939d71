package x837

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
)

var update = flag.Bool("update", false, "rewrite the golden .x12 files from testdata/claims")

// testEnvelope is the envelope of every golden file.
func testEnvelope() Envelope {
	return Envelope{
		SubmitterName: "CLEARHOUSE BILLING", SubmitterID: "CLH0001",
		ContactName: "EDI DESK", ContactPhone: "2155550100", ContactEmail: "edi@clearhouse.example",
		ReceiverName: "KEYSTONE HEALTH PLAN", ReceiverID: "KHP01",
		SenderQualifier: "ZZ", SenderID: "CLEARHOUSE", ReceiverQualifier: "ZZ", InterchangeReceiverID: "KHP01",
		Usage: "T", Time: time.Date(2026, 11, 3, 10, 30, 0, 0, time.UTC),
		LineBreaks: true,
	}
}

// loadClaims reads a claim JSON file holding one claim or an array of them.
func loadClaims(t testing.TB, path string) []claim.Claim {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.TrimSpace(data)
	var cs []claim.Claim
	if len(data) > 0 && data[0] == '[' {
		err = json.Unmarshal(data, &cs)
	} else {
		var c claim.Claim
		err = json.Unmarshal(data, &c)
		cs = []claim.Claim{c}
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cs
}

func decodeAll(t testing.TB, name string, data []byte) ([]*claim.Claim, []Envelope, error) {
	t.Helper()
	d := NewDecoder(bytes.NewReader(data))
	d.File = name
	var cs []*claim.Claim
	var envs []Envelope
	for d.Next() {
		cs = append(cs, d.Claim())
		envs = append(envs, d.Envelope())
	}
	return cs, envs, d.Err()
}

// transmitted returns c as it reads back from an 837: what the guide does
// not let the encoder send is dropped, and what has two spellings in the
// model gets the decoder's.
func transmitted(c claim.Claim) claim.Claim {
	data, _ := json.Marshal(c)
	var n claim.Claim
	_ = json.Unmarshal(data, &n) // a deep copy
	if n.Patient != nil {
		// 2010BA N3/N4 and DMG are sent only when the subscriber is the
		// patient.
		n.Subscriber.Address, n.Subscriber.BirthDate, n.Subscriber.Gender = nil, claim.Date{}, ""
	}
	if n.Kind == claim.Institutional {
		n.ProviderSignature = false // CLM06 is not used on the 837I
		order := map[claim.DiagnosisKind]int{}
		for i, o := range institutionalDiagOrder {
			order[o.kind] = i
		}
		kinds := make([]claim.DiagnosisKind, len(n.Diagnoses))
		for i := range n.Diagnoses {
			kinds[i] = n.DiagnosisKindAt(i)
			n.Diagnoses[i].Kind = kinds[i]
		}
		slices.SortStableFunc(n.Diagnoses, func(a, b claim.Diagnosis) int { return order[a.Kind] - order[b.Kind] })
		var ps []claim.Procedure
		for _, p := range n.Procedures {
			if p.Principal {
				ps = append(ps, p)
			}
		}
		for _, p := range n.Procedures {
			if !p.Principal {
				ps = append(ps, p)
			}
		}
		n.Procedures = ps
	}
	for i := range n.Diagnoses {
		k := n.Diagnoses[i].Kind
		n.Diagnoses[i].Kind = ""
		if n.DiagnosisKindAt(i) != k {
			n.Diagnoses[i].Kind = k
		}
	}
	for i := range n.OtherPayers {
		o := &n.OtherPayers[i]
		o.PaidKnown = o.PaidKnown || o.PaidCents != 0
		o.Adjustments = groupAdjustments(o.Adjustments)
	}
	for i := range n.Lines {
		l := &n.Lines[i]
		if l.ProcedureQualifier == "HC" {
			l.ProcedureQualifier = ""
		}
		if l.PlaceOfService == n.PlaceOfService {
			l.PlaceOfService = ""
		}
		for j := range l.Adjudications {
			l.Adjudications[j].Adjustments = groupAdjustments(l.Adjudications[j].Adjustments)
		}
	}
	return n
}

func groupAdjustments(adj []claim.Adjustment) []claim.Adjustment {
	var out []claim.Adjustment
	for i, a := range adj {
		if slices.ContainsFunc(adj[:i], func(b claim.Adjustment) bool { return b.Group == a.Group }) {
			continue
		}
		for _, b := range adj[i:] {
			if b.Group == a.Group {
				out = append(out, b)
			}
		}
	}
	return out
}

func claimJSON(t testing.TB, c *claim.Claim) string {
	t.Helper()
	// Through JSON and back first, so invalid UTF-8 reads the same on
	// both sides of a comparison.
	var n claim.Claim
	b, err := json.Marshal(c)
	if err == nil {
		err = json.Unmarshal(b, &n)
	}
	if err == nil {
		b, err = json.MarshalIndent(&n, "", "  ")
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "null", "[]")
}

// checkEnvelope reads data with the edi reader and checks the trailer
// counts and control numbers of every envelope.
func checkEnvelope(t testing.TB, name string, data []byte) (sets int) {
	t.Helper()
	r := edi.NewReader(bytes.NewReader(data))
	var groups, setsInGroup, segs int
	var isa13, gs06, st02 string
	for {
		s, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		segs++
		switch {
		case s.Is("ISA"):
			isa13, groups = s.String(13), 0
		case s.Is("GS"):
			gs06, setsInGroup = s.String(6), 0
			groups++
		case s.Is("ST"):
			st02, segs = s.String(2), 1
			setsInGroup++
			sets++
		case s.Is("SE"):
			if s.String(1) != itoa(segs) || s.String(2) != st02 {
				t.Errorf("%s: %s, but the set has %d segments and ST02 %s", name, s.Text(), segs, st02)
			}
		case s.Is("GE"):
			if s.String(1) != itoa(setsInGroup) || s.String(2) != gs06 {
				t.Errorf("%s: %s, but the group has %d sets and GS06 %s", name, s.Text(), setsInGroup, gs06)
			}
		case s.Is("IEA"):
			if s.String(1) != itoa(groups) || s.String(2) != isa13 {
				t.Errorf("%s: %s, but the interchange has %d groups and ISA13 %s", name, s.Text(), groups, isa13)
			}
		}
	}
	return sets
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestGolden encodes every claim file under testdata/claims, compares the
// result with its golden file, checks its envelopes, validates 837P output
// with moov-io/x12 and decodes it back to the same claims.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/claims/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no claim files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			claims := loadClaims(t, f)
			var out bytes.Buffer
			placements, err := EncodeBatch(&out, testEnvelope(), claims)
			if err != nil {
				t.Fatal(err)
			}
			if len(placements) != len(claims) {
				t.Fatalf("%d placements for %d claims", len(placements), len(claims))
			}
			golden := filepath.Join("testdata", "golden", name+".x12")
			want, err := os.ReadFile(golden)
			if *update && (err != nil || !bytes.Equal(out.Bytes(), want)) {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("rewrote %s", golden)
				want, err = out.Bytes(), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("encoding differs from %s (run with -update to accept):\n got:\n%s\nwant:\n%s", golden, out.Bytes(), want)
			}
			checkEnvelope(t, golden, want)
			if claims[0].Kind == claim.Professional {
				moovValidate(t, want)
			}
			got, envs, err := decodeAll(t, golden, want)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(got) != len(claims) {
				t.Fatalf("decoded %d claims, want %d", len(got), len(claims))
			}
			for i := range claims {
				w := transmitted(claims[i])
				if g, w := claimJSON(t, got[i]), claimJSON(t, &w); g != w {
					t.Errorf("claim %d does not read back: %s", i, jsonDiff(g, w))
				}
				env := envs[i]
				if env.SubmitterID != "CLH0001" || env.ReceiverID != "KHP01" || env.Usage != "T" ||
					env.Controls.Interchange != placements[i].Interchange || env.Controls.Group != placements[i].Group ||
					env.Controls.Set != placements[i].Set {
					t.Errorf("claim %d envelope %+v does not match placement %+v", i, env, placements[i])
				}
			}
		})
	}
}

// TestGoldenFilesHaveClaims keeps every golden file tied to a claim file.
func TestGoldenFilesHaveClaims(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*")
	if len(files) == 0 {
		t.Fatal("no golden files in testdata/golden")
	}
	for _, f := range files {
		if filepath.Ext(f) != ".x12" {
			t.Errorf("%s: golden files must end in .x12", f)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(f), ".x12")
		if _, err := os.Stat(filepath.Join("testdata", "claims", name+".json")); errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s has no claim file", f)
		}
	}
}

// jsonDiff shows the lines where two indented JSON texts first differ.
func jsonDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			lo := max(0, i-3)
			return "first difference at line " + strconv.Itoa(i+1) + ":\n got: " + strings.Join(g[lo:min(len(g), i+3)], "\n") + "\nwant: " + strings.Join(w[lo:min(len(w), i+3)], "\n")
		}
	}
	return ""
}
