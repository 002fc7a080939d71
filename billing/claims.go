package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/store"
)

// BuildOptions tune BuildClaim.
type BuildOptions struct {
	// Kind forces 837P or 837I; empty chooses 837P unless the payer takes
	// only 837I.
	Kind claim.Kind
}

// BuildClaim builds the primary claim of a ready encounter from its unbilled
// charges, the patient's primary coverage and the clinic's provider data, and
// stores it as a draft in one transaction with: the charges marked billed,
// the encounter marked billed, and the charge posted to the ledger (insurance
// A/R debited, revenue credited). The patient control number (CLM01) is
// "E<encounter ID>", unique in the clinic.
func (s *Service) BuildClaim(ctx context.Context, clinicID, encounterID int64, opts BuildOptions) (store.Claim, error) {
	var out store.Claim
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		var err error
		out, err = s.buildClaim(ctx, tx, clinicID, encounterID, opts)
		return err
	})
	return out, err
}

// BuildReadyClaims builds the claim of every ready encounter of a clinic, one
// transaction each; an encounter that cannot be billed is reported in the
// joined error and the others go on.
func (s *Service) BuildReadyClaims(ctx context.Context, clinicID int64) ([]store.Claim, error) {
	encs, err := s.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: clinicID, Statuses: []string{store.EncounterReady}})
	if err != nil {
		return nil, err
	}
	var out []store.Claim
	var errs []error
	for _, e := range encs {
		c, err := s.BuildClaim(ctx, clinicID, e.ID, BuildOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("encounter %d: %w", e.ID, err))
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

type claimParties struct {
	clinic   store.Clinic
	profile  *ClinicProfile
	patient  store.Patient
	provider store.Provider
}

func (s *Service) buildClaim(ctx context.Context, tx store.Tx, clinicID, encounterID int64, opts BuildOptions) (store.Claim, error) {
	enc, err := tx.GetEncounter(ctx, store.Ref{ClinicID: clinicID, ID: encounterID})
	if err != nil {
		return store.Claim{}, fmt.Errorf("encounter %d: %w", encounterID, err)
	}
	if enc.Status != store.EncounterReady {
		return store.Claim{}, fmt.Errorf("%w: encounter %d is %s, not ready", ErrNotBillable, enc.ID, enc.Status)
	}
	charges, err := tx.ListCharges(ctx, store.ListChargesParams{ClinicID: clinicID, EncounterID: enc.ID, Unbilled: true})
	if err != nil {
		return store.Claim{}, err
	}
	if len(charges) == 0 {
		return store.Claim{}, fmt.Errorf("%w: encounter %d has no unbilled charges", ErrNotBillable, enc.ID)
	}
	cov, err := s.coverageFor(ctx, tx, enc, 1)
	if err != nil {
		return store.Claim{}, err
	}
	p, err := s.parties(ctx, tx, clinicID, enc)
	if err != nil {
		return store.Claim{}, err
	}
	payer, err := tx.GetPayer(ctx, store.Ref{ClinicID: clinicID, ID: cov.PayerID})
	if err != nil {
		return store.Claim{}, fmt.Errorf("payer %d: %w", cov.PayerID, err)
	}
	reg := s.registryPayer(payer.PayerID)
	kind := opts.Kind
	if kind == "" {
		kind = claim.Professional
		if reg != nil && !reg.Accepts(payers.Tx837P) && reg.Accepts(payers.Tx837I) {
			kind = claim.Institutional
		}
	}
	pcn, err := s.freePCN(ctx, tx, clinicID, "E"+strconv.FormatInt(enc.ID, 10))
	if err != nil {
		return store.Claim{}, err
	}
	doc := &claim.Claim{
		Kind:                    kind,
		BillingProvider:         billingProvider(p),
		Payer:                   claim.Payer{Name: strings.ToUpper(payer.Name), ID: payer.PayerID},
		PatientControlNumber:    pcn,
		FrequencyCode:           claim.FrequencyOriginal,
		BenefitsAssigned:        true,
		ReleaseOfInformation:    "Y",
		AssignmentParticipation: "A",
		MedicalRecordNumber:     p.patient.MRN,
	}
	setSubscriber(doc, cov, p.patient, filingIndicator(reg, payer), "P")
	for _, d := range enc.DiagnosisCodes {
		doc.Diagnoses = append(doc.Diagnoses, claim.Diagnosis{Code: d})
	}
	rendering := &claim.Provider{LastName: strings.ToUpper(p.provider.LastName), FirstName: strings.ToUpper(p.provider.FirstName),
		Organization: strings.ToUpper(p.provider.OrganizationName), NPI: p.provider.NPI, Taxonomy: p.provider.TaxonomyCode}
	dos := dateOf(enc.ServiceDate)
	switch kind {
	case claim.Institutional:
		doc.FacilityType = p.profile.FacilityType
		doc.StatementFrom, doc.StatementTo = dos, dos
		doc.Attending = rendering
		doc.PatientStatus = "01"
		doc.AdmissionType = "3"
	default:
		doc.PlaceOfService = enc.PlaceOfService
		doc.ProviderSignature = true
		if rendering.NPI != doc.BillingProvider.NPI {
			doc.Rendering = rendering
		}
	}
	for _, ch := range charges {
		l := claim.ServiceLine{ProcedureCode: ch.ProcedureCode, Modifiers: ch.Modifiers, ChargeCents: ch.ChargeCents, UnitType: "UN",
			Units: claim.Quantity(ch.UnitsMilli), DiagnosisPointers: ch.DiagnosisPointers, ServiceDate: dateOf(ch.ServiceDate),
			ControlNumber: strconv.FormatInt(ch.ID, 10)}
		if l.ServiceDate.IsZero() {
			l.ServiceDate = dos
		}
		if kind == claim.Institutional {
			l.RevenueCode = "0510"
			if f, ok := p.profile.Fees.Lookup(ch.ProcedureCode, ch.Modifiers); ok && f.RevenueCode != "" {
				l.RevenueCode = f.RevenueCode
			}
			l.DiagnosisPointers = nil
		} else if ch.PlaceOfService != "" && ch.PlaceOfService != enc.PlaceOfService {
			l.PlaceOfService = ch.PlaceOfService
		}
		doc.Lines = append(doc.Lines, l)
	}
	doc.TotalChargeCents = doc.LineChargeTotal()
	c, err := s.storeClaim(ctx, tx, doc, payer.ID, p.patient.ID, &enc.ID, nil)
	if err != nil {
		return store.Claim{}, err
	}
	for _, ch := range charges {
		if _, err := tx.UpdateCharge(ctx, store.UpdateChargeParams{ClinicID: clinicID, ID: ch.ID, ProcedureCode: ch.ProcedureCode,
			Modifiers: ch.Modifiers, DiagnosisPointers: ch.DiagnosisPointers, UnitsMilli: ch.UnitsMilli, ChargeCents: ch.ChargeCents,
			ServiceDate: ch.ServiceDate, PlaceOfService: ch.PlaceOfService, ClaimID: &c.ID}); err != nil {
			return store.Claim{}, fmt.Errorf("charge %d: %w", ch.ID, err)
		}
	}
	if _, err := tx.UpdateEncounter(ctx, store.UpdateEncounterParams{ClinicID: clinicID, ID: enc.ID, ProviderID: enc.ProviderID,
		CoverageID: enc.CoverageID, ServiceDate: enc.ServiceDate, PlaceOfService: enc.PlaceOfService, DiagnosisCodes: enc.DiagnosisCodes,
		Status: store.EncounterBilled}); err != nil {
		return store.Claim{}, err
	}
	patientID := p.patient.ID
	if _, _, err := tx.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: clinicID,
		IdempotencyKey: "charge:" + strconv.FormatInt(c.ID, 10), Description: "charge " + pcn, EffectiveDate: enc.ServiceDate,
		Lines: []store.LedgerLine{
			{Account: AccountInsuranceAR, AmountCents: c.TotalChargeCents, ClaimID: &c.ID, PatientID: &patientID},
			{Account: AccountRevenue, AmountCents: -c.TotalChargeCents, ClaimID: &c.ID, PatientID: &patientID},
		}}); err != nil {
		return store.Claim{}, err
	}
	return c, nil
}

