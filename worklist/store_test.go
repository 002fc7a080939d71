package worklist_test

import (
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/worklist"
)

// Every store, and both backends by name, satisfy what worklist uses.
var (
	_ worklist.Store = store.Store(nil)
	_ worklist.Store = (*pgstore.Store)(nil)
	_ worklist.Store = (*sqlitestore.Store)(nil)
)
