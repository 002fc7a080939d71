// Package sqlitestore is the embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, in WAL mode with a busy timeout, foreign keys on
// and a single connection, which every write (and River, through the
// riversqlite driver) shares. Clinic isolation is enforced by the queries:
// every one filters by the transaction's clinic, and references between
// clinic-owned rows are composite (clinic_id, id) foreign keys.
//
// Inside InTx use only the Tx: with one connection, a store call made on the
// Store from within fn waits for fn's own transaction and never returns.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"modernc.org/sqlite"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/migrate"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Config configures Open.
type Config struct {
	// Path is the database file. Required.
	Path string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// BusyTimeout is how long a statement waits for another process's
	// lock; default 10 s.
	BusyTimeout time.Duration
	// BatchSize is how many rows the bulk paths commit per transaction;
	// default 5000.
	BatchSize int
	// Files keeps the X12 file bodies of interchanges and inbound files;
	// default: a plain file store in the directory x12-files beside the
	// database file.
	Files *filestore.Store
}

func (c Config) validate() (Config, error) {
	if c.Path == "" {
		return c, errors.New("sqlitestore: Config.Path is required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.BusyTimeout <= 0 {
		c.BusyTimeout = 10 * time.Second
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.Files == nil {
		files, err := filestore.Open(filestore.Config{Dir: DefaultFilesDir(c.Path)})
		if err != nil {
			return c, fmt.Errorf("sqlitestore: %w", err)
		}
		c.Files = files
	}
	return c, nil
}

// Store is the SQLite implementation of store.Store.
type Store struct {
	query.Auto
	cfg    Config
	db     *sql.DB
	fields *query.Fields
	river  *river.Client[*sql.Tx]
	closed bool
}

var _ store.Store = (*Store)(nil)

// DSN returns the driver data source name for a database file with the
// store's settings.
func DSN(path string, busyTimeout time.Duration) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// 64 MiB of page cache (SQLite's default is 2 MiB), and reads through
	// a memory map of up to 1 GiB (SQLite still writes with write calls):
	// a night's claims and ledger are read from memory rather than a
	// system call a page.
	q.Add("_pragma", "cache_size(-65536)")
	q.Add("_pragma", "mmap_size(1073741824)")
	q.Set("_txlock", "immediate")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// Open opens (creating if needed) the database file. It does not migrate:
// call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	// A new database file is readable by its owner only (SQLite gives its
	// -wal and -shm files the same mode).
	if f, err := os.OpenFile(cfg.Path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	db, err := sql.Open("sqlite", DSN(cfg.Path, cfg.BusyTimeout))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", cfg.Path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: open %s: %w", cfg.Path, err)
	}
	client, err := river.NewClient(riversqlite.New(db), &river.Config{})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: river client: %w", err)
	}
	s := &Store{cfg: cfg, db: db, river: client, fields: query.NewFields(cfg.Files.Keys())}
	s.Auto = query.Auto{R: s, Files: cfg.Files}
	// The protected columns' keys, when the database has them (Migrate
	// makes them for a database that has none).
	if err := s.inTx(ctx, func(tx *sql.Tx) error {
		return s.fields.LoadIfMigrated(ctx, conn{tx}, query.SQLite, s.cfg.Now(), false)
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitestore: %w", err)
	}
	return s, nil
}

// DefaultFilesDir is where the file store of the database at path lives
// unless configured: x12-files beside the database file.
func DefaultFilesDir(path string) string {
	return filepath.Join(filepath.Dir(path), filestore.DirName)
}

// Files is the store's file store.
func (s *Store) Files() *filestore.Store { return s.cfg.Files }

// DB is the store's single-connection pool, for tests and tools.
func (s *Store) DB() *sql.DB { return s.db }

func (s *Store) Backend() store.Backend { return store.BackendSQLite }

func (s *Store) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.db.Close()
}

