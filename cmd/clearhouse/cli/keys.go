package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// newKeysCmd builds `clearhouse keys`: the keys that encrypt the X12 file
// store at rest.
func newKeysCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Encryption keys of the X12 file store and the database's protected columns: generate, status, rotate",
	}
	c.AddCommand(newKeysGenerateCmd(env), newKeysStatusCmd(env), newKeysRotateCmd(env))
	return c
}

func newKeysGenerateCmd(env *Env) *cobra.Command {
	var out, escrowPrivate string
	var escrow bool
	c := &cobra.Command{
		Use:   "generate --out FILE",
		Short: "Write a new key-encryption key (or, with --escrow, an escrow key pair) to files readable by their owner only",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return exitf(2, "keys generate: --out FILE is required (keys are never printed)")
			}
			if escrow && escrowPrivate == "" {
				return exitf(2, "keys generate --escrow: --private-out FILE is required for the private half")
			}
			write := func(path, text string) error {
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
				if err != nil {
					return exitf(1, "keys generate: %v", err)
				}
				if _, err := fmt.Fprintln(f, text); err != nil {
					f.Close()
					return exitf(1, "keys generate: %v", err)
				}
				return f.Close()
			}
			if escrow {
				pub, priv, err := keyring.GenerateEscrow(nil)
				if err != nil {
					return exitf(1, "%v", err)
				}
				if err := write(out, pub); err != nil {
					return err
				}
				if err := write(escrowPrivate, priv); err != nil {
					return err
				}
				p, _ := keyring.ParseEscrowPublic(pub)
				fmt.Fprintf(env.Stdout, "escrow key %s: public half in %s (give it to --escrow-key-file), private half in %s (hand it to the custodian and remove it from this machine)\n",
					p.ID(), out, escrowPrivate)
				return nil
			}
			k, text, err := keyring.GenerateKey(nil)
			if err != nil {
				return exitf(1, "%v", err)
			}
			if err := write(out, text); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "key-encryption key %s written to %s\n", k.ID(), out)
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "file to write the key to (created mode 0600; an existing file is not overwritten)")
	c.Flags().BoolVar(&escrow, "escrow", false, "generate an escrow key pair instead: --out gets the public half, --private-out the private half")
	c.Flags().StringVar(&escrowPrivate, "private-out", "", "with --escrow: file to write the private half to")
	return c
}

// keyStatus is what `keys status` reports.
type keyStatus struct {
	Dir        string         `json:"dir"`
	Encrypts   bool           `json:"encrypts"`
	PrimaryKey string         `json:"primaryKey,omitempty"`
	Previous   []string       `json:"previousKeys,omitempty"`
	EscrowKey  string         `json:"escrowKey,omitempty"`
	MaxSize    int64          `json:"maxFileSize"`
	Files      int            `json:"files"`
	Plain      int            `json:"plainFiles"`
	ByKey      map[string]int `json:"filesByKey"`
	ByEscrow   map[string]int `json:"filesByEscrowKey"`
	Unreadable int            `json:"unreadableHeaders"`
	// Database is the protected columns' encryption; absent when there is
	// no database yet.
	Database *store.FieldKeyStatus `json:"database,omitempty"`
}

// openFieldKeys opens the database's field keys with the configured
// file store and keys; nil when there is no database yet (a SQLite file
// not created). Close the store.
func (env *Env) openFieldKeys(ctx context.Context, files *filestore.Store) (store.Store, store.FieldKeys, error) {
	st, err := storedb.Open(ctx, env.Database, storedb.Options{Files: files})
	if errors.Is(err, storedb.ErrNoDatabase) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, exitf(1, "database: %v", err)
	}
	fk, ok := st.(store.FieldKeys)
	if !ok {
		st.Close()
		return nil, nil, nil
	}
	return st, fk, nil
}

