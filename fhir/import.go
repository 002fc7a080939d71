package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// ErrNotImported is returned (wrapped) by Import when a batch had broken
// or unmappable resources and nothing of it was written.
var ErrNotImported = errors.New("fhir: batch not imported")

// ImportConfig builds an Importer.
type ImportConfig struct {
	Store store.Store
	// Registration registers patients, coverages and providers; required.
	Registration *registration.Service
	// Billing captures encounters with their charges (pricing lines
	// without a price from the clinic's fee schedule); required.
	Billing *billing.Service
	// Actor is recorded on audit events; default "fhir-import".
	Actor string
}

// Importer imports FHIR batches into one clinic's registrations,
// appointments and encounters.
type Importer struct {
	cfg ImportConfig
}

// NewImporter returns an Importer.
func NewImporter(cfg ImportConfig) (*Importer, error) {
	if cfg.Store == nil || cfg.Registration == nil || cfg.Billing == nil {
		return nil, errors.New("fhir: ImportConfig needs Store, Registration and Billing")
	}
	if cfg.Actor == "" {
		cfg.Actor = "fhir-import"
	}
	return &Importer{cfg: cfg}, nil
}

// Counts are resources per outcome.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Result is what one batch's import did.
type Result struct {
	Source string `json:"source"`
	// Committed is false when the batch was rolled back (Errors says why).
	Committed bool `json:"committed"`
	// ByType counts resources per resource type.
	ByType map[string]*Counts `json:"by_type"`
	// Skipped are resources read but not mapped (an unsupported type, an
	// Organization that is neither a registered payer nor the clinic, a
	// cancelled appointment); they do not stop the batch.
	Skipped []Problem `json:"skipped"`
	// Errors are resources that could not be mapped: the batch was not
	// imported.
	Errors []Problem `json:"errors"`
}

func (r *Result) count(typ string) *Counts {
	if r.ByType == nil {
		r.ByType = map[string]*Counts{}
	}
	c := r.ByType[typ]
	if c == nil {
		c = &Counts{}
		r.ByType[typ] = c
	}
	return c
}

// importOrder is the order resource types are mapped in: what others refer
// to first.
var importOrder = []string{"Organization", "Location", "PractitionerRole", "Practitioner", "RelatedPerson", "Patient",
	"Coverage", "Appointment", "Encounter", "Claim", "Condition", "Procedure", "ChargeItem"}

func supported(t string) bool {
	for _, x := range importOrder {
		if x == t {
			return true
		}
	}
	return false
}

// Entity types recorded in fhir_imports.
const (
	entityClinic      = "clinic"
	entityPayer       = "payer"
	entityLocation    = "location"
	entityProvider    = "provider"
	entityPatient     = "patient"
	entityCoverage    = "coverage"
	entityAppointment = "appointment"
	entityEncounter   = "encounter"
	entityCharge      = "charge"
	// entityGuarantor: a RelatedPerson recorded as a patient's guarantor
	// (EntityID is the patient).
	entityGuarantor = "guarantor"
)

// run is the state of one batch's import.
type run struct {
	im     *Importer
	ctx    context.Context
	tx     store.Tx
	res    *Result
	byRef  map[string]*Entry
	urls   map[string]string
	ids    map[string]int64  // Type/id -> entity ID, this batch or imported before
	kinds  map[string]string // Type/id -> entity type
	stop   bool
	pos    map[string]string // Location ref -> place of service
	taxon  map[string]string // Practitioner ref -> taxonomy
	guar   map[string]fhir.RelatedPerson
	clinic store.Clinic
}

// errStop rolls the transaction back after the batch's errors were listed.
var errStop = errors.New("fhir: rolled back")

// Import maps one batch in one transaction of clinicID: every resource is
// created, updated (a new version of one imported before) or left
// unchanged (the same version), or the batch is rolled back and Result.Errors
// lists every resource that could not be mapped. The returned error wraps
// ErrNotImported in that case; other errors are the database's.
func (im *Importer) Import(ctx context.Context, clinicID int64, b Batch) (Result, error) {
	res := Result{Source: b.Source, Skipped: []Problem{}, Errors: []Problem{}, ByType: map[string]*Counts{}}
	res.Errors = append(res.Errors, b.Broken...)
	seen := map[string]Position{}
	for _, e := range b.Entries {
		if p, dup := seen[e.Ref()]; dup {
			res.Errors = append(res.Errors, Problem{Ref: e.Ref(), Pos: e.Pos, Where: e.Pos.String(), Reason: "the same resource again (first at " + p.String() + ")"})
		}
		seen[e.Ref()] = e.Pos
	}
	// A batch with broken parts is still mapped (and rolled back), so
	// that every resource that cannot be imported is reported at once.
	readErrs := res.Errors
	var attempt Result
	err := im.cfg.Store.InTx(ctx, clinicID, func(tx store.Tx) error {
		attempt = res
		attempt.ByType = map[string]*Counts{}
		attempt.Skipped, attempt.Errors = []Problem{}, append([]Problem{}, readErrs...)
		r := &run{im: im, ctx: ctx, tx: tx, res: &attempt, byRef: map[string]*Entry{}, urls: map[string]string{}, ids: map[string]int64{},
			kinds: map[string]string{}, pos: map[string]string{}, taxon: map[string]string{}, guar: map[string]fhir.RelatedPerson{}}
		c, err := tx.GetClinic(ctx, store.GetClinicParams{})
		if err != nil {
			return err
		}
		r.clinic = c
		for i := range b.Entries {
			e := &b.Entries[i]
			r.byRef[e.Ref()] = e
			if e.FullURL != "" {
				r.urls[e.FullURL] = e.Ref()
			}
		}
		if err := r.all(b); err != nil {
			return err
		}
		if len(attempt.Errors) > 0 {
			return errStop
		}
		return nil
	})
	res = attempt
	if errors.Is(err, errStop) {
		res.Committed = false
		res.ByType = map[string]*Counts{} // nothing of the batch was written
		return res, fmt.Errorf("%s: %w: %d resources could not be mapped", b.Source, ErrNotImported, len(res.Errors))
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", b.Source, err)
	}
	res.Committed = true
	return res, nil
}

