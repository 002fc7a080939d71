//go:build tools

// This file pins the module's dependencies in go.mod and go.sum before every
// package that uses them exists, so a clean machine builds with no special
// environment.
package tools

import (
	_ "github.com/google/cel-go/cel"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/moov-io/x12/pkg/file"
	_ "github.com/pkg/sftp"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/riverqueue/river"
	_ "github.com/riverqueue/river/riverdriver/riverpgxv5"
	_ "github.com/riverqueue/river/riverdriver/riversqlite"
	_ "github.com/riverqueue/river/rivermigrate"
	_ "github.com/spf13/cobra"
	_ "golang.org/x/crypto/ssh"
	_ "gopkg.in/yaml.v3"
	_ "modernc.org/sqlite"
)
