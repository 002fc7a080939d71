package pgstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// A night's pipeline fills and rewrites the claim tables a chunk at a time:
// a claim row is written about six times between building and posting. The
// planner plans each chunk's statements against the tables' statistics, and
// every rewrite leaves a dead row version behind until a vacuum frees it.
// Autovacuum wakes once a minute at most (autovacuum_naptime) and may be off
// altogether; in a run of 100,000 claims the claims table would otherwise
// grow to several times its live size within minutes and the planner would
// keep the row counts of a table that was empty when the night began. So
// while a queue works, its store keeps the tables itself: every
// UpkeepInterval it reads pg_stat_user_tables and vacuums the tables with
// many dead rows and analyzes those much changed since their last analyze.

// UpkeepInterval is how often a working queue's store checks its tables.
const UpkeepInterval = 5 * time.Second

// Upkeep thresholds, autovacuum's rule with a larger base: a table is
// vacuumed when its dead rows exceed upkeepVacuumBase plus
// upkeepVacuumScale of its live rows, analyzed when the rows changed since
// its last analyze exceed upkeepAnalyzeBase plus upkeepAnalyzeScale of its
// live rows. The vacuum scale is autovacuum's five times: a vacuum of the
// claims table reads the table and all five of its indexes, and at a fifth
// it ran six times in a run of 50,000 claims (1.9 s each, 23% of the
// database's statement time); at one it runs twice, and the table is at
// most twice its live size in between. The analyze scale is five times
// autovacuum's too: a claim is rewritten about five times in a night, and
// each analyze of the claims table samples 30,000 rows of it (0.9 s at
// 50,000 claims); the planner scales a table's row count by its current
// size between analyzes, so a table filled since its last analyze is
// still planned for its size.
const (
	upkeepVacuumBase   = 2000
	upkeepVacuumScale  = 1.0
	upkeepAnalyzeBase  = 1000
	upkeepAnalyzeScale = 0.5
)

// upkeepLock is the advisory lock ("CHUPKEEP") that lets one process at a
// time keep the tables.
const upkeepLock = 0x434855504b454550

// UpkeepResult is what one Upkeep pass did.
type UpkeepResult struct {
	// Vacuumed and Analyzed name the tables vacuumed (and analyzed with
	// it) and only analyzed.
	Vacuumed, Analyzed []string
	// Skipped is true when another process held the upkeep lock.
	Skipped bool
	// NotOwner is true when the login does not own the tables: only their
	// owner may vacuum them, so autovacuum keeps them.
	NotOwner bool
}

// upkeepTable is a table's row counts from pg_stat_user_tables.
type upkeepTable struct {
	name                 string
	live, dead, modified int64
}

// upkeepActions returns the tables to vacuum and those to analyze only.
func upkeepActions(tables []upkeepTable) (vacuum, analyze []string) {
	for _, t := range tables {
		switch {
		case float64(t.dead) > upkeepVacuumBase+upkeepVacuumScale*float64(t.live):
			vacuum = append(vacuum, t.name)
		case float64(t.modified) > upkeepAnalyzeBase+upkeepAnalyzeScale*float64(t.live):
			analyze = append(analyze, t.name)
		}
	}
	return vacuum, analyze
}

// Upkeep runs one pass: it vacuums (with analyze) the store's tables with
// many dead rows and analyzes the much-changed ones. Only one process does
// it at a time; a login that does not own the tables skips it.
func (s *Store) Upkeep(ctx context.Context) (UpkeepResult, error) {
	var res UpkeepResult
	c, err := s.owner.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("pgstore: upkeep: %w", err)
	}
	defer c.Release()
	var owns bool
	if err := c.QueryRow(ctx, `SELECT coalesce(bool_and(pg_has_role(session_user, tableowner, 'USAGE')), false)
		FROM pg_tables WHERE schemaname = current_schema()`).Scan(&owns); err != nil {
		return res, fmt.Errorf("pgstore: upkeep: %w", err)
	}
	if !owns {
		res.NotOwner = true
		return res, nil
	}
	var locked bool
	if err := c.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, int64(upkeepLock)).Scan(&locked); err != nil {
		return res, fmt.Errorf("pgstore: upkeep: %w", err)
	}
	if !locked {
		res.Skipped = true
		return res, nil
	}
	defer func() {
		// A connection that cannot unlock is closed, which unlocks.
		if _, err := c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(upkeepLock)); err != nil {
			c.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	rows, err := c.Query(ctx, `SELECT relname, n_live_tup, n_dead_tup, n_mod_since_analyze
		FROM pg_stat_user_tables WHERE schemaname = current_schema() ORDER BY relname`)
	if err != nil {
		return res, fmt.Errorf("pgstore: upkeep: %w", err)
	}
	var tables []upkeepTable
	for rows.Next() {
		var t upkeepTable
		if err := rows.Scan(&t.name, &t.live, &t.dead, &t.modified); err != nil {
			rows.Close()
			return res, fmt.Errorf("pgstore: upkeep: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("pgstore: upkeep: %w", err)
	}
	vacuum, analyze := upkeepActions(tables)
	for _, t := range vacuum {
		// SKIP_LOCKED: a table another session is vacuuming, or has
		// locked for a schema change, waits for the next pass.
		// TRUNCATE false: giving a working table's empty tail pages back
		// takes an exclusive lock that stalls every reader of the table
		// (a 500-claim look-up waited up to 0.5 s), and the night's writes
		// fill those pages again.
		if _, err := c.Exec(ctx, "VACUUM (ANALYZE, SKIP_LOCKED, TRUNCATE false) "+pgx.Identifier{t}.Sanitize()); err != nil {
			return res, fmt.Errorf("pgstore: upkeep: vacuum %s: %w", t, err)
		}
		res.Vacuumed = append(res.Vacuumed, t)
	}
	for _, t := range analyze {
		if _, err := c.Exec(ctx, "ANALYZE (SKIP_LOCKED) "+pgx.Identifier{t}.Sanitize()); err != nil {
			return res, fmt.Errorf("pgstore: upkeep: analyze %s: %w", t, err)
		}
		res.Analyzed = append(res.Analyzed, t)
	}
	return res, nil
}

// upkeeper runs Upkeep every UpkeepInterval while a queue works.
type upkeeper struct {
	s    *Store
	log  *slog.Logger
	mu   sync.Mutex
	stop context.CancelFunc
	done chan struct{}
}

func (u *upkeeper) start(ctx context.Context) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stop != nil {
		return
	}
	ctx, u.stop = context.WithCancel(context.WithoutCancel(ctx))
	u.done = make(chan struct{})
	go func() {
		defer close(u.done)
		t := time.NewTicker(UpkeepInterval)
		defer t.Stop()
		toldNotOwner := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			start := time.Now()
			res, err := u.s.Upkeep(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				u.log.Warn("table upkeep", "err", err)
			case res.NotOwner && !toldNotOwner:
				toldNotOwner = true
				u.log.Info("table upkeep off: the login does not own the tables; autovacuum keeps them")
			case len(res.Vacuumed)+len(res.Analyzed) > 0:
				u.log.Info("table upkeep", "vacuumed", res.Vacuumed, "analyzed", res.Analyzed,
					"duration", time.Since(start).Round(time.Millisecond).String())
			}
		}
	}()
}

func (u *upkeeper) halt() {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.stop == nil {
		return
	}
	u.stop()
	<-u.done
	u.stop = nil
}
