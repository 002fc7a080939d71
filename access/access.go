// Package access holds who may do what in Clearhouse: the roles, the
// permissions each role carries, a caller's identity and clinic membership
// (the Principal), and the checks every command and HTTP handler calls.
//
// The checks here are the application's; on PostgreSQL the database enforces
// the same rules again through grants and row-level security keyed on the
// connection's login role, so a check missed here is still refused there.
package access

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// Role is a named set of permissions.
type Role string

// The roles. Each is documented by its permission set in rolePermissions.
const (
	FrontDesk      Role = "front_desk"
	Biller         Role = "biller"
	BillingManager Role = "billing_manager"
	Manager        Role = "manager"
	Operator       Role = "operator"
	Admin          Role = "admin"
)

// Roles lists every role in the order the documentation gives them.
var Roles = []Role{FrontDesk, Biller, BillingManager, Manager, Operator, Admin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q (one of %v)", s, Roles)
	}
	return r, nil
}

// Permission is one thing a caller may do.
type Permission string

// The permissions. A command or handler names the one it needs.
const (
	// Patients, coverage and appointments.
	PatientsRead      Permission = "patients.read"
	PatientsWrite     Permission = "patients.write"
	AppointmentsRead  Permission = "appointments.read"
	AppointmentsWrite Permission = "appointments.write"
	EligibilityRun    Permission = "eligibility.run"
	// Charges, claims and the worklist.
	ChargesWrite   Permission = "charges.write"
	ClaimsRead     Permission = "claims.read"
	ClaimsWrite    Permission = "claims.write"
	ClaimsWriteOff Permission = "claims.writeoff"
	WorklistRead   Permission = "worklist.read"
	WorklistWork   Permission = "worklist.work"
	// Money from patients.
	PaymentsRead  Permission = "payments.read"
	PaymentsWrite Permission = "payments.write"
	PaymentsVoid  Permission = "payments.void"
	// Reports and statements.
	ReportsRead    Permission = "reports.read"
	StatementsRead Permission = "statements.read"
	// Practice setup.
	ClinicsWrite Permission = "clinics.write"
	PayersWrite  Permission = "payers.write"
	// Operations.
	InboundManage Permission = "inbound.manage"
	JobsRead      Permission = "jobs.read"
	JobsManage    Permission = "jobs.manage"
	Serve         Permission = "serve"
	Migrate       Permission = "migrate"
	KeysManage    Permission = "keys.manage"
	AuditRead     Permission = "audit.read"
	UsersManage   Permission = "users.manage"
	Backup        Permission = "backup"
	Restore       Permission = "restore"
)

var rolePermissions = map[Role][]Permission{
	FrontDesk: {
		PatientsRead, PatientsWrite, AppointmentsRead, AppointmentsWrite, EligibilityRun,
		PaymentsRead, PaymentsWrite, StatementsRead,
	},
	Biller: {
		PatientsRead, PatientsWrite, AppointmentsRead, EligibilityRun,
		ChargesWrite, ClaimsRead, ClaimsWrite, WorklistRead, WorklistWork,
		PaymentsRead, PaymentsWrite, StatementsRead,
	},
	BillingManager: {
		PatientsRead, PatientsWrite, AppointmentsRead, EligibilityRun,
		ChargesWrite, ClaimsRead, ClaimsWrite, ClaimsWriteOff, WorklistRead, WorklistWork,
		PaymentsRead, PaymentsWrite, PaymentsVoid, StatementsRead, ReportsRead, AuditRead,
	},
	Manager: {
		ReportsRead, ClaimsRead, WorklistRead, AppointmentsRead, StatementsRead, PaymentsRead,
	},
	Operator: {
		InboundManage, JobsRead, JobsManage, Serve, Migrate, PayersWrite, KeysManage, Backup,
	},
}

// Permissions returns the permissions of r, sorted. Admin holds every permission.
func (r Role) Permissions() []Permission {
	if r == Admin {
		all := map[Permission]bool{UsersManage: true, AuditRead: true, ClinicsWrite: true, Restore: true}
		for _, ps := range rolePermissions {
			for _, p := range ps {
				all[p] = true
			}
		}
		out := make([]Permission, 0, len(all))
		for p := range all {
			out = append(out, p)
		}
		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
		return out
	}
	out := slices.Clone(rolePermissions[r])
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Can reports whether r carries p.
func (r Role) Can(p Permission) bool {
	if r == Admin {
		return true
	}
	return slices.Contains(rolePermissions[r], p)
}

// Principal is an authenticated caller: a person (or the operator account
// serve runs as), their role and the clinics they belong to.
type Principal struct {
	Name       string
	Role       Role
	Clinics    []int64 // the clinics the caller belongs to, unless AllClinics
	AllClinics bool    // member of the whole network
}

// Can reports whether the principal's role carries p.
func (p Principal) Can(perm Permission) bool { return p.Name != "" && p.Role.Can(perm) }

// InClinic reports whether the principal belongs to clinic id.
func (p Principal) InClinic(id int64) bool {
	return p.AllClinics || slices.Contains(p.Clinics, id)
}

// ErrDenied is wrapped by every refusal.
var ErrDenied = errors.New("access denied")

// DeniedError is a refusal: who asked for what.
type DeniedError struct {
	User       string
	Role       Role
	Permission Permission
	Clinic     int64 // 0 when the refusal is not about a clinic
}

func (e *DeniedError) Error() string {
	if e.Clinic != 0 {
		return fmt.Sprintf("access denied: %s (%s) is not a member of clinic %d", e.User, e.Role, e.Clinic)
	}
	return fmt.Sprintf("access denied: %s (%s) may not %s", e.User, e.Role, e.Permission)
}

func (e *DeniedError) Unwrap() error { return ErrDenied }

// Check returns nil when p may use perm, a *DeniedError otherwise.
func (p Principal) Check(perm Permission) error {
	if p.Can(perm) {
		return nil
	}
	return &DeniedError{User: p.Name, Role: p.Role, Permission: perm}
}

// CheckClinic returns nil when p may use perm in clinic id.
func (p Principal) CheckClinic(perm Permission, id int64) error {
	if err := p.Check(perm); err != nil {
		return err
	}
	if !p.InClinic(id) {
		return &DeniedError{User: p.Name, Role: p.Role, Permission: perm, Clinic: id}
	}
	return nil
}

type ctxKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal ctx carries, if any.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}
