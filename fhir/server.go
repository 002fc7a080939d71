package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/store"
)

// Base is the path the read API is served under.
const Base = "/fhir/r4"

// ContentType is the media type of every answer (R4 JSON).
const ContentType = "application/fhir+json; charset=utf-8"

// MaxCount caps the entries of one searchset (and _count).
const MaxCount = 1000

// ServerConfig builds the read API's handler.
type ServerConfig struct {
	Store store.Store
	// Auth authenticates every request (the API serves PHI); required.
	Auth access.Authenticator
	// Denied is called for every refusal of an authenticated caller (to
	// audit it); may be nil.
	Denied func(*http.Request, access.Principal, access.Permission)
	// Now is the clock (a coverage whose period has ended reads as
	// cancelled); default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Server answers the read API.
type Server struct {
	cfg ServerConfig
}

// resourceKind is one resource type the API serves.
type resourceKind struct {
	perm access.Permission
	// search names the search parameters beyond _count (the rest are
	// refused with 400).
	search []searchParam
}

type searchParam struct {
	name, typ, doc string
}

var (
	spPatient = searchParam{"patient", "reference", "the patient (Patient/ID or ID)"}
	spStatus  = searchParam{"status", "token", "the resource's status code"}
)

func dateParam(name, doc string) searchParam { return searchParam{name, "date", doc} }

var kinds = map[string]resourceKind{
	"Patient": {access.PatientsRead, []searchParam{{"_id", "token", "the patient's logical ID"},
		{"name", "string", "a prefix of the first or last name"}, dateParam("birthdate", "the birth date")}},
	"Coverage":    {access.PatientsRead, []searchParam{spPatient, spStatus}},
	"Appointment": {access.AppointmentsRead, []searchParam{spPatient, spStatus, dateParam("date", "the appointment's start")}},
	"Claim": {access.ClaimsRead, []searchParam{spPatient, spStatus, dateParam("date", "the first date of service"),
		dateParam("created", "the first date of service (alias of date)")}},
	"ClaimResponse": {access.ClaimsRead, []searchParam{spPatient, {"status", "token", "the outcome: queued, complete or error"},
		dateParam("date", "the claim's first date of service"), dateParam("created", "the claim's first date of service (alias of date)")}},
	"ExplanationOfBenefit": {access.ClaimsRead, []searchParam{spPatient, spStatus, dateParam("date", "the payment date (835 BPR16)"),
		dateParam("created", "the payment date (alias of date)")}},
	"CoverageEligibilityResponse": {access.PatientsRead, []searchParam{spPatient, {"status", "token", "the outcome: complete or error"},
		dateParam("date", "when the 271 answered"), dateParam("created", "when the 271 answered (alias of date)")}},
}

// Types lists the resource types the API serves, sorted.
func Types() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NewServer returns the read API.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("fhir: ServerConfig.Store is nil")
	}
	if cfg.Auth == nil {
		return nil, errors.New("fhir: ServerConfig.Auth is nil: the API serves PHI and authenticates every request")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Server{cfg: cfg}, nil
}

// Handler serves GET Base/metadata, Base/{type}/{id} and Base/{type}?search
// for every type of Types, each behind the permission its data needs.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET "+Base+"/metadata", s.authenticated(http.HandlerFunc(s.metadata)))
	for typ, k := range kinds {
		mux.Handle("GET "+Base+"/"+typ+"/{id}", access.Require(s.cfg.Auth, k.perm, s.cfg.Denied, s.readHandler(typ)))
		mux.Handle("GET "+Base+"/"+typ, access.Require(s.cfg.Auth, k.perm, s.cfg.Denied, s.searchHandler(typ)))
	}
	mux.HandleFunc(Base+"/", func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.cfg.Auth.Authenticate(r); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="clearhouse"`)
			writeOutcome(w, http.StatusUnauthorized, fhir.IssueTypeLogin, "authentication required")
			return
		}
		if r.Method != http.MethodGet {
			writeOutcome(w, http.StatusMethodNotAllowed, fhir.IssueTypeNotSupported, "the API is read-only: GET only")
			return
		}
		writeOutcome(w, http.StatusNotFound, fhir.IssueTypeNotSupported, "not a served resource type (see "+Base+"/metadata)")
	})
	return mux
}

// authenticated lets any authenticated caller through.
func (s *Server) authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.cfg.Auth.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="clearhouse"`)
			writeOutcome(w, http.StatusUnauthorized, fhir.IssueTypeLogin, "authentication required")
			return
		}
		next.ServeHTTP(w, r.WithContext(access.WithPrincipal(r.Context(), p)))
	})
}