// Migrate applies River's migrations and the store's.
func (s *Store) Migrate(ctx context.Context) ([]store.AppliedMigration, error) {
	var applied []store.AppliedMigration
	migrator, err := rivermigrate.New(riversqlite.New(s.db), nil)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: river migrator: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: river migrations: %w", err)
	}
	for _, v := range res.Versions {
		applied = append(applied, store.AppliedMigration{Component: "river", Version: v.Version, Name: v.Name})
	}
	ours, err := s.migrateOwn(ctx)
	applied = append(applied, ours...)
	if err != nil {
		return applied, err
	}
	// Bodies of rows from before the file store move out of the database.
	_, err = query.MoveContentToFiles(ctx, func(ctx context.Context, fn func(c query.Conn) error) error {
		return s.inTx(ctx, func(tx *sql.Tx) error { return fn(conn{tx}) })
	}, s.cfg.Files)
	if err != nil {
		return applied, fmt.Errorf("sqlitestore: %w", err)
	}
	// With a key-encryption key, the protected columns get their keys and
	// older rows' clear values are sealed.
	if _, err := query.MigrateFields(ctx, func(ctx context.Context, fn func(c query.Conn) error) error {
		return s.inTx(ctx, func(tx *sql.Tx) error { return fn(conn{tx}) })
	}, query.SQLite, s.fields, s.cfg.Now()); err != nil {
		return applied, fmt.Errorf("sqlitestore: %w", err)
	}
	// The operating-system user who first migrates is the first user: an
	// admin of the whole network, who adds the others.
	if err := s.bootstrapAdmin(ctx); err != nil {
		return applied, fmt.Errorf("sqlitestore: first user: %w", err)
	}
	return applied, nil
}

func (s *Store) migrateOwn(ctx context.Context) ([]store.AppliedMigration, error) {
	sub, _ := fs.Sub(migrationFiles, "migrations")
	all, err := migrate.Load(sub)
	if err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS clearhouse_migration (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("sqlitestore: migration table: %w", err)
	}
	var applied []store.AppliedMigration
	for {
		// One transaction per migration; the version is re-read inside it
		// so two processes migrating at once apply each version once.
		m, done, err := s.applyNext(ctx, all)
		if err != nil {
			return applied, err
		}
		if done {
			return applied, nil
		}
		applied = append(applied, store.AppliedMigration{Component: "clearhouse", Version: m.Version, Name: m.Name})
	}
}

func (s *Store) applyNext(ctx context.Context, all []migrate.Migration) (migrate.Migration, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return migrate.Migration{}, false, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, "SELECT version FROM clearhouse_migration")
	if err != nil {
		return migrate.Migration{}, false, err
	}
	have := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return migrate.Migration{}, false, err
		}
		have[v] = true
	}
	rows.Close()
	pending := migrate.Pending(all, have)
	if len(pending) == 0 {
		return migrate.Migration{}, true, nil
	}
	m := pending[0]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return m, false, fmt.Errorf("sqlitestore: migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO clearhouse_migration (version, name, applied_at) VALUES ($1, $2, $3)",
		m.Version, m.Name, store.TruncateTime(s.cfg.Now()).Format(query.SQLiteTimeLayout)); err != nil {
		return m, false, err
	}
	return m, false, tx.Commit()
}

// RunTx runs fn in one transaction for clinicID (query.Runner).
func (s *Store) RunTx(ctx context.Context, clinicID int64, fn func(q *query.Queries) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return fn(query.New(conn{tx}, query.SQLite, clinicID, s.cfg.Now, s.cfg.Files, s.fields))
	})
}

func (s *Store) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlitestore: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlitestore: commit: %w", mapErr(err))
	}
	return nil
}

// InTx runs fn in one transaction bound to clinicID.
func (s *Store) InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error {
	if clinicID <= 0 {
		return &store.FieldError{Field: "clinicID (required)", Err: store.ErrInvalid}
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return fn(&txn{Queries: query.New(conn{tx}, query.SQLite, clinicID, s.cfg.Now, s.cfg.Files, s.fields), tx: tx, river: s.river})
	})
}

