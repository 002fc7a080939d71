package cli

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/paysim"
)

// realTimeSimulator serves the payer simulator's real-time endpoint with
// JANE DOE (MBR100) active at KHP01; delay holds a payer's answers back.
func realTimeSimulator(t *testing.T, delay map[string]time.Duration) string {
	t.Helper()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	sim, err := paysim.NewSimulator(paysim.Config{
		Server: paysim.ServerConfig{Root: t.TempDir(), Payers: []string{"KHP01", "SUMMT"},
			Users: []paysim.User{{Name: "clearhouse", Password: "rt-secret"}}},
		Registry: reg,
		Roster: []paysim.Member{{Payer: "KHP01", MemberID: "MBR100", LastName: "DOE", FirstName: "JANE", Active: true,
			Plan: "KEYSTONE PPO", CostSharing: paysim.CostSharing{CopayCents: 2500}}},
		RealTimeDelay: delay,
		Now:           func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	srv := httptest.NewServer(sim.RealTimeHandler())
	t.Cleanup(srv.Close)
	return srv.URL + "/core"
}

func TestEligibilityCheckRealTime(t *testing.T) {
	url := realTimeSimulator(t, nil)
	db, clinic, provider, patient := schedulingDB(t)
	cl := fmt.Sprint(clinic)
	base := []string{"--database", db}

	t.Setenv("CLEARHOUSE_REALTIME_PASSWORD", "")
	code, _, errOut := run(t, append(base, "eligibility", "check", "--clinic", cl, "--patient", fmt.Sprint(patient), "--realtime-url", url)...)
	if code != 2 || !strings.Contains(errOut, "CLEARHOUSE_REALTIME_PASSWORD") {
		t.Fatalf("no password: %d %q", code, errOut)
	}

	t.Setenv("CLEARHOUSE_REALTIME_PASSWORD", "rt-secret")
	code, out, errOut := run(t, append(base, "eligibility", "check", "--clinic", cl, "--patient", fmt.Sprint(patient), "--realtime-url", url,
		"--date", "2026-03-03")...)
	if code != 0 || !strings.Contains(out, "to KHP01 answered in") || !strings.Contains(out, "is active") || !strings.Contains(out, "ACTIVE") {
		t.Fatalf("check: %d %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, "rt-secret") {
		t.Fatalf("the password is printed")
	}
	code, out, _ = run(t, append(base, "eligibility", "check", "--clinic", cl, "--patient", fmt.Sprint(patient), "--realtime-url", url, "-o", "json")...)
	if code != 0 || !strings.Contains(out, `"status": "active"`) || !strings.Contains(out, `"payer": "KHP01"`) {
		t.Fatalf("check -o json: %d %q", code, out)
	}

	// A wrong password is refused by the payer: exit 1, the message says so.
	t.Setenv("CLEARHOUSE_REALTIME_PASSWORD", "guess")
	code, _, errOut = run(t, append(base, "eligibility", "check", "--clinic", cl, "--patient", fmt.Sprint(patient), "--realtime-url", url)...)
	if code != 1 || !strings.Contains(errOut, "UnAuthorized") {
		t.Fatalf("wrong password: %d %q", code, errOut)
	}
	t.Setenv("CLEARHOUSE_REALTIME_PASSWORD", "rt-secret")

	// Check-in with a fresh answer on file uses it; booked far later, the
	// answer is too old for --max-age and a new one is asked for.
	code, _, errOut = run(t, append(base, "appointments", "book", "--clinic", cl, "--patient", fmt.Sprint(patient), "--provider", fmt.Sprint(provider),
		"--at", "2026-03-03 09:00")...)
	if code != 0 {
		t.Fatalf("book: %d %q", code, errOut)
	}
	code, out, errOut = run(t, append(base, "appointments", "checkin", "1", "--clinic", cl, "--realtime-url", url, "--max-age", "1ns")...)
	if code != 0 || !strings.Contains(out, "a fresh one was asked for in real time") || !strings.Contains(out, "copay") {
		t.Fatalf("checkin with a stale answer: %d %q %q", code, out, errOut)
	}
}

func TestEligibilityCheckTimeout(t *testing.T) {
	url := realTimeSimulator(t, map[string]time.Duration{"KHP01": 10 * time.Second})
	db, clinic, _, patient := schedulingDB(t)
	t.Setenv("CLEARHOUSE_REALTIME_PASSWORD", "rt-secret")
	start := time.Now()
	code, _, errOut := run(t, "--database", db, "eligibility", "check", "--clinic", fmt.Sprint(clinic), "--patient", fmt.Sprint(patient),
		"--realtime-url", url, "--timeout", "300ms")
	if code != 1 || !strings.Contains(errOut, "no answer") || !strings.Contains(errOut, "KHP01") {
		t.Fatalf("timeout: %d %q", code, errOut)
	}
	if time.Since(start) > 8*time.Second {
		t.Fatalf("the command waited for the payer's late answer")
	}
	// The unanswered 270 is kept with why; the coverage is unchanged.
	code, out, _ := run(t, "--database", db, "coverage", "show", "1", "--clinic", fmt.Sprint(clinic))
	if code != 0 || strings.Contains(out, "active") {
		t.Fatalf("coverage after a timeout: %d %q", code, out)
	}
}
