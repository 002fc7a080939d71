// Package pgstore is the production store: PostgreSQL through pgx
// (pgxpool), with River on the same database through riverpgxv5.
//
// Clinic isolation is enforced by the database. Every clinic-owned table has
// FORCE ROW LEVEL SECURITY with a policy comparing clinic_id to the
// transaction setting clearhouse.clinic_id, which InTx sets with set_config
// (transaction-local), and requiring that the connection's login role
// (session_user) be an enabled user of that clinic (clearhouse_clinic_allowed,
// migration 6). Admins, operators and the login that migrates work as the
// application role clearhouse_app (NOSUPERUSER, NOBYPASSRLS; created by the
// first migration): their connections issue SET ROLE clearhouse_app after
// they connect. A person of another role works with the privileges of their
// group role (clearhouse_biller, ...; grants.sql). Migrations, River's own
// work and the users calls run as the login itself.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/migrate"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed grants.sql
var grantsSQL string

// AppRole is the application role the store's connections switch to.
const AppRole = "clearhouse_app"

// plannerParams are planner settings of the store's sessions, unless the
// database URL sets them (options=-c...). The default random_page_cost (4)
// prices a page read from an index as if from a spinning disk: once the
// claims table is narrow enough to scan, the planner answered a chunk's
// 500-row UPDATE ... FROM (VALUES ...) with a scan of the whole table and a
// hash join, a cost growing with the table, where 500 primary-key probes
// take half the time at 20,000 claims. 1.1 is the usual setting for SSDs
// and for databases that fit in memory.
var plannerParams = map[string]string{"random_page_cost": "1.1"}

// migrationLock is the advisory lock key migrations hold ("CHMIGRAT").
const migrationLock = 0x43484d4947524154

// Config configures Open.
type Config struct {
	// URL is a postgres:// or postgresql:// connection URL. Required.
	URL string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// MaxConns bounds the application pool; default pgxpool's (4 or the
	// number of CPUs, whichever is larger).
	MaxConns int32
	// Files keeps the X12 file bodies of interchanges and inbound files;
	// default: a plain file store in DefaultFilesDir.
	Files *filestore.Store
}

// DefaultFilesDir is where the file store lives unless configured:
// ~/.clearhouse/x12-files (the data directory), or x12-files in the working
// directory when there is no home directory.
func DefaultFilesDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filestore.DirName
	}
	return filepath.Join(home, ".clearhouse", filestore.DirName)
}

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	query.Auto
	now    func() time.Time
	files  *filestore.Store
	fields *query.Fields
	app    *pgxpool.Pool // runs as AppRole, under row-level security
	owner  *pgxpool.Pool // the login user: migrations and River
	river  *river.Client[pgx.Tx]
	// upkeepers are the queues' table upkeep loops, halted by Close.
	upkeepMu  sync.Mutex
	upkeepers []*upkeeper
}

var _ store.Store = (*Store)(nil)

