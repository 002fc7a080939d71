package cli

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
)

// fileTokens is serve's minimal access.Authenticator: bearer tokens read
// once from the --tokens file, one "NAME ROLE TOKEN" line each (# starts a
// comment). It stands in until users and tokens are kept in the database.
// Tokens are compared as SHA-256 digests in constant time and never
// logged.
type fileTokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	digest [sha256.Size]byte
	who    access.Principal
}

var _ access.Authenticator = (*fileTokens)(nil)

// loadFileTokens reads a --tokens file; errors name the file and line,
// never a token.
func loadFileTokens(path string) (*fileTokens, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--tokens: %w", err)
	}
	ft := &fileTokens{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		f := strings.Fields(text)
		if len(f) != 3 {
			return nil, fmt.Errorf("--tokens %s:%d: want NAME ROLE TOKEN", path, line)
		}
		role, err := access.ParseRole(f[1])
		if err != nil {
			return nil, fmt.Errorf("--tokens %s:%d: %v", path, line, err)
		}
		if len(f[2]) < 16 {
			return nil, fmt.Errorf("--tokens %s:%d: the token of %s is shorter than 16 characters", path, line, f[0])
		}
		ft.entries = append(ft.entries, tokenEntry{digest: sha256.Sum256([]byte(f[2])), who: access.Principal{Name: f[0], Role: role, AllClinics: true}})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--tokens %s: %w", path, err)
	}
	return ft, nil
}

// Authenticate implements access.Authenticator: "Authorization: Bearer
// TOKEN".
func (ft *fileTokens) Authenticate(r *http.Request) (access.Principal, error) {
	auth := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || ft == nil || token == "" {
		return access.Principal{}, access.ErrUnauthenticated
	}
	d := sha256.Sum256([]byte(strings.TrimSpace(token)))
	var found *access.Principal
	for i := range ft.entries {
		if subtle.ConstantTimeCompare(d[:], ft.entries[i].digest[:]) == 1 {
			found = &ft.entries[i].who
		}
	}
	if found == nil {
		return access.Principal{}, access.ErrUnauthenticated
	}
	return *found, nil
}

// authenticator is the access.Authenticator of serve's protected routes:
// the bearer tokens of the database's users (clearhouse users token), or
// the --tokens file's when one is given.
func (f *serveFlags) authenticator(users store.Users) (access.Authenticator, error) {
	if f.tokens == "" {
		return access.NewTokenAuthenticator(users), nil
	}
	return loadFileTokens(f.tokens)
}