// fail records a resource that cannot be mapped. A database error stops
// the batch (PostgreSQL refuses every later statement of the transaction).
func (r *run) fail(e *Entry, err error) {
	r.res.Errors = append(r.res.Errors, Problem{Ref: e.Ref(), Pos: e.Pos, Where: e.Pos.String(), Reason: err.Error()})
	var fe *registration.FieldError
	var de *registration.DuplicateError
	var me mapError
	if !errors.As(err, &fe) && !errors.As(err, &de) && !errors.As(err, &me) && !errors.Is(err, registration.ErrInput) &&
		!errors.Is(err, billing.ErrInput) {
		r.stop = true
	}
}

func (r *run) skip(e *Entry, reason string) {
	r.res.Skipped = append(r.res.Skipped, Problem{Ref: e.Ref(), Pos: e.Pos, Where: e.Pos.String(), Reason: reason})
}

// mapError is a resource whose content cannot be mapped.
type mapError string

func (e mapError) Error() string { return string(e) }

func mapErrf(format string, args ...any) error { return mapError(fmt.Sprintf(format, args...)) }

// previous returns the import record of e, if any.
func (r *run) previous(e *Entry) (store.FHIRImport, bool, error) {
	p, err := r.tx.GetFHIRImport(r.ctx, store.GetFHIRImportParams{ResourceType: e.Type, ResourceID: e.ID})
	if errors.Is(err, store.ErrNotFound) {
		return p, false, nil
	}
	return p, err == nil, err
}

func (r *run) record(e *Entry, entity string, id int64) error {
	r.ids[e.Ref()] = id
	r.kinds[e.Ref()] = entity
	_, err := r.tx.RecordFHIRImport(r.ctx, store.RecordFHIRImportParams{ResourceType: e.Type, ResourceID: e.ID, VersionID: e.Version,
		EntityType: entity, EntityID: id})
	return err
}

// resolve returns the entity a reference names: a resource of this batch
// mapped already, or one imported before.
func (r *run) resolve(ref string) (int64, bool, error) {
	if ref == "" {
		return 0, false, nil
	}
	if id, ok := r.ids[ref]; ok {
		return id, true, nil
	}
	typ, id, _ := strings.Cut(ref, "/")
	p, err := r.tx.GetFHIRImport(r.ctx, store.GetFHIRImportParams{ResourceType: typ, ResourceID: id})
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	r.ids[ref] = p.EntityID
	r.kinds[ref] = p.EntityType
	return p.EntityID, true, nil
}

// must resolves a required reference of e; what says which.
func (r *run) must(ref *fhir.Reference, what, wantType string) (int64, error) {
	s := normRef(ref, r.urls)
	if s == "" {
		return 0, mapErrf("%s: no reference", what)
	}
	if wantType != "" && refType(s) != wantType {
		return 0, mapErrf("%s: %s is not a %s", what, s, wantType)
	}
	id, ok, err := r.resolve(s)
	if err != nil {
		return 0, err
	}
	if !ok {
		if _, here := r.byRef[s]; here {
			return 0, mapErrf("%s: %s was not mapped (see its own error)", what, s)
		}
		return 0, mapErrf("%s: %s is neither in this batch nor imported before", what, s)
	}
	return id, nil
}

func (r *run) entries(b Batch, typ string) []*Entry {
	var out []*Entry
	for i := range b.Entries {
		if b.Entries[i].Type == typ {
			out = append(out, &b.Entries[i])
		}
	}
	return out
}

func (r *run) all(b Batch) error {
	for i := range b.Entries {
		if e := &b.Entries[i]; !supported(e.Type) {
			r.skip(e, "resource type "+e.Type+" is not imported")
		}
	}
	steps := []struct {
		typ string
		fn  func(*Entry) error
	}{
		{"Organization", r.organization},
		{"Location", r.location},
		{"PractitionerRole", r.practitionerRole},
		{"Practitioner", r.practitioner},
		{"RelatedPerson", r.relatedPerson},
		{"Patient", r.patient},
		{"Coverage", r.coverage},
		{"Appointment", r.appointment},
	}
	for _, s := range steps {
		for _, e := range r.entries(b, s.typ) {
			if r.stop {
				return nil
			}
			if err := s.fn(e); err != nil {
				r.fail(e, err)
			}
		}
	}
	if r.stop {
		return nil
	}
	return r.encounters(b)
}

// unchanged reports whether e was imported before at the same version, and
// records its entity for references.
func (r *run) unchanged(e *Entry) (store.FHIRImport, bool, bool, error) {
	p, found, err := r.previous(e)
	if err != nil || !found {
		return p, found, false, err
	}
	r.ids[e.Ref()] = p.EntityID
	r.kinds[e.Ref()] = p.EntityType
	if p.VersionID == e.Version {
		r.res.count(e.Type).Unchanged++
		return p, true, true, nil
	}
	return p, true, false, nil
}

