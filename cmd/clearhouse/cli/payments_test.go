package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPaymentsCommands(t *testing.T) {
	t.Parallel()
	db := seededDB(t, "sqlite")
	addBalances(t, db)
	d := "--date=2026-04-01"
	runCases(t, db, "payments", []cliCase{
		{"add-check", []string{"payments", "add", "--patient", "3", "--amount", "60.00", "--method", "check", "--reference", "CHK-1", d}, nil},
		{"add-cash", []string{"payments", "add", "--patient", "2", "--amount", "20.00", d}, nil},
		{"add-card-no-processor", []string{"payments", "add", "--patient", "2", "--amount", "5.00", "--method", "card", "--card-token", "pm_card_visa", d}, nil},
		{"add-bad-method", []string{"payments", "add", "--patient", "2", "--amount", "5.00", "--method", "barter"}, nil},
		{"add-no-amount", []string{"payments", "add", "--patient", "2"}, nil},
		{"list", []string{"payments", "list"}, nil},
		{"receipt", []string{"payments", "show", "1", "--receipt", "text"}, nil},
		{"refund", []string{"payments", "refund", "1", "--amount", "10.00", "--reason", "overpaid"}, nil},
		{"refund-too-much", []string{"payments", "refund", "1", "--amount", "100.00"}, nil},
		{"void", []string{"payments", "void", "2", "--reason", "entered twice"}, nil},
		{"show-json", []string{"payments", "show", "1", "-o", "json"}, nil},
		{"list-csv", []string{"payments", "list", "--patient", "3", "-o", "csv"}, nil},
		{"plans-add", []string{"payments", "plans", "add", "--patient", "3", "--total", "30.00", "--instalment", "10.00", "--first-due", "2026-04-15"}, nil},
		{"plans-list", []string{"payments", "plans", "list"}, nil},
		{"deposits-import", []string{"deposits", "import", "testdata/payments/deposits.csv"}, nil},
		{"deposits-import-again", []string{"deposits", "import", "testdata/payments/deposits.csv"}, nil},
		{"deposits-match", []string{"deposits", "match", "--grace-days", "0"}, nil},
		{"deposits-list", []string{"deposits", "list", "--unmatched"}, nil},
	})
	pdf := filepath.Join(t.TempDir(), "r.pdf")
	runCasesNoGolden(t, db, []string{"payments", "show", "1", "--receipt", "pdf", "--out", pdf})
	b, err := os.ReadFile(pdf)
	if err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Fatalf("receipt PDF: %v %q", err, b[:min(len(b), 8)])
	}
	st := filepath.Join(t.TempDir(), "s.pdf")
	runCasesNoGolden(t, db, []string{"statements", "--pdf", "--out", st, "--date", "2026-04-01"})
	b, err = os.ReadFile(st)
	if err != nil || !strings.HasPrefix(string(b), "%PDF-") || strings.Count(string(b), "/Type /Page\n") < 1 {
		t.Fatalf("statements PDF: %v, %d bytes", err, len(b))
	}
}

// runCasesNoGolden runs one command that writes a file and fails the test
// on a non-zero exit.
func runCasesNoGolden(t *testing.T, db string, args []string) {
	t.Helper()
	var out, errb strings.Builder
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	root := NewRootCmd(env)
	root.SetArgs(append([]string{"--database", db}, args...))
	if err := root.Execute(); err != nil {
		t.Fatalf("clearhouse %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
}
