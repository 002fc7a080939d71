package fhir_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/fhir"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// tokens is a test authenticator: bearer token -> principal.
type tokens map[string]access.Principal

func (ts tokens) Authenticate(r *http.Request) (access.Principal, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return access.Principal{}, access.ErrUnauthenticated
	}
	p, ok := ts[tok]
	if !ok {
		return access.Principal{}, access.ErrUnauthenticated
	}
	return p, nil
}

// apiFixture is a practice with the hand-written bundle imported, its two
// claims built, the first paid by an 835 and the first coverage checked
// by a 271, served by the read API.
type apiFixture struct {
	p      practice
	url    string
	denied []string
}

func newAPIFixture(t *testing.T) *apiFixture {
	t.Helper()
	ctx := context.Background()
	p := newPractice(t, "sqlite")
	if _, err := p.importPath(t, "testdata/practice-bundle.json"); err != nil {
		t.Fatal(err)
	}
	var claims []store.Claim
	for _, enc := range []int64{1, 2} {
		c, err := p.bill.BuildClaim(ctx, p.clinic, enc, billing.BuildOptions{})
		if err != nil {
			t.Fatal(err)
		}
		claims = append(claims, c)
	}
	rem, _, err := p.st.CreateRemittance(ctx, store.CreateRemittanceParams{ClinicID: p.clinic, PayerID: &claims[0].PayerID, PayerIdentifier: "KHP01",
		TraceNumber: "EFT1001", PaymentMethod: "ACH", PaymentCents: 10000, PaymentDate: time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"kind":"payment","position":"ST 0001 CLP 1","serviceDate":"2026-04-06","lines":[` +
		`{"procedureCode":"99213","chargeCents":12500,"paidCents":8000,"units":1,"adjustments":[{"ServiceLine":1,"GroupCode":"CO","ReasonCode":"45","AmountCents":2500},{"ServiceLine":1,"GroupCode":"PR","ReasonCode":"2","AmountCents":2000}]},` +
		`{"procedureCode":"87880","chargeCents":5000,"paidCents":2000,"units":1,"adjustments":[{"ServiceLine":2,"GroupCode":"CO","ReasonCode":"45","AmountCents":3000}]}],"remarks":["N130"]}`
	if _, err := p.st.CreateClaimPayment(ctx, store.CreateClaimPaymentParams{ClinicID: p.clinic, RemittanceID: rem.ID, ClaimID: &claims[0].ID,
		PatientControlNumber: claims[0].PatientControlNumber, StatusCode: "1", ChargeCents: 17500, PaidCents: 10000, PatientResponsibilityCents: 2000,
		PayerClaimControlNumber: "ICN0001", Adjustments: []store.ClaimAdjustment{{ServiceLine: 1, GroupCode: "CO", ReasonCode: "45", AmountCents: 2500},
			{ServiceLine: 1, GroupCode: "PR", ReasonCode: "2", AmountCents: 2000}, {ServiceLine: 2, GroupCode: "CO", ReasonCode: "45", AmountCents: 3000}},
		Document: json.RawMessage(doc)}); err != nil {
		t.Fatal(err)
	}
	copay, ded, left := int64(2500), int64(100000), int64(40000)
	elig, _ := json.Marshal(scheduling.Eligibility{Status: store.EligibilityActive, TraceNumber: "270-1-1", ServiceDate: "2026-04-06",
		AnsweredAt: now, Plan: "KEYSTONE PPO", CoverageBegin: "2026-01-01",
		Services: []scheduling.ServiceCostSharing{{ServiceType: "30", Network: "Y", CopayCents: &copay, DeductibleCents: &ded, DeductibleRemainingCents: &left}}})
	if _, err := p.st.RecordEligibility(ctx, store.RecordEligibilityParams{ClinicID: p.clinic, CoverageID: 1, Status: store.EligibilityActive,
		CheckedAt: now, Benefits: elig}); err != nil {
		t.Fatal(err)
	}
	// A second clinic whose rows the first clinic's users never see.
	other, err := p.reg.AddClinic(ctx, registration.ClinicInput{Name: "Other Clinic", NPI: "1679576722"})
	if err != nil {
		t.Fatal(err)
	}
	if other.ID != 2 {
		t.Fatalf("second clinic %d", other.ID)
	}
	f := &apiFixture{p: p}
	srv, err := fhir.NewServer(fhir.ServerConfig{Store: p.st, Now: func() time.Time { return now },
		Auth: tokens{
			"biller-1":     {Name: "bea", Role: access.Biller, Clinics: []int64{1}},
			"frontdesk-1":  {Name: "fran", Role: access.FrontDesk, Clinics: []int64{1}},
			"biller-2":     {Name: "olga", Role: access.Biller, Clinics: []int64{2}},
			"billing-mgr*": {Name: "max", Role: access.BillingManager, AllClinics: true},
		},
		Denied: func(_ *http.Request, p access.Principal, perm access.Permission) {
			f.denied = append(f.denied, p.Name+" "+string(perm))
		}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	f.url = ts.URL + fhir.Base
	return f
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized &&
		resp.StatusCode != http.StatusForbidden && !strings.HasPrefix(ct, "application/fhir+json") {
		t.Errorf("%s: content type %q", url, ct)
	}
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v
}

// TestAPIAccess: every request is authenticated, each type needs its
// permission, and a caller sees only their clinics' rows.
func TestAPIAccess(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	tests := []struct {
		name, path, token string
		status            int
		total             float64 // for searches; -1 to skip
	}{
		{"no token", "/Patient/1-1", "", 401, -1},
		{"unknown token", "/Patient/1-1", "nope", 401, -1},
		{"metadata needs a token", "/metadata", "", 401, -1},
		{"metadata", "/metadata", "frontdesk-1", 200, -1},
		{"front desk reads a patient", "/Patient/1-1", "frontdesk-1", 200, -1},
		{"front desk may not read claims", "/Claim/1-1", "frontdesk-1", 403, -1},
		{"front desk may not search EOBs", "/ExplanationOfBenefit", "frontdesk-1", 403, -1},
		{"biller reads a claim", "/Claim/1-1", "biller-1", 200, -1},
		{"other clinic's patient is not found", "/Patient/1-1", "biller-2", 404, -1},
		{"other clinic's claim is not found", "/Claim/1-1", "biller-2", 404, -1},
		{"other clinic searches see nothing", "/Patient", "biller-2", 200, 0},
		{"other clinic searches by patient see nothing", "/Claim?patient=Patient/1-1", "biller-2", 200, 0},
		{"network member sees all", "/Patient", "billing-mgr*", 200, 2},
		{"bad id", "/Patient/42", "biller-1", 404, -1},
		{"missing row", "/Patient/1-999", "biller-1", 404, -1},
		{"unsupported type", "/Observation/1-1", "biller-1", 404, -1},
		{"unsupported search parameter", "/Claim?payer=KHP01", "biller-1", 400, -1},
		{"bad date", "/Claim?date=yesterday", "biller-1", 400, -1},
		{"bad prefix", "/Claim?date=sa2026-01-01", "biller-1", 400, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, f.url+tt.path, tt.token)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, body)
			}
			if tt.total >= 0 && body["total"] != tt.total {
				t.Errorf("total %v, want %v", body["total"], tt.total)
			}
		})
	}
	if len(f.denied) != 2 {
		t.Errorf("denied callbacks %v, want the front desk's two refusals", f.denied)
	}
}

// TestAPISearch covers the search parameters on each type.
func TestAPISearch(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	tests := []struct {
		path string
		ids  []string
	}{
		{"/Patient", []string{"1-1", "1-2"}},
		{"/Patient?_id=1-2", []string{"1-2"}},
		{"/Patient?name=hop", []string{"1-1"}},
		{"/Patient?birthdate=1985-12-10", []string{"1-2"}},
		{"/Patient?birthdate=lt1960-01-01", []string{"1-1"}},
		{"/Coverage?patient=1-2", []string{"1-2"}},
		{"/Coverage?status=active", []string{"1-1", "1-2"}},
		{"/Appointment?patient=1-1&date=2026-04-06", []string{"1-1"}},
		{"/Appointment?date=ge2026-04-07", nil},
		{"/Appointment?status=fulfilled", []string{"1-1"}},
		{"/Claim?patient=Patient/1-1", []string{"1-1"}},
		{"/Claim?date=ge2026-04-01&date=lt2026-05-01", []string{"1-1", "1-2"}},
		{"/Claim?status=draft", []string{"1-1", "1-2"}},
		{"/Claim?status=active", nil},
		{"/ClaimResponse?status=queued", []string{"1-1", "1-2"}},
		{"/ExplanationOfBenefit?patient=1-1", []string{"1-1"}},
		{"/ExplanationOfBenefit?patient=1-2", nil},
		{"/ExplanationOfBenefit?date=2026-04-20", []string{"1-1"}},
		{"/CoverageEligibilityResponse", []string{"1-1"}},
		{"/CoverageEligibilityResponse?status=complete&patient=1-1", []string{"1-1"}},
		{"/Claim?_count=1", []string{"1-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			status, body := get(t, f.url+tt.path, "biller-1")
			if status != 200 {
				t.Fatalf("status %d: %v", status, body)
			}
			if body["resourceType"] != "Bundle" || body["type"] != "searchset" {
				t.Fatalf("not a searchset: %v", body)
			}
			var ids []string
			entries, _ := body["entry"].([]any)
			for _, e := range entries {
				ids = append(ids, e.(map[string]any)["resource"].(map[string]any)["id"].(string))
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") {
				t.Errorf("ids %v, want %v", ids, tt.ids)
			}
		})
	}
}

// TestAPIResources compares each resource type's JSON with its golden file.
func TestAPIResources(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	for _, path := range []string{"Patient/1-2", "Coverage/1-2", "Appointment/1-1", "Claim/1-2", "ClaimResponse/1-1",
		"ExplanationOfBenefit/1-1", "CoverageEligibilityResponse/1-1", "metadata"} {
		t.Run(path, func(t *testing.T) {
			status, body := get(t, f.url+"/"+path, "biller-1")
			if status != 200 {
				t.Fatalf("status %d: %v", status, body)
			}
			golden(t, "api-"+strings.ReplaceAll(path, "/", "-")+".json", body)
		})
	}
}

// TestAPIRoundTrip imports generated bundles and reads every patient and
// coverage back through the API: what the EHR sent is what it reads.
func TestAPIRoundTrip(t *testing.T) {
	t.Parallel()
	p := newPractice(t, "sqlite")
	gen := generateBundle(40, 7)
	b, err := fhir.Read("generated.json", strings.NewReader(gen))
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.im.Import(context.Background(), p.clinic, b)
	if err != nil {
		t.Fatalf("%v\n%+v", err, res.Errors)
	}
	srv, err := fhir.NewServer(fhir.ServerConfig{Store: p.st, Now: func() time.Time { return now },
		Auth: tokens{"t": {Name: "bea", Role: access.Biller, Clinics: []int64{p.clinic}}}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	var sent struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal([]byte(gen), &sent); err != nil {
		t.Fatal(err)
	}
	pts, covs := 0, 0
	for _, e := range sent.Entry {
		r := e.Resource
		typ, id := r["resourceType"].(string), r["id"].(string)
		rec, err := p.st.GetFHIRImport(context.Background(), store.GetFHIRImportParams{ClinicID: p.clinic, ResourceType: typ, ResourceID: id})
		if err != nil {
			t.Fatalf("%s/%s: %v", typ, id, err)
		}
		switch typ {
		case "Patient":
			pts++
			_, got := get(t, ts.URL+fhir.Base+"/Patient/"+fhir.ID(p.clinic, rec.EntityID), "t")
			for _, k := range []string{"birthDate", "gender", "name"} {
				if !sameJSON(t, pick(got, k), pick(r, k)) {
					t.Errorf("Patient/%s %s: sent %v, read %v", id, k, r[k], got[k])
				}
			}
		case "Coverage":
			covs++
			_, got := get(t, ts.URL+fhir.Base+"/Coverage/"+fhir.ID(p.clinic, rec.EntityID), "t")
			for _, k := range []string{"subscriberId", "order", "period"} {
				if !sameJSON(t, pick(got, k), pick(r, k)) {
					t.Errorf("Coverage/%s %s: sent %v, read %v", id, k, r[k], got[k])
				}
			}
		}
	}
	if pts != 40 || covs != 40 {
		t.Errorf("round-tripped %d patients and %d coverages, want 40 each", pts, covs)
	}
	// Imported again, nothing changes.
	again, err := p.im.Import(context.Background(), p.clinic, b)
	if err != nil {
		t.Fatal(err)
	}
	for typ, c := range again.ByType {
		if c.Created+c.Updated != 0 {
			t.Errorf("%s re-imported: %+v", typ, c)
		}
	}
}

func pick(m map[string]any, k string) any {
	v := m[k]
	if k == "name" {
		// Compare family and first given name only.
		ns, _ := v.([]any)
		if len(ns) == 0 {
			return nil
		}
		n := ns[0].(map[string]any)
		given, _ := n["given"].([]any)
		return []any{n["family"], given[0]}
	}
	return v
}

func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestFHIRKitClient reads the API with fhir-kit-client (npm), the way an
// EHR's integration would. It needs node; under CI=true a missing node
// fails the test.
func TestFHIRKitClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed: the FHIR API's client test needs Node.js 20+ (and npm) under CI")
		}
		t.Skip("node is not installed: skipping the fhir-kit-client test (install Node.js 20+ to run it)")
	}
	dir := filepath.Join("testdata", "client")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "fhir-kit-client")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Fatal("npm is not installed: it installs fhir-kit-client from testdata/client/package-lock.json")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
		}
	}
	f := newAPIFixture(t)
	plan := `[
 {"op": "metadata"},
 {"op": "read", "type": "Patient", "id": "1-1"},
 {"op": "read", "type": "Claim", "id": "1-2"},
 {"op": "read", "type": "ExplanationOfBenefit", "id": "1-1"},
 {"op": "read", "type": "CoverageEligibilityResponse", "id": "1-1"},
 {"op": "read", "type": "ClaimResponse", "id": "1-1"},
 {"op": "search", "type": "Claim", "params": {"patient": "1-1"}},
 {"op": "search", "type": "ExplanationOfBenefit", "params": {"patient": "Patient/1-1", "date": "ge2026-04-01"}},
 {"op": "search", "type": "Appointment", "params": {"status": "fulfilled"}},
 {"op": "read", "type": "Patient", "id": "1-1", "token": "wrong"},
 {"op": "read", "type": "Claim", "id": "1-1", "token": "frontdesk-1"},
 {"op": "read", "type": "Patient", "id": "1-1", "token": "biller-2"}
]`
	cmd := exec.Command(node, "client.mjs", f.url, "biller-1")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(plan)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node client.mjs: %v\n%s", err, stderr)
	}
	var got []map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("client output: %v\n%s", err, out)
	}
	golden(t, "fhir-kit-client.json", got)
}

// TestAPIReadAudit: a search returning N patients writes N read events
// naming the caller and the request (method, path, remote address, never
// the search values), and a read one more; nothing of another clinic.
func TestAPIReadAudit(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t)
	ctx := context.Background()
	reads := func() []store.AuditEvent {
		t.Helper()
		evs, err := f.p.st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: 1})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.AuditEvent
		for _, e := range evs {
			if e.Action == access.ReadAction {
				out = append(out, e)
			}
		}
		return out
	}
	code, b := get(t, f.url+"/Patient?birthdate=ge1900-01-01", "billing-mgr*")
	entries, _ := b["entry"].([]any)
	if code != http.StatusOK || len(entries) < 2 {
		t.Fatalf("search: %d with %d entries", code, len(entries))
	}
	evs := reads()
	if len(evs) != len(entries) {
		t.Fatalf("%d read events for %d patients returned", len(evs), len(entries))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		var d map[string]string
		_ = json.Unmarshal(e.Details, &d)
		if e.Actor != "max" || e.EntityType != "patient" || !strings.HasPrefix(d["source"], "GET /fhir/r4/Patient from 127.0.0.1:") ||
			strings.Contains(d["source"], "birthdate") {
			t.Errorf("read event %+v %v", e, d)
		}
		seen["1-"+e.EntityID] = true
	}
	for _, en := range entries {
		em, _ := en.(map[string]any)
		res, _ := em["resource"].(map[string]any)
		id, _ := res["id"].(string)
		if !seen[id] {
			t.Errorf("patient %s returned but not audited", id)
		}
	}
	if code, _ := get(t, f.url+"/Patient/1-1", "biller-1"); code != http.StatusOK {
		t.Fatalf("read: %d", code)
	}
	evs = reads()
	if last := evs[len(evs)-1]; len(evs) != len(entries)+1 || last.Actor != "bea" || last.EntityID != "1" {
		t.Errorf("after a read: %d events, last %+v", len(evs), last)
	}
	// A refused or missing read is not a read.
	get(t, f.url+"/Patient/1-999", "biller-1")
	get(t, f.url+"/Claim/1-1", "frontdesk-1")
	if n := len(reads()); n != len(entries)+1 {
		t.Errorf("%d read events after a miss and a refusal", n)
	}
}
