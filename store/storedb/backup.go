package storedb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// Backup writes a consistent copy of database to file, which must not
// exist. PostgreSQL is dumped with pg_dump in its custom format (restore
// it with Restore or pg_restore); SQLite is copied with VACUUM INTO, which
// reads one snapshot while other connections go on writing. The file is
// created readable by its owner only: it holds everything the database
// holds.
func Backup(ctx context.Context, database, file string) error {
	if _, err := os.Stat(file); err == nil {
		return fmt.Errorf("backup %s: the file exists; name a new file", file)
	}
	if IsPostgres(database) {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		f.Close()
		if err := runTool(ctx, "pg_dump", "--format=custom", "--file="+file, "--dbname="+database); err != nil {
			os.Remove(file)
			return fmt.Errorf("backup %s: %w", Describe(database), err)
		}
		return nil
	}
	if _, err := os.Stat(database); err != nil {
		return fmt.Errorf("backup %s: %w", database, err)
	}
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: database})
	if err != nil {
		return err
	}
	defer st.Close()
	abs, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	// VACUUM INTO creates the file with the process's umask; tighten it.
	if _, err := st.DB().ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		return fmt.Errorf("backup %s: VACUUM INTO %s: %w", database, file, err)
	}
	return os.Chmod(abs, 0o600)
}

// Restore loads a backup file made by Backup into database, which must be
// empty: a PostgreSQL database with no tables (created with CREATE
// DATABASE), or a SQLite path that does not exist yet. Nothing is
// overwritten.
func Restore(ctx context.Context, file, database string) error {
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if IsPostgres(database) {
		if err := runTool(ctx, "pg_restore", "--exit-on-error", "--single-transaction", "--dbname="+database, file); err != nil {
			return fmt.Errorf("restore into %s: %w", Describe(database), err)
		}
		return nil
	}
	if _, err := os.Stat(database); err == nil {
		return fmt.Errorf("restore: %s exists; restore into a new file, then move it into place", database)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	src, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer src.Close()
	var magic [16]byte
	if _, err := io.ReadFull(src, magic[:]); err != nil || string(magic[:]) != "SQLite format 3\x00" {
		return fmt.Errorf("restore: %s is not a SQLite backup", file)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	dst, err := os.OpenFile(database, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(database)
		return fmt.Errorf("restore: %w", err)
	}
	if err := dst.Close(); err != nil {
		os.Remove(database)
		return fmt.Errorf("restore: %w", err)
	}
	// Check it opens and reads.
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: database})
	if err != nil {
		os.Remove(database)
		return err
	}
	defer st.Close()
	var ok string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		return fmt.Errorf("restore: %s fails SQLite's integrity check: %v %s", database, err, ok)
	}
	return nil
}

// runTool runs a PostgreSQL client program; its standard error becomes
// the error's text (with any password in a URL hidden).
func runTool(ctx context.Context, name string, args ...string) error {
	path, err := exec.LookPath(name)
	if err != nil {
		return fmt.Errorf("%s is not installed (PostgreSQL's client programs, e.g. apt-get install postgresql-client): %w", name, err)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--dbname="); ok {
				msg = strings.ReplaceAll(msg, v, Describe(v))
			}
		}
		return fmt.Errorf("%s: %w: %s", name, err, msg)
	}
	return nil
}
