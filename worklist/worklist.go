// Package worklist is the billing team's work queue: the items billing opens
// for scrub failures, 999 and 277CA rejections, denials (by CARC group and
// reason, with a suggested action), underpayments, eligibility problems,
// unmatched remittances and 835 posting errors, and what staff do about them.
//
// A Service lists items with filters and sorting, shows one item with its
// claim, status history, latest 835 payment (CAS and RARC) and the X12
// location of a rejection, and assigns, annotates and resolves items. It also
// carries the claim actions staff take from an item: correct (a frequency 7
// replacement claim, or an in-place fix of a claim the payer never accepted),
// void (frequency 8), appeal (tracked as an item of kind appeal) and write
// off. Every change is made in one store transaction together with an audit
// event naming the acting user.
//
// Money is int64 cents. The clock is injected.
package worklist

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

// Sentinel errors. Errors of the package wrap one of these or a store
// sentinel (store.ErrNotFound for an unknown item or claim).
var (
	// ErrInvalid: a request is incomplete or malformed (no actor, a bad
	// filter, a --set path that names nothing, ...).
	ErrInvalid = errors.New("worklist: invalid request")
	// ErrNotAllowed: the item or claim is not in a state that allows the
	// action (resolving a resolved item, voiding a voided claim, ...).
	ErrNotAllowed = errors.New("worklist: action not allowed in this state")
)

// KindAppeal is the kind of the item that tracks an appeal of a claim's
// adjudication; its Details hold the appeal's status history.
const KindAppeal = "appeal"

// Kinds lists every item kind, in the order the CLI documents them.
func Kinds() []string {
	return []string{store.WorkScrubFailure, store.WorkRejection, store.WorkDenial, store.WorkUnderpayment, store.WorkEligibility,
		store.WorkUnmatchedPayment, billing.WorkRemittanceError, billing.WorkHeldPayment, billing.WorkHeldRemittance, billing.WorkClaimStatus,
		store.WorkQuarantinedFile, store.WorkPatientStatement, KindAppeal, store.WorkCodeSet, store.WorkTimelyFiling, billing.WorkCreditBalance}
}

// Config configures New.
type Config struct {
	Store Store
	// Now is the clock. Required.
	Now func() time.Time
}

// Service is the worklist API. It is safe for concurrent use.
type Service struct {
	st  Store
	now func() time.Time
}

// New returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Config.Store is required", ErrInvalid)
	}
	if cfg.Now == nil {
		return nil, fmt.Errorf("%w: Config.Now is required", ErrInvalid)
	}
	return &Service{st: cfg.Store, now: cfg.Now}, nil
}

// Sort orders of List: each field sorts ascending, and a leading "-" sorts
// it descending ("-amount" puts the largest amounts first, "age" the
// newest items). The empty order lists the oldest items first, as "-age".
const (
	// SortAge sorts by age in days; "-age" puts the oldest items first.
	SortAge = "age"
	// SortAmount sorts by amount; "-amount" puts the largest first.
	SortAmount   = "amount"
	SortPriority = "priority"
	SortID       = "id"
	SortPayer    = "payer"
	SortKind     = "kind"
	SortAssignee = "assignee"
)

// Filter selects items for List. Zero fields do not filter.
type Filter struct {
	// ClinicIDs limits the listing to these clinics; empty lists every
	// clinic.
	ClinicIDs []int64
	// Payer is a payer's identifier (Loop 2010BB NM109, e.g. KHP01).
	Payer string
	Kinds []string
	// Statuses default to open and in_progress.
	Statuses   []string
	Assignee   string
	Unassigned bool
	// MinAgeDays and MaxAgeDays bound the item's age in whole days since
	// it was created.
	MinAgeDays, MaxAgeDays int
	// MinAmountCents and MaxAmountCents bound the item's amount.
	MinAmountCents, MaxAmountCents int64
	// Sort is one of the Sort* orders, optionally prefixed with "-".
	Sort  string
	Limit int
}

// Item is a worklist item with what a listing shows about it.
type Item struct {
	store.WorklistItem
	// AgeDays is whole days since the item was created.
	AgeDays int `json:"ageDays"`
	// PayerCode is the payer's identifier (NM109), PayerName its name.
	PayerCode string `json:"payerCode,omitempty"`
	PayerName string `json:"payerName,omitempty"`
	// PatientControlNumber is the claim's CLM01.
	PatientControlNumber string `json:"patientControlNumber,omitempty"`
	// Action is the suggested next step.
	Action string `json:"action,omitempty"`
}

