package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"riverqueue.com/riverui"
	"riverqueue.com/riverui/uiendpoints"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/store/pgstore"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// riverUIPrefix is where serve mounts River UI.
const riverUIPrefix = "/riverui"

// riverUIStore is what River UI needs of a store: its endpoints on the
// store's database (both backends: River UI reads PostgreSQL and SQLite).
type riverUIStore interface {
	RiverUIEndpoints() uiendpoints.Bundle
}

var (
	_ riverUIStore = (*pgstore.Store)(nil)
	_ riverUIStore = (*sqlitestore.Store)(nil)
)

// newRiverUI builds River UI's handler on the store and starts its
// background services until ctx ends.
func (s *server) newRiverUI(ctx context.Context) (http.Handler, error) {
	rs, ok := s.st.(riverUIStore)
	if !ok {
		return nil, fmt.Errorf("river UI: the store has no River endpoints")
	}
	h, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: rs.RiverUIEndpoints(), Logger: s.log, Prefix: riverUIPrefix,
		// Job arguments are IDs, but hide them until asked.
		JobListHideArgsByDefault: true})
	if err != nil {
		return nil, fmt.Errorf("river UI: %w", err)
	}
	if err := h.Start(ctx); err != nil {
		return nil, fmt.Errorf("river UI: %w", err)
	}
	return h, nil
}

// mountRiverUI mounts River UI at /riverui for callers whose role may read
// jobs (the operator's): reading needs access.JobsRead, anything else
// (retry, cancel, delete, pause a queue) access.JobsManage.
func (s *server) mountRiverUI(mux *http.ServeMux, ui http.Handler, auth access.Authenticator) {
	denied := func(r *http.Request, p access.Principal, perm access.Permission) {
		s.log.Warn("access denied", "user", p.Name, "role", string(p.Role), "permission", string(perm), "method", r.Method, "path", r.URL.Path)
	}
	read := access.Require(auth, access.JobsRead, denied, ui)
	manage := access.Require(auth, access.JobsManage, denied, ui)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			read.ServeHTTP(w, r)
			return
		}
		manage.ServeHTTP(w, r)
	})
	mux.Handle(riverUIPrefix, h)
	mux.Handle(riverUIPrefix+"/", h)
}

// logRiverUI says at start who may use River UI.
func logRiverUI(log *slog.Logger, tokens string) {
	who := "the bearer tokens of users with the operator or admin role (clearhouse users token)"
	if tokens != "" {
		who = "the operators and admins of the --tokens file"
	}
	log.Info("river UI served", "path", riverUIPrefix, "for", who)
}