// storeClaim creates the claim row with its document as a draft.
func (s *Service) storeClaim(ctx context.Context, q store.Queries, doc *claim.Claim, payerID, patientID int64, encounterID, originalID *int64) (store.Claim, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return store.Claim{}, err
	}
	from, to := doc.ServiceSpan()
	kind := store.ClaimProfessional
	if doc.Kind == claim.Institutional {
		kind = store.ClaimInstitutional
	}
	return q.CreateClaim(ctx, store.CreateClaimParams{PayerID: payerID, PatientID: patientID, EncounterID: encounterID,
		PatientControlNumber: doc.PatientControlNumber, Kind: kind, Status: claim.StatusDraft, FrequencyCode: doc.FrequencyCode,
		OriginalClaimID: originalID, PayerClaimControlNumber: doc.PayerClaimControlNumber, TotalChargeCents: doc.TotalChargeCents,
		ServiceDateFrom: from.Time(), ServiceDateTo: to.Time(), Document: raw, Actor: s.opts.Actor})
}

// freePCN returns base, or base with a suffix, that no claim of the clinic
// uses yet. (A failed insert would abort a PostgreSQL transaction, so the
// number is checked first.)
func (s *Service) freePCN(ctx context.Context, q store.Queries, clinicID int64, base string) (string, error) {
	pcn := base
	for n := 2; ; n++ {
		_, err := q.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: clinicID, PatientControlNumber: pcn})
		if errors.Is(err, store.ErrNotFound) {
			return pcn, nil
		}
		if err != nil {
			return "", err
		}
		pcn = base + "-" + strconv.Itoa(n)
	}
}

