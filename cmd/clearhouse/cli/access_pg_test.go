package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestRoleCommandMatrix runs commands on PostgreSQL as people of each role,
// each connecting with a login role of their own: what the role allows
// succeeds (the database's grants and row-level security included), the
// rest exits 3 with a clear message and an access.denied audit event; and
// a biller of clinic 1 with psql-like raw SQL on her own login sees and
// writes nothing of clinic 2.
func TestRoleCommandMatrix(t *testing.T) {
	ctx := context.Background()
	admURL := storetest.PostgresURL(t, "clearhouse_cli_roles")
	clk := clock.New(reporttest.End)
	st, err := pgstore.Open(ctx, pgstore.Config{URL: admURL, Now: clk.Now, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	seeded, err := reporttest.Seed(ctx, st, clk)
	if err != nil {
		t.Fatal(err)
	}
	c1 := seeded.Clinic.ID
	other, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Other clinic"})
	if err != nil {
		t.Fatal(err)
	}
	c2 := other.ID
	secret, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c2, MRN: "B-1", FirstName: "Secret", LastName: "Patient"})
	if err != nil {
		t.Fatal(err)
	}

	// Login roles are cluster-wide: unique names, dropped at the end.
	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	super, err := pgx.Connect(ctx, admURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	logins := map[access.Role]string{}
	urls := map[access.Role]string{}
	for _, r := range access.Roles {
		login := "chtest_" + string(r) + "_" + suffix
		if _, err := super.Exec(ctx, "CREATE ROLE "+pgx.Identifier{login}.Sanitize()+" LOGIN"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c, err := pgx.Connect(context.Background(), admURL)
			if err != nil {
				return
			}
			defer c.Close(context.Background())
			c.Exec(context.Background(), "DROP OWNED BY "+pgx.Identifier{login}.Sanitize())
			c.Exec(context.Background(), "DROP ROLE IF EXISTS "+pgx.Identifier{login}.Sanitize())
		})
		logins[r] = login
		u, _ := url.Parse(admURL)
		u.User = url.User(login)
		urls[r] = u.String()
		if code, _, errOut := run(t, "--database", admURL, "users", "add", login, "--role", string(r), "--clinic", fmt.Sprint(c1)); code != 0 {
			t.Fatalf("users add %s: exit %d: %s", login, code, errOut)
		}
	}

	cid := fmt.Sprint(c1)
	item := fmt.Sprint(seeded.Items["denial16"].ID)
	claimID := fmt.Sprint(seeded.Claims[1].ID)
	F, B, BM, M, O, A := access.FrontDesk, access.Biller, access.BillingManager, access.Manager, access.Operator, access.Admin
	cases := []struct {
		args  []string
		allow []access.Role
	}{
		{[]string{"patients", "list", "--clinic", cid}, []access.Role{F, B, BM, A}},
		{[]string{"coverage", "list", "--clinic", cid}, []access.Role{F, B, BM, A}},
		{[]string{"appointments", "list", "--clinic", cid, "--tz", "UTC"}, []access.Role{F, B, BM, M, A}},
		{[]string{"claims", "show", claimID, "--clinic", cid}, []access.Role{B, BM, M, A}},
		{[]string{"worklist", "--clinic", cid}, []access.Role{B, BM, M, A}},
		{[]string{"worklist", "note", item, "checked", "--clinic", cid}, []access.Role{B, BM, A}},
		{[]string{"statements", "--clinic", cid, "--date", "2026-04-01"}, []access.Role{F, B, BM, M, A}},
		{[]string{"report", "kpis", "--clinic", cid, "--from", "2026-03-01", "--to", "2026-03-31"}, []access.Role{BM, M, A}},
		{[]string{"inbound", "list", "--clinic", cid}, []access.Role{O, A}},
		{[]string{"audit", "list", "--clinic", cid, "--limit", "1"}, []access.Role{BM, A}},
		{[]string{"audit", "verify", "--clinic", cid}, []access.Role{BM, A}},
		{[]string{"users", "list"}, []access.Role{A}},
		{[]string{"clinics", "list"}, access.Roles},
		// Nobody of clinic 1 reaches clinic 2, whatever their role.
		{[]string{"patients", "list", "--clinic", fmt.Sprint(c2)}, nil},
		{[]string{"patients", "show", fmt.Sprint(secret.ID), "--clinic", fmt.Sprint(c2)}, nil},
	}
	for _, tc := range cases {
		for _, r := range access.Roles {
			allowed := false
			for _, a := range tc.allow {
				allowed = allowed || a == r
			}
			args := append([]string{"--database", urls[r]}, tc.args...)
			code, out, errOut := run(t, args...)
			name := fmt.Sprintf("%s: %s", r, strings.Join(tc.args, " "))
			switch {
			case allowed && code != 0:
				t.Errorf("%s: exit %d, want 0\n%s%s", name, code, out, errOut)
			case !allowed && code != ExitDenied:
				t.Errorf("%s: exit %d, want %d (refused)\n%s%s", name, code, ExitDenied, out, errOut)
			case !allowed && !strings.Contains(errOut, "access denied: "+logins[r]):
				t.Errorf("%s: refusal message %q", name, errOut)
			}
			if strings.Contains(out, "Secret") {
				t.Errorf("%s: clinic 2's patient shown to %s", name, r)
			}
		}
	}
	// Every refusal is in clinic 1's audit log, under the person's login.
	events, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: c1})
	if err != nil {
		t.Fatal(err)
	}
	denied := map[string]int{}
	for _, e := range events {
		if e.Action == "access.denied" {
			denied[e.Actor]++
		}
	}
	for _, r := range access.Roles {
		want := 0
		for _, tc := range cases {
			allowed := false
			for _, a := range tc.allow {
				allowed = allowed || a == r
			}
			if !allowed {
				want++
			}
		}
		if denied[logins[r]] != want {
			t.Errorf("%s: %d access.denied events, want %d", r, denied[logins[r]], want)
		}
	}
	if v, err := st.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: c1}); err != nil || !v.OK() {
		t.Errorf("audit chain after the matrix: %+v, %v", v, err)
	}

	t.Run("raw SQL with her own login", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, urls[B])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		as := func(clinic int64, sql string, args ...any) (int64, error) {
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "SELECT set_config('clearhouse.clinic_id', $1, true)", fmt.Sprint(clinic)); err != nil {
				t.Fatal(err)
			}
			var n int64
			if strings.HasPrefix(sql, "SELECT") {
				err = tx.QueryRow(ctx, sql, args...).Scan(&n)
			} else {
				var tag interface{ RowsAffected() int64 }
				tag, err = tx.Exec(ctx, sql, args...)
				if err == nil {
					n = tag.RowsAffected()
				}
			}
			return n, err
		}
		if n, err := as(c1, "SELECT count(*) FROM patients"); err != nil || n == 0 {
			t.Fatalf("her own clinic's patients: %d, %v", n, err)
		}
		for _, q := range []string{"SELECT count(*) FROM patients", "SELECT count(*) FROM claims", "SELECT count(*) FROM clinics",
			"SELECT count(*) FROM audit_heads", "SELECT count(*) FROM clearhouse_clinics() WHERE id = " + fmt.Sprint(c2)} {
			if n, err := as(c2, q); err != nil || n != 0 {
				t.Errorf("clinic 2, %s: %d rows, %v", q, n, err)
			}
		}
		if n, err := as(c2, "SELECT count(*) FROM patients WHERE id = $1", secret.ID); err != nil || n != 0 {
			t.Errorf("clinic 2's patient by ID: %d, %v", n, err)
		}
		if n, err := as(c2, "UPDATE patients SET last_name = 'X' WHERE id = $1", secret.ID); err != nil || n != 0 {
			t.Errorf("update clinic 2's patient: %d rows, %v", n, err)
		}
		if _, err := as(c2, "INSERT INTO patients (clinic_id, mrn, first_name, last_name, created_at, updated_at) VALUES ($1, 'X', 'X', 'X', now(), now())", c2); err == nil {
			t.Errorf("insert into clinic 2: not refused")
		}
		// What the role forbids: River's tables, the users, deleting.
		for _, q := range []string{"SELECT count(*) FROM river_job", "SELECT count(*) FROM users", "SELECT count(*) FROM audit_events",
			"DELETE FROM worklist_items", "UPDATE users SET role = 'admin'", "UPDATE audit_events SET actor = 'x'"} {
			if _, err := as(c1, q); err == nil {
				t.Errorf("%s: not refused", q)
			}
		}
		if n, err := as(c1, "SELECT count(*) FROM patients WHERE clinic_id = $1", c2); err != nil || n != 0 {
			t.Errorf("clinic 2's patients from clinic 1: %d, %v", n, err)
		}
	})
	t.Run("front desk cannot read remittances", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, urls[F])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "SELECT 1 FROM remittances LIMIT 1"); err == nil {
			t.Errorf("front desk read remittances")
		}
	})
	t.Run("disabled", func(t *testing.T) {
		if code, _, errOut := run(t, "--database", admURL, "users", "disable", logins[B]); code != 0 {
			t.Fatalf("disable: %d %s", code, errOut)
		}
		code, _, errOut := run(t, "--database", urls[B], "patients", "list", "--clinic", cid)
		if code != ExitDenied || !strings.Contains(errOut, "disabled") {
			t.Errorf("a disabled user: exit %d, %s", code, errOut)
		}
		conn, err := pgx.Connect(ctx, urls[B])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int64
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT set_config('clearhouse.clinic_id', $1, true)", cid); err != nil {
				return err
			}
			return tx.QueryRow(ctx, "SELECT count(*) FROM patients").Scan(&n)
		})
		if err != nil || n != 0 {
			t.Errorf("a disabled user's raw SQL: %d rows, %v", n, err)
		}
	})
}
