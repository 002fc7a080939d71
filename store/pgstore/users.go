package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// GroupRole is the NOLOGIN role whose privileges a user of role carries.
func GroupRole(role string) string { return "clearhouse_" + role }

// ownerTx runs fn in a transaction of the login's own (no SET ROLE): its
// grants decide what it may do with the users tables.
func (s *Store) ownerTx(ctx context.Context, fn func(c query.Conn) error) error {
	tx, err := s.owner.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: begin: %w", err)
	}
	if err := fn(conn{tx}); err != nil {
		tx.Rollback(ctx)
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit: %w", mapErr(err))
	}
	return nil
}

func (s *Store) CurrentLogin(ctx context.Context) (string, error) {
	var login string
	err := s.owner.QueryRow(ctx, "SELECT session_user").Scan(&login)
	return login, err
}

func (s *Store) WhoAmI(ctx context.Context) (store.User, error) {
	var u store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var login string
		if err := c.QueryRow(ctx, "SELECT session_user").Scan(&login); err != nil {
			return err
		}
		var err error
		u, err = query.GetUserFrom(ctx, c, "clearhouse_whoami()", "clearhouse_my_clinics()", login)
		return err
	})
	return u, err
}

// syncGroupRole makes login a member of its role's group role and of no
// other Clearhouse group role, when the login role exists (CREATE ROLE ...
// LOGIN is the database administrator's step).
func syncGroupRole(ctx context.Context, c query.Conn, login, role string) error {
	var exists bool
	if err := c.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", login).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		// Not a login yet: the row is kept, and users grant --role makes
		// the login a member once the administrator has created it.
		return nil
	}
	for _, r := range query.UserRoles {
		stmt := "REVOKE " + pgx.Identifier{GroupRole(r)}.Sanitize() + " FROM " + pgx.Identifier{login}.Sanitize()
		if r == role {
			stmt = "GRANT " + pgx.Identifier{GroupRole(r)}.Sanitize() + " TO " + pgx.Identifier{login}.Sanitize()
		}
		if _, err := c.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

func (s *Store) CreateUser(ctx context.Context, p store.CreateUserParams) (store.User, error) {
	var u store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		if u, err = query.CreateUser(ctx, c, store.TruncateTime(s.now()), p); err != nil {
			return err
		}
		return syncGroupRole(ctx, c, p.Login, p.Role)
	})
	return u, err
}

func (s *Store) GetUser(ctx context.Context, login string) (store.User, error) {
	var u store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.GetUser(ctx, c, login)
		return err
	})
	return u, err
}

func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var us []store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		us, err = query.ListUsers(ctx, c)
		return err
	})
	return us, err
}

func (s *Store) UpdateUser(ctx context.Context, p store.UpdateUserParams) (store.User, error) {
	var u store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		if u, err = query.UpdateUser(ctx, c, store.TruncateTime(s.now()), p); err != nil {
			return err
		}
		if p.Role != nil {
			return syncGroupRole(ctx, c, u.Login, u.Role)
		}
		return nil
	})
	return u, err
}

func (s *Store) SetUserClinic(ctx context.Context, p store.SetUserClinicParams) (store.User, error) {
	var u store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.SetUserClinic(ctx, c, p)
		return err
	})
	return u, err
}

func (s *Store) CreateUserToken(ctx context.Context, p store.CreateUserTokenParams) (store.UserToken, error) {
	var t store.UserToken
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		t, err = query.CreateUserToken(ctx, c, store.TruncateTime(s.now()), p)
		return err
	})
	return t, err
}

func (s *Store) UserByTokenHash(ctx context.Context, hash string) (store.User, error) {
	var u store.User
	err := s.ownerTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.UserByTokenHash(ctx, c, hash)
		return err
	})
	return u, err
}
