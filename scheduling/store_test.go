package scheduling_test

import (
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// Every store, and both backends by name, satisfy what scheduling uses.
var (
	_ scheduling.Store = store.Store(nil)
	_ scheduling.Store = (*pgstore.Store)(nil)
	_ scheduling.Store = (*sqlitestore.Store)(nil)
)
