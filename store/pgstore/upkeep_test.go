package pgstore_test

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestUpkeep churns a table the way a night churns the claims (every row
// rewritten) and checks that one pass vacuums it, the next leaves it, and
// a pass while another process holds the upkeep lock does nothing.
func TestUpkeep(t *testing.T) {
	ctx := context.Background()
	mustExec := func(sql string) {
		t.Helper()
		if _, err := ownerPool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	mustExec(`CREATE TABLE upkeep_probe (id bigint PRIMARY KEY, n int NOT NULL)`)
	defer mustExec(`DROP TABLE upkeep_probe`)
	mustExec(`INSERT INTO upkeep_probe SELECT g, 0 FROM generate_series(1, 10000) g`)
	mustExec(`UPDATE upkeep_probe SET n = n + 1`)
	mustExec(`UPDATE upkeep_probe SET n = n + 1`)
	// Backends report their counts to the statistics within seconds.
	stat := func() (dead, vacuums int64) {
		t.Helper()
		if err := ownerPool.QueryRow(ctx, `SELECT n_dead_tup, vacuum_count FROM pg_stat_user_tables WHERE relname = 'upkeep_probe'`).Scan(&dead, &vacuums); err != nil {
			t.Fatal(err)
		}
		return dead, vacuums
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if dead, _ := stat(); dead >= 20000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the updates' dead rows never reached pg_stat_user_tables")
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Another process keeping the tables: nothing done.
	c, err := ownerPool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock(x'434855504b454550'::bigint)`); err != nil {
		t.Fatal(err)
	}
	res, err := testStore.Upkeep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped || len(res.Vacuumed)+len(res.Analyzed) != 0 {
		t.Errorf("with the lock held elsewhere: %+v, want skipped", res)
	}
	if _, err := c.Exec(ctx, `SELECT pg_advisory_unlock(x'434855504b454550'::bigint)`); err != nil {
		t.Fatal(err)
	}
	c.Release()

	res, err = testStore.Upkeep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped || res.NotOwner || !slices.Contains(res.Vacuumed, "upkeep_probe") {
		t.Fatalf("first pass %+v, want upkeep_probe vacuumed", res)
	}
	if dead, vacuums := stat(); vacuums != 1 || dead != 0 {
		t.Errorf("after the pass: %d dead rows, %d vacuums; want 0 and 1", dead, vacuums)
	}
	res, err = testStore.Upkeep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(res.Vacuumed, "upkeep_probe") || slices.Contains(res.Analyzed, "upkeep_probe") {
		t.Errorf("second pass %+v, want upkeep_probe left alone", res)
	}
}
