package cli

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestClaimsShow reads the seeded claims: paid, denied after a rework,
// rejected then accepted; by ID and by patient control number.
func TestClaimsShow(t *testing.T) {
	t.Parallel()
	db := seededDB(t, "sqlite")
	// Claim 1 went out in an interchange that a TA1 and a 999 accepted.
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: db, Now: func() time.Time { return time.Date(2026, 3, 4, 21, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := st.CreateInterchange(ctx, store.CreateInterchangeParams{ClinicID: 1, SenderID: "CLEARHOUSE", ReceiverID: "KHP01", ControlNumber: 17,
		GroupControlNumber: 17, FirstSetControlNumber: 1, SetCount: 1, TransactionSet: "837P", ClaimCount: 1, FileName: "837P-KHP01-17.x12",
		Body: bytes.NewReader([]byte("ISA*...~"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateClaim(ctx, store.UpdateClaimParams{ClinicID: 1, ID: 1, InterchangeID: &ix.ID}); err != nil {
		t.Fatal(err)
	}
	for _, a := range []store.CreateAcknowledgmentParams{
		{ClinicID: 1, InterchangeID: &ix.ID, Kind: store.AckTA1, ControlNumber: "000000017", Code: "A", Accepted: true, Details: []byte(`{}`)},
		{ClinicID: 1, InterchangeID: &ix.ID, Kind: store.Ack999, ControlNumber: "0001", Code: "A", Accepted: true, Details: []byte(`{"group":17}`)},
	} {
		if _, err := st.CreateAcknowledgment(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	runSetupCases(t, db, "claims_show", []setupCase{
		{"paid", []string{"claims", "show", "1"}, ""},
		{"paid-json", []string{"claims", "show", "E101", "-o", "json"}, ""},
		{"denied-json", []string{"claims", "show", "E102", "-o", "json"}, ""},
		{"rejected-accepted", []string{"claims", "show", "E103"}, ""},
		{"unknown", []string{"claims", "show", "E999"}, ""},
		{"bad-output", []string{"claims", "show", "1", "-o", "yaml"}, ""},
		{"no-arg", []string{"claims", "show"}, ""},
	})
}

// practiceNow is the clock of the claim built in TestPracticeFromEmptyDatabase.
var practiceNow = time.Date(2026, 4, 7, 14, 0, 0, 0, time.UTC)

// TestPracticeFromEmptyDatabase starts from clearhouse migrate on an empty
// SQLite file and an empty PostgreSQL database, registers a practice with
// the commands only, captures charges with charges add (priced from the fee
// schedule the clinic keeps), builds the claim with billing, and reads it
// back with claims show.
func TestPracticeFromEmptyDatabase(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var db string
			if backend == "sqlite" {
				db = filepath.Join(t.TempDir(), "practice.db")
			} else {
				db = storetest.PostgresURL(t, "clearhouse_cli_practice")
			}
			if code, out, errOut := run(t, "--database", db, "migrate"); code != 0 || !strings.Contains(out, "applied clearhouse migration") {
				t.Fatalf("migrate: exit %d\n%s%s", code, out, errOut)
			}
			runSetupCases(t, db, "practice", []setupCase{
				{"charges-before", []string{"charges", "add", "--patient", "1", "--provider", "1", "--date", "2026-04-06", "--line", "99213:1:J06.9"}, ""},
				{"init", []string{"init", "--no-prompt", "--name", "Riverbend Family Medicine", "--npi", "1234567893", "--tax-id", "123456789",
					"--address-line1", "100 MAIN ST", "--city", "SPRINGFIELD", "--state", "PA", "--postal-code", "190641234",
					"--time-zone", "America/New_York", "--taxonomy", "207Q00000X", "--contact-name", "BILLING OFFICE", "--contact-phone", "2155550100",
					"--submitter-id", "RIVERBEND01", "--profile", "testdata/setup/fees.yaml",
					"--provider-npi", "1245319599", "--provider-first-name", "ANN", "--provider-last-name", "KIM", "--provider-taxonomy", "207Q00000X",
					"--payer", "KHP01", "--enroll-837", "enrolled", "--enroll-835", "enrolled", "--enroll-270", "enrolled"}, ""},
				{"patient", []string{"patients", "add", "--mrn", "MRN-1", "--first-name", "Grace", "--last-name", "Hopper", "--birth-date", "1950-12-09",
					"--sex", "F", "--address-line1", "1 NAVY WAY", "--city", "SPRINGFIELD", "--state", "PA", "--postal-code", "190641234"}, ""},
				{"coverage", []string{"coverage", "add", "--patient", "MRN-1", "--payer", "KHP01", "--member-id", "KHP123456", "--group", "G100",
					"--effective-from", "2026-01-01"}, ""},
				{"charges", []string{"charges", "add", "--mrn", "MRN-1", "--npi", "1245319599", "--date", "2026-04-06", "--diagnosis", "J06.9",
					"--line", "99213:25:1:1,R50.9", "--line", "87880:QW:1:1"}, ""},
				{"fhir-import", []string{"fhir", "import", "testdata/setup/ehr-export.json"}, ""},
				{"fhir-import-again", []string{"fhir", "import", "testdata/setup/ehr-export.json", "-o", "json"}, ""},
				{"fhir-import-missing", []string{"fhir", "import", "testdata/setup/no-such-export.json"}, ""},
			})

			// Build the claim with billing, as the nightly job does, on a
			// fixed clock so the status history is reproducible.
			ctx := context.Background()
			now := func() time.Time { return practiceNow }
			var st store.Store
			var err error
			if backend == "sqlite" {
				st, err = sqlitestore.Open(ctx, sqlitestore.Config{Path: db, Now: now})
			} else {
				st, err = pgstore.Open(ctx, pgstore.Config{URL: db, Now: now, MaxConns: 2})
			}
			if err != nil {
				t.Fatal(err)
			}
			reg, err := fixtures.Payers()
			if err != nil {
				t.Fatal(err)
			}
			profiles, err := billing.StoredProfiles(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			bill, err := billing.New(st, billing.Options{Now: now, Payers: reg, Profiles: profiles, Actor: "billing"})
			if err != nil {
				t.Fatal(err)
			}
			for _, enc := range []int64{1, 2} {
				if _, err := bill.BuildClaim(ctx, 1, enc, billing.BuildOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			st.Close()

			runSetupCases(t, db, "practice", []setupCase{
				{"claims-show", []string{"claims", "show", "E1"}, ""},
				{"claims-show-json", []string{"claims", "show", "1", "-o", "json"}, ""},
				{"claims-show-imported", []string{"claims", "show", "E2"}, ""},
				{"claims-scrub-stored", []string{"claims", "scrub", "--claim", "E2", "--today", "2026-04-07"}, ""},
				{"claims-scrub-both", []string{"claims", "scrub", "x.json", "--claim", "E2"}, ""},
				{"claims-correct-dry-run", []string{"claims", "correct", "E2", "--set", "priorAuthorization=PA77", "--dry-run",
					"--now", "2026-04-07T15:00:00Z"}, ""},
			})

			// A night through the queue against the payer simulator: the
			// claims are scrubbed, submitted, acknowledged and paid.
			clk := clock.New(practiceNow)
			if backend == "sqlite" {
				st, err = sqlitestore.Open(ctx, sqlitestore.Config{Path: db, Now: clk.Now})
			} else {
				st, err = pgstore.Open(ctx, pgstore.Config{URL: db, Now: clk.Now, MaxConns: 4})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			runNight(t, st, clk)
			for _, pcn := range []string{"E1", "E2"} {
				code, out, errOut := run(t, "--database", db, "claims", "show", pcn)
				if code != 0 || !strings.Contains(out, "status:              paid") || !strings.Contains(out, "KHP01") {
					t.Errorf("claims show %s after the night: exit %d\n%s%s", pcn, code, out, errOut)
				}
			}

			// The FHIR API over the same database, as serve --fhir-tokens
			// mounts it.
			auth, err := loadTokenFile("testdata/setup/fhir-tokens")
			if err != nil {
				t.Fatal(err)
			}
			api, err := newFHIRAPI(st, auth, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(api)
			defer srv.Close()
			for _, tc := range []struct {
				path, token string
				status      int
				want        string
			}{
				{"/fhir/r4/Claim/1-2", "biller-token", 200, `"value":"KHP777001"`},
				{"/fhir/r4/Claim?patient=1-2", "biller-token", 200, `"total":1`},
				{"/fhir/r4/Patient/1-2", "biller-token", 200, `"family":"Lovelace"`},
				{"/fhir/r4/ClaimResponse/1-1", "biller-token", 200, `"outcome":"complete"`},
				{"/fhir/r4/ExplanationOfBenefit?patient=1-1", "biller-token", 200, `"total":1`},
				{"/fhir/r4/ExplanationOfBenefit?patient=1-2", "biller-token", 200, `"resourceType":"ExplanationOfBenefit"`},
				{"/fhir/r4/Claim/1-1", "biller-token", 200, `"status":"active"`},
				{"/fhir/r4/Claim/1-2", "", 401, ""},
				{"/fhir/r4/Claim/1-2", "wrong", 401, ""},
			} {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
				if tc.token != "" {
					req.Header.Set("Authorization", "Bearer "+tc.token)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.want) {
					t.Errorf("GET %s: %d, want %d with %s:\n%s", tc.path, resp.StatusCode, tc.status, tc.want, body)
				}
			}
		})
	}
}