// Marshal writes a resource as R4 JSON: the models' empty required
// structs and nil required lists (an empty diagnosisReference beside a
// diagnosisCodeableConcept) are dropped, since R4 JSON has no empty
// objects or nulls.
func Marshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, err
	}
	tree, _ = prune(tree)
	return json.Marshal(tree)
}

// prune removes nulls, empty objects and empty arrays; keep is false when
// v itself is empty.
func prune(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case map[string]any:
		for k, e := range x {
			if pe, keep := prune(e); keep {
				x[k] = pe
			} else {
				delete(x, k)
			}
		}
		return x, len(x) > 0
	case []any:
		out := x[:0]
		for _, e := range x {
			if pe, keep := prune(e); keep {
				out = append(out, pe)
			}
		}
		return out, len(out) > 0
	}
	return v, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeOutcome(w http.ResponseWriter, status int, code fhir.IssueType, msg string) {
	sev := fhir.IssueSeverityError
	writeJSON(w, status, fhir.OperationOutcome{Issue: []fhir.OperationOutcomeIssue{{Severity: sev, Code: code, Diagnostics: &msg}}})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeOutcome(w, http.StatusNotFound, fhir.IssueTypeNotFound, "not found")
		return
	}
	var be badRequest
	if errors.As(err, &be) {
		writeOutcome(w, http.StatusBadRequest, fhir.IssueTypeInvalid, string(be))
		return
	}
	s.cfg.Logger.Error("fhir: request failed", "path", r.URL.Path, "err", err)
	writeOutcome(w, http.StatusInternalServerError, fhir.IssueTypeException, "internal error")
}

type badRequest string

func (e badRequest) Error() string { return string(e) }

func (s *Server) readHandler(typ string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := access.FromContext(r.Context())
		clinic, id, ok := ParseID(r.PathValue("id"))
		// Another clinic's row reads as missing: its existence is not
		// the caller's to know.
		if !ok || !p.InClinic(clinic) {
			writeOutcome(w, http.StatusNotFound, fhir.IssueTypeNotFound, "not found")
			return
		}
		res, err := s.load(r.Context(), typ, clinic, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// Nothing is shown unaudited.
		if err := s.auditReads(r, p, typ, map[int64][]string{clinic: {strconv.FormatInt(id, 10)}}); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// auditEntity is the read audit's entity type of each resource type: the
// store row a resource is made from.
var auditEntity = map[string]string{
	"Patient":                     "patient",
	"Coverage":                    "coverage",
	"CoverageEligibilityResponse": "coverage",
	"Appointment":                 "appointment",
	"Claim":                       "claim",
	"ClaimResponse":               "claim",
	"ExplanationOfBenefit":        "claim_payment",
}

// auditReads records that the caller read the rows ids (by clinic) as
// resources of typ, from request r: one read event per row, one bulk
// append per clinic, before anything is written to the caller.
func (s *Server) auditReads(r *http.Request, p access.Principal, typ string, ids map[int64][]string) error {
	clinics := make([]int64, 0, len(ids))
	for c := range ids {
		clinics = append(clinics, c)
	}
	sort.Slice(clinics, func(i, j int) bool { return clinics[i] < clinics[j] })
	for _, c := range clinics {
		if err := access.AuditReads(r.Context(), s.cfg.Store, c, p.Name, access.RequestSource(r), auditEntity[typ], ids[c]); err != nil {
			return err
		}
	}
	return nil
}

// load reads one resource of typ.
func (s *Server) load(ctx context.Context, typ string, clinic, id int64) (any, error) {
	ref := store.Ref{ClinicID: clinic, ID: id}
	switch typ {
	case "Patient":
		p, err := s.cfg.Store.GetPatient(ctx, ref)
		if err != nil {
			return nil, err
		}
		return Patient(p), nil
	case "Coverage", "CoverageEligibilityResponse":
		c, err := s.cfg.Store.GetCoverage(ctx, ref)
		if err != nil {
			return nil, err
		}
		return s.coverage(ctx, typ, c)
	case "Appointment":
		a, err := s.cfg.Store.GetAppointment(ctx, ref)
		if err != nil {
			return nil, err
		}
		return s.appointment(ctx, a)
	case "Claim", "ClaimResponse":
		c, err := s.cfg.Store.GetClaim(ctx, ref)
		if err != nil {
			return nil, err
		}
		return s.claim(ctx, typ, c)
	case "ExplanationOfBenefit":
		cp, err := s.cfg.Store.GetClaimPayment(ctx, ref)
		if err != nil {
			return nil, err
		}
		return s.eob(ctx, cp)
	}
	return nil, store.ErrNotFound
}

func (s *Server) coverage(ctx context.Context, typ string, c store.Coverage) (any, error) {
	payer, err := s.cfg.Store.GetPayer(ctx, store.Ref{ClinicID: c.ClinicID, ID: c.PayerID})
	if err != nil {
		return nil, err
	}
	if typ == "Coverage" {
		return Coverage(c, payer, s.cfg.Now()), nil
	}
	cer, ok := CoverageEligibilityResponse(c, payer)
	if !ok {
		return nil, fmt.Errorf("coverage %d has no eligibility answer: %w", c.ID, store.ErrNotFound)
	}
	return cer, nil
}

func (s *Server) appointment(ctx context.Context, a store.Appointment) (any, error) {
	prov, err := s.cfg.Store.GetProvider(ctx, store.Ref{ClinicID: a.ClinicID, ID: a.ProviderID})
	if err != nil {
		return nil, err
	}
	return Appointment(a, prov), nil
}

func (s *Server) claim(ctx context.Context, typ string, c store.Claim) (any, error) {
	payer, err := s.cfg.Store.GetPayer(ctx, store.Ref{ClinicID: c.ClinicID, ID: c.PayerID})
	if err != nil {
		return nil, err
	}
	if typ == "Claim" {
		var doc *claim.Claim
		if len(c.Document) > 0 {
			var d claim.Claim
			if json.Unmarshal(c.Document, &d) == nil {
				doc = &d
			}
		}
		return Claim(c, doc, payer), nil
	}
	acks, err := s.cfg.Store.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: c.ClinicID, ClaimID: c.ID})
	if err != nil {
		return nil, err
	}
	hist, err := s.cfg.Store.ListClaimStatusHistory(ctx, store.Ref{ClinicID: c.ClinicID, ID: c.ID})
	if err != nil {
		return nil, err
	}
	return ClaimResponse(c, payer, acks, hist), nil
}

