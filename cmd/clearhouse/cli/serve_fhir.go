package cli

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/fhir"
	"github.com/clearhouse/clearhouse/store"
)

// tokenFileAuth authenticates serve's HTTP endpoints (River UI and the
// FHIR API alike) by bearer tokens listed, by their SHA-256, in the file
// serve reads at start (--tokens), for accounts kept outside the database.
// Each line is
//
//	NAME ROLE CLINICS SHA256-HEX-OF-TOKEN
//
// with CLINICS "*" (the whole network) or a comma-separated list of clinic
// IDs; "#" starts a comment. Tokens are compared as digests in constant
// time and never logged.
type tokenFileAuth struct {
	entries []fhirTokenEntry
}

type fhirTokenEntry struct {
	sum [sha256.Size]byte
	p   access.Principal
}

// loadTokenFile reads a token file, naming the line of every problem.
func loadTokenFile(path string) (*tokenFileAuth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a := &tokenFileAuth{}
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		fs := strings.Fields(text)
		if len(fs) == 3 {
			return nil, fmt.Errorf("%s:%d: want NAME ROLE CLINICS SHA256-OF-TOKEN; the NAME ROLE TOKEN lines of earlier versions "+
				"are no longer read: give the clinics (* for all) and the token's SHA-256 (printf %%s TOKEN | sha256sum)", path, line)
		}
		if len(fs) != 4 {
			return nil, fmt.Errorf("%s:%d: want NAME ROLE CLINICS SHA256-OF-TOKEN", path, line)
		}
		role, err := access.ParseRole(fs[1])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		p := access.Principal{Name: fs[0], Role: role}
		if fs[2] == "*" {
			p.AllClinics = true
		} else {
			for _, c := range strings.Split(fs[2], ",") {
				id, err := strconv.ParseInt(c, 10, 64)
				if err != nil || id <= 0 {
					return nil, fmt.Errorf("%s:%d: clinics %q: want * or clinic IDs separated by commas", path, line, fs[2])
				}
				p.Clinics = append(p.Clinics, id)
			}
		}
		sum, err := hex.DecodeString(fs[3])
		if err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("%s:%d: the token's SHA-256 as 64 hex digits (printf %%s TOKEN | sha256sum)", path, line)
		}
		e := fhirTokenEntry{p: p}
		copy(e.sum[:], sum)
		a.entries = append(a.entries, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(a.entries) == 0 {
		return nil, fmt.Errorf("%s: no tokens", path)
	}
	return a, nil
}

// Authenticate finds the principal of the request's bearer token.
func (a *tokenFileAuth) Authenticate(r *http.Request) (access.Principal, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return access.Principal{}, access.ErrUnauthenticated
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	for _, e := range a.entries {
		if subtle.ConstantTimeCompare(sum[:], e.sum[:]) == 1 {
			return e.p, nil
		}
	}
	return access.Principal{}, access.ErrUnauthenticated
}

// newFHIRAPI is the read API over st behind auth; refusals are logged
// (who, what, never which patient).
func newFHIRAPI(st store.Store, auth access.Authenticator, log interface {
	Warn(msg string, args ...any)
}) (http.Handler, error) {
	srv, err := fhir.NewServer(fhir.ServerConfig{Store: st, Auth: auth,
		Denied: func(r *http.Request, p access.Principal, perm access.Permission) {
			log.Warn("fhir: access denied", "user", p.Name, "role", p.Role, "permission", perm, "path", r.URL.Path)
		}})
	if err != nil {
		return nil, err
	}
	return srv.Handler(), nil
}
