// Package registration records a practice and its patients: the clinic and
// its billing settings, providers, the payers it bills with its enrollment
// for each transaction, patients (with duplicate detection and merge) and
// their coverages. Every change is checked (NPI check digit, NUCC taxonomy,
// the payer registry, X12 relationship codes) and written with an audit
// event in the same transaction. The CLI and the demo both register through
// it.
package registration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// Sentinel errors; every error for one of these conditions wraps it.
var (
	// ErrInput: a field is missing or malformed (the error says which).
	ErrInput = errors.New("registration: invalid input")
	// ErrDuplicate: the patient looks like one already registered.
	ErrDuplicate = errors.New("registration: possible duplicate patient")
	// ErrConfig: the Service is misconfigured.
	ErrConfig = errors.New("registration: configuration")
)

// FieldError is a bad input field.
type FieldError struct {
	Field string
	Value string
	Msg   string
}

func (e *FieldError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Msg)
	}
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Msg)
}

func (e *FieldError) Unwrap() error { return ErrInput }

// Config builds a Service.
type Config struct {
	Store store.Store
	// Payers is the payer registry payers are registered from; required.
	Payers *payers.Registry
	// Codes holds the taxonomy code set providers and clinics are checked
	// against; required.
	Codes *codes.Sets
	// Now is the clock (taxonomy codes are looked up as of today); default
	// time.Now.
	Now func() time.Time
	// Actor is recorded on audit events; default "registration".
	Actor  string
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Store == nil {
		return fmt.Errorf("%w: Store is nil", ErrConfig)
	}
	if c.Payers == nil {
		return fmt.Errorf("%w: Payers is nil", ErrConfig)
	}
	if c.Codes == nil || c.Codes.Set(codes.Taxonomy) == nil {
		return fmt.Errorf("%w: Codes has no taxonomy set", ErrConfig)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Actor == "" {
		c.Actor = "registration"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return nil
}

// Service registers clinics, providers, payers, patients and coverages.
type Service struct {
	cfg Config
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Service{cfg: cfg}, nil
}

// Payers is the registry the service registers payers from.
func (s *Service) Payers() *payers.Registry { return s.cfg.Payers }

// audit appends one event in tx.
func (s *Service) audit(ctx context.Context, tx store.Queries, action, entity string, id int64, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	b, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: s.cfg.Actor, Action: action, EntityType: entity,
		EntityID: strconv.FormatInt(id, 10), Details: b})
	return err
}

// errs collects field errors.
type errs []error

func (e *errs) add(field, value, format string, args ...any) {
	*e = append(*e, &FieldError{Field: field, Value: value, Msg: fmt.Sprintf(format, args...)})
}

func (e errs) err() error { return errors.Join(e...) }