func (f *Filter) validate() error {
	kinds := Kinds()
	for _, k := range f.Kinds {
		if !slices.Contains(kinds, k) {
			return fmt.Errorf("%w: kind %q: want one of %s", ErrInvalid, k, strings.Join(kinds, ", "))
		}
	}
	for _, s := range f.Statuses {
		switch s {
		case store.WorkOpen, store.WorkInProgress, store.WorkResolved, store.WorkDismissed:
		default:
			return fmt.Errorf("%w: status %q: want open, in_progress, resolved or dismissed", ErrInvalid, s)
		}
	}
	if f.MinAgeDays < 0 || f.MaxAgeDays < 0 || (f.MaxAgeDays > 0 && f.MaxAgeDays < f.MinAgeDays) {
		return fmt.Errorf("%w: age range %d..%d", ErrInvalid, f.MinAgeDays, f.MaxAgeDays)
	}
	if f.MinAmountCents < 0 || f.MaxAmountCents < 0 || (f.MaxAmountCents > 0 && f.MaxAmountCents < f.MinAmountCents) {
		return fmt.Errorf("%w: amount range %d..%d", ErrInvalid, f.MinAmountCents, f.MaxAmountCents)
	}
	if f.Assignee != "" && f.Unassigned {
		return fmt.Errorf("%w: an assignee and unassigned together", ErrInvalid)
	}
	switch strings.TrimPrefix(f.Sort, "-") {
	case "", SortAge, SortAmount, SortPriority, SortID, SortPayer, SortKind, SortAssignee:
	default:
		return fmt.Errorf("%w: sort %q: want age, amount, priority, id, payer, kind or assignee", ErrInvalid, f.Sort)
	}
	return f.validateLimit()
}

func (f *Filter) validateLimit() error {
	if f.Limit < 0 {
		return fmt.Errorf("%w: negative limit", ErrInvalid)
	}
	return nil
}

// List returns the items matching f, sorted. The store filters by kind,
// status, payer, assignee, amount and minimum age; the maximum age and the
// sort are applied here.
func (s *Service) List(ctx context.Context, f Filter) ([]Item, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	clinics := f.ClinicIDs
	if len(clinics) == 0 {
		cs, err := s.st.ListClinics(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			clinics = append(clinics, c.ID)
		}
	}
	now := s.now().UTC()
	statuses := f.Statuses
	if len(statuses) == 0 {
		statuses = []string{store.WorkOpen, store.WorkInProgress}
	}
	var out []Item
	for _, clinicID := range clinics {
		p := store.ListWorklistItemsParams{ClinicID: clinicID, Kinds: f.Kinds, Statuses: statuses, Assignee: f.Assignee,
			Unassigned: f.Unassigned, MinAmountCents: f.MinAmountCents, MaxAmountCents: f.MaxAmountCents}
		if f.MinAgeDays > 0 {
			p.CreatedBefore = now.Add(-time.Duration(f.MinAgeDays) * 24 * time.Hour).Add(time.Microsecond)
		}
		payers, err := s.payers(ctx, clinicID)
		if err != nil {
			return nil, err
		}
		if f.Payer != "" {
			py, ok := payerByCode(payers, f.Payer)
			if !ok {
				continue // the clinic does not bill that payer
			}
			p.PayerID = py.ID
		}
		items, err := s.st.ListWorklistItems(ctx, p)
		if err != nil {
			return nil, err
		}
		pcns, err := s.claimNumbers(ctx, clinicID, items)
		if err != nil {
			return nil, err
		}
		for _, w := range items {
			it := decorate(w, now, payers, pcns)
			if f.MaxAgeDays > 0 && it.AgeDays > f.MaxAgeDays {
				continue
			}
			out = append(out, it)
		}
	}
	sortItems(out, f.Sort)
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (s *Service) payers(ctx context.Context, clinicID int64) (map[int64]store.Payer, error) {
	ps, err := s.st.ListPayers(ctx, store.ListPayersParams{ClinicID: clinicID})
	if err != nil {
		return nil, err
	}
	m := make(map[int64]store.Payer, len(ps))
	for _, p := range ps {
		m[p.ID] = p
	}
	return m, nil
}

func payerByCode(m map[int64]store.Payer, code string) (store.Payer, bool) {
	for _, p := range m {
		if strings.EqualFold(p.PayerID, code) {
			return p, true
		}
	}
	return store.Payer{}, false
}

// claimNumbers maps the claims of items to their patient control numbers:
// from the items' details when billing recorded them there, else from the
// claim rows.
func (s *Service) claimNumbers(ctx context.Context, clinicID int64, items []store.WorklistItem) (map[int64]string, error) {
	m := make(map[int64]string)
	for _, w := range items {
		if w.ClaimID == nil {
			continue
		}
		if _, ok := m[*w.ClaimID]; ok {
			continue
		}
		var d struct {
			PCN string `json:"patientControlNumber"`
		}
		if json.Unmarshal(w.Details, &d) == nil && d.PCN != "" {
			m[*w.ClaimID] = d.PCN
			continue
		}
		c, err := s.st.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: *w.ClaimID})
		if err != nil {
			return nil, err
		}
		m[c.ID] = c.PatientControlNumber
	}
	return m, nil
}