func (s *Server) eob(ctx context.Context, cp store.ClaimPayment) (any, error) {
	rem, err := s.cfg.Store.GetRemittance(ctx, store.Ref{ClinicID: cp.ClinicID, ID: cp.RemittanceID})
	if err != nil {
		return nil, err
	}
	var payer store.Payer
	if rem.PayerID != nil {
		if payer, err = s.cfg.Store.GetPayer(ctx, store.Ref{ClinicID: cp.ClinicID, ID: *rem.PayerID}); err != nil {
			return nil, err
		}
	} else {
		payer.PayerID = rem.PayerIdentifier
	}
	var c *store.Claim
	if cp.ClaimID != nil {
		cl, err := s.cfg.Store.GetClaim(ctx, store.Ref{ClinicID: cp.ClinicID, ID: *cp.ClaimID})
		if err != nil {
			return nil, err
		}
		c = &cl
	}
	return ExplanationOfBenefit(cp, rem, c, payer), nil
}

// dateFilter is a date search parameter's comparisons, all of which must
// hold (date=ge2026-04-01&date=lt2026-05-01).
type dateFilter []struct {
	op  string
	day time.Time
}

func parseDateFilter(name string, values []string) (dateFilter, error) {
	var f dateFilter
	for _, v := range values {
		op := "eq"
		if len(v) > 2 && v[0] >= 'a' && v[0] <= 'z' {
			op, v = v[:2], v[2:]
		}
		switch op {
		case "eq", "ne", "gt", "lt", "ge", "le":
		default:
			return nil, badRequest(fmt.Sprintf("%s: prefix %q not supported (eq, ne, gt, lt, ge, le)", name, op))
		}
		d, ok := parseDate(v)
		if !ok {
			return nil, badRequest(fmt.Sprintf("%s=%s: want YYYY-MM-DD with an optional prefix", name, v))
		}
		f = append(f, struct {
			op  string
			day time.Time
		}{op, d})
	}
	return f, nil
}

// match reports whether t's day meets every comparison; a zero t meets
// none.
func (f dateFilter) match(t time.Time) bool {
	if len(f) == 0 {
		return true
	}
	if t.IsZero() {
		return false
	}
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for _, c := range f {
		cmp := day.Compare(c.day)
		ok := map[string]bool{"eq": cmp == 0, "ne": cmp != 0, "gt": cmp > 0, "lt": cmp < 0, "ge": cmp >= 0, "le": cmp <= 0}[c.op]
		if !ok {
			return false
		}
	}
	return true
}

// query is a parsed search.
type query struct {
	patientClinic, patient int64
	hasPatient             bool
	status                 map[string]bool
	date                   dateFilter
	name                   string
	count                  int
}

