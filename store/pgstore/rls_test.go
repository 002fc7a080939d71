package pgstore_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
)

// TestRowLevelSecurity goes under the store: raw SQL on the store's own
// connections (the application role) cannot read or change another clinic's
// rows, whatever IDs it names.
func TestRowLevelSecurity(t *testing.T) {
	ctx := context.Background()
	s := testStore
	mk := func(name string) (store.Clinic, store.Patient, store.Claim) {
		c, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		payer, err := s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "P", Name: "P"})
		if err != nil {
			t.Fatal(err)
		}
		pt, err := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "1", FirstName: "A", LastName: "B"})
		if err != nil {
			t.Fatal(err)
		}
		cl, err := s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: c.ID, PayerID: payer.ID, PatientID: pt.ID, PatientControlNumber: "X", TotalChargeCents: 500})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetClaimStatus(ctx, store.SetClaimStatusParams{ClinicID: c.ID, ID: cl.ID, Status: claim.StatusReady}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AppendAuditEvent(ctx, store.AppendAuditEventParams{ClinicID: c.ID, Actor: "a", Action: "b"}); err != nil {
			t.Fatal(err)
		}
		return c, pt, cl
	}
	a, _, _ := mk("RLS A")
	b, bPatient, bClaim := mk("RLS B")

	var role string
	var super, bypass bool
	err := s.Pool().QueryRow(ctx, `SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&role, &super, &bypass)
	if err != nil {
		t.Fatal(err)
	}
	if role != pgstore.AppRole || super || bypass {
		t.Fatalf("store connections run as %s (superuser %v, bypassrls %v), want %s without either", role, super, bypass, pgstore.AppRole)
	}

	asClinic := func(clinicID int64, fn func(tx pgx.Tx)) {
		t.Helper()
		tx, err := s.Pool().Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if clinicID != 0 {
			if _, err := tx.Exec(ctx, "SELECT set_config('clearhouse.clinic_id', $1, true)", strconv.FormatInt(clinicID, 10)); err != nil {
				t.Fatal(err)
			}
		}
		fn(tx)
	}
	count := func(tx pgx.Tx, sql string, args ...any) int64 {
		t.Helper()
		var n int64
		if err := tx.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	affected := func(tx pgx.Tx, sql string, args ...any) int64 {
		t.Helper()
		tag, err := tx.Exec(ctx, sql, args...)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return tag.RowsAffected()
	}

	asClinic(a.ID, func(tx pgx.Tx) {
		tables := []string{"claims", "patients", "payers", "claim_status_history", "audit_events", "audit_heads"}
		for _, table := range tables {
			if n := count(tx, "SELECT count(*) FROM "+table+" WHERE clinic_id = $1", b.ID); n != 0 {
				t.Errorf("clinic A sees %d of clinic B's %s rows", n, table)
			}
			if n := count(tx, "SELECT count(*) FROM "+table+" WHERE clinic_id = $1", a.ID); n == 0 {
				t.Errorf("clinic A sees none of its own %s rows", table)
			}
		}
		if n := count(tx, "SELECT count(*) FROM claims WHERE id = $1", bClaim.ID); n != 0 {
			t.Error("clinic A reads clinic B's claim by ID")
		}
		if n := count(tx, "SELECT count(*) FROM clinics"); n != 1 {
			t.Errorf("clinic A sees %d clinics, want only itself", n)
		}
		if n := affected(tx, "UPDATE claims SET total_charge_cents = 0 WHERE id = $1", bClaim.ID); n != 0 {
			t.Error("clinic A updated clinic B's claim")
		}
		if n := affected(tx, "DELETE FROM claim_status_history WHERE claim_id = $1", bClaim.ID); n != 0 {
			t.Error("clinic A deleted clinic B's claim history")
		}
		if n := affected(tx, "UPDATE patients SET last_name = 'X' WHERE id = $1", bPatient.ID); n != 0 {
			t.Error("clinic A updated clinic B's patient")
		}
		if n := affected(tx, "UPDATE clinics SET name = 'X' WHERE id = $1", b.ID); n != 0 {
			t.Error("clinic A renamed clinic B")
		}
	})
	// Writing a row for another clinic violates the policy's WITH CHECK.
	asClinic(a.ID, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, "INSERT INTO patients (clinic_id, mrn, first_name, last_name, created_at, updated_at) VALUES ($1, 'Z', 'Z', 'Z', now(), now())", b.ID)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("insert into clinic B: %v, want a row-level security violation", err)
		}
	})
	asClinic(a.ID, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, "UPDATE claims SET clinic_id = $1 WHERE clinic_id = $2", b.ID, a.ID)
		if err == nil {
			t.Error("clinic A moved its claims to clinic B")
		}
	})
	// No clinic set: nothing visible.
	asClinic(0, func(tx pgx.Tx) {
		if n := count(tx, "SELECT count(*) FROM claims"); n != 0 {
			t.Errorf("a transaction without a clinic sees %d claims", n)
		}
	})
	// The audit log is append-only for the application role.
	asClinic(a.ID, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, "UPDATE audit_events SET actor = 'x' WHERE clinic_id = $1", a.ID)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42501" {
			t.Errorf("update audit_events: %v, want permission denied", err)
		}
	})
	asClinic(a.ID, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, "DELETE FROM audit_events WHERE clinic_id = $1", a.ID)
		if err == nil {
			t.Error("application role deleted audit events")
		}
	})
	got, err := s.GetClaim(ctx, store.Ref{ClinicID: b.ID, ID: bClaim.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalChargeCents != 500 {
		t.Fatalf("clinic B's claim changed: %+v", got)
	}
}

func TestMigrateTwice(t *testing.T) {
	s, err := pgstore.Open(context.Background(), pgstore.Config{URL: testURL})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	applied, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v", applied)
	}
}
