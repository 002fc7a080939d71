package cli

import (
	"fmt"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
)

// authenticator is the one access.Authenticator of serve's protected
// routes (/riverui and /fhir/r4): the bearer tokens of the database's
// users (clearhouse users token), or the --tokens file's when one is given
// (--fhir-tokens is its deprecated name).
func (f *serveFlags) authenticator(users store.Users) (access.Authenticator, error) {
	file := f.tokensFile()
	if file == "" {
		return access.NewTokenAuthenticator(users), nil
	}
	a, err := loadTokenFile(file)
	if err != nil {
		return nil, fmt.Errorf("--tokens: %w", err)
	}
	return a, nil
}

// tokensFile is --tokens, or the deprecated --fhir-tokens.
func (f *serveFlags) tokensFile() string {
	if f.tokens != "" {
		return f.tokens
	}
	return f.fhirTokens
}