func (s *Service) parties(ctx context.Context, q store.Queries, clinicID int64, enc store.Encounter) (claimParties, error) {
	var p claimParties
	var err error
	if p.clinic, err = q.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID}); err != nil {
		return p, err
	}
	if p.profile, err = s.profile(ctx, clinicID); err != nil {
		return p, err
	}
	if p.patient, err = q.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: enc.PatientID}); err != nil {
		return p, fmt.Errorf("patient %d: %w", enc.PatientID, err)
	}
	if p.provider, err = q.GetProvider(ctx, store.Ref{ClinicID: clinicID, ID: enc.ProviderID}); err != nil {
		return p, fmt.Errorf("provider %d: %w", enc.ProviderID, err)
	}
	return p, nil
}

// coverageFor returns the encounter's coverage of a priority (1 primary, 2
// secondary): the encounter's own coverage for priority 1 when set, else the
// patient's coverage of that priority in effect on the date of service.
func (s *Service) coverageFor(ctx context.Context, q store.Queries, enc store.Encounter, priority int) (store.Coverage, error) {
	if priority == 1 && enc.CoverageID != nil {
		return q.GetCoverage(ctx, store.Ref{ClinicID: enc.ClinicID, ID: *enc.CoverageID})
	}
	covs, err := q.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: enc.ClinicID, PatientID: enc.PatientID})
	if err != nil {
		return store.Coverage{}, err
	}
	for _, c := range covs {
		if c.Priority != priority {
			continue
		}
		if !c.EffectiveFrom.IsZero() && enc.ServiceDate.Before(c.EffectiveFrom) {
			continue
		}
		if !c.EffectiveTo.IsZero() && enc.ServiceDate.After(c.EffectiveTo) {
			continue
		}
		return c, nil
	}
	return store.Coverage{}, fmt.Errorf("%w: patient %d has no coverage of priority %d on %s", ErrNotBillable, enc.PatientID, priority, enc.ServiceDate.Format(time.DateOnly))
}

