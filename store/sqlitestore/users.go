package sqlitestore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/internal/query"
)

// OSLogin is the identity on SQLite: the operating-system user running the
// process, looked up by user ID (not from $USER, which anyone may set).
func OSLogin() (string, error) {
	u, err := user.Current()
	if err != nil {
		return "uid-" + strconv.Itoa(os.Getuid()), nil
	}
	if u.Username == "" {
		return "", fmt.Errorf("sqlitestore: operating-system user %s has no name", u.Uid)
	}
	return u.Username, nil
}

func (s *Store) usersTx(ctx context.Context, fn func(c query.Conn) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return fn(conn{tx}) })
}

func (s *Store) CurrentLogin(context.Context) (string, error) { return OSLogin() }

func (s *Store) WhoAmI(ctx context.Context) (store.User, error) {
	login, err := OSLogin()
	if err != nil {
		return store.User{}, err
	}
	return s.GetUser(ctx, login)
}

func (s *Store) CreateUser(ctx context.Context, p store.CreateUserParams) (store.User, error) {
	var u store.User
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.CreateUser(ctx, c, store.TruncateTime(s.cfg.Now()), p)
		return err
	})
	return u, err
}

func (s *Store) GetUser(ctx context.Context, login string) (store.User, error) {
	var u store.User
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.GetUser(ctx, c, login)
		return err
	})
	return u, err
}

func (s *Store) ListUsers(ctx context.Context) ([]store.User, error) {
	var us []store.User
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		us, err = query.ListUsers(ctx, c)
		return err
	})
	return us, err
}

func (s *Store) UpdateUser(ctx context.Context, p store.UpdateUserParams) (store.User, error) {
	var u store.User
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.UpdateUser(ctx, c, store.TruncateTime(s.cfg.Now()), p)
		return err
	})
	return u, err
}

func (s *Store) SetUserClinic(ctx context.Context, p store.SetUserClinicParams) (store.User, error) {
	var u store.User
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.SetUserClinic(ctx, c, p)
		return err
	})
	return u, err
}

func (s *Store) CreateUserToken(ctx context.Context, p store.CreateUserTokenParams) (store.UserToken, error) {
	var t store.UserToken
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		t, err = query.CreateUserToken(ctx, c, store.TruncateTime(s.cfg.Now()), p)
		return err
	})
	return t, err
}

func (s *Store) UserByTokenHash(ctx context.Context, hash string) (store.User, error) {
	var u store.User
	err := s.usersTx(ctx, func(c query.Conn) error {
		var err error
		u, err = query.UserByTokenHash(ctx, c, hash)
		return err
	})
	return u, err
}

// bootstrapAdmin makes the operating-system user the first user.
func (s *Store) bootstrapAdmin(ctx context.Context) error {
	login, err := OSLogin()
	if err != nil {
		return err
	}
	return s.usersTx(ctx, func(c query.Conn) error {
		_, err := query.BootstrapAdmin(ctx, c, store.TruncateTime(s.cfg.Now()), login)
		return err
	})
}
