package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
)

// TestKeysRotateAndEscrow runs the key custody of the README: files
// written under one key, rotated to a new one with the old kept as
// previous, then read with the escrow private key alone.
func TestKeysRotateAndEscrow(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "x12-files")
	oldKey, newKey := filepath.Join(dir, "old.kek"), filepath.Join(dir, "new.kek")
	pub, priv := filepath.Join(dir, "escrow.pub"), filepath.Join(dir, "escrow.key")
	for _, args := range [][]string{
		{"keys", "generate", "--out", oldKey},
		{"keys", "generate", "--out", newKey},
		{"keys", "generate", "--escrow", "--out", pub, "--private-out", priv},
	} {
		if code, _, stderr := run(t, args...); code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, stderr)
		}
	}
	if code, _, _ := run(t, "keys", "generate", "--out", oldKey); code == 0 {
		t.Fatal("generate overwrote an existing key file")
	}
	if code, _, _ := run(t, "keys", "generate"); code != 2 {
		t.Fatalf("generate without --out: exit %d, want 2", code)
	}
	old, err := keyring.LoadKeyFile(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	escrow, err := keyring.LoadEscrowPublicFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	st, err := filestore.Open(filestore.Config{Dir: files, Keys: &keyring.Ring{Primary: old, Escrow: escrow}})
	if err != nil {
		t.Fatal(err)
	}
	body := "ISA*00*NM1*QC*1*DOE*JANE~"
	info, err := st.PutBytes(context.Background(), []byte(body))
	if err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := run(t, "keys", "rotate", "--files-dir", files, "--key-file", newKey, "--previous-key-file", oldKey, "--escrow-key-file", pub)
	if code != 0 || !strings.Contains(stdout, "1 files, 1 rewrapped") {
		t.Fatalf("rotate: exit %d %q %s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, "keys", "status", "-o", "json", "--files-dir", files, "--key-file", newKey)
	if code != 0 {
		t.Fatalf("status: exit %d %s", code, stderr)
	}
	var status keyStatus
	if err := json.Unmarshal([]byte(stdout), &status); err != nil {
		t.Fatal(err)
	}
	if status.Files != 1 || status.ByKey[status.PrimaryKey] != 1 || status.ByEscrow[escrow.ID().String()] != 1 {
		t.Fatalf("status after rotation %+v", status)
	}
	for _, path := range []string{oldKey, newKey, priv} {
		raw, _ := os.ReadFile(path)
		secret := strings.TrimSpace(string(raw))
		secret = secret[strings.LastIndex(secret, ":")+1:]
		if strings.Contains(stdout+stderr, secret) {
			t.Fatalf("key material of %s in the output", path)
		}
	}

	// Both key-encryption keys lost: the escrow private key reads the file.
	escrowPriv, err := keyring.LoadEscrowPrivateFile(priv)
	if err != nil {
		t.Fatal(err)
	}
	restore, err := filestore.Open(filestore.Config{Dir: files, Keys: &keyring.Ring{EscrowPrivate: escrowPriv}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := restore.ReadAll(info.ID, 1<<20)
	if err != nil || string(got) != body {
		t.Fatalf("restore with the escrow key: %q %v", got, err)
	}
	// With the old key alone the rotated file no longer opens.
	lost, _ := filestore.Open(filestore.Config{Dir: files, Keys: &keyring.Ring{Primary: old}})
	if _, err := lost.ReadAll(info.ID, 1<<20); err == nil {
		t.Fatal("the retired key still opens the rotated file")
	}
}