// Open connects to the database. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, errors.New("pgstore: Config.URL is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Files == nil {
		files, err := filestore.Open(filestore.Config{Dir: DefaultFilesDir()})
		if err != nil {
			return nil, fmt.Errorf("pgstore: %w", err)
		}
		cfg.Files = files
	}
	ownerCfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	for k, v := range plannerParams {
		if _, set := ownerCfg.ConnConfig.RuntimeParams[k]; !set {
			ownerCfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	appCfg := ownerCfg.Copy()
	if cfg.MaxConns > 0 {
		appCfg.MaxConns = cfg.MaxConns
	}
	setRole := "SET ROLE " + pgx.Identifier{AppRole}.Sanitize()
	appCfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// Admins, operators (serve) and the login that migrates are members
		// of the application role and work as it; a person of another role
		// keeps the login's own privileges (those of its group role). A
		// superuser must switch, or row-level security would not apply.
		var super, member bool
		err := c.QueryRow(ctx, `SELECT rolsuper, coalesce(pg_has_role(to_regrole($1), 'MEMBER'), false)
			FROM pg_roles WHERE rolname = session_user`, AppRole).Scan(&super, &member)
		if err != nil {
			return fmt.Errorf("pgstore: login role: %w", err)
		}
		if !member && !super {
			return nil
		}
		if _, err := c.Exec(ctx, setRole); err != nil {
			return fmt.Errorf("pgstore: %s (has clearhouse migrate run?): %w", setRole, err)
		}
		return nil
	}
	owner, err := pgxpool.NewWithConfig(ctx, ownerCfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if err := owner.Ping(ctx); err != nil {
		owner.Close()
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	app, err := pgxpool.NewWithConfig(ctx, appCfg)
	if err != nil {
		owner.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	client, err := river.NewClient(riverpgxv5.New(owner), &river.Config{})
	if err != nil {
		app.Close()
		owner.Close()
		return nil, fmt.Errorf("pgstore: river client: %w", err)
	}
	s := &Store{now: cfg.Now, files: cfg.Files, app: app, owner: owner, river: client, fields: query.NewFields(cfg.Files.Keys())}
	s.Auto = query.Auto{R: s, Files: cfg.Files}
	// The protected columns' keys, when the database has them (Migrate
	// makes them for a database that has none).
	if err := pgx.BeginFunc(ctx, owner, func(tx pgx.Tx) error {
		return s.fields.LoadIfMigrated(ctx, conn{tx}, query.Postgres, s.now(), false)
	}); err != nil {
		s.Close()
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	return s, nil
}

// Files is the store's file store.
func (s *Store) Files() *filestore.Store { return s.files }

// Pool is the application-role pool, for tests and tools; its
// transactions see nothing until clearhouse.clinic_id is set.
func (s *Store) Pool() *pgxpool.Pool { return s.app }

func (s *Store) Backend() store.Backend { return store.BackendPostgres }

func (s *Store) Close() error {
	s.upkeepMu.Lock()
	ups := s.upkeepers
	s.upkeepers = nil
	s.upkeepMu.Unlock()
	for _, u := range ups {
		u.halt()
	}
	s.app.Close()
	s.owner.Close()
	return nil
}

// Migrate applies River's migrations and the store's, then the application
// role's privileges.
func (s *Store) Migrate(ctx context.Context) ([]store.AppliedMigration, error) {
	var applied []store.AppliedMigration
	migrator, err := rivermigrate.New(riverpgxv5.New(s.owner), nil)
	if err != nil {
		return nil, fmt.Errorf("pgstore: river migrator: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("pgstore: river migrations: %w", err)
	}
	for _, v := range res.Versions {
		applied = append(applied, store.AppliedMigration{Component: "river", Version: v.Version, Name: v.Name})
	}
	sub, _ := fs.Sub(migrationFiles, "migrations")
	all, err := migrate.Load(sub)
	if err != nil {
		return applied, err
	}
	err = pgx.BeginFunc(ctx, s.owner, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS clearhouse_migration (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT version FROM clearhouse_migration")
		if err != nil {
			return err
		}
		versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		have := map[int]bool{}
		for _, v := range versions {
			have[int(v)] = true
		}
		for _, m := range migrate.Pending(all, have) {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO clearhouse_migration (version, name, applied_at) VALUES ($1, $2, $3)",
				m.Version, m.Name, store.TruncateTime(s.now())); err != nil {
				return err
			}
			applied = append(applied, store.AppliedMigration{Component: "clearhouse", Version: m.Version, Name: m.Name})
		}
		if _, err := tx.Exec(ctx, grantsSQL); err != nil {
			return fmt.Errorf("privileges: %w", err)
		}
		// The login that first migrates is the first user: an admin of the
		// whole network, who adds the others.
		var login string
		if err := tx.QueryRow(ctx, "SELECT session_user").Scan(&login); err != nil {
			return err
		}
		if _, err := query.BootstrapAdmin(ctx, conn{tx}, store.TruncateTime(s.now()), login); err != nil {
			return fmt.Errorf("first user: %w", err)
		}
		return nil
	})
	if err != nil {
		return applied, fmt.Errorf("pgstore: %w", err)
	}
	// Bodies of rows from before the file store move out of the database,
	// through the owner's connections (which see every clinic).
	_, err = query.MoveContentToFiles(ctx, func(ctx context.Context, fn func(c query.Conn) error) error {
		return pgx.BeginFunc(ctx, s.owner, func(tx pgx.Tx) error { return fn(conn{tx}) })
	}, s.files)
	if err != nil {
		return applied, fmt.Errorf("pgstore: %w", err)
	}
	// With a key-encryption key, the protected columns get their keys and
	// older rows' clear values are sealed.
	if _, err := query.MigrateFields(ctx, func(ctx context.Context, fn func(c query.Conn) error) error {
		return pgx.BeginFunc(ctx, s.owner, func(tx pgx.Tx) error { return fn(conn{tx}) })
	}, query.Postgres, s.fields, s.now()); err != nil {
		return applied, fmt.Errorf("pgstore: %w", err)
	}
	return applied, nil
}

// begin starts an application-role transaction bound to clinicID.
func (s *Store) begin(ctx context.Context, clinicID int64) (pgx.Tx, error) {
	tx, err := s.app.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("pgstore: begin: %w", err)
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('clearhouse.clinic_id', $1, true)", strconv.FormatInt(clinicID, 10)); err != nil {
		tx.Rollback(ctx)
		return nil, fmt.Errorf("pgstore: set clinic: %w", err)
	}
	return tx, nil
}

func (s *Store) inTx(ctx context.Context, clinicID int64, fn func(tx pgx.Tx) error) error {
	tx, err := s.begin(ctx, clinicID)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit: %w", mapErr(err))
	}
	return nil
}

// RunTx runs fn in one transaction for clinicID (query.Runner).
func (s *Store) RunTx(ctx context.Context, clinicID int64, fn func(q *query.Queries) error) error {
	return s.inTx(ctx, clinicID, func(tx pgx.Tx) error {
		return fn(query.New(conn{tx}, query.Postgres, clinicID, s.now, s.files, s.fields))
	})
}

// InTx runs fn in one transaction bound to clinicID.
func (s *Store) InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error {
	if clinicID <= 0 {
		return &store.FieldError{Field: "clinicID (required)", Err: store.ErrInvalid}
	}
	return s.inTx(ctx, clinicID, func(tx pgx.Tx) error {
		return fn(&txn{Queries: query.New(conn{tx}, query.Postgres, clinicID, s.now, s.files, s.fields), tx: tx, river: s.river})
	})
}

type txn struct {
	*query.Queries
	tx    pgx.Tx
	river *river.Client[pgx.Tx]
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

// CreateClinic takes the new clinic's ID from its sequence first, so the
// insert runs with clearhouse.clinic_id already naming it.
func (s *Store) CreateClinic(ctx context.Context, p store.CreateClinicParams) (store.Clinic, error) {
	var c store.Clinic
	err := s.inTx(ctx, 0, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, "SELECT nextval(pg_get_serial_sequence('clinics', 'id'))").Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('clearhouse.clinic_id', $1, true)", strconv.FormatInt(id, 10)); err != nil {
			return err
		}
		var err error
		c, err = query.CreateClinic(ctx, conn{tx}, id, store.TruncateTime(s.now()), p)
		return err
	})
	return c, err
}

