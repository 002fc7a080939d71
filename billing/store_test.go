package billing_test

import (
	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// Every store, and both backends by name, satisfy what billing uses.
var (
	_ billing.Store = store.Store(nil)
	_ billing.Store = (*pgstore.Store)(nil)
	_ billing.Store = (*sqlitestore.Store)(nil)
)
