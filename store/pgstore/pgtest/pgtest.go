// Package pgtest gives tests a fresh PostgreSQL database. The server is the
// one at CLEARHOUSE_TEST_PGURL, by default postgres://postgres@127.0.0.1:5432
// (trust auth), which `make services` (scripts/test-services.sh) installs and
// starts. When no server answers, tests fail with one line saying so; they
// never skip.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server tests use unless CLEARHOUSE_TEST_PGURL is set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL is the maintenance-database URL of the test server.
func ServerURL() string {
	if v := os.Getenv("CLEARHOUSE_TEST_PGURL"); v != "" {
		return v
	}
	return DefaultURL
}

// Database is a database created for one test run.
type Database struct {
	// URL connects to it as the server URL's user.
	URL    string
	Name   string
	server string
}

// Create makes a fresh database named prefix_<random>.
func Create(ctx context.Context, prefix string) (*Database, error) {
	server := ServerURL()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		// One line, whatever the driver says: the tests fail with it.
		reason := strings.Join(strings.Fields(err.Error()), " ")
		return nil, fmt.Errorf("PostgreSQL is not answering at %s (%s): run `make services` (scripts/test-services.sh) or set CLEARHOUSE_TEST_PGURL", redact(server), reason)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create test database %s: %w", name, err)
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	return &Database{URL: u.String(), Name: name, server: server}, nil
}

// Drop removes the database, closing its remaining connections.
func (d *Database) Drop(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.server)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize()+" WITH (FORCE)")
	return err
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "the configured server"
	}
	return u.Redacted()
}
