package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// TestJobRequestsPostgres: a biller of clinic 1, connecting with her own
// login, asks for her clinic's nightly run; serve, connecting as an
// operator's login, sees the request and turns it into the River job, and
// the job's end reaches the request she reads. She cannot ask for clinic 2
// (the command refuses, and so does the database with hand-written SQL),
// sees none of clinic 2's requests, cannot write a request in another's
// name, mark one taken or touch River's tables.
func TestJobRequestsPostgres(t *testing.T) {
	ctx := context.Background()
	admURL := storetest.PostgresURL(t, "clearhouse_cli_requests")
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
	// A request of clinic 2, written by the database owner.
	theirs, err := st.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: c2, Requests: []store.NewJobRequest{{Kind: "nightly"}}})
	if err != nil {
		t.Fatal(err)
	}

	var b [4]byte
	rand.Read(b[:])
	suffix := hex.EncodeToString(b[:])
	super, err := pgx.Connect(ctx, admURL)
	if err != nil {
		t.Fatal(err)
	}
	defer super.Close(ctx)
	person := func(role string, clinics ...int64) (login, dsn string) {
		login = "chreq_" + role + "_" + suffix
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
		args := []string{"--database", admURL, "users", "add", login, "--role", role}
		for _, c := range clinics {
			args = append(args, "--clinic", fmt.Sprint(c))
		}
		if code, _, errOut := run(t, args...); code != 0 {
			t.Fatalf("users add %s: exit %d: %s", login, code, errOut)
		}
		u, _ := url.Parse(admURL)
		u.User = url.User(login)
		return login, u.String()
	}
	biller, billerURL := person("biller", c1)
	_, operatorURL := person("operator", c1)

	code, out, errOut := run(t, "--database", billerURL, "jobs", "request", "nightly", "--clinic", fmt.Sprint(c1))
	m := regexp.MustCompile(`^job request (\d+): nightly for clinic \d+, pending`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("biller's request: exit %d\n%s%s", code, out, errOut)
	}
	var reqID int64
	fmt.Sscan(m[1], &reqID)
	if code, _, errOut := run(t, "--database", billerURL, "jobs", "request", "nightly", "--clinic", fmt.Sprint(c2)); code != ExitDenied ||
		!strings.Contains(errOut, "access denied: "+biller) {
		t.Errorf("biller's request for clinic 2: exit %d, %s", code, errOut)
	}

	// Serve, as the operator of clinic 1: it sees her request, not clinic
	// 2's, and inserts the job.
	opStore, err := pgstore.Open(ctx, pgstore.Config{URL: operatorURL, Now: clk.Now, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer opStore.Close()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	wired, err := worker.Wire(worker.Wiring{Store: opStore, Payers: reg, NoPeriodic: true,
		Pipeline: worker.Config{Endpoint: func(*payers.Payer) (transport.Endpoint, error) {
			return transport.Endpoint{}, errors.New("no SFTP in this test")
		}}})
	if err != nil {
		t.Fatal(err)
	}
	defer wired.Close()
	if n, err := wired.Pipeline.TakeJobRequests(ctx); err != nil || n != 1 {
		t.Fatalf("serve took %d requests, %v; want her one", n, err)
	}
	got, err := st.GetJobRequest(ctx, store.Ref{ClinicID: c1, ID: reqID})
	if err != nil || got.State != store.JobRequestTaken || got.JobID == nil || got.RequestedBy != biller {
		t.Fatalf("her request after serve: %+v, %v", got, err)
	}
	var kind, args string
	if err := super.QueryRow(ctx, "SELECT kind, args::text FROM river_job WHERE id = $1", *got.JobID).Scan(&kind, &args); err != nil ||
		kind != "nightly" || strings.ReplaceAll(args, " ", "") != fmt.Sprintf(`{"clinic_id":%d}`, c1) {
		t.Errorf("job %d: %s %s, %v", *got.JobID, kind, args, err)
	}
	if r, err := st.GetJobRequest(ctx, store.Ref{ClinicID: c2, ID: theirs[0].ID}); err != nil || r.State != store.JobRequestPending {
		t.Errorf("clinic 2's request, which clinic 1's operator does not serve: %+v, %v", r, err)
	}
	// The job ends; serve's next round records it, and she reads it.
	if _, err := super.Exec(ctx, "UPDATE river_job SET state = 'completed', finalized_at = now() WHERE id = $1", *got.JobID); err != nil {
		t.Fatal(err)
	}
	if _, err := wired.Pipeline.TakeJobRequests(ctx); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = run(t, "--database", billerURL, "jobs", "requests", "--clinic", fmt.Sprint(c1))
	if code != 0 || !regexp.MustCompile(fmt.Sprintf(`(?m)^%d +nightly .* completed +%d`, reqID, *got.JobID)).MatchString(out) {
		t.Errorf("her requests: exit %d\n%s%s", code, out, errOut)
	}

	t.Run("raw SQL with her own login", func(t *testing.T) {
		conn, err := pgx.Connect(ctx, billerURL)
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
			if strings.HasPrefix(sql, "SELECT") {
				var n int64
				return n, tx.QueryRow(ctx, sql, args...).Scan(&n)
			}
			tag, err := tx.Exec(ctx, sql, args...)
			return tag.RowsAffected(), err
		}
		if n, err := as(c1, "SELECT count(*) FROM job_requests"); err != nil || n != 1 {
			t.Errorf("her clinic's requests: %d, %v", n, err)
		}
		if _, err := as(c1, "INSERT INTO job_requests (clinic_id, kind, requested_at) VALUES ($1, 'nightly', now())", c1); err != nil {
			t.Errorf("a request of her clinic in her name: %v", err)
		}
		for _, c := range []int64{c1, c2} {
			if n, err := as(c, "SELECT count(*) FROM job_requests WHERE clinic_id = $1", c2); err != nil || n != 0 {
				t.Errorf("clinic 2's requests seen from clinic %d: %d, %v", c, n, err)
			}
		}
		refused := []struct {
			clinic int64
			sql    string
		}{
			{c2, "INSERT INTO job_requests (clinic_id, kind, requested_at) VALUES (" + fmt.Sprint(c2) + ", 'nightly', now())"},
			{c1, "INSERT INTO job_requests (clinic_id, kind, requested_at) VALUES (" + fmt.Sprint(c2) + ", 'nightly', now())"},
			{c1, "INSERT INTO job_requests (clinic_id, kind, requested_at, requested_by) VALUES (" + fmt.Sprint(c1) + ", 'nightly', now(), 'someone_else')"},
			{c1, "UPDATE job_requests SET state = 'taken', job_id = 1"},
			{c1, "DELETE FROM job_requests"},
			{c1, "INSERT INTO river_job (args, kind, max_attempts, queue, state) VALUES ('{}', 'nightly', 1, 'default', 'available')"},
			{c1, "SELECT count(*) FROM river_job"},
		}
		for _, q := range refused {
			if _, err := as(q.clinic, q.sql); err == nil {
				t.Errorf("clinic %d: %s: not refused", q.clinic, q.sql)
			}
		}
	})
}
