package access

import (
	"errors"
	"net/http"
)

// Authenticator finds the principal behind an HTTP request (a bearer token
// issued by Clearhouse, or a verified client certificate). It returns
// ErrUnauthenticated when the request carries no valid credential.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// ErrUnauthenticated means the request carries no valid credential.
var ErrUnauthenticated = errors.New("unauthenticated")

// Require wraps next so that it runs only for a caller whose role carries
// perm: 401 without a valid credential, 403 for a caller without perm. The
// principal is put in the request's context for next. Denied is called for
// every refusal of an authenticated caller (to audit it); it may be nil.
func Require(auth Authenticator, perm Permission, denied func(*http.Request, Principal, Permission), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := auth.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="clearhouse"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		if !p.Can(perm) {
			if denied != nil {
				denied(r, p, perm)
			}
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// RequestSource names an HTTP request in the read audit: method, path and
// the remote address ("GET /fhir/r4/Patient from 10.0.0.7:51234"). The
// query string is left out: search values (a name, a birth date) are PHI.
func RequestSource(r *http.Request) string {
	return r.Method + " " + r.URL.Path + " from " + r.RemoteAddr
}