func (s *Server) parseQuery(typ string, v map[string][]string) (query, error) {
	q := query{count: 100}
	allowed := map[string]searchParam{}
	for _, p := range kinds[typ].search {
		allowed[p.name] = p
	}
	for name, values := range v {
		switch name {
		case "_count":
			n, err := strconv.Atoi(values[0])
			if err != nil || n < 0 {
				return q, badRequest("_count: want a non-negative number")
			}
			q.count = min(n, MaxCount)
			continue
		case "_format", "_pretty":
			continue
		}
		p, ok := allowed[name]
		if !ok {
			return q, badRequest(fmt.Sprintf("search parameter %q is not supported for %s (see %s/metadata)", name, typ, Base))
		}
		switch {
		case p.typ == "date":
			f, err := parseDateFilter(name, values)
			if err != nil {
				return q, err
			}
			q.date = append(q.date, f...)
		case name == "patient" || name == "_id":
			ref := strings.TrimPrefix(values[0], "Patient/")
			c, id, ok := ParseID(ref)
			if !ok {
				return q, badRequest(fmt.Sprintf("%s=%s: want a patient's logical ID (CLINIC-ID)", name, values[0]))
			}
			q.patientClinic, q.patient, q.hasPatient = c, id, true
		case name == "status":
			q.status = map[string]bool{}
			for _, v := range values {
				for _, s := range strings.Split(v, ",") {
					q.status[s] = true
				}
			}
		case name == "name":
			q.name = values[0]
		}
	}
	return q, nil
}

func (q query) statusOK(code string) bool { return q.status == nil || q.status[code] }

// clinics are the clinics a search covers: the caller's (the patient's,
// when the search names one).
func (s *Server) clinics(ctx context.Context, p access.Principal, q query) ([]int64, error) {
	if q.hasPatient {
		if !p.InClinic(q.patientClinic) {
			return nil, nil
		}
		return []int64{q.patientClinic}, nil
	}
	all, err := s.cfg.Store.ListClinics(ctx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, c := range all {
		if p.InClinic(c.ID) {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

func (s *Server) searchHandler(typ string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := access.FromContext(r.Context())
		q, err := s.parseQuery(typ, r.URL.Query())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		clinics, err := s.clinics(r.Context(), p, q)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var found []any
		for _, c := range clinics {
			rs, err := s.search(r.Context(), typ, c, q)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			found = append(found, rs...)
		}
		total := len(found)
		if len(found) > q.count {
			found = found[:q.count]
		}
		base := "http://" + r.Host
		if r.TLS != nil {
			base = "https://" + r.Host
		}
		b := fhir.Bundle{Type: fhir.BundleTypeSearchset, Total: &total, Timestamp: ptr(instant(s.cfg.Now())),
			Link: []fhir.BundleLink{{Relation: "self", Url: base + r.URL.RequestURI()}}}
		mode := fhir.SearchEntryModeMatch
		read := map[int64][]string{}
		for _, res := range found {
			raw, err := Marshal(res)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			var env envelope
			_ = json.Unmarshal(raw, &env)
			b.Entry = append(b.Entry, fhir.BundleEntry{FullUrl: ptr(base + Base + "/" + typ + "/" + env.ID), Resource: raw,
				Search: &fhir.BundleEntrySearch{Mode: &mode}})
			if c, id, ok := ParseID(env.ID); ok {
				read[c] = append(read[c], strconv.FormatInt(id, 10))
			}
		}
		// One read event per record returned, a bulk append per clinic.
		if err := s.auditReads(r, p, typ, read); err != nil {
			s.fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, b)
	})
}

// search lists the resources of typ in one clinic that match q.
func (s *Server) search(ctx context.Context, typ string, clinic int64, q query) ([]any, error) {
	var out []any
	limit := q.count + 1
	switch typ {
	case "Patient":
		ps, err := s.cfg.Store.ListPatients(ctx, store.ListPatientsParams{ClinicID: clinic, Name: q.name})
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			if (q.hasPatient && p.ID != q.patient) || !q.date.match(p.BirthDate) {
				continue
			}
			out = append(out, Patient(p))
		}
	case "Coverage", "CoverageEligibilityResponse":
		cs, err := s.cfg.Store.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: clinic, PatientID: q.patient})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if typ == "Coverage" && !q.statusOK(CoverageStatus(c, s.cfg.Now()).Code()) {
				continue
			}
			if typ == "CoverageEligibilityResponse" && (c.EligibilityChecked == nil || !q.date.match(*c.EligibilityChecked)) {
				continue
			}
			res, err := s.coverage(ctx, typ, c)
			if err != nil {
				return nil, err
			}
			if cer, ok := res.(fhir.CoverageEligibilityResponse); ok && !q.statusOK(cer.Outcome.Code()) {
				continue
			}
			out = append(out, res)
		}
	case "Appointment":
		as, err := s.cfg.Store.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: clinic, PatientID: q.patient})
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			if !q.date.match(a.StartsAt) || !q.statusOK(appointmentStatuses[a.Status].Code()) {
				continue
			}
			res, err := s.appointment(ctx, a)
			if err != nil {
				return nil, err
			}
			out = append(out, res)
		}
	case "Claim", "ClaimResponse":
		cs, err := s.cfg.Store.ListClaims(ctx, store.ListClaimsParams{ClinicID: clinic, PatientID: q.patient})
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !q.date.match(c.ServiceDateFrom) {
				continue
			}
			if typ == "Claim" && !q.statusOK(ClaimStatus(c.Status).Code()) {
				continue
			}
			res, err := s.claim(ctx, typ, c)
			if err != nil {
				return nil, err
			}
			if cr, ok := res.(fhir.ClaimResponse); ok && !q.statusOK(cr.Outcome.Code()) {
				continue
			}
			out = append(out, res)
			if len(out) >= limit {
				break
			}
		}
	case "ExplanationOfBenefit":
		var cps []store.ClaimPayment
		if q.hasPatient {
			cs, err := s.cfg.Store.ListClaims(ctx, store.ListClaimsParams{ClinicID: clinic, PatientID: q.patient})
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				ps, err := s.cfg.Store.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinic, ClaimID: c.ID})
				if err != nil {
					return nil, err
				}
				cps = append(cps, ps...)
			}
		} else {
			ps, err := s.cfg.Store.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinic, Limit: MaxCount + 1})
			if err != nil {
				return nil, err
			}
			cps = ps
		}
		for _, cp := range cps {
			res, err := s.eob(ctx, cp)
			if err != nil {
				return nil, err
			}
			e := res.(fhir.ExplanationOfBenefit)
			pd := time.Time{}
			if e.Payment != nil && e.Payment.Date != nil {
				pd, _ = parseDate(*e.Payment.Date)
			}
			if !q.date.match(pd) || !q.statusOK(e.Status.Code()) {
				continue
			}
			out = append(out, res)
			if len(out) >= limit {
				break
			}
		}
	}
	return out, nil
}

