package notify_test

import (
	"os"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/notify"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// Every store, and both backends by name, satisfy what notify uses.
var (
	_ notify.Store = store.Store(nil)
	_ notify.Store = (*pgstore.Store)(nil)
	_ notify.Store = (*sqlitestore.Store)(nil)
)

var est = time.FixedZone("EST", -5*3600)

// testNow is the clock: Monday 2 March 2026, 09:00 in the clinic.
var testNow = time.Date(2026, 3, 2, 9, 0, 0, 0, est)

func clock() time.Time { return testNow }

var pgStore store.Store

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_notify_test", Now: clock},
		func(pg storetest.Postgres) { pgStore = pg.Store }))
}

func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Helper()
	storetest.Backends(t, pgStore, storetest.Options{Now: clock}, fn)
}