func newKeysStatusCmd(env *Env) *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:   "status",
		Short: "Show the configured key IDs and how many stored files each key wraps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "table" && output != "json" {
				return exitf(2, "keys status: -o %q: want table or json", output)
			}
			files, err := env.openFiles(env.Database)
			if err != nil {
				return err
			}
			st := keyStatus{Dir: files.Dir(), Encrypts: files.Encrypts(), MaxSize: files.MaxSize(), ByKey: map[string]int{}, ByEscrow: map[string]int{}}
			if r := files.Keys(); r != nil {
				if r.Primary != nil {
					st.PrimaryKey = r.Primary.ID().String()
				}
				for _, k := range r.Previous {
					st.Previous = append(st.Previous, k.ID().String())
				}
				if r.Escrow != nil {
					st.EscrowKey = r.Escrow.ID().String()
				}
			}
			err = files.Walk(func(in filestore.Info, err error) error {
				st.Files++
				switch {
				case err != nil:
					st.Unreadable++
				case !in.Encrypted:
					st.Plain++
				default:
					st.ByKey[in.KeyID]++
					if in.EscrowID != "" {
						st.ByEscrow[in.EscrowID]++
					}
				}
				return nil
			})
			if err != nil {
				return exitf(1, "keys status: %v", err)
			}
			db, fk, err := env.openFieldKeys(cmdContext(cmd), files)
			if err != nil {
				return err
			}
			if db != nil {
				defer db.Close()
				fs, err := fk.FieldKeyStatus(cmdContext(cmd))
				if err != nil {
					return exitf(1, "keys status: database: %v", err)
				}
				st.Database = &fs
			}
			if output == "json" {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			w := env.Stdout
			fmt.Fprintf(w, "file store   %s\n", st.Dir)
			fmt.Fprintf(w, "max size     %d bytes\n", st.MaxSize)
			if st.Encrypts {
				fmt.Fprintf(w, "encryption   on (AES-256-GCM), primary key %s\n", st.PrimaryKey)
			} else {
				fmt.Fprintf(w, "encryption   off (no key-encryption key configured)\n")
			}
			for _, k := range st.Previous {
				fmt.Fprintf(w, "previous key %s\n", k)
			}
			if st.EscrowKey != "" {
				fmt.Fprintf(w, "escrow key   %s\n", st.EscrowKey)
			}
			fmt.Fprintf(w, "files        %d (%d plain, %d with unreadable headers)\n", st.Files, st.Plain, st.Unreadable)
			for _, kv := range sortedCounts(st.ByKey) {
				fmt.Fprintf(w, "  wrapped by key %s: %d\n", kv.k, kv.n)
			}
			for _, kv := range sortedCounts(st.ByEscrow) {
				fmt.Fprintf(w, "  escrowed to %s: %d\n", kv.k, kv.n)
			}
			if d := st.Database; d != nil {
				if d.Encrypts {
					fmt.Fprintf(w, "database     protected columns encrypted (AES-256-GCM), data key %s\n", d.DataKey)
				} else {
					fmt.Fprintf(w, "database     protected columns not encrypted\n")
				}
				for _, k := range d.Keys {
					fmt.Fprintf(w, "  field key %s (%s) wrapped by key %s\n", k.ID, k.Purpose, k.WrappedBy)
				}
				for _, kv := range sortedCounts(d.Sealed) {
					fmt.Fprintf(w, "  values sealed by field key %s: %d\n", kv.k, kv.n)
				}
				for _, kv := range sortedCounts(d.Clear) {
					fmt.Fprintf(w, "  values in clear in %s: %d\n", kv.k, kv.n)
				}
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return c
}

type count struct {
	k string
	n int
}

func sortedCounts(m map[string]int) []count {
	var out []count
	for k, n := range m {
		out = append(out, count{k, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].k < out[j].k })
	return out
}

func newKeysRotateCmd(env *Env) *cobra.Command {
	var reencrypt bool
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Wrap every stored file's and the database's data keys under the primary key (and escrow key); with --reencrypt, encrypt again under new data keys",
		Long: "Rotate after configuring the new key as --key-file and the old one as --previous-key-file: every file\n" +
			"wrapped by another key gets its data key wrapped again by the new one (and sealed to the escrow key when\n" +
			"one is configured). --reencrypt also encrypts each file's content again under a new data key, and\n" +
			"encrypts files stored before encryption was turned on. Files keep their IDs; each is replaced atomically.\n" +
			"The database's field keys (which seal its protected columns) are wrapped again the same way; with\n" +
			"--reencrypt a new field key seals every protected value again (and any still in clear), a chunk of\n" +
			"rows per transaction, while the older field keys stay in the database to read what they sealed.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := env.openFiles(env.Database)
			if err != nil {
				return err
			}
			if !files.Encrypts() {
				return exitf(2, "keys rotate: no key-encryption key configured (--key-file or CLEARHOUSE_KEY)")
			}
			var ids []string
			if err := files.Walk(func(in filestore.Info, err error) error {
				if err == nil {
					ids = append(ids, in.ID)
				}
				return nil
			}); err != nil {
				return exitf(1, "keys rotate: %v", err)
			}
			changed, failed := 0, 0
			var errs []error
			for _, id := range ids {
				ok, err := files.Rewrap(cmdContext(cmd), id, reencrypt)
				if err != nil {
					failed++
					if len(errs) < 10 {
						errs = append(errs, err)
					}
					continue
				}
				if ok {
					changed++
				}
			}
			fmt.Fprintf(env.Stdout, "%d files, %d rewrapped under key %s, %d failed\n", len(ids), changed, files.Keys().Primary.ID(), failed)
			db, fk, err := env.openFieldKeys(cmdContext(cmd), files)
			if err != nil {
				return err
			}
			if db != nil {
				defer db.Close()
				rot, err := fk.RotateFieldKeys(cmdContext(cmd), reencrypt)
				if err != nil {
					return exitf(1, "keys rotate: database: %v", err)
				}
				fmt.Fprintf(env.Stdout, "database: %d field keys rewrapped under key %s, data key %s", rot.Rewrapped, files.Keys().Primary.ID(), rot.DataKey)
				if reencrypt {
					n := 0
					for _, v := range rot.Resealed {
						n += v
					}
					fmt.Fprintf(env.Stdout, ", %d rows sealed again", n)
				}
				fmt.Fprintln(env.Stdout)
			}
			if failed > 0 {
				return &ExitError{Code: 1, Err: fmt.Errorf("keys rotate: %d files could not be rotated: %w", failed, errors.Join(errs...))}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&reencrypt, "reencrypt", false, "also encrypt each file's content again under a new data key (and encrypt plain files)")
	return c
}
