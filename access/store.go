package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/clearhouse/clearhouse/store"
)

// FromUser is the principal of a stored user. A disabled user, or one whose
// role is unknown, is refused with ErrDenied.
func FromUser(u store.User) (Principal, error) {
	if u.Disabled() {
		return Principal{Name: u.Login}, fmt.Errorf("%w: user %s is disabled", ErrDenied, u.Login)
	}
	r, err := ParseRole(u.Role)
	if err != nil {
		return Principal{Name: u.Login}, fmt.Errorf("%w: user %s: %v", ErrDenied, u.Login, err)
	}
	return Principal{Name: u.Login, Role: r, Clinics: u.Clinics, AllClinics: u.AllClinics}, nil
}

// ErrUnknownUser means the caller's login is no user of Clearhouse.
var ErrUnknownUser = errors.New("is not a user of Clearhouse")

// Resolve returns the principal of the store connection's own identity:
// the PostgreSQL login role, or on SQLite the operating-system user.
func Resolve(ctx context.Context, st store.Users) (Principal, error) {
	u, err := st.WhoAmI(ctx)
	if errors.Is(err, store.ErrNotFound) {
		login, lerr := st.CurrentLogin(ctx)
		if lerr != nil {
			login = "(unknown)"
		}
		return Principal{Name: login}, fmt.Errorf("%w: %s %w (an admin adds people with clearhouse users add)", ErrDenied, login, ErrUnknownUser)
	}
	if err != nil {
		return Principal{}, err
	}
	return FromUser(u)
}

// ResolveLogin returns the principal of the named user.
func ResolveLogin(ctx context.Context, st store.Users, login string) (Principal, error) {
	u, err := st.GetUser(ctx, login)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{Name: login}, fmt.Errorf("%w: %s %w (an admin adds people with clearhouse users add)", ErrDenied, login, ErrUnknownUser)
	}
	if err != nil {
		return Principal{}, err
	}
	return FromUser(u)
}

// TokenPrefix starts every bearer token Clearhouse issues.
const TokenPrefix = "chu_"

// NewToken returns a fresh bearer token and the hash the store keeps.
func NewToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken is the hex SHA-256 of a token, as stored. Tokens carry 256 bits
// of randomness, so an unsalted hash is enough to make a copied table of
// hashes useless.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// TokenAuthenticator authenticates HTTP requests by the bearer tokens
// `clearhouse users token` issues, looked up by hash in the store.
type TokenAuthenticator struct {
	users store.Users
}

var _ Authenticator = (*TokenAuthenticator)(nil)

// NewTokenAuthenticator returns an Authenticator over the store's users.
func NewTokenAuthenticator(users store.Users) *TokenAuthenticator {
	return &TokenAuthenticator{users: users}
}

// Authenticate reads "Authorization: Bearer TOKEN" and returns its user's
// principal, or ErrUnauthenticated (no token, an unknown or revoked one, a
// disabled user).
func (a *TokenAuthenticator) Authenticate(r *http.Request) (Principal, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(token, TokenPrefix) {
		return Principal{}, ErrUnauthenticated
	}
	u, err := a.users.UserByTokenHash(r.Context(), HashToken(token))
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	p, err := FromUser(u)
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	return p, nil
}

// Scope wraps st so that what the caller p reaches through it is limited
// to p's clinics: ListClinics lists only them and InTx refuses any other
// (a *DeniedError). On PostgreSQL the database enforces the same through
// row-level security; on SQLite this is the check.
func Scope(st store.Store, p Principal) store.Store {
	return &scoped{Store: st, p: p}
}

type scoped struct {
	store.Store
	p Principal
}

func (s *scoped) ListClinics(ctx context.Context) ([]store.Clinic, error) {
	cs, err := s.Store.ListClinics(ctx)
	if err != nil || s.p.AllClinics {
		return cs, err
	}
	out := cs[:0]
	for _, c := range cs {
		if s.p.InClinic(c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *scoped) InTx(ctx context.Context, clinicID int64, fn func(tx store.Tx) error) error {
	if !s.p.InClinic(clinicID) {
		return &DeniedError{User: s.p.Name, Role: s.p.Role, Clinic: clinicID}
	}
	return s.Store.InTx(ctx, clinicID, fn)
}

// AuditAppender is the store call the read audit needs.
type AuditAppender interface {
	AppendAuditEvents(ctx context.Context, p store.AppendAuditEventsParams) ([]store.AuditEvent, error)
}

// ReadAction is the audit action of a record read.
const ReadAction = "read"

// AuditReads records that actor read the records ids (of entityType:
// patient, claim, coverage, statement, report, ...) of one clinic, one
// event per record, in one bulk append. Source says from where: the
// command ("clearhouse patients list") or the HTTP request ("GET
// /fhir/r4/Patient/5").
func AuditReads(ctx context.Context, st AuditAppender, clinicID int64, actor, source, entityType string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	details, err := json.Marshal(map[string]string{"source": source})
	if err != nil {
		return err
	}
	events := make([]store.AppendAuditEventParams, len(ids))
	for i, id := range ids {
		events[i] = store.AppendAuditEventParams{Actor: actor, Action: ReadAction, EntityType: entityType, EntityID: id, Details: details}
	}
	_, err = st.AppendAuditEvents(ctx, store.AppendAuditEventsParams{ClinicID: clinicID, Events: events})
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	return nil
}

// DeniedRecorder is the store calls AuditDenied needs.
type DeniedRecorder interface {
	AppendAuditEvent(ctx context.Context, p store.AppendAuditEventParams) (store.AuditEvent, error)
	ListClinics(ctx context.Context) ([]store.Clinic, error)
}

// AuditDenied returns a callback for Require that records each refusal of
// an authenticated caller as an access.denied event (method, path and the
// permission asked for) in the first clinic the caller belongs to.
func AuditDenied(st DeniedRecorder) func(*http.Request, Principal, Permission) {
	return func(r *http.Request, p Principal, perm Permission) {
		var clinic int64
		switch {
		case len(p.Clinics) > 0 && !p.AllClinics:
			clinic = p.Clinics[0]
		default:
			if cs, err := st.ListClinics(r.Context()); err == nil && len(cs) > 0 {
				clinic = cs[0].ID
			}
		}
		if clinic == 0 {
			return
		}
		details, _ := json.Marshal(map[string]string{"request": r.Method + " " + r.URL.Path, "permission": string(perm)})
		_, _ = st.AppendAuditEvent(r.Context(), store.AppendAuditEventParams{ClinicID: clinic, Actor: p.Name, Action: "access.denied",
			EntityType: "request", EntityID: r.URL.Path, Details: details})
	}
}