// ListClinics lists every clinic through clearhouse_clinics(), which runs
// as the schema owner.
func (s *Store) ListClinics(ctx context.Context) ([]store.Clinic, error) {
	var cs []store.Clinic
	err := s.inTx(ctx, 0, func(tx pgx.Tx) error {
		var err error
		cs, err = query.ListClinics(ctx, conn{tx}, "clearhouse_clinics()")
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
	rc, err := cfg.RiverConfig(10)
	if err != nil {
		return nil, err
	}
	client, err := river.NewClient(riverpgxv5.New(s.owner), rc)
	if err != nil {
		return nil, fmt.Errorf("pgstore: river client: %w", err)
	}
	up := &upkeeper{s: s, log: rc.Logger}
	s.upkeepMu.Lock()
	s.upkeepers = append(s.upkeepers, up)
	s.upkeepMu.Unlock()
	return queue{Client: client, up: up}, nil
}

// queue is a River client; while it works, its store keeps the tables
// (see Upkeep).
type queue struct {
	*river.Client[pgx.Tx]
	up *upkeeper
}

func (q queue) Start(ctx context.Context) error {
	if err := q.Client.Start(ctx); err != nil {
		return err
	}
	q.up.start(ctx)
	return nil
}

func (q queue) Stop(ctx context.Context) error {
	q.up.halt()
	return q.Client.Stop(ctx)
}

func (q queue) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return q.Client.Subscribe(kinds...)
}

// conn adapts a pgx.Tx to query.Conn.
type conn struct{ tx pgx.Tx }

func (c conn) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := c.tx.Exec(ctx, q, query.ConvertArgs(query.Postgres, args)...)
	if err != nil {
		return 0, mapErr(err)
	}
	return tag.RowsAffected(), nil
}

func (c conn) Query(ctx context.Context, q string, args ...any) (query.Rows, error) {
	rows, err := c.tx.Query(ctx, q, query.ConvertArgs(query.Postgres, args)...)
	if err != nil {
		return nil, mapErr(err)
	}
	return pgRows{rows}, nil
}

func (c conn) QueryRow(ctx context.Context, q string, args ...any) query.Row {
	return pgRow{c.tx.QueryRow(ctx, q, query.ConvertArgs(query.Postgres, args)...)}
}

type pgRows struct{ r pgx.Rows }

func (r pgRows) Next() bool             { return r.r.Next() }
func (r pgRows) Scan(dest ...any) error { return mapErr(r.r.Scan(dest...)) }
func (r pgRows) Err() error             { return mapErr(r.r.Err()) }
func (r pgRows) Close()                 { r.r.Close() }

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error { return mapErr(r.r.Scan(dest...)) }

func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505": // unique_violation
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		case "23503": // foreign_key_violation
			return fmt.Errorf("%w: %w", store.ErrInvalidReference, err)
		}
	}
	return err
}

var _ store.FieldKeys = (*Store)(nil)

// allClinics runs fn in a transaction of the owner's connections (which
// see every clinic).
func (s *Store) allClinics(ctx context.Context, fn func(c query.Conn) error) error {
	return pgx.BeginFunc(ctx, s.owner, func(tx pgx.Tx) error { return fn(conn{tx}) })
}

// FieldKeyStatus reports the protected columns' field keys.
func (s *Store) FieldKeyStatus(ctx context.Context) (store.FieldKeyStatus, error) {
	return query.FieldStatus(ctx, s.allClinics, s.fields)
}

// RotateFieldKeys rewraps the field keys (and with reencrypt seals every
// protected value again under a new data key).
func (s *Store) RotateFieldKeys(ctx context.Context, reencrypt bool) (store.FieldRotation, error) {
	return query.RotateFields(ctx, s.allClinics, query.Postgres, s.fields, s.now(), reencrypt)
}
