package access_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

func openStore(t *testing.T) (*sqlitestore.Store, store.Clinic) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(t.TempDir(), "access.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	return st, c
}

func TestFirstMigrateMakesTheCallerAdmin(t *testing.T) {
	st, _ := openStore(t)
	p, err := access.Resolve(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	me, _ := sqlitestore.OSLogin()
	if p.Name != me || p.Role != access.Admin || !p.AllClinics {
		t.Fatalf("first user: %+v, want %s, admin of every clinic", p, me)
	}
}

func TestTokenAuthenticator(t *testing.T) {
	ctx := context.Background()
	st, c := openStore(t)
	if _, err := st.CreateUser(ctx, store.CreateUserParams{Login: "ana", Role: "biller", Clinics: []int64{c.ID}}); err != nil {
		t.Fatal(err)
	}
	token, hash, err := access.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUserToken(ctx, store.CreateUserTokenParams{Login: "ana", TokenHash: hash}); err != nil {
		t.Fatal(err)
	}
	auth := access.NewTokenAuthenticator(st)
	h := access.Require(auth, access.ClaimsRead, access.AuditDenied(st), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := access.FromContext(r.Context())
		w.Write([]byte(p.Name))
	}))
	jobs := access.Require(auth, access.JobsRead, access.AuditDenied(st), http.NotFoundHandler())
	do := func(h http.Handler, authz string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/fhir/r4/Claim/1", nil)
		if authz != "" {
			req.Header.Set("Authorization", authz)
		}
		h.ServeHTTP(rec, req)
		return rec
	}
	for _, tt := range []struct {
		h     http.Handler
		authz string
		code  int
	}{
		{h, "Bearer " + token, 200},
		{h, "bearer " + token, 200},
		{h, "", 401},
		{h, "Bearer " + token + "x", 401},
		{h, "Bearer " + hash, 401}, // the stored hash is not a credential
		{h, "Basic " + token, 401},
		{jobs, "Bearer " + token, 403},
	} {
		if rec := do(tt.h, tt.authz); rec.Code != tt.code {
			t.Errorf("%.20q: status %d, want %d", tt.authz, rec.Code, tt.code)
		}
	}
	events, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: c.ID, Actor: "ana"})
	if err != nil || len(events) != 1 || events[0].Action != "access.denied" {
		t.Fatalf("refusal events: %+v, %v", events, err)
	}
	disabled := true
	if _, err := st.UpdateUser(ctx, store.UpdateUserParams{Login: "ana", Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if rec := do(h, "Bearer "+token); rec.Code != 401 {
		t.Errorf("a disabled user's token: status %d, want 401", rec.Code)
	}
}

func TestScope(t *testing.T) {
	ctx := context.Background()
	st, a := openStore(t)
	b, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "B"})
	if err != nil {
		t.Fatal(err)
	}
	s := access.Scope(st, access.Principal{Name: "ana", Role: access.Biller, Clinics: []int64{a.ID}})
	cs, err := s.ListClinics(ctx)
	if err != nil || len(cs) != 1 || cs[0].ID != a.ID {
		t.Fatalf("scoped clinics: %+v, %v", cs, err)
	}
	err = s.InTx(ctx, b.ID, func(store.Tx) error { return nil })
	var de *access.DeniedError
	if !errorsAs(err, &de) || de.Clinic != b.ID {
		t.Fatalf("InTx on clinic B: %v", err)
	}
}

func TestAuditReadsOneEventPerRecord(t *testing.T) {
	ctx := context.Background()
	st, c := openStore(t)
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = string(rune('a'+i%26)) + "1"
	}
	if err := access.AuditReads(ctx, st, c.ID, "ana", "clearhouse patients list", "patient", ids); err != nil {
		t.Fatal(err)
	}
	v, err := st.VerifyAuditChain(ctx, store.VerifyAuditChainParams{ClinicID: c.ID})
	if err != nil || !v.OK() || v.Events != 5000 {
		t.Fatalf("chain after a bulk read audit: %+v, %v", v, err)
	}
	got, err := st.ListAuditEvents(ctx, store.ListAuditEventsParams{ClinicID: c.ID, EntityType: "patient", EntityID: "b1"})
	if err != nil || len(got) == 0 || got[0].Action != access.ReadAction || got[0].Actor != "ana" {
		t.Fatalf("events of patient b1: %+v, %v", got, err)
	}
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
