package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// FilesConfig says where X12 file bodies are kept and with which keys.
type FilesConfig struct {
	// Dir is the file store's directory; default beside the SQLite
	// database (x12-files), or ~/.clearhouse/x12-files for PostgreSQL.
	Dir string
	// MaxSize is the largest file the store accepts, in bytes; 0 means
	// filestore.DefaultMaxSize.
	MaxSize int64
	// KeyFile holds the primary key-encryption key (or CLEARHOUSE_KEY
	// holds it): with one, new files are encrypted at rest.
	KeyFile string
	// PreviousKeyFiles hold older keys, read during a rotation.
	PreviousKeyFiles []string
	// EscrowKeyFile holds the escrow public key: every data key gets a
	// copy sealed to it.
	EscrowKeyFile string
	// EscrowPrivateKeyFile holds the escrow private key, for a restore
	// after the key-encryption keys were lost.
	EscrowPrivateKeyFile string
}

// fileStoreFlags registers the file store's flags on the root.
func fileStoreFlags(root *cobra.Command, env *Env) {
	f := root.PersistentFlags()
	f.StringVar(&env.Files.Dir, "files-dir", "", "directory of the X12 file store (env CLEARHOUSE_FILES_DIR; default x12-files beside a SQLite database, ~/.clearhouse/x12-files for PostgreSQL)")
	f.Int64Var(&env.Files.MaxSize, "max-file-size", 0, fmt.Sprintf("largest X12 file kept, in bytes (env CLEARHOUSE_MAX_FILE_SIZE; default %d)", int64(filestore.DefaultMaxSize)))
	f.StringVar(&env.Files.KeyFile, "key-file", "", "file holding the key-encryption key; with one, stored X12 files are encrypted (env CLEARHOUSE_KEY_FILE, or the key itself in CLEARHOUSE_KEY)")
	f.StringSliceVar(&env.Files.PreviousKeyFiles, "previous-key-file", nil, "file holding an older key-encryption key, kept readable during a rotation; repeatable (env CLEARHOUSE_PREVIOUS_KEY_FILES, comma-separated)")
	f.StringVar(&env.Files.EscrowKeyFile, "escrow-key-file", "", "file holding the escrow public key: every data key also gets a copy sealed to it (env CLEARHOUSE_ESCROW_KEY_FILE)")
	f.StringVar(&env.Files.EscrowPrivateKeyFile, "escrow-private-key-file", "", "file holding the escrow private key, to read files after the key-encryption keys were lost (env CLEARHOUSE_ESCROW_PRIVATE_KEY_FILE)")
}

// fileStoreEnv fills the flags not given from the environment.
func fileStoreEnv(cmd *cobra.Command, env *Env) error {
	set := func(flag, name string, fn func(v string) error) error {
		if cmd.Flags().Changed(flag) {
			return nil
		}
		if v := env.Getenv(name); v != "" {
			return fn(v)
		}
		return nil
	}
	str := func(p *string) func(string) error { return func(v string) error { *p = v; return nil } }
	return firstErr(
		set("files-dir", "CLEARHOUSE_FILES_DIR", str(&env.Files.Dir)),
		set("max-file-size", "CLEARHOUSE_MAX_FILE_SIZE", func(v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return exitf(2, "CLEARHOUSE_MAX_FILE_SIZE %q is not a size in bytes", v)
			}
			env.Files.MaxSize = n
			return nil
		}),
		set("key-file", "CLEARHOUSE_KEY_FILE", str(&env.Files.KeyFile)),
		set("previous-key-file", "CLEARHOUSE_PREVIOUS_KEY_FILES", func(v string) error {
			env.Files.PreviousKeyFiles = strings.Split(v, ",")
			return nil
		}),
		set("escrow-key-file", "CLEARHOUSE_ESCROW_KEY_FILE", str(&env.Files.EscrowKeyFile)),
		set("escrow-private-key-file", "CLEARHOUSE_ESCROW_PRIVATE_KEY_FILE", str(&env.Files.EscrowPrivateKeyFile)),
	)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// keyRing builds the keyring the configuration names; nil when no key of
// any kind is configured (files are kept in plain text).
func (env *Env) keyRing() (*keyring.Ring, error) {
	c := env.Files
	var r keyring.Ring
	any := false
	switch {
	case c.KeyFile != "":
		k, err := keyring.LoadKeyFile(c.KeyFile)
		if err != nil {
			return nil, err
		}
		r.Primary, any = k, true
	case env.Getenv("CLEARHOUSE_KEY") != "":
		k, err := keyring.ParseKey(env.Getenv("CLEARHOUSE_KEY"))
		if err != nil {
			return nil, fmt.Errorf("CLEARHOUSE_KEY: %w", err)
		}
		r.Primary, any = k, true
	}
	for _, path := range c.PreviousKeyFiles {
		if strings.TrimSpace(path) == "" {
			continue
		}
		k, err := keyring.LoadKeyFile(strings.TrimSpace(path))
		if err != nil {
			return nil, err
		}
		r.Previous, any = append(r.Previous, k), true
	}
	if c.EscrowKeyFile != "" {
		e, err := keyring.LoadEscrowPublicFile(c.EscrowKeyFile)
		if err != nil {
			return nil, err
		}
		r.Escrow, any = e, true
	}
	if c.EscrowPrivateKeyFile != "" {
		e, err := keyring.LoadEscrowPrivateFile(c.EscrowPrivateKeyFile)
		if err != nil {
			return nil, err
		}
		r.EscrowPrivate, any = e, true
	}
	if r.Escrow != nil && r.Primary == nil {
		return nil, fmt.Errorf("an escrow key is configured without a key-encryption key (--key-file or CLEARHOUSE_KEY)")
	}
	if !any {
		return nil, nil
	}
	return &r, nil
}

// filesDir is the file store's directory for database.
func (env *Env) filesDir(database string) string {
	if env.Files.Dir != "" {
		return env.Files.Dir
	}
	return storedb.DefaultFilesDir(database)
}

// openFiles opens the file store of database as configured.
func (env *Env) openFiles(database string) (*filestore.Store, error) {
	keys, err := env.keyRing()
	if err != nil {
		return nil, &ExitError{Code: 2, Err: err}
	}
	return filestore.Open(filestore.Config{Dir: env.filesDir(database), MaxSize: env.Files.MaxSize, Keys: keys})
}

// openStoreAt opens database with the configured file store.
func (env *Env) openStoreAt(ctx context.Context, database string, opts storedb.Options) (store.Store, error) {
	if opts.Files == nil {
		files, err := env.openFiles(database)
		if err != nil {
			return nil, err
		}
		opts.Files = files
	}
	return storedb.Open(ctx, database, opts)
}

// writeContent copies a stored file to path.
func writeContent(ctx context.Context, st store.Store, contentID, path string) error {
	body, err := st.OpenContent(ctx, contentID)
	if err != nil {
		return err
	}
	defer body.Close()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, body); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return out.Close()
}

// fileStoreArgs are the flags that open the configured file store and keys
// in another process of this program.
func (env *Env) fileStoreArgs() []string {
	c := env.Files
	var args []string
	add := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	add("--files-dir", c.Dir)
	if c.MaxSize > 0 {
		add("--max-file-size", strconv.FormatInt(c.MaxSize, 10))
	}
	add("--key-file", c.KeyFile)
	for _, p := range c.PreviousKeyFiles {
		add("--previous-key-file", p)
	}
	add("--escrow-key-file", c.EscrowKeyFile)
	return args
}
