package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestInitFlags sets up a practice on a database that does not exist yet,
// from flags only.
func TestInitFlags(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "new.db")
	runSetupCases(t, db, "init", []setupCase{
		{"missing", []string{"init", "--no-prompt", "--name", "Riverbend Family Medicine", "--npi", "1234567890"}, ""},
		{"flags", []string{"init", "--name", "Riverbend Family Medicine", "--npi", "1234567893", "--tax-id", "123456789",
			"--address-line1", "100 MAIN ST", "--city", "SPRINGFIELD", "--state", "PA", "--postal-code", "190641234",
			"--time-zone", "America/New_York", "--taxonomy", "207Q00000X", "--profile", "testdata/setup/fees.yaml",
			"--provider-npi", "1245319599", "--provider-first-name", "ANN", "--provider-last-name", "KIM", "--provider-taxonomy", "207Q00000X",
			"--payer", "KHP01", "--payer", "MCRJX", "--enroll-837", "enrolled"}, ""},
		{"again", []string{"init", "--name", "Other"}, ""},
		{"after-providers", []string{"providers", "list"}, ""},
		{"after-payers", []string{"payers", "list"}, ""},
	})
}

// TestInitPrompts answers init's questions from a script: a wrong NPI is
// asked again, Enter keeps a value given as a flag.
func TestInitPrompts(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "new.db")
	answers := strings.Join([]string{
		"Riverbend Family Medicine", // name
		"1234567890",                // bad NPI, asked again
		"1234567893",                // NPI
		"12-3456789",                // tax ID
		"100 MAIN ST", "SPRINGFIELD", "PA", "190641234",
		"", // time zone: keep the flag's
		"207Q00000X", "BILLING OFFICE", "2155550100",
		"ANN", "KIM", "1245319599", "207Q00000X",
		"khp01, summt",
	}, "\n") + "\n"
	runSetupCases(t, db, "init", []setupCase{
		{"prompts", []string{"init", "--interactive", "--time-zone", "America/Chicago"}, answers},
		{"prompts-clinic", []string{"clinics", "show"}, ""},
	})
	db2 := filepath.Join(t.TempDir(), "new.db")
	runSetupCases(t, db2, "init", []setupCase{
		{"prompts-eof", []string{"init", "--interactive"}, "Riverbend Family Medicine\n"},
	})
}
