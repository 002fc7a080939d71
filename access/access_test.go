package access

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestRolePermissions(t *testing.T) {
	tests := []struct {
		role Role
		perm Permission
		want bool
	}{
		{FrontDesk, PatientsWrite, true},
		{FrontDesk, ClaimsWrite, false},
		{Biller, ClaimsWrite, true},
		{Biller, ClaimsWriteOff, false},
		{BillingManager, ClaimsWriteOff, true},
		{Manager, ReportsRead, true},
		{Manager, PatientsWrite, false},
		{Operator, JobsManage, true},
		{Operator, PatientsRead, false},
		{Admin, UsersManage, true},
		{Role("nobody"), PatientsRead, false},
	}
	for _, tt := range tests {
		if got := tt.role.Can(tt.perm); got != tt.want {
			t.Errorf("%s.Can(%s) = %v, want %v", tt.role, tt.perm, got, tt.want)
		}
	}
	if len(Admin.Permissions()) < len(BillingManager.Permissions()) {
		t.Errorf("admin has fewer permissions than billing_manager")
	}
}

func TestPrincipalChecks(t *testing.T) {
	p := Principal{Name: "ana", Role: Biller, Clinics: []int64{1}}
	if err := p.CheckClinic(ClaimsRead, 1); err != nil {
		t.Fatalf("member of clinic 1: %v", err)
	}
	err := p.CheckClinic(ClaimsRead, 2)
	var de *DeniedError
	if !errors.As(err, &de) || !errors.Is(err, ErrDenied) || de.Clinic != 2 {
		t.Fatalf("clinic 2: got %v", err)
	}
	if err := p.Check(UsersManage); !errors.Is(err, ErrDenied) {
		t.Fatalf("users.manage: got %v", err)
	}
	if (Principal{Role: Admin}).Can(PatientsRead) {
		t.Fatalf("a principal without a name must not pass")
	}
	if _, err := ParseRole("root"); err == nil {
		t.Fatalf("ParseRole accepted an unknown role")
	}
}

type tokenAuth map[string]Principal

func (a tokenAuth) Authenticate(r *http.Request) (Principal, error) {
	p, ok := a[r.Header.Get("Authorization")]
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	return p, nil
}

func TestRequire(t *testing.T) {
	auth := tokenAuth{
		"Bearer op":  {Name: "op", Role: Operator, AllClinics: true},
		"Bearer ana": {Name: "ana", Role: Biller, Clinics: []int64{1}},
	}
	var denied []string
	h := Require(auth, JobsRead, func(_ *http.Request, p Principal, perm Permission) {
		denied = append(denied, p.Name+":"+string(perm))
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := FromContext(r.Context())
		_, _ = w.Write([]byte(p.Name))
	}))
	for _, tt := range []struct {
		auth string
		code int
	}{{"Bearer op", 200}, {"Bearer ana", 403}, {"", 401}, {"Bearer forged", 401}} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/riverui/", nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		h.ServeHTTP(rec, req)
		if rec.Code != tt.code {
			t.Errorf("%q: status %d, want %d", tt.auth, rec.Code, tt.code)
		}
	}
	if len(denied) != 1 || denied[0] != "ana:jobs.read" {
		t.Errorf("denied callbacks = %v", denied)
	}
}