func (r *run) organization(e *Entry) error {
	o, err := fhir.UnmarshalOrganization(e.Raw)
	if err != nil {
		return mapErrf("not a valid Organization: %v", err)
	}
	if _, _, same, err := r.unchanged(e); err != nil || same {
		return err
	}
	for _, id := range o.Identifier {
		v := str(id.Value)
		if v == "" {
			continue
		}
		if str(id.System) == SystemNPI && v == r.clinic.NPI {
			r.res.count(e.Type).Created++
			return r.record(e, entityClinic, r.clinic.ID)
		}
		p, err := r.tx.GetPayerByPayerID(r.ctx, store.GetPayerByPayerIDParams{PayerID: v})
		if err == nil {
			r.res.count(e.Type).Created++
			return r.record(e, entityPayer, p.ID)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	r.skip(e, "neither this clinic (NPI "+r.clinic.NPI+") nor a payer registered for it by its payer ID (clearhouse payers add PAYER-ID)")
	return nil
}

func (r *run) location(e *Entry) error {
	l, err := fhir.UnmarshalLocation(e.Raw)
	if err != nil {
		return mapErrf("not a valid Location: %v", err)
	}
	for _, t := range l.Type {
		if c := code(&t, SystemPOS); c != "" {
			r.pos[e.Ref()] = c
		}
	}
	if _, _, same, err := r.unchanged(e); err != nil || same {
		return err
	}
	if r.pos[e.Ref()] == "" {
		r.skip(e, "no place of service code (Location.type in "+SystemPOS+")")
		return nil
	}
	r.res.count(e.Type).Created++
	return r.record(e, entityLocation, 0)
}

func (r *run) practitionerRole(e *Entry) error {
	pr, err := fhir.UnmarshalPractitionerRole(e.Raw)
	if err != nil {
		return mapErrf("not a valid PractitionerRole: %v", err)
	}
	ref := normRef(pr.Practitioner, r.urls)
	if ref == "" {
		return mapErrf("practitioner: no reference")
	}
	for _, s := range pr.Specialty {
		if c := code(&s, SystemTaxonomy); c != "" {
			r.taxon[ref] = c
			break
		}
	}
	return nil // recorded after its practitioner, as the same provider
}

func (r *run) practitioner(e *Entry) error {
	p, err := fhir.UnmarshalPractitioner(e.Raw)
	if err != nil {
		return mapErrf("not a valid Practitioner: %v", err)
	}
	if _, _, same, err := r.unchanged(e); err != nil || same {
		return err
	}
	npi := identifier(p.Identifier, SystemNPI, "NPI")
	if npi == "" {
		return mapErrf("no NPI (identifier system %s): a provider is registered by NPI", SystemNPI)
	}
	existing, err := r.tx.ListProviders(r.ctx, store.ListProvidersParams{})
	if err != nil {
		return err
	}
	var id int64
	for _, x := range existing {
		if x.NPI == npi {
			id = x.ID
		}
	}
	if id == 0 {
		first, last := name(p.Name)
		prov, err := r.im.cfg.Registration.AddProviderTx(r.ctx, r.tx, registration.ProviderInput{NPI: npi, FirstName: first, LastName: last,
			TaxonomyCode: r.taxon[e.Ref()], Role: store.ProviderRendering, Active: true})
		if err != nil {
			return err
		}
		id = prov.ID
	}
	r.res.count(e.Type).Created++
	if err := r.record(e, entityProvider, id); err != nil {
		return err
	}
	return r.recordRoles(e.Ref(), id)
}

// recordRoles records the PractitionerRoles of a practitioner as its
// provider.
func (r *run) recordRoles(practitioner string, id int64) error {
	for _, e := range r.byRef {
		if e.Type != "PractitionerRole" {
			continue
		}
		pr, err := fhir.UnmarshalPractitionerRole(e.Raw)
		if err != nil || normRef(pr.Practitioner, r.urls) != practitioner {
			continue
		}
		r.res.count(e.Type).Created++
		if err := r.record(e, entityProvider, id); err != nil {
			return err
		}
	}
	return nil
}

// guarantorRelationship maps a RelatedPerson's relationship to the
// patient (HL7 v3 RoleCode) to the patient's X12 relationship code.
func guarantorRelationship(rp fhir.RelatedPerson) string {
	for _, cc := range rp.Relationship {
		for _, c := range cc.Coding {
			switch str(c.Code) {
			case "ONESELF":
				return "18"
			case "SPS", "HUSB", "WIFE":
				return "01"
			case "DOMPART":
				return "53"
			case "PRN", "MTH", "FTH", "PAR", "NPRN", "STPPRN", "GUARD":
				return "19"
			}
		}
	}
	return "G8"
}

func (r *run) relatedPerson(e *Entry) error {
	rp, err := fhir.UnmarshalRelatedPerson(e.Raw)
	if err != nil {
		return mapErrf("not a valid RelatedPerson: %v", err)
	}
	ref := normRef(&rp.Patient, r.urls)
	if ref == "" {
		return mapErrf("patient: no reference")
	}
	if _, ok := r.guar[ref]; !ok {
		r.guar[ref] = rp
	}
	return nil // recorded with its patient
}

func sexOf(g *fhir.AdministrativeGender) string {
	if g == nil {
		return ""
	}
	switch *g {
	case fhir.AdministrativeGenderMale:
		return "M"
	case fhir.AdministrativeGenderFemale:
		return "F"
	}
	return "U"
}

func (r *run) patient(e *Entry) error {
	p, err := fhir.UnmarshalPatient(e.Raw)
	if err != nil {
		return mapErrf("not a valid Patient: %v", err)
	}
	prev, found, same, err := r.unchanged(e)
	if err != nil || same {
		return err
	}
	in := registration.PatientInput{MRN: identifier(p.Identifier, "", "MR")}
	if in.MRN == "" {
		in.MRN = identifier(p.Identifier, SystemMRN, "")
	}
	if in.MRN == "" {
		in.MRN = "FHIR-" + e.ID
	}
	in.FirstName, in.LastName = name(p.Name)
	if bd := str(p.BirthDate); bd != "" {
		t, ok := parseDate(bd)
		if !ok {
			return mapErrf("birthDate %q: not a date", bd)
		}
		in.BirthDate = t
	}
	in.Sex = sexOf(p.Gender)
	if len(p.Address) > 0 {
		a := p.Address[0]
		if len(a.Line) > 0 {
			in.AddressLine1 = a.Line[0]
		}
		if len(a.Line) > 1 {
			in.AddressLine2 = a.Line[1]
		}
		in.City, in.State = str(a.City), str(a.State)
		in.PostalCode = strings.ReplaceAll(str(a.PostalCode), "-", "")
	}
	for _, t := range p.Telecom {
		if t.System == nil {
			continue
		}
		switch *t.System {
		case fhir.ContactPointSystemPhone:
			if in.Phone == "" {
				in.Phone = str(t.Value)
			}
		case fhir.ContactPointSystemEmail:
			if in.Email == "" {
				in.Email = str(t.Value)
			}
		}
	}
	gref := ""
	if g, ok := r.guar[e.Ref()]; ok {
		first, last := name(g.Name)
		in.GuarantorName = strings.TrimSpace(first + " " + last)
		in.GuarantorRelationship = guarantorRelationship(g)
		if in.GuarantorRelationship == "18" {
			in.GuarantorName, in.GuarantorRelationship = "", ""
		}
		gref = "RelatedPerson/" + str(g.Id)
	}
	// Also match a patient registered by hand under the same MRN.
	var id int64
	if found {
		id = prev.EntityID
	} else {
		same, err := r.tx.ListPatients(r.ctx, store.ListPatientsParams{MRN: in.MRN})
		if err != nil {
			return err
		}
		for _, x := range same {
			if x.MRN == in.MRN && x.MergedInto == nil {
				id = x.ID
			}
		}
	}
	if id != 0 {
		if _, err := r.im.cfg.Registration.UpdatePatientTx(r.ctx, r.tx, id, in); err != nil {
			return err
		}
		r.res.count(e.Type).Updated++
	} else {
		pt, err := r.im.cfg.Registration.AddPatientTx(r.ctx, r.tx, in)
		if err != nil {
			return err
		}
		id = pt.ID
		r.res.count(e.Type).Created++
	}
	if err := r.record(e, entityPatient, id); err != nil {
		return err
	}
	if ge := r.byRef[gref]; ge != nil {
		r.res.count(ge.Type).Created++
		return r.record(ge, entityGuarantor, id)
	}
	return nil
}

// subscriberRelationship maps the FHIR subscriber-relationship code to the
// X12 individual relationship code (SBR02).
func subscriberRelationship(c string) (string, bool) {
	switch c {
	case "", "self":
		return "18", true
	case "spouse":
		return "01", true
	case "child":
		return "19", true
	case "common":
		return "53", true
	case "parent", "other", "injured":
		return "G8", true
	}
	return "", false
}

func (r *run) coverage(e *Entry) error {
	c, err := fhir.UnmarshalCoverage(e.Raw)
	if err != nil {
		return mapErrf("not a valid Coverage: %v", err)
	}
	if c.Status == fhir.FinancialResourceStatusCodesEnteredInError || c.Status == fhir.FinancialResourceStatusCodesCancelled {
		r.skip(e, "status "+c.Status.Code())
		return nil
	}
	prev, found, same, err := r.unchanged(e)
	if err != nil || same {
		return err
	}
	var in registration.CoverageInput
	if in.PatientID, err = r.must(&c.Beneficiary, "beneficiary", "Patient"); err != nil {
		return err
	}
	if len(c.Payor) == 0 {
		return mapErrf("payor: none")
	}
	pref := normRef(&c.Payor[0], r.urls)
	if pref != "" {
		id, ok, err := r.resolve(pref)
		if err != nil {
			return err
		}
		if !ok || r.kinds[pref] != entityPayer {
			return mapErrf("payor: %s is not a payer registered for this clinic (its Organization must carry the payer ID as an identifier; clearhouse payers add PAYER-ID)", pref)
		}
		in.Payer = id
	} else if c.Payor[0].Identifier != nil {
		in.PayerCode = str(c.Payor[0].Identifier.Value)
	}
	in.MemberID = str(c.SubscriberId)
	if in.MemberID == "" {
		in.MemberID = identifier(c.Identifier, "", "MB")
	}
	for _, cl := range c.Class {
		if code(&cl.Type) == "group" {
			in.GroupNumber = cl.Value
		}
	}
	if c.Order != nil {
		in.Priority = *c.Order
	}
	rel := code(c.Relationship, SystemSubscriber)
	if rel == "" {
		rel = code(c.Relationship)
	}
	x12, ok := subscriberRelationship(rel)
	if !ok {
		return mapErrf("relationship %q: not a subscriber-relationship code", rel)
	}
	in.Relationship = x12
	if x12 != "18" {
		sref := normRef(c.Subscriber, r.urls)
		se := r.byRef[sref]
		if se == nil {
			return mapErrf("subscriber: the patient is not the subscriber, and %q is not in this batch (its name and birth date go on the claim, Loop 2010BA)", sref)
		}
		var names []fhir.HumanName
		var birth *string
		switch se.Type {
		case "RelatedPerson":
			rp, err := fhir.UnmarshalRelatedPerson(se.Raw)
			if err != nil {
				return mapErrf("subscriber %s: %v", sref, err)
			}
			names, birth = rp.Name, rp.BirthDate
		case "Patient":
			p, err := fhir.UnmarshalPatient(se.Raw)
			if err != nil {
				return mapErrf("subscriber %s: %v", sref, err)
			}
			names, birth = p.Name, p.BirthDate
		default:
			return mapErrf("subscriber: %s is not a Patient or RelatedPerson", sref)
		}
		in.SubscriberFirst, in.SubscriberLast = name(names)
		if t, ok := parseDate(str(birth)); ok {
			in.SubscriberBirth = t
		}
	}
	if c.Period != nil {
		if s := str(c.Period.Start); s != "" {
			t, ok := parseDate(s)
			if !ok {
				return mapErrf("period.start %q: not a date", s)
			}
			in.EffectiveFrom = t
		}
		if s := str(c.Period.End); s != "" {
			t, ok := parseDate(s)
			if !ok {
				return mapErrf("period.end %q: not a date", s)
			}
			in.EffectiveTo = t
		}
	}
	var id int64
	if found {
		cv, err := r.im.cfg.Registration.UpdateCoverageTx(r.ctx, r.tx, prev.EntityID, in)
		if err != nil {
			return err
		}
		id = cv.ID
		r.res.count(e.Type).Updated++
	} else {
		cv, err := r.im.cfg.Registration.AddCoverageTx(r.ctx, r.tx, in)
		if err != nil {
			return err
		}
		id = cv.ID
		r.res.count(e.Type).Created++
	}
	return r.record(e, entityCoverage, id)
}

func appointmentStatus(s fhir.AppointmentStatus) (string, bool) {
	switch s {
	case fhir.AppointmentStatusBooked:
		return store.AppointmentBooked, true
	case fhir.AppointmentStatusArrived, fhir.AppointmentStatusCheckedIn:
		return store.AppointmentCheckedIn, true
	case fhir.AppointmentStatusFulfilled:
		return store.AppointmentCompleted, true
	case fhir.AppointmentStatusNoshow:
		return store.AppointmentNoShow, true
	case fhir.AppointmentStatusCancelled:
		return store.AppointmentCancelled, true
	}
	return "", false
}

func (r *run) appointment(e *Entry) error {
	a, err := fhir.UnmarshalAppointment(e.Raw)
	if err != nil {
		return mapErrf("not a valid Appointment: %v", err)
	}
	status, ok := appointmentStatus(a.Status)
	if !ok {
		r.skip(e, "status "+a.Status.Code()+" is not a booked visit")
		return nil
	}
	prev, found, same, err := r.unchanged(e)
	if err != nil || same {
		return err
	}
	var patient, provider int64
	for _, p := range a.Participant {
		ref := normRef(p.Actor, r.urls)
		switch refType(ref) {
		case "Patient":
			if patient, err = r.must(p.Actor, "participant", "Patient"); err != nil {
				return err
			}
		case "Practitioner", "PractitionerRole":
			if provider == 0 {
				if provider, err = r.must(p.Actor, "participant", ""); err != nil {
					return err
				}
			}
		}
	}
	if patient == 0 {
		return mapErrf("participant: no Patient")
	}
	if provider == 0 {
		return mapErrf("participant: no Practitioner (the provider seen)")
	}
	start, ok := parseInstant(str(a.Start))
	if !ok {
		return mapErrf("start %q: want an instant", str(a.Start))
	}
	end := start.Add(15 * time.Minute)
	if s := str(a.End); s != "" {
		if end, ok = parseInstant(s); !ok || end.Before(start) {
			return mapErrf("end %q: want an instant after start", s)
		}
	} else if a.MinutesDuration != nil {
		end = start.Add(time.Duration(*a.MinutesDuration) * time.Minute)
	}
	reason := str(a.Description)
	var ap store.Appointment
	action := "appointment.import"
	if found {
		ap, err = r.tx.UpdateAppointment(r.ctx, store.UpdateAppointmentParams{ID: prev.EntityID, ProviderID: provider, StartsAt: start, EndsAt: end,
			Status: status, Reason: reason})
		r.res.count(e.Type).Updated++
		action = "appointment.import_update"
	} else {
		ap, err = r.tx.CreateAppointment(r.ctx, store.CreateAppointmentParams{PatientID: patient, ProviderID: provider, StartsAt: start, EndsAt: end,
			Status: status, Reason: reason})
		r.res.count(e.Type).Created++
	}
	if err != nil {
		return err
	}
	if err := r.audit(action, "appointment", ap.ID, e); err != nil {
		return err
	}
	return r.record(e, entityAppointment, ap.ID)
}

func (r *run) audit(action, entity string, id int64, e *Entry) error {
	b, _ := json.Marshal(map[string]any{"fhir": e.Ref(), "version": e.Version})
	_, err := r.tx.AppendAuditEvent(r.ctx, store.AppendAuditEventParams{Actor: r.im.cfg.Actor, Action: action, EntityType: entity,
		EntityID: strconv.FormatInt(id, 10), Details: b})
	return err
}

// visit gathers what becomes one encounter with its charges: an Encounter
// and the Claim, ChargeItems, Procedures and Conditions that name it, or a
// Claim on its own.
type visit struct {
	enc        *Entry
	claim      *Entry
	chargeIt   []*Entry
	procedures []*Entry
	conditions []*Entry
}

func (v *visit) members() []*Entry {
	var out []*Entry
	if v.enc != nil {
		out = append(out, v.enc)
	}
	if v.claim != nil {
		out = append(out, v.claim)
	}
	out = append(out, v.chargeIt...)
	out = append(out, v.procedures...)
	return append(out, v.conditions...)
}

// head is the entry that names the visit in messages.
func (v *visit) head() *Entry {
	if v.enc != nil {
		return v.enc
	}
	return v.claim
}

func (r *run) encounters(b Batch) error {
	var visits []*visit
	byEnc := map[string]*visit{}
	for _, e := range r.entries(b, "Encounter") {
		v := &visit{enc: e}
		visits = append(visits, v)
		byEnc[e.Ref()] = v
	}
	// attach adds e to the visit of the encounter ref names.
	attach := func(e *Entry, ref string, add func(*visit)) {
		if ref == "" {
			r.fail(e, mapErrf("encounter: no reference"))
			return
		}
		v := byEnc[ref]
		if v == nil {
			if id, ok, err := r.resolve(ref); err != nil {
				r.fail(e, err)
			} else if ok {
				r.skip(e, fmt.Sprintf("%s was imported before as encounter %d; charges and diagnoses are not added to an imported encounter (change the claim with clearhouse claims correct)", ref, id))
			} else {
				r.fail(e, mapErrf("encounter: %s is neither in this batch nor imported before", ref))
			}
			return
		}
		add(v)
	}
	for _, e := range r.entries(b, "Claim") {
		c, err := fhir.UnmarshalClaim(e.Raw)
		if err != nil {
			r.fail(e, mapErrf("not a valid Claim: %v", err))
			continue
		}
		if c.Use != fhir.UseClaim {
			r.skip(e, "use "+c.Use.Code()+" (only claims are imported, not preauthorizations or predeterminations)")
			continue
		}
		ref := ""
		for _, it := range c.Item {
			for _, er := range it.Encounter {
				if s := normRef(&er, r.urls); s != "" {
					ref = s
				}
			}
		}
		if v := byEnc[ref]; v != nil && v.claim == nil {
			v.claim = e
			continue
		}
		if ref != "" && byEnc[ref] == nil {
			attach(e, ref, nil)
			continue
		}
		visits = append(visits, &visit{claim: e})
	}
	for _, e := range r.entries(b, "ChargeItem") {
		ci, err := fhir.UnmarshalChargeItem(e.Raw)
		if err != nil {
			r.fail(e, mapErrf("not a valid ChargeItem: %v", err))
			continue
		}
		attach(e, normRef(ci.Context, r.urls), func(v *visit) { v.chargeIt = append(v.chargeIt, e) })
	}
	for _, e := range r.entries(b, "Procedure") {
		p, err := fhir.UnmarshalProcedure(e.Raw)
		if err != nil {
			r.fail(e, mapErrf("not a valid Procedure: %v", err))
			continue
		}
		attach(e, normRef(p.Encounter, r.urls), func(v *visit) { v.procedures = append(v.procedures, e) })
	}
	// Conditions: by Condition.encounter, or named by an Encounter's
	// diagnosis list.
	named := map[string]*visit{}
	for _, v := range visits {
		if v.enc == nil {
			continue
		}
		enc, err := fhir.UnmarshalEncounter(v.enc.Raw)
		if err != nil {
			continue // reported when the visit is mapped
		}
		for _, d := range enc.Diagnosis {
			named[normRef(&d.Condition, r.urls)] = v
		}
	}
	for _, e := range r.entries(b, "Condition") {
		c, err := fhir.UnmarshalCondition(e.Raw)
		if err != nil {
			r.fail(e, mapErrf("not a valid Condition: %v", err))
			continue
		}
		if v := named[e.Ref()]; v != nil {
			v.conditions = append(v.conditions, e)
			continue
		}
		attach(e, normRef(c.Encounter, r.urls), func(v *visit) { v.conditions = append(v.conditions, e) })
	}
	for _, v := range visits {
		if r.stop {
			return nil
		}
		if err := r.visit(v); err != nil {
			r.fail(v.head(), err)
		}
	}
	return nil
}

// diagnosis returns the ICD-10-CM code of a Condition, without its dot.
func icd10(cc *fhir.CodeableConcept) string {
	return strings.ToUpper(strings.ReplaceAll(code(cc, SystemICD10CM, SystemICD10), ".", ""))
}

func procedureCode(cc *fhir.CodeableConcept) string {
	return strings.ToUpper(code(cc, SystemCPT, SystemHCPCS, "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"))
}

func cents(m *fhir.Money) (int64, error) {
	if m == nil || m.Value == nil {
		return 0, nil
	}
	c, err := money.Parse(string(*m.Value))
	if err != nil {
		return 0, mapErrf("amount %q: %v", string(*m.Value), err)
	}
	return int64(c), nil
}

func units(q *fhir.Quantity) (claim.Quantity, error) {
	if q == nil || q.Value == nil {
		return 0, nil
	}
	u, err := claim.ParseQuantity(string(*q.Value))
	if err != nil {
		return 0, mapErrf("quantity %q: %v", string(*q.Value), err)
	}
	return u, nil
}

func (r *run) visit(v *visit) error {
	for _, m := range v.members() {
		if _, found, err := r.previous(m); err != nil {
			return err
		} else if found && m == v.head() {
			// The encounter (or claim) was imported before: its
			// charges stay as billed.
			for _, x := range v.members() {
				p, found, err := r.previous(x)
				if err != nil {
					return err
				}
				switch {
				case found && p.VersionID == x.Version:
					r.res.count(x.Type).Unchanged++
				case found:
					r.skip(x, fmt.Sprintf("version %q differs from the imported version %q; an imported encounter's charges are not changed by a re-import (change the claim with clearhouse claims correct)", x.Version, p.VersionID))
				default:
					r.skip(x, "belongs to an encounter imported before; charges and diagnoses are not added to an imported encounter")
				}
			}
			return nil
		}
	}
	var in billing.EncounterInput
	var err error
	if v.enc != nil {
		if err := r.fromEncounter(v, &in); err != nil {
			return err
		}
	}
	if v.claim != nil {
		if err := r.fromClaim(v, &in); err != nil {
			return err
		}
	} else {
		if err := r.fromConditions(v, &in); err != nil {
			return err
		}
		if len(v.chargeIt) > 0 {
			err = r.fromChargeItems(v, &in)
		} else {
			err = r.fromProcedures(v, &in)
		}
		if err != nil {
			return err
		}
	}
	if len(in.Lines) == 0 {
		r.skip(v.head(), "no charges (no Claim item, ChargeItem or CPT/HCPCS-coded Procedure for it)")
		return nil
	}
	if len(in.Diagnoses) == 0 {
		return mapErrf("no ICD-10-CM diagnosis (Encounter.diagnosis, Condition.encounter or Claim.diagnosis)")
	}
	captured, err := r.im.cfg.Billing.CaptureEncounterTx(r.ctx, r.tx, in)
	if err != nil {
		return err
	}
	enc := captured.Encounter
	for _, m := range v.members() {
		r.res.count(m.Type).Created++
		entity, id := entityEncounter, enc.ID
		if m.Type == "ChargeItem" && len(v.chargeIt) > 0 && v.claim == nil {
			for i, ci := range v.chargeIt {
				if ci == m && i < len(captured.Charges) {
					entity, id = entityCharge, captured.Charges[i].ID
				}
			}
		}
		if err := r.record(m, entity, id); err != nil {
			return err
		}
	}
	return r.audit("encounter.import", "encounter", enc.ID, v.head())
}

func (r *run) fromEncounter(v *visit, in *billing.EncounterInput) error {
	enc, err := fhir.UnmarshalEncounter(v.enc.Raw)
	if err != nil {
		return mapErrf("not a valid Encounter: %v", err)
	}
	switch enc.Status {
	case fhir.EncounterStatusCancelled, fhir.EncounterStatusEnteredInError, fhir.EncounterStatusPlanned:
		return mapErrf("status %s: no visit took place to bill", enc.Status.Code())
	}
	if in.PatientID, err = r.must(enc.Subject, "subject", "Patient"); err != nil {
		return err
	}
	for _, p := range enc.Participant {
		ref := normRef(p.Individual, r.urls)
		if t := refType(ref); t == "Practitioner" || t == "PractitionerRole" {
			if in.ProviderID, err = r.must(p.Individual, "participant", ""); err != nil {
				return err
			}
			break
		}
	}
	if in.ProviderID == 0 {
		return mapErrf("participant: no Practitioner (the rendering provider)")
	}
	if enc.Period == nil || str(enc.Period.Start) == "" {
		return mapErrf("period.start: required (the date of service)")
	}
	d, ok := parseDate(str(enc.Period.Start))
	if !ok {
		return mapErrf("period.start %q: not a date", str(enc.Period.Start))
	}
	in.ServiceDate = claim.DateOf(d)
	for _, l := range enc.Location {
		if pos := r.pos[normRef(&l.Location, r.urls)]; pos != "" {
			in.PlaceOfService = pos
		}
	}
	return nil
}

func (r *run) fromConditions(v *visit, in *billing.EncounterInput) error {
	rank := map[string]int{}
	if v.enc != nil {
		if enc, err := fhir.UnmarshalEncounter(v.enc.Raw); err == nil {
			for i, d := range enc.Diagnosis {
				k := 100 + i
				if d.Rank != nil {
					k = *d.Rank
				}
				rank[normRef(&d.Condition, r.urls)] = k
			}
		}
	}
	type dx struct {
		code string
		rank int
	}
	var dxs []dx
	for i, e := range v.conditions {
		c, err := fhir.UnmarshalCondition(e.Raw)
		if err != nil {
			return mapErrf("%s: not a valid Condition: %v", e.Ref(), err)
		}
		cd := icd10(c.Code)
		if cd == "" {
			return mapErrf("%s: no ICD-10-CM code (%s)", e.Ref(), SystemICD10CM)
		}
		k, ok := rank[e.Ref()]
		if !ok {
			k = 1000 + i
		}
		dxs = append(dxs, dx{cd, k})
	}
	sort.SliceStable(dxs, func(i, j int) bool { return dxs[i].rank < dxs[j].rank })
	for _, d := range dxs {
		if !contains(in.Diagnoses, d.code) {
			in.Diagnoses = append(in.Diagnoses, d.code)
		}
	}
	return nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func indexOf(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i + 1
		}
	}
	return 0
}

func (r *run) fromChargeItems(v *visit, in *billing.EncounterInput) error {
	for _, e := range v.chargeIt {
		ci, err := fhir.UnmarshalChargeItem(e.Raw)
		if err != nil {
			return mapErrf("%s: not a valid ChargeItem: %v", e.Ref(), err)
		}
		pc := procedureCode(&ci.Code)
		if pc == "" {
			return mapErrf("%s: no CPT or HCPCS code", e.Ref())
		}
		l := billing.LineInput{ProcedureCode: pc}
		if l.Units, err = units(ci.Quantity); err != nil {
			return mapErrf("%s: %v", e.Ref(), err)
		}
		if l.ChargeCents, err = cents(ci.PriceOverride); err != nil {
			return mapErrf("%s: %v", e.Ref(), err)
		}
		for _, rc := range ci.Reason {
			if p := indexOf(in.Diagnoses, icd10(&rc)); p > 0 {
				l.DiagnosisPointers = append(l.DiagnosisPointers, p)
			}
		}
		in.Lines = append(in.Lines, l)
	}
	return nil
}

func (r *run) fromProcedures(v *visit, in *billing.EncounterInput) error {
	for _, e := range v.procedures {
		p, err := fhir.UnmarshalProcedure(e.Raw)
		if err != nil {
			return mapErrf("%s: not a valid Procedure: %v", e.Ref(), err)
		}
		if p.Status == fhir.EventStatusNotDone || p.Status == fhir.EventStatusEnteredInError {
			continue
		}
		pc := procedureCode(p.Code)
		if pc == "" {
			continue // a clinical procedure code (SNOMED CT) is not a charge
		}
		l := billing.LineInput{ProcedureCode: pc}
		for _, rc := range p.ReasonCode {
			if ptr := indexOf(in.Diagnoses, icd10(&rc)); ptr > 0 {
				l.DiagnosisPointers = append(l.DiagnosisPointers, ptr)
			}
		}
		in.Lines = append(in.Lines, l)
	}
	return nil
}

// fromClaim takes diagnoses and lines (with modifiers, pointers, units and
// prices) from a Claim; the patient, provider and date too when no
// Encounter gave them.
func (r *run) fromClaim(v *visit, in *billing.EncounterInput) error {
	c, err := fhir.UnmarshalClaim(v.claim.Raw)
	if err != nil {
		return mapErrf("not a valid Claim: %v", err)
	}
	if in.PatientID == 0 {
		if in.PatientID, err = r.must(&c.Patient, "patient", "Patient"); err != nil {
			return err
		}
	}
	if in.ProviderID == 0 {
		refs := []*fhir.Reference{&c.Provider}
		for i := range c.CareTeam {
			refs = append(refs, &c.CareTeam[i].Provider)
		}
		for _, ref := range refs {
			if t := refType(normRef(ref, r.urls)); t == "Practitioner" || t == "PractitionerRole" {
				if in.ProviderID, err = r.must(ref, "provider", ""); err != nil {
					return err
				}
				break
			}
		}
		if in.ProviderID == 0 {
			return mapErrf("provider: no Practitioner (Claim.provider or careTeam)")
		}
	}
	for _, ins := range c.Insurance {
		if ins.Focal {
			if in.CoverageID, err = r.must(&ins.Coverage, "insurance.coverage", "Coverage"); err != nil {
				return err
			}
		}
	}
	diags := append([]fhir.ClaimDiagnosis(nil), c.Diagnosis...)
	sort.SliceStable(diags, func(i, j int) bool { return diags[i].Sequence < diags[j].Sequence })
	seq := map[int]int{}
	for _, d := range diags {
		cd := icd10(&d.DiagnosisCodeableConcept)
		if cd == "" {
			return mapErrf("diagnosis %d: no ICD-10-CM code", d.Sequence)
		}
		if p := indexOf(in.Diagnoses, cd); p > 0 {
			seq[d.Sequence] = p
			continue
		}
		in.Diagnoses = append(in.Diagnoses, cd)
		seq[d.Sequence] = len(in.Diagnoses)
	}
	for _, it := range c.Item {
		pc := procedureCode(&it.ProductOrService)
		if pc == "" {
			return mapErrf("item %d: no CPT or HCPCS code", it.Sequence)
		}
		l := billing.LineInput{ProcedureCode: pc}
		for _, m := range it.Modifier {
			if s := code(&m); s != "" {
				l.Modifiers = append(l.Modifiers, s)
			}
		}
		for _, s := range it.DiagnosisSequence {
			p, ok := seq[s]
			if !ok {
				return mapErrf("item %d: diagnosisSequence %d names no diagnosis", it.Sequence, s)
			}
			l.DiagnosisPointers = append(l.DiagnosisPointers, p)
		}
		if l.Units, err = units(it.Quantity); err != nil {
			return mapErrf("item %d: %v", it.Sequence, err)
		}
		if l.ChargeCents, err = cents(it.Net); err != nil {
			return mapErrf("item %d: %v", it.Sequence, err)
		}
		if in.ServiceDate.IsZero() && str(it.ServicedDate) != "" {
			if d, ok := parseDate(str(it.ServicedDate)); ok {
				in.ServiceDate = claim.DateOf(d)
			}
		}
		if pos := code(it.LocationCodeableConcept, SystemPOS); pos != "" && in.PlaceOfService == "" {
			in.PlaceOfService = pos
		}
		in.Lines = append(in.Lines, l)
	}
	if in.ServiceDate.IsZero() && c.BillablePeriod != nil {
		if d, ok := parseDate(str(c.BillablePeriod.Start)); ok {
			in.ServiceDate = claim.DateOf(d)
		}
	}
	if in.ServiceDate.IsZero() {
		return mapErrf("no date of service (item.servicedDate or billablePeriod.start)")
	}
	return nil
}