func decorate(w store.WorklistItem, now time.Time, payers map[int64]store.Payer, pcns map[int64]string) Item {
	it := Item{WorklistItem: w, AgeDays: ageDays(w.CreatedAt, now), Action: suggestedAction(w)}
	if w.PayerID != nil {
		p := payers[*w.PayerID]
		it.PayerCode, it.PayerName = p.PayerID, p.Name
	}
	if w.ClaimID != nil {
		it.PatientControlNumber = pcns[*w.ClaimID]
	}
	return it
}

func ageDays(created, now time.Time) int {
	if now.Before(created) {
		return 0
	}
	return int(now.Sub(created) / (24 * time.Hour))
}

func sortItems(items []Item, order string) {
	desc := strings.HasPrefix(order, "-")
	key := strings.TrimPrefix(order, "-")
	byID := func(a, b Item) int { return cmp.Compare(a.ID, b.ID) }
	var less func(a, b Item) int
	switch key {
	case SortAmount:
		less = func(a, b Item) int { return cmp.Compare(a.AmountCents, b.AmountCents) }
	case SortPriority:
		less = func(a, b Item) int { return cmp.Compare(a.Priority, b.Priority) }
	case SortID:
		less = byID
	case SortPayer:
		less = func(a, b Item) int { return cmp.Compare(a.PayerCode, b.PayerCode) }
	case SortKind:
		less = func(a, b Item) int { return cmp.Compare(a.Kind, b.Kind) }
	case SortAssignee:
		less = func(a, b Item) int { return cmp.Compare(a.Assignee, b.Assignee) }
	case SortAge:
		// Age ascending: the newest (youngest) items first.
		less = func(a, b Item) int { return b.CreatedAt.Compare(a.CreatedAt) }
	default:
		// The default order: the oldest items first.
		less = func(a, b Item) int { return a.CreatedAt.Compare(b.CreatedAt) }
	}
	// Ties keep ID order in both directions, so "-age" lists exactly as
	// the default order does.
	slices.SortStableFunc(items, func(a, b Item) int {
		c := less(a, b)
		if desc {
			c = -c
		}
		if c == 0 {
			c = byID(a, b)
		}
		return c
	})
}

// suggestedAction reads the next step billing recorded on an item: its
// "action", the first denial reason's action, or the first scrub finding's
// fix.
func suggestedAction(w store.WorklistItem) string {
	var d struct {
		Action   string                       `json:"action"`
		Reasons  []billing.DenialReason       `json:"reasons"`
		Findings []billing.ScrubFindingDetail `json:"findings"`
		Appeal   []AppealEvent                `json:"appeal"`
	}
	if json.Unmarshal(w.Details, &d) != nil {
		return ""
	}
	switch {
	case d.Action != "":
		return d.Action
	case len(d.Reasons) > 0:
		return d.Reasons[0].Action
	case len(d.Findings) > 0:
		return d.Findings[0].Fix
	case len(d.Appeal) > 0:
		return "follow up on the appeal (" + d.Appeal[len(d.Appeal)-1].Status + ")"
	}
	return ""
}

// Find returns an item by ID. With clinicID zero it looks in every clinic
// (IDs are unique in a database), so a one-clinic user need not name it.
func (s *Service) Find(ctx context.Context, clinicID, itemID int64) (store.WorklistItem, error) {
	if clinicID != 0 {
		return s.st.GetWorklistItem(ctx, store.Ref{ClinicID: clinicID, ID: itemID})
	}
	cs, err := s.st.ListClinics(ctx)
	if err != nil {
		return store.WorklistItem{}, err
	}
	for _, c := range cs {
		w, err := s.st.GetWorklistItem(ctx, store.Ref{ClinicID: c.ID, ID: itemID})
		if err == nil {
			return w, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.WorklistItem{}, err
		}
	}
	return store.WorklistItem{}, fmt.Errorf("worklist item %d: %w", itemID, store.ErrNotFound)
}

// FindClaim returns a claim by ID, looking in every clinic when clinicID is
// zero.
func (s *Service) FindClaim(ctx context.Context, clinicID, claimID int64) (store.Claim, error) {
	if clinicID != 0 {
		return s.st.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: claimID})
	}
	cs, err := s.st.ListClinics(ctx)
	if err != nil {
		return store.Claim{}, err
	}
	for _, c := range cs {
		cl, err := s.st.GetClaim(ctx, store.Ref{ClinicID: c.ID, ID: claimID})
		if err == nil {
			return cl, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Claim{}, err
		}
	}
	return store.Claim{}, fmt.Errorf("claim %d: %w", claimID, store.ErrNotFound)
}

func requireActor(actor string) error {
	if strings.TrimSpace(actor) == "" {
		return fmt.Errorf("%w: the acting user is required (audit actor)", ErrInvalid)
	}
	return nil
}

// audit appends an audit event in tx.
func audit(ctx context.Context, tx store.Tx, actor, action, entity string, id int64, details any) error {
	raw, err := json.Marshal(details)
	if err != nil {
		return err
	}
	_, err = tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: actor, Action: action, EntityType: entity,
		EntityID: strconv.FormatInt(id, 10), Details: raw})
	return err
}
