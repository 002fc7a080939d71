package cli

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/access"
)

// TestTokenFile reads the FHIR API's token file and authenticates with it.
func TestTokenFile(t *testing.T) {
	auth, err := loadTokenFile("testdata/setup/fhir-tokens")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		header string
		user   string
	}{
		{"Bearer biller-token", "bea"},
		{"bearer  biller-token ", "bea"},
		{"Bearer wrong", ""},
		{"Basic biller-token", ""},
		{"", ""},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/fhir/r4/metadata", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		p, err := auth.Authenticate(r)
		if tc.user == "" {
			if !errors.Is(err, access.ErrUnauthenticated) {
				t.Errorf("%q: %+v, %v; want ErrUnauthenticated", tc.header, p, err)
			}
			continue
		}
		if err != nil || p.Name != tc.user || p.Role != access.Biller || !p.InClinic(1) || p.InClinic(2) {
			t.Errorf("%q: %+v, %v", tc.header, p, err)
		}
	}

	dir := t.TempDir()
	for _, tc := range []struct{ body, want string }{
		{"bea biller 1\n", ":1: want NAME ROLE CLINICS SHA256-OF-TOKEN"},
		{"ola operator ola-0123456789abcdef\n", ":1: want NAME ROLE CLINICS SHA256-OF-TOKEN; the NAME ROLE TOKEN lines of earlier versions are no longer read"},
		{"bea chief 1 " + strings.Repeat("a", 64) + "\n", `:1: unknown role "chief"`},
		{"# c\nbea biller x " + strings.Repeat("a", 64) + "\n", `:2: clinics "x"`},
		{"bea biller 1 abc\n", ":1: the token's SHA-256 as 64 hex digits"},
		{"# nothing\n", "no tokens"},
	} {
		path := filepath.Join(dir, "tokens")
		if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := loadTokenFile(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want %q", tc.body, err, tc.want)
		}
	}
}