type txn struct {
	*query.Queries
	tx    *sql.Tx
	river *river.Client[*sql.Tx]
}

func (t *txn) InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return t.river.InsertTx(ctx, t.tx, args, opts)
}

// InsertJobs inserts River jobs in the transaction with one batch insert.
func (t *txn) InsertJobs(ctx context.Context, jobs []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	return t.river.InsertManyTx(ctx, t.tx, jobs)
}

// CreateClinic creates a clinic.
func (s *Store) CreateClinic(ctx context.Context, p store.CreateClinicParams) (store.Clinic, error) {
	var c store.Clinic
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = query.CreateClinic(ctx, conn{tx}, 0, store.TruncateTime(s.cfg.Now()), p)
		return err
	})
	return c, err
}

// ListClinics lists every clinic.
func (s *Store) ListClinics(ctx context.Context) ([]store.Clinic, error) {
	var cs []store.Clinic
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		cs, err = query.ListClinics(ctx, conn{tx}, "clinics")
		return err
	})
	return cs, err
}

// InsertJob inserts a River job on its own.
func (s *Store) InsertJob(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	return s.river.Insert(ctx, args, opts)
}

// InsertJobs inserts River jobs with one batch insert.
func (s *Store) InsertJobs(ctx context.Context, jobs []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	return s.river.InsertMany(ctx, jobs)
}

// NewQueue builds a River client working cfg.Workers on this database.
func (s *Store) NewQueue(cfg store.QueueConfig) (store.Queue, error) {
	rc, err := cfg.RiverConfig(4)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(riversqlite.New(s.db), rc)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: river client: %w", err)
	}
	return queue{client}, nil
}

type queue struct{ *river.Client[*sql.Tx] }

func (q queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.Client.Subscribe(kinds...)
}

// conn adapts a *sql.Tx to query.Conn.
type conn struct{ tx *sql.Tx }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	q, args = positional(q, query.ConvertArgs(query.SQLite, args))
	res, err := c.tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.RowsAffected()
}

func (c conn) Query(ctx context.Context, q string, args ...any) (query.Rows, error) {
	q, args = positional(q, query.ConvertArgs(query.SQLite, args))
	rows, err := c.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	return sqlRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) query.Row {
	q, args = positional(q, query.ConvertArgs(query.SQLite, args))
	return sqlRow{c.tx.QueryRowContext(ctx, q, args...)}
}

type sqlRows struct{ r *sql.Rows }

func (r sqlRows) Next() bool             { return r.r.Next() }
func (r sqlRows) Scan(dest ...any) error { return mapErr(r.r.Scan(dest...)) }
func (r sqlRows) Err() error             { return mapErr(r.r.Err()) }
func (r sqlRows) Close()                 { r.r.Close() }

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error { return mapErr(r.r.Scan(dest...)) }

// SQLite extended result codes (sqlite.org/rescode.html).
const (
	constraintForeignKey = 787
	constraintPrimaryKey = 1555
	constraintUnique     = 2067
)

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case constraintUnique, constraintPrimaryKey:
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case constraintForeignKey:
			return fmt.Errorf("%w: %w", store.ErrInvalidReference, err)
		}
	}
	return err
}

var _ store.FieldKeys = (*Store)(nil)

func (s *Store) allClinics(ctx context.Context, fn func(c query.Conn) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(conn{tx}) })
}

// FieldKeyStatus reports the protected columns' field keys.
func (s *Store) FieldKeyStatus(ctx context.Context) (store.FieldKeyStatus, error) {
	return query.FieldStatus(ctx, s.allClinics, s.fields)
}

// RotateFieldKeys rewraps the field keys (and with reencrypt seals every
// protected value again under a new data key).
func (s *Store) RotateFieldKeys(ctx context.Context, reencrypt bool) (store.FieldRotation, error) {
	return query.RotateFields(ctx, s.allClinics, query.SQLite, s.fields, s.cfg.Now(), reencrypt)
}