func (s *Service) registryPayer(id string) *payers.Payer {
	if s.opts.Payers == nil {
		return nil
	}
	p, _ := s.opts.Payers.Get(id)
	return p
}

func filingIndicator(reg *payers.Payer, p store.Payer) string {
	switch {
	case reg != nil && reg.ClaimFilingIndicator != "":
		return reg.ClaimFilingIndicator
	case p.ClaimFilingCode != "":
		return p.ClaimFilingCode
	}
	return "CI"
}

func billingProvider(p claimParties) claim.Provider {
	addr := p.profile.BillingAddress
	return claim.Provider{Organization: strings.ToUpper(p.clinic.Name), NPI: p.clinic.NPI, Taxonomy: p.profile.Taxonomy,
		TaxID: p.clinic.TaxID, TaxIDType: "EI", Address: &addr}
}

func patientAddress(pt store.Patient) *claim.Address {
	if pt.AddressLine1 == "" {
		return nil
	}
	return &claim.Address{Line1: strings.ToUpper(pt.AddressLine1), Line2: strings.ToUpper(pt.AddressLine2), City: strings.ToUpper(pt.City),
		State: strings.ToUpper(pt.State), PostalCode: pt.PostalCode}
}

func gender(sex string) string {
	switch strings.ToUpper(strings.TrimSpace(sex)) {
	case "F", "FEMALE":
		return "F"
	case "M", "MALE":
		return "M"
	}
	return "U"
}

// setSubscriber fills Loop 2000B/2010BA (and 2000C/2010CA for a dependent)
// from a coverage.
func setSubscriber(doc *claim.Claim, cov store.Coverage, pt store.Patient, filing, responsibility string) {
	sub := claim.Subscriber{PayerResponsibility: responsibility, GroupNumber: cov.GroupNumber, ClaimFilingIndicator: filing, MemberID: cov.MemberID,
		Address: patientAddress(pt)}
	doc.Patient = nil
	if cov.RelationshipCode == "" || cov.RelationshipCode == "18" {
		sub.LastName, sub.FirstName = strings.ToUpper(pt.LastName), strings.ToUpper(pt.FirstName)
		sub.BirthDate, sub.Gender = dateOf(pt.BirthDate), gender(pt.Sex)
		if pt.BirthDate.IsZero() {
			sub.BirthDate = claim.Date{}
		}
	} else {
		sub.LastName, sub.FirstName = strings.ToUpper(cov.SubscriberLast), strings.ToUpper(cov.SubscriberFirst)
		if !cov.SubscriberBirth.IsZero() {
			sub.BirthDate = dateOf(cov.SubscriberBirth)
		}
		doc.Patient = &claim.Patient{Relationship: cov.RelationshipCode, LastName: strings.ToUpper(pt.LastName), FirstName: strings.ToUpper(pt.FirstName),
			Address: patientAddress(pt), BirthDate: dateOf(pt.BirthDate), Gender: gender(pt.Sex)}
	}
	doc.Subscriber = sub
}

// loadDocument decodes a stored claim's canonical document and sets its ID.
func loadDocument(c store.Claim) (*claim.Claim, error) {
	var doc claim.Claim
	if err := json.Unmarshal(c.Document, &doc); err != nil {
		return nil, fmt.Errorf("claim %d document: %w", c.ID, err)
	}
	doc.ID = strconv.FormatInt(c.ID, 10)
	return &doc, nil
}

