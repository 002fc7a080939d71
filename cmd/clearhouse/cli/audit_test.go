package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// auditDB makes a migrated SQLite database with two clinics of three audit
// events each and returns its path and store.
func auditDB(t *testing.T) (string, *sqlitestore.Store, []store.Clinic) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "audit.db")
	s, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var clinics []store.Clinic
	for _, name := range []string{"North", "South"} {
		c, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		clinics = append(clinics, c)
		for i := range 3 {
			if _, err := s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: c.ID, Actor: "kim", Action: "claim.update",
				EntityType: "claim", EntityID: string(rune('1' + i)), Details: json.RawMessage(`{"status":"ready"}`)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return path, s, clinics
}

// tamper runs sql past the append-only triggers, as someone editing the
// file would.
func tamper(t *testing.T, s *sqlitestore.Store, sql string) {
	t.Helper()
	for _, st := range []string{"DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete", sql} {
		if _, err := s.DB().Exec(st); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditVerify(t *testing.T) {
	tests := []struct {
		name   string
		tamper string
		code   int
		out    string
	}{
		{"intact", "", 0, "OK: 6 events in 2 clinics verified\n"},
		{"altered", `UPDATE audit_events SET details = '{"status":"paid"}' WHERE clinic_id = 2 AND seq = 2`, 1,
			"FAIL clinic 2 (South): event 2 altered: stored hash does not match its fields\n"},
		{"deleted", `DELETE FROM audit_events WHERE clinic_id = 1 AND seq = 1`, 1,
			"FAIL clinic 1 (North): event 1 deleted: sequence jumps from 0 to 2\n"},
		{"inserted", `INSERT INTO audit_events SELECT clinic_id, 4, 'mallory', action, entity_type, entity_id, at, details, hash, hash FROM audit_events WHERE clinic_id = 1 AND seq = 3`, 1,
			"FAIL clinic 1 (North): event 4 inserted: beyond the chain head (last sequence 3)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, s, _ := auditDB(t)
			if tt.tamper != "" {
				tamper(t, s, tt.tamper)
			}
			code, out, errOut := run(t, "--database", path, "audit", "verify")
			if code != tt.code || out != tt.out {
				t.Fatalf("code %d, output %q, stderr %q; want code %d, output %q", code, out, errOut, tt.code, tt.out)
			}
			if tt.code == 1 && !strings.Contains(errOut, "audit log damaged in 1 clinic") {
				t.Fatalf("stderr %q", errOut)
			}
		})
	}
}

func TestAuditVerifyOneClinic(t *testing.T) {
	path, s, clinics := auditDB(t)
	tamper(t, s, `UPDATE audit_events SET actor = 'x' WHERE clinic_id = 1`)
	code, out, _ := run(t, "--database", path, "audit", "verify", "--clinic", fmt.Sprint(clinics[1].ID))
	if code != 0 || out != "OK: 3 events in 1 clinic verified\n" {
		t.Fatalf("code %d, output %q", code, out)
	}
}

func TestAuditVerifyMissingDatabase(t *testing.T) {
	code, _, errOut := run(t, "--database", filepath.Join(t.TempDir(), "none.db"), "audit", "verify")
	if code != 2 || !strings.Contains(errOut, "run clearhouse migrate") {
		t.Fatalf("code %d, stderr %q", code, errOut)
	}
}