// CapabilityStatement says what the API serves: each resource type with
// read and search-type and its search parameters.
func CapabilityStatement(date time.Time) fhir.CapabilityStatement {
	doc := "Clearhouse's read API. Every request carries a bearer token (Authorization: Bearer ...); " +
		"a caller sees the rows of the clinics they belong to. Logical IDs are CLINIC-ROW."
	cs := fhir.CapabilityStatement{Status: fhir.PublicationStatusActive, Date: date.UTC().Format(time.DateOnly), Kind: fhir.CapabilityStatementKindInstance,
		Name: ptr("ClearhouseReadAPI"), Publisher: ptr("Clearhouse"), FhirVersion: fhir.FHIRVersion4_0_1, Format: []string{"json"},
		Software:       &fhir.CapabilityStatementSoftware{Name: "Clearhouse"},
		Implementation: &fhir.CapabilityStatementImplementation{Description: "Clearhouse FHIR R4 read API"}}
	rest := fhir.CapabilityStatementRest{Mode: fhir.RestfulCapabilityModeServer, Documentation: &doc,
		Security: &fhir.CapabilityStatementRestSecurity{Description: ptr("Bearer tokens issued by Clearhouse; roles as in clearhouse users.")}}
	for _, typ := range Types() {
		var rt fhir.ResourceType
		if err := json.Unmarshal([]byte(strconv.Quote(typ)), &rt); err != nil {
			continue
		}
		res := fhir.CapabilityStatementRestResource{Type: rt, Interaction: []fhir.CapabilityStatementRestResourceInteraction{
			{Code: fhir.TypeRestfulInteractionRead}, {Code: fhir.TypeRestfulInteractionSearchType}}}
		for _, p := range kinds[typ].search {
			var st fhir.SearchParamType
			_ = json.Unmarshal([]byte(strconv.Quote(p.typ)), &st)
			res.SearchParam = append(res.SearchParam, fhir.CapabilityStatementRestResourceSearchParam{Name: p.name, Type: st, Documentation: ptr(p.doc)})
		}
		rest.Resource = append(rest.Resource, res)
	}
	cs.Rest = []fhir.CapabilityStatementRest{rest}
	return cs
}

func (s *Server) metadata(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, CapabilityStatement(s.cfg.Now()))
}