// buildSecondary builds the secondary claim of a primary claim whose payment
// cp (from a remittance paid on paidDate) left patient responsibility, when
// the patient has a secondary coverage: the same lines billed to the
// secondary payer with the primary's adjudication as coordination of
// benefits (Loop 2320 CAS and AMT*D, 2330B DTP*573, 2430 SVD/CAS/DTP*573).
// The patient responsibility moves from patient A/R to the secondary claim's
// insurance A/R. It returns false when there is nothing to bill.
func (s *Service) buildSecondary(ctx context.Context, q store.Queries, primary store.Claim, cp store.ClaimPayment, lines []paidLine, paidDate time.Time) (store.Claim, bool, error) {
	if cp.PatientResponsibilityCents <= 0 || primary.EncounterID == nil {
		return store.Claim{}, false, nil
	}
	enc, err := q.GetEncounter(ctx, store.Ref{ClinicID: primary.ClinicID, ID: *primary.EncounterID})
	if err != nil {
		return store.Claim{}, false, err
	}
	cov, err := s.coverageFor(ctx, q, enc, 2)
	if errors.Is(err, ErrNotBillable) {
		return store.Claim{}, false, nil
	}
	if err != nil {
		return store.Claim{}, false, err
	}
	if cov.PayerID == primary.PayerID {
		return store.Claim{}, false, nil
	}
	existing, err := q.ListClaims(ctx, store.ListClaimsParams{ClinicID: primary.ClinicID, PatientID: primary.PatientID, PayerID: cov.PayerID})
	if err != nil {
		return store.Claim{}, false, err
	}
	for _, e := range existing {
		if e.EncounterID != nil && *e.EncounterID == enc.ID && e.Status != claim.StatusVoided {
			return e, false, nil
		}
	}
	primCov, err := s.coverageFor(ctx, q, enc, 1)
	if err != nil {
		return store.Claim{}, false, err
	}
	secPayer, err := q.GetPayer(ctx, store.Ref{ClinicID: primary.ClinicID, ID: cov.PayerID})
	if err != nil {
		return store.Claim{}, false, err
	}
	primPayer, err := q.GetPayer(ctx, store.Ref{ClinicID: primary.ClinicID, ID: primary.PayerID})
	if err != nil {
		return store.Claim{}, false, err
	}
	pt, err := q.GetPatient(ctx, store.Ref{ClinicID: primary.ClinicID, ID: primary.PatientID})
	if err != nil {
		return store.Claim{}, false, err
	}
	doc, err := loadDocument(primary)
	if err != nil {
		return store.Claim{}, false, err
	}
	doc.ID = ""
	primSub := doc.Subscriber
	setSubscriber(doc, cov, pt, filingIndicator(s.registryPayer(secPayer.PayerID), secPayer), "S")
	doc.Payer = claim.Payer{Name: strings.ToUpper(secPayer.Name), ID: secPayer.PayerID}
	doc.PayerClaimControlNumber = ""
	if doc.PatientControlNumber, err = s.freePCN(ctx, q, primary.ClinicID, primary.PatientControlNumber+"S"); err != nil {
		return store.Claim{}, false, err
	}
	rel := primCov.RelationshipCode
	if rel == "" {
		rel = "18"
	}
	remaining := cp.PatientResponsibilityCents
	op := claim.OtherPayer{PayerResponsibility: "P", Relationship: rel, GroupNumber: primSub.GroupNumber,
		ClaimFilingIndicator: primSub.ClaimFilingIndicator, PaidCents: cp.PaidCents, PaidKnown: true,
		RemainingPatientLiabilityCents: &remaining, BenefitsAssigned: true, ReleaseOfInformation: "Y",
		SubscriberLastName: primSub.LastName, SubscriberFirstName: primSub.FirstName, SubscriberMemberID: primSub.MemberID,
		Payer: claim.Payer{Name: strings.ToUpper(primPayer.Name), ID: primPayer.PayerID}, AdjudicationDate: dateOf(paidDate)}
	for _, a := range cp.Adjustments {
		if a.ServiceLine == 0 {
			op.Adjustments = append(op.Adjustments, claim.Adjustment{Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents,
				Quantity: claim.Quantity(a.QuantityMilli)})
		}
	}
	doc.OtherPayers = []claim.OtherPayer{op}
	for i := range doc.Lines {
		l := &doc.Lines[i]
		l.Adjudications = nil
		pl, ok := matchPaidLine(lines, l, i)
		if !ok {
			continue
		}
		adj := claim.LineAdjudication{PayerID: primPayer.PayerID, PaidCents: pl.PaidCents, ProcedureCode: l.ProcedureCode,
			Modifiers: l.Modifiers, RevenueCode: l.RevenueCode, Units: l.Units, Date: dateOf(paidDate)}
		for _, a := range pl.Adjustments {
			adj.Adjustments = append(adj.Adjustments, claim.Adjustment{Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents,
				Quantity: claim.Quantity(a.QuantityMilli)})
		}
		l.Adjudications = []claim.LineAdjudication{adj}
	}
	c, err := s.storeClaim(ctx, q, doc, secPayer.ID, primary.PatientID, primary.EncounterID, nil)
	if err != nil {
		return store.Claim{}, false, err
	}
	pid := primary.PatientID
	if _, _, err := q.PostLedgerTransaction(ctx, store.PostLedgerTransactionParams{ClinicID: primary.ClinicID,
		IdempotencyKey: "secondary:" + strconv.FormatInt(c.ID, 10), Description: "transfer to secondary " + doc.PatientControlNumber,
		EffectiveDate: paidDate, Lines: []store.LedgerLine{
			{Account: AccountInsuranceAR, AmountCents: remaining, ClaimID: &c.ID, PatientID: &pid},
			{Account: AccountPatientAR, AmountCents: -remaining, ClaimID: &primary.ID, PatientID: &pid},
		}}); err != nil {
		return store.Claim{}, false, err
	}
	return c, true, nil
}

