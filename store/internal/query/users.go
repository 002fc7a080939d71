package query

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

// Users and their clinic memberships. These calls are not scoped to a
// clinic: the backends run them on a connection of their own (on
// PostgreSQL as the login role, whose grants decide who may change users).

const userCols = "id, login, name, role, all_clinics, disabled_at, created_at"

// UserRoles are the role names the users table accepts (package access
// defines what each may do).
var UserRoles = []string{"front_desk", "biller", "billing_manager", "manager", "operator", "admin"}

func scanUser(r Row) (store.User, error) {
	var u store.User
	err := r.Scan(&u.ID, &u.Login, &u.Name, &u.Role, &u.AllClinics, NullTS(&u.DisabledAt), TS(&u.CreatedAt))
	return u, err
}

func checkUserRole(role string) error {
	for _, r := range UserRoles {
		if r == role {
			return nil
		}
	}
	return &store.FieldError{Field: fmt.Sprintf("Role (%q is not one of %s)", role, strings.Join(UserRoles, ", ")), Err: store.ErrInvalid}
}

// userClinics fills u.Clinics from the membership source (a table, or on
// PostgreSQL a function that shows a login its own).
func userClinics(ctx context.Context, c Conn, from string, u *store.User) error {
	rows, err := c.Query(ctx, "SELECT clinic_id FROM "+from+" WHERE user_id = $1 ORDER BY clinic_id", u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	u.Clinics = nil
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		u.Clinics = append(u.Clinics, id)
	}
	return rows.Err()
}

// GetUserFrom reads the user with login from the sources users (a table or
// function) and memberships.
func GetUserFrom(ctx context.Context, c Conn, users, memberships, login string) (store.User, error) {
	u, err := scanUser(c.QueryRow(ctx, "SELECT "+userCols+" FROM "+users+" WHERE login = $1", login))
	if err != nil {
		return u, fmt.Errorf("user %q: %w", login, err)
	}
	return u, userClinics(ctx, c, memberships, &u)
}

// GetUser reads one user by login.
func GetUser(ctx context.Context, c Conn, login string) (store.User, error) {
	return GetUserFrom(ctx, c, "users", "user_clinics", login)
}

// ListUsers lists every user with their clinics.
func ListUsers(ctx context.Context, c Conn) ([]store.User, error) {
	rows, err := c.Query(ctx, "SELECT "+userCols+" FROM users ORDER BY login")
	us, err := collect(rows, err, scanUser)
	if err != nil {
		return nil, err
	}
	for i := range us {
		if err := userClinics(ctx, c, "user_clinics", &us[i]); err != nil {
			return nil, err
		}
	}
	return us, nil
}

// CreateUser inserts a user and their memberships.
func CreateUser(ctx context.Context, c Conn, now time.Time, p store.CreateUserParams) (store.User, error) {
	if err := required("Login", p.Login); err != nil {
		return store.User{}, err
	}
	if err := checkUserRole(p.Role); err != nil {
		return store.User{}, err
	}
	u, err := scanUser(c.QueryRow(ctx, "INSERT INTO users (login, name, role, all_clinics, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING "+userCols,
		p.Login, p.Name, p.Role, p.AllClinics, now))
	if err != nil {
		return u, fmt.Errorf("user %q: %w", p.Login, err)
	}
	for _, cid := range p.Clinics {
		if _, err := c.Exec(ctx, "INSERT INTO user_clinics (user_id, clinic_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", u.ID, cid); err != nil {
			return u, fmt.Errorf("user %q: no clinic %d: %w", p.Login, cid, err)
		}
	}
	return u, userClinics(ctx, c, "user_clinics", &u)
}

// BootstrapAdmin makes login the first user, an admin of the whole network,
// when there is no user yet. It reports whether it did.
func BootstrapAdmin(ctx context.Context, c Conn, now time.Time, login string) (bool, error) {
	n, err := c.Exec(ctx, `INSERT INTO users (login, name, role, all_clinics, created_at)
		SELECT $1, $1, 'admin', true, $2 WHERE NOT EXISTS (SELECT 1 FROM users)`, login, now)
	return n > 0, err
}

// UpdateUser changes the fields p sets.
func UpdateUser(ctx context.Context, c Conn, now time.Time, p store.UpdateUserParams) (store.User, error) {
	u, err := GetUser(ctx, c, p.Login)
	if err != nil {
		return u, err
	}
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.Role != nil {
		if err := checkUserRole(*p.Role); err != nil {
			return u, err
		}
		u.Role = *p.Role
	}
	if p.AllClinics != nil {
		u.AllClinics = *p.AllClinics
	}
	if p.Disabled != nil {
		switch {
		case *p.Disabled && u.DisabledAt == nil:
			u.DisabledAt = &now
		case !*p.Disabled:
			u.DisabledAt = nil
		}
	}
	if _, err := c.Exec(ctx, "UPDATE users SET name = $2, role = $3, all_clinics = $4, disabled_at = $5 WHERE id = $1",
		u.ID, u.Name, u.Role, u.AllClinics, u.DisabledAt); err != nil {
		return u, fmt.Errorf("user %q: %w", p.Login, err)
	}
	return GetUser(ctx, c, p.Login)
}

// SetUserClinic adds or removes one membership.
func SetUserClinic(ctx context.Context, c Conn, p store.SetUserClinicParams) (store.User, error) {
	u, err := GetUser(ctx, c, p.Login)
	if err != nil {
		return u, err
	}
	if p.ClinicID <= 0 {
		return u, &store.FieldError{Field: "ClinicID (required)", Err: store.ErrInvalid}
	}
	if p.Member {
		_, err = c.Exec(ctx, "INSERT INTO user_clinics (user_id, clinic_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", u.ID, p.ClinicID)
	} else {
		_, err = c.Exec(ctx, "DELETE FROM user_clinics WHERE user_id = $1 AND clinic_id = $2", u.ID, p.ClinicID)
	}
	if err != nil {
		return u, fmt.Errorf("user %q: no clinic %d: %w", p.Login, p.ClinicID, err)
	}
	return GetUser(ctx, c, p.Login)
}

// CreateUserToken stores a token hash for a user.
func CreateUserToken(ctx context.Context, c Conn, now time.Time, p store.CreateUserTokenParams) (store.UserToken, error) {
	if err := required("TokenHash", p.TokenHash); err != nil {
		return store.UserToken{}, err
	}
	u, err := GetUser(ctx, c, p.Login)
	if err != nil {
		return store.UserToken{}, err
	}
	t := store.UserToken{UserID: u.ID, Label: p.Label}
	err = c.QueryRow(ctx, "INSERT INTO user_tokens (user_id, token_hash, label, created_at) VALUES ($1, $2, $3, $4) RETURNING id, created_at",
		u.ID, p.TokenHash, p.Label, now).Scan(&t.ID, TS(&t.CreatedAt))
	return t, err
}

// UserByTokenHash finds the enabled user owning a token hash.
func UserByTokenHash(ctx context.Context, c Conn, hash string) (store.User, error) {
	u, err := scanUser(c.QueryRow(ctx, "SELECT u."+strings.ReplaceAll(userCols, ", ", ", u.")+
		" FROM user_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL", hash))
	if err != nil {
		return u, fmt.Errorf("token: %w", err)
	}
	return u, userClinics(ctx, c, "user_clinics", &u)
}
