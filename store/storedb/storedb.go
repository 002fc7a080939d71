// Package storedb opens the store a --database string names: a postgres://
// or postgresql:// URL opens PostgreSQL (package pgstore), anything else is a
// SQLite file path (package sqlitestore).
package storedb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// ErrNoDatabase: the SQLite file does not exist and Options.Create is off.
var ErrNoDatabase = errors.New("database file does not exist (run clearhouse migrate to create it)")

// Options tune Open.
type Options struct {
	// Now is the store clock; default time.Now.
	Now func() time.Time
	// Create allows creating a missing SQLite file (migrate wants it; the
	// other commands want an error instead).
	Create bool
	// Files keeps X12 file bodies; default the backend's (x12-files beside
	// a SQLite file, ~/.clearhouse/x12-files for PostgreSQL).
	Files *filestore.Store
}

// IsPostgres reports whether database is a PostgreSQL URL.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Describe names database for messages, with any password hidden.
func Describe(database string) string {
	if !IsPostgres(database) {
		return "sqlite " + database
	}
	u, err := url.Parse(database)
	if err != nil {
		return "postgres (unparsable URL)"
	}
	return "postgres " + u.Redacted()
}

// Open opens the store database names. It does not migrate.
func Open(ctx context.Context, database string, opts Options) (store.Store, error) {
	if database == "" {
		return nil, errors.New("no database given")
	}
	if IsPostgres(database) {
		return pgstore.Open(ctx, pgstore.Config{URL: database, Now: opts.Now, Files: opts.Files})
	}
	if !opts.Create {
		if _, err := os.Stat(database); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", database, ErrNoDatabase)
		}
	}
	return sqlitestore.Open(ctx, sqlitestore.Config{Path: database, Now: opts.Now, Files: opts.Files})
}

// DefaultFilesDir is the file store directory a database uses unless
// configured.
func DefaultFilesDir(database string) string {
	if IsPostgres(database) {
		return pgstore.DefaultFilesDir()
	}
	return sqlitestore.DefaultFilesDir(database)
}