// BuildSecondaryClaim builds the secondary claim of a paid primary claim from
// its latest posted payment (see PostRemittance, which does this
// automatically). It returns the existing secondary claim when there is one.
func (s *Service) BuildSecondaryClaim(ctx context.Context, clinicID, primaryClaimID int64) (store.Claim, error) {
	var out store.Claim
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		prim, err := tx.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: primaryClaimID})
		if err != nil {
			return err
		}
		cps, err := tx.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinicID, ClaimID: prim.ID})
		if err != nil {
			return err
		}
		var last *store.ClaimPayment
		for i := range cps {
			if cps[i].StatusCode != "22" {
				last = &cps[i]
			}
		}
		if last == nil {
			return fmt.Errorf("%w: claim %d has no posted payment", ErrNotBillable, prim.ID)
		}
		var doc paymentDocument
		_ = json.Unmarshal(last.Document, &doc)
		rem, err := tx.GetRemittance(ctx, store.Ref{ClinicID: clinicID, ID: last.RemittanceID})
		if err != nil {
			return err
		}
		c, created, err := s.buildSecondary(ctx, tx, prim, *last, doc.Lines, rem.PaymentDate)
		if err != nil {
			return err
		}
		if !created && c.ID == 0 {
			return fmt.Errorf("%w: claim %d leaves no patient responsibility or the patient has no secondary coverage", ErrNotBillable, prim.ID)
		}
		out = c
		return nil
	})
	return out, err
}

// matchPaidLine finds the 835 line of claim line i: by line item control
// number (REF*6R), else by procedure and modifiers, else by position.
func matchPaidLine(lines []paidLine, l *claim.ServiceLine, i int) (paidLine, bool) {
	for _, pl := range lines {
		if pl.ControlNumber != "" && pl.ControlNumber == l.ControlNumber {
			return pl, true
		}
	}
	for _, pl := range lines {
		if pl.ControlNumber == "" && pl.ProcedureCode == l.ProcedureCode && slices.Equal(pl.Modifiers, l.Modifiers) {
			return pl, true
		}
	}
	if i < len(lines) && lines[i].ControlNumber == "" {
		return lines[i], true
	}
	return paidLine{}, false
}
