package store

import (
	"context"
	"time"
)

// User is a person (or a service account such as the one serve runs as)
// known to Clearhouse. Login is the identity that cannot be claimed: the
// PostgreSQL login role the person connects as, or on SQLite the
// operating-system user running the command.
type User struct {
	ID    int64
	Login string
	Name  string
	// Role is one of the roles of package access (front_desk, biller,
	// billing_manager, manager, operator, admin).
	Role string
	// AllClinics makes the user a member of the whole network.
	AllClinics bool
	// Clinics are the clinics the user belongs to, ascending.
	Clinics    []int64
	DisabledAt *time.Time
	CreatedAt  time.Time
}

// Disabled reports whether the user may no longer act.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// CreateUserParams adds a user; Login and Role are required.
type CreateUserParams struct {
	Login      string
	Name       string
	Role       string
	AllClinics bool
	Clinics    []int64
}

// UpdateUserParams changes a user; nil fields are left as they are.
type UpdateUserParams struct {
	Login      string
	Name       *string
	Role       *string
	AllClinics *bool
	Disabled   *bool
}

// SetUserClinicParams adds (Member) or removes a clinic membership.
type SetUserClinicParams struct {
	Login    string
	ClinicID int64
	Member   bool
}

// CreateUserTokenParams stores a bearer token's hash for a user.
type CreateUserTokenParams struct {
	Login string
	// TokenHash is the hex SHA-256 of the token; the token itself is
	// never stored.
	TokenHash string
	Label     string
}

// UserToken is a stored token (its hash only).
type UserToken struct {
	ID        int64
	UserID    int64
	Label     string
	CreatedAt time.Time
}

// Users are the calls on people and their access. They are not scoped to a
// clinic. On PostgreSQL they run as the connection's login role (not the
// application role), so only an admin's login may change users.
type Users interface {
	// CurrentLogin is the identity of the connection: the login role
	// (session_user) on PostgreSQL, the operating-system user on SQLite.
	CurrentLogin(ctx context.Context) (string, error)
	// WhoAmI returns the user row of CurrentLogin (ErrNotFound when the
	// login is no user of Clearhouse). Every login may read its own row.
	WhoAmI(ctx context.Context) (User, error)
	CreateUser(ctx context.Context, p CreateUserParams) (User, error)
	GetUser(ctx context.Context, login string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	UpdateUser(ctx context.Context, p UpdateUserParams) (User, error)
	SetUserClinic(ctx context.Context, p SetUserClinicParams) (User, error)
	CreateUserToken(ctx context.Context, p CreateUserTokenParams) (UserToken, error)
	// UserByTokenHash finds the enabled user a token hash belongs to.
	UserByTokenHash(ctx context.Context, tokenHash string) (User, error)
}
