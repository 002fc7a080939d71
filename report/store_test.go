package report_test

import (
	"github.com/clearhouse/clearhouse/report"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// Every store, and both backends by name, satisfy what report reads.
var (
	_ report.Store = store.Store(nil)
	_ report.Store = (*pgstore.Store)(nil)
	_ report.Store = (*sqlitestore.Store)(nil)
)
