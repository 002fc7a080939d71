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
	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/scrub"
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

// BuildChunkSize is how many encounters BuildReadyClaims and BuildClaims
// bill in one transaction.
const BuildChunkSize = 500

// EncounterError is why one encounter was not billed.
type EncounterError struct {
	EncounterID int64
	Err         error
}

func (e *EncounterError) Error() string { return fmt.Sprintf("encounter %d: %v", e.EncounterID, e.Err) }

func (e *EncounterError) Unwrap() error { return e.Err }

// BuildResult is what BuildClaims did.
type BuildResult struct {
	// Claims are the claims built, in encounter order. Their CreatedAt and
	// UpdatedAt are not read back from the store (zero).
	Claims []store.Claim
	// NotBilled are the encounters that could not be billed; they stay
	// as they were.
	NotBilled []*EncounterError
}

// BuildReadyClaims builds the claim of every ready encounter of a clinic,
// BuildChunkSize encounters a transaction (see BuildClaims); an encounter
// that cannot be billed is reported in the joined error and the others go
// on.
func (s *Service) BuildReadyClaims(ctx context.Context, clinicID int64) ([]store.Claim, error) {
	encs, err := s.st.ListEncounters(ctx, store.ListEncountersParams{ClinicID: clinicID, Statuses: []string{store.EncounterReady}})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(encs))
	for i, e := range encs {
		ids[i] = e.ID
	}
	res, err := s.BuildClaims(ctx, clinicID, ids)
	errs := make([]error, 0, len(res.NotBilled)+1)
	for _, e := range res.NotBilled {
		errs = append(errs, e)
	}
	return res.Claims, errors.Join(append(errs, err)...)
}

// BuildClaims builds the primary claims of encounters (as BuildClaim does,
// claim by claim), BuildChunkSize encounters a transaction: each chunk's
// encounters, charges, coverages, patients, providers and payers are loaded
// with a few queries, the claims are built in memory, and the claims, the
// charges and encounters marked billed and the charges' ledger
// transactions are written with bulk statements. An encounter that cannot
// be billed is reported in the result and the rest of its chunk goes on.
// The error is for a chunk that could not be written (another worker
// billed one of its encounters first, the database failed); earlier chunks
// stay committed.
func (s *Service) BuildClaims(ctx context.Context, clinicID int64, encounterIDs []int64) (BuildResult, error) {
	var res BuildResult
	for start := 0; start < len(encounterIDs); start += BuildChunkSize {
		chunk := encounterIDs[start:min(start+BuildChunkSize, len(encounterIDs))]
		var built []store.Claim
		var notBilled []*EncounterError
		err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
			var err error
			built, notBilled, err = s.buildChunk(ctx, tx, clinicID, chunk)
			return err
		})
		if err != nil {
			return res, err
		}
		res.Claims = append(res.Claims, built...)
		res.NotBilled = append(res.NotBilled, notBilled...)
	}
	return res, nil
}

// buildChunk bills the encounters ids in tx: load, check and build in
// memory, then write.
func (s *Service) buildChunk(ctx context.Context, tx store.Tx, clinicID int64, ids []int64) ([]store.Claim, []*EncounterError, error) {
	rows, notBilled, err := s.loadChunk(ctx, tx, clinicID, ids)
	if err != nil || len(rows) == 0 {
		return nil, notBilled, err
	}
	params := make([]store.CreateClaimParams, len(rows))
	encIDs := make([]int64, len(rows))
	for i := range rows {
		r := &rows[i]
		if params[i], err = s.claimParams(s.assembleClaim(*r, BuildOptions{}), r.payer.ID, r.parties.patient.ID, &r.enc.ID, nil); err != nil {
			return nil, nil, fmt.Errorf("encounter %d: %w", r.enc.ID, err)
		}
		encIDs[i] = r.enc.ID
	}
	// Encounters first: when another worker billed one of them, the chunk
	// stops here.
	if err := tx.SetEncounterStatuses(ctx, store.SetEncounterStatusesParams{ClinicID: clinicID, IDs: encIDs, From: store.EncounterReady,
		To: store.EncounterBilled}); err != nil {
		return nil, nil, err
	}
	claimIDs, err := tx.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: clinicID, Claims: params})
	if err != nil {
		return nil, nil, err
	}
	var billing []store.ChargeBilling
	ledger := make([]store.PostLedgerTransactionParams, len(rows))
	claims := make([]store.Claim, len(rows))
	for i := range rows {
		r, p, id := &rows[i], &params[i], claimIDs[i]
		for _, ch := range r.charges {
			billing = append(billing, store.ChargeBilling{ChargeID: ch.ID, ClaimID: id})
		}
		ledger[i] = chargeLedger(clinicID, id, r.parties.patient.ID, p.TotalChargeCents, p.PatientControlNumber, r.enc.ServiceDate)
		claims[i] = store.Claim{ID: id, ClinicID: clinicID, PayerID: p.PayerID, PatientID: p.PatientID, EncounterID: p.EncounterID,
			PatientControlNumber: p.PatientControlNumber, Kind: p.Kind, Status: p.Status, FrequencyCode: p.FrequencyCode,
			TotalChargeCents: p.TotalChargeCents, ServiceDateFrom: store.TruncateDate(p.ServiceDateFrom),
			ServiceDateTo: store.TruncateDate(p.ServiceDateTo), Document: p.Document}
	}
	if err := tx.BillCharges(ctx, store.BillChargesParams{ClinicID: clinicID, Charges: billing}); err != nil {
		return nil, nil, err
	}
	if _, err := tx.PostLedgerTransactions(ctx, store.PostLedgerTransactionsParams{ClinicID: clinicID, Transactions: ledger}); err != nil {
		return nil, nil, err
	}
	return claims, notBilled, nil
}

// loadChunk loads the rows of the encounters ids and checks them as
// buildClaim does: the billable ones come back as claimRows, in ids'
// order, the others as EncounterErrors.
func (s *Service) loadChunk(ctx context.Context, tx store.Tx, clinicID int64, ids []int64) ([]claimRows, []*EncounterError, error) {
	var notBilled []*EncounterError
	fail := func(id int64, err error) { notBilled = append(notBilled, &EncounterError{EncounterID: id, Err: err}) }
	encs, err := tx.GetEncountersByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: ids})
	if err != nil {
		return nil, nil, err
	}
	encByID := make(map[int64]store.Encounter, len(encs))
	for _, e := range encs {
		encByID[e.ID] = e
	}
	var ready []store.Encounter
	for _, id := range ids {
		e, ok := encByID[id]
		switch {
		case !ok:
			fail(id, store.ErrNotFound)
		case e.Status != store.EncounterReady:
			fail(id, checkBillable(e, nil))
		default:
			ready = append(ready, e)
		}
	}
	if len(ready) == 0 {
		return nil, notBilled, nil
	}
	clinic, err := tx.GetClinic(ctx, store.GetClinicParams{ClinicID: clinicID})
	if err != nil {
		return nil, nil, err
	}
	profile, err := s.profile(ctx, clinicID)
	if err != nil {
		return nil, nil, err
	}
	readyIDs := make([]int64, len(ready))
	var patientIDs, providerIDs, coverageIDs, listFor []int64
	for i, e := range ready {
		readyIDs[i] = e.ID
		patientIDs = append(patientIDs, e.PatientID)
		providerIDs = append(providerIDs, e.ProviderID)
		if e.CoverageID != nil {
			coverageIDs = append(coverageIDs, *e.CoverageID)
		} else {
			listFor = append(listFor, e.PatientID)
		}
	}
	charges, err := tx.ListChargesByEncounters(ctx, store.ListChargesByEncountersParams{ClinicID: clinicID, EncounterIDs: readyIDs, Unbilled: true})
	if err != nil {
		return nil, nil, err
	}
	chargesOf := make(map[int64][]store.Charge, len(ready))
	for _, ch := range charges {
		chargesOf[ch.EncounterID] = append(chargesOf[ch.EncounterID], ch)
	}
	patients, err := tx.GetPatientsByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(patientIDs)})
	if err != nil {
		return nil, nil, err
	}
	providers, err := tx.GetProvidersByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(providerIDs)})
	if err != nil {
		return nil, nil, err
	}
	covByID, err := tx.GetCoveragesByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(coverageIDs)})
	if err != nil {
		return nil, nil, err
	}
	listed, err := tx.ListCoveragesByPatients(ctx, store.ListCoveragesByPatientsParams{ClinicID: clinicID, PatientIDs: unique(listFor)})
	if err != nil {
		return nil, nil, err
	}
	patientByID := index(patients, func(p store.Patient) int64 { return p.ID })
	providerByID := index(providers, func(p store.Provider) int64 { return p.ID })
	coverageByID := index(covByID, func(c store.Coverage) int64 { return c.ID })
	coveragesOf := make(map[int64][]store.Coverage)
	for _, c := range listed {
		coveragesOf[c.PatientID] = append(coveragesOf[c.PatientID], c)
	}
	// The checks and their order are buildClaim's: charges, coverage,
	// patient, provider, payer.
	var rows []claimRows
	var payerIDs []int64
	for _, e := range ready {
		r := claimRows{enc: e, charges: chargesOf[e.ID], parties: claimParties{clinic: clinic, profile: profile}}
		if err := checkBillable(e, r.charges); err != nil {
			fail(e.ID, err)
			continue
		}
		if e.CoverageID != nil {
			c, ok := coverageByID[*e.CoverageID]
			if !ok {
				fail(e.ID, fmt.Errorf("coverage %d: %w", *e.CoverageID, store.ErrNotFound))
				continue
			}
			r.cov = c
		} else if r.cov, err = pickCoverage(e, coveragesOf[e.PatientID], 1); err != nil {
			fail(e.ID, err)
			continue
		}
		var ok bool
		if r.parties.patient, ok = patientByID[e.PatientID]; !ok {
			fail(e.ID, fmt.Errorf("patient %d: %w", e.PatientID, store.ErrNotFound))
			continue
		}
		if r.parties.provider, ok = providerByID[e.ProviderID]; !ok {
			fail(e.ID, fmt.Errorf("provider %d: %w", e.ProviderID, store.ErrNotFound))
			continue
		}
		payerIDs = append(payerIDs, r.cov.PayerID)
		rows = append(rows, r)
	}
	payers, err := tx.GetPayersByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(payerIDs)})
	if err != nil {
		return nil, nil, err
	}
	payerByID := index(payers, func(p store.Payer) int64 { return p.ID })
	kept := rows[:0]
	bases := make([]string, 0, len(rows))
	for _, r := range rows {
		var ok bool
		if r.payer, ok = payerByID[r.cov.PayerID]; !ok {
			fail(r.enc.ID, fmt.Errorf("payer %d: %w", r.cov.PayerID, store.ErrNotFound))
			continue
		}
		r.pcn = encounterPCN(r.enc.ID)
		bases = append(bases, r.pcn)
		kept = append(kept, r)
	}
	rows = kept
	taken, err := tx.ListTakenPatientControlNumbers(ctx, store.ListTakenPatientControlNumbersParams{ClinicID: clinicID, PatientControlNumbers: bases})
	if err != nil {
		return nil, nil, err
	}
	if len(taken) > 0 {
		// An encounter billed before, its claim voided: probe for a free
		// suffix as buildClaim does (rare).
		isTaken := make(map[string]bool, len(taken))
		for _, t := range taken {
			isTaken[t] = true
		}
		for i := range rows {
			if isTaken[rows[i].pcn] {
				if rows[i].pcn, err = s.freePCN(ctx, tx, clinicID, rows[i].pcn); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	slices.SortFunc(notBilled, func(a, b *EncounterError) int {
		return slices.Index(ids, a.EncounterID) - slices.Index(ids, b.EncounterID)
	})
	return rows, notBilled, nil
}

// unique returns ids sorted without repeats.
func unique(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// index maps rows by key.
func index[T any](rows []T, key func(T) int64) map[int64]T {
	m := make(map[int64]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m
}

type claimParties struct {
	clinic   store.Clinic
	profile  *ClinicProfile
	patient  store.Patient
	provider store.Provider
}

// claimRows are the loaded rows the claim of one encounter is built from.
type claimRows struct {
	enc     store.Encounter
	charges []store.Charge
	cov     store.Coverage
	parties claimParties
	payer   store.Payer
	// pcn is a patient control number no claim of the clinic uses yet.
	pcn string
}

// checkBillable says why an encounter with these unbilled charges cannot
// be billed, or nil.
func checkBillable(enc store.Encounter, charges []store.Charge) error {
	if enc.Status != store.EncounterReady {
		return fmt.Errorf("%w: encounter %d is %s, not ready", ErrNotBillable, enc.ID, enc.Status)
	}
	if len(charges) == 0 {
		return fmt.Errorf("%w: encounter %d has no unbilled charges", ErrNotBillable, enc.ID)
	}
	return nil
}

func (s *Service) buildClaim(ctx context.Context, tx store.Tx, clinicID, encounterID int64, opts BuildOptions) (store.Claim, error) {
	enc, err := tx.GetEncounter(ctx, store.Ref{ClinicID: clinicID, ID: encounterID})
	if err != nil {
		return store.Claim{}, fmt.Errorf("encounter %d: %w", encounterID, err)
	}
	if enc.Status != store.EncounterReady {
		return store.Claim{}, checkBillable(enc, nil)
	}
	r := claimRows{enc: enc}
	r.charges, err = tx.ListCharges(ctx, store.ListChargesParams{ClinicID: clinicID, EncounterID: enc.ID, Unbilled: true})
	if err != nil {
		return store.Claim{}, err
	}
	if err := checkBillable(enc, r.charges); err != nil {
		return store.Claim{}, err
	}
	if r.cov, err = s.coverageFor(ctx, tx, enc, 1); err != nil {
		return store.Claim{}, err
	}
	if r.parties, err = s.parties(ctx, tx, clinicID, enc); err != nil {
		return store.Claim{}, err
	}
	if r.payer, err = tx.GetPayer(ctx, store.Ref{ClinicID: clinicID, ID: r.cov.PayerID}); err != nil {
		return store.Claim{}, fmt.Errorf("payer %d: %w", r.cov.PayerID, err)
	}
	if r.pcn, err = s.freePCN(ctx, tx, clinicID, encounterPCN(enc.ID)); err != nil {
		return store.Claim{}, err
	}
	doc := s.assembleClaim(r, opts)
	c, err := s.storeClaim(ctx, tx, doc, r.payer.ID, r.parties.patient.ID, &enc.ID, nil)
	if err != nil {
		return store.Claim{}, err
	}
	for _, ch := range r.charges {
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
	if _, _, err := tx.PostLedgerTransaction(ctx, chargeLedger(clinicID, c.ID, r.parties.patient.ID, c.TotalChargeCents, r.pcn, enc.ServiceDate)); err != nil {
		return store.Claim{}, err
	}
	return c, nil
}

// encounterPCN is the patient control number (CLM01) of an encounter's
// primary claim before any suffix: "E<encounter ID>".
func encounterPCN(encounterID int64) string { return "E" + strconv.FormatInt(encounterID, 10) }

// chargeLedger is the ledger transaction of a new claim's charge: insurance
// A/R debited, revenue credited.
func chargeLedger(clinicID, claimID, patientID, cents int64, pcn string, serviceDate time.Time) store.PostLedgerTransactionParams {
	return store.PostLedgerTransactionParams{ClinicID: clinicID, IdempotencyKey: "charge:" + strconv.FormatInt(claimID, 10),
		Description: "charge " + pcn, EffectiveDate: serviceDate, Lines: []store.LedgerLine{
			{Account: AccountInsuranceAR, AmountCents: cents, ClaimID: &claimID, PatientID: &patientID},
			{Account: AccountRevenue, AmountCents: -cents, ClaimID: &claimID, PatientID: &patientID},
		}}
}

// assembleClaim builds the claim document of an encounter from its loaded
// rows; it reads nothing and writes nothing.
func (s *Service) assembleClaim(r claimRows, opts BuildOptions) *claim.Claim {
	p, enc, payer := r.parties, r.enc, r.payer
	reg := s.registryPayer(payer.PayerID)
	kind := opts.Kind
	if kind == "" {
		kind = claim.Professional
		if reg != nil && !reg.Accepts(payers.Tx837P) && reg.Accepts(payers.Tx837I) {
			kind = claim.Institutional
		}
	}
	doc := &claim.Claim{
		Kind:                    kind,
		BillingProvider:         billingProvider(p),
		Payer:                   claim.Payer{Name: strings.ToUpper(payer.Name), ID: payer.PayerID},
		PatientControlNumber:    r.pcn,
		FrequencyCode:           claim.FrequencyOriginal,
		BenefitsAssigned:        true,
		ReleaseOfInformation:    "Y",
		AssignmentParticipation: "A",
		MedicalRecordNumber:     p.patient.MRN,
	}
	setSubscriber(doc, r.cov, p.patient, filingIndicator(reg, payer), "P")
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
	for _, ch := range r.charges {
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
	return doc
}

// claimParams are the CreateClaim params of a new claim document.
func (s *Service) claimParams(doc *claim.Claim, payerID, patientID int64, encounterID, originalID *int64) (store.CreateClaimParams, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return store.CreateClaimParams{}, err
	}
	from, to := doc.ServiceSpan()
	kind := store.ClaimProfessional
	if doc.Kind == claim.Institutional {
		kind = store.ClaimInstitutional
	}
	return store.CreateClaimParams{PayerID: payerID, PatientID: patientID, EncounterID: encounterID,
		PatientControlNumber: doc.PatientControlNumber, Kind: kind, Status: claim.StatusDraft, FrequencyCode: doc.FrequencyCode,
		OriginalClaimID: originalID, PayerClaimControlNumber: doc.PayerClaimControlNumber, TotalChargeCents: doc.TotalChargeCents,
		ServiceDateFrom: from.Time(), ServiceDateTo: to.Time(), Document: raw, Actor: s.opts.Actor}, nil
}

// storeClaim creates the claim row with its document as a draft.
func (s *Service) storeClaim(ctx context.Context, q store.Queries, doc *claim.Claim, payerID, patientID int64, encounterID, originalID *int64) (store.Claim, error) {
	p, err := s.claimParams(doc, payerID, patientID, encounterID, originalID)
	if err != nil {
		return store.Claim{}, err
	}
	return q.CreateClaim(ctx, p)
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
	return pickCoverage(enc, covs, priority)
}

// pickCoverage is the first of the patient's coverages covs (ordered by
// priority and ID) of a priority in effect on the encounter's date of
// service.
func pickCoverage(enc store.Encounter, covs []store.Coverage, priority int) (store.Coverage, error) {
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

// nextPayer is the position of the payer that bills after the payer of a
// claim (Loop 2000B SBR01): the secondary after the primary, the tertiary
// after the secondary. ok is false after the tertiary.
func nextPayer(doc *claim.Claim) (priority int, responsibility string, ok bool) {
	switch doc.Subscriber.PayerResponsibility {
	case "", "P":
		return 2, "S", true
	case "S":
		return 3, "T", true
	}
	return 0, "", false
}

// billsPayer reports whether a claim's payer or one of its prior payers
// (2330B) is the payer payerID (NM109), so the same payer is not billed
// twice for one encounter.
func billsPayer(doc *claim.Claim, payerID string) bool {
	if doc.Payer.ID == payerID {
		return true
	}
	for _, op := range doc.OtherPayers {
		if op.Payer.ID == payerID {
			return true
		}
	}
	return false
}

// nextPayerIn is a posted claim whose payment may leave a balance for the
// next payer: the claim, its payment, the payment's lines (as the 835 gave
// them) and the date it was paid.
type nextPayerIn struct {
	prior    store.Claim
	cp       store.ClaimPayment
	lines    []paidLine
	paidDate time.Time
}

// nextPayerOut is the claim of the next payer for one nextPayerIn: created
// now, or one the encounter already had; ID 0 when there is nothing to
// bill.
type nextPayerOut struct {
	claim   store.Claim
	created bool
}

// buildNextPayerClaims builds the claim of the next payer in each patient's
// coordination of benefits (the secondary after a primary, the tertiary
// after a secondary) when the payment of a claim in left patient
// responsibility and the patient has a coverage of the next priority, in
// effect on the date of service, with a payer no claim of the sequence
// billed yet: the same lines billed to that payer with the adjudication of
// every payer before it (see nextPayerDoc). The patient responsibility
// moves from the prior claim's patient A/R to the new claim's insurance
// A/R. An encounter that already has a claim of that payer (not voided)
// gets no other.
//
// It is set-based: the encounters, coverages, the encounters' claims, the
// payers and the patients are loaded with one query each, the free patient
// control numbers checked with one, and the claims and their ledger
// transactions written with one bulk statement each.
func (s *Service) buildNextPayerClaims(ctx context.Context, tx store.Tx, clinicID int64, in []nextPayerIn) ([]nextPayerOut, error) {
	out := make([]nextPayerOut, len(in))
	docs := make([]*claim.Claim, len(in))
	var encIDs, patientIDs []int64
	for i, x := range in {
		if x.cp.PatientResponsibilityCents <= 0 || x.prior.EncounterID == nil {
			continue
		}
		doc, err := loadDocument(x.prior)
		if err != nil {
			return nil, err
		}
		if _, _, ok := nextPayer(doc); !ok {
			continue
		}
		docs[i] = doc
		encIDs = append(encIDs, *x.prior.EncounterID)
		patientIDs = append(patientIDs, x.prior.PatientID)
	}
	if len(encIDs) == 0 {
		return out, nil
	}
	encs, err := tx.GetEncountersByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(encIDs)})
	if err != nil {
		return nil, err
	}
	encByID := index(encs, func(e store.Encounter) int64 { return e.ID })
	covs, err := tx.ListCoveragesByPatients(ctx, store.ListCoveragesByPatientsParams{ClinicID: clinicID, PatientIDs: unique(patientIDs)})
	if err != nil {
		return nil, err
	}
	covsOf := make(map[int64][]store.Coverage)
	for _, c := range covs {
		covsOf[c.PatientID] = append(covsOf[c.PatientID], c)
	}
	existing, err := tx.ListClaimsByEncounters(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(encIDs)})
	if err != nil {
		return nil, err
	}
	claimsOf := make(map[int64][]store.Claim)
	for _, c := range existing {
		claimsOf[*c.EncounterID] = append(claimsOf[*c.EncounterID], c)
	}

	type candidate struct {
		i    int
		enc  store.Encounter
		cov  store.Coverage
		resp string
	}
	var cands []candidate
	var payerIDs []int64
	patientIDs = patientIDs[:0]
	for i, doc := range docs {
		if doc == nil {
			continue
		}
		x := in[i]
		enc, ok := encByID[*x.prior.EncounterID]
		if !ok {
			continue
		}
		priority, resp, _ := nextPayer(doc)
		cov, err := pickCoverage(enc, covsOf[x.prior.PatientID], priority)
		if errors.Is(err, ErrNotBillable) || err == nil && cov.PayerID == x.prior.PayerID {
			continue
		}
		if err != nil {
			return nil, err
		}
		if j := slices.IndexFunc(claimsOf[enc.ID], func(e store.Claim) bool {
			return e.PatientID == x.prior.PatientID && e.PayerID == cov.PayerID && e.Status != claim.StatusVoided
		}); j >= 0 {
			out[i] = nextPayerOut{claim: claimsOf[enc.ID][j]}
			continue
		}
		cands = append(cands, candidate{i: i, enc: enc, cov: cov, resp: resp})
		payerIDs = append(payerIDs, cov.PayerID, x.prior.PayerID)
		patientIDs = append(patientIDs, x.prior.PatientID)
	}
	if len(cands) == 0 {
		return out, nil
	}
	payerRows, err := tx.GetPayersByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(payerIDs)})
	if err != nil {
		return nil, err
	}
	payerByID := index(payerRows, func(p store.Payer) int64 { return p.ID })
	pts, err := tx.GetPatientsByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: unique(patientIDs)})
	if err != nil {
		return nil, err
	}
	ptByID := index(pts, func(p store.Patient) int64 { return p.ID })

	// The patient control numbers: the prior claim's with the payer's
	// responsibility (a probe for a free one only when that is taken).
	kept := cands[:0]
	planned := make(map[[2]int64]int) // encounter and payer: index in kept
	dupOf := make(map[int]int)        // in's index: index in kept
	var bases []string
	for _, c := range cands {
		x := in[c.i]
		next, ok := payerByID[c.cov.PayerID]
		if !ok {
			return nil, fmt.Errorf("payer %d: %w", c.cov.PayerID, store.ErrNotFound)
		}
		if billsPayer(docs[c.i], next.PayerID) {
			continue
		}
		if j, ok := planned[[2]int64{c.enc.ID, c.cov.PayerID}]; ok {
			dupOf[c.i] = j
			continue
		}
		planned[[2]int64{c.enc.ID, c.cov.PayerID}] = len(kept)
		kept = append(kept, c)
		bases = append(bases, nextPCN(x.prior.PatientControlNumber, c.resp))
	}
	if len(kept) == 0 {
		return out, nil
	}
	takenList, err := tx.ListTakenPatientControlNumbers(ctx, store.ListTakenPatientControlNumbersParams{ClinicID: clinicID, PatientControlNumbers: bases})
	if err != nil {
		return nil, err
	}
	taken := make(map[string]bool, len(takenList))
	for _, t := range takenList {
		taken[t] = true
	}
	params := make([]store.CreateClaimParams, len(kept))
	remaining := make([]int64, len(kept))
	for k, c := range kept {
		x := in[c.i]
		pcn := bases[k]
		if taken[pcn] {
			if pcn, err = s.freePCN(ctx, tx, clinicID, pcn); err != nil {
				return nil, err
			}
		}
		pt, ok := ptByID[x.prior.PatientID]
		if !ok {
			return nil, fmt.Errorf("patient %d: %w", x.prior.PatientID, store.ErrNotFound)
		}
		priorPayer, ok := payerByID[x.prior.PayerID]
		if !ok {
			return nil, fmt.Errorf("payer %d: %w", x.prior.PayerID, store.ErrNotFound)
		}
		next := payerByID[c.cov.PayerID]
		doc := s.nextPayerDoc(docs[c.i], c.cov, pt, next, priorPayer, c.resp, pcn, x.cp, x.lines, x.paidDate)
		if params[k], err = s.claimParams(doc, next.ID, x.prior.PatientID, x.prior.EncounterID, nil); err != nil {
			return nil, fmt.Errorf("claim %q: %w", pcn, err)
		}
		remaining[k] = x.cp.PatientResponsibilityCents
	}
	ids, err := tx.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: clinicID, Claims: params})
	if err != nil {
		return nil, err
	}
	created, err := tx.GetClaimsByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: ids})
	if err != nil {
		return nil, err
	}
	createdByID := index(created, func(c store.Claim) int64 { return c.ID })
	ledger := make([]store.PostLedgerTransactionParams, len(kept))
	for k, c := range kept {
		x := in[c.i]
		id, pid := ids[k], x.prior.PatientID
		out[c.i] = nextPayerOut{claim: createdByID[id], created: true}
		key, what := "secondary:", "transfer to secondary "
		if c.resp == "T" {
			key, what = "tertiary:", "transfer to tertiary "
		}
		ledger[k] = store.PostLedgerTransactionParams{ClinicID: clinicID, IdempotencyKey: key + strconv.FormatInt(id, 10),
			Description: what + params[k].PatientControlNumber, EffectiveDate: x.paidDate, Lines: []store.LedgerLine{
				{Account: AccountInsuranceAR, AmountCents: remaining[k], ClaimID: &id, PatientID: &pid},
				{Account: AccountPatientAR, AmountCents: -remaining[k], ClaimID: &x.prior.ID, PatientID: &pid},
			}}
	}
	for i, k := range dupOf {
		out[i] = nextPayerOut{claim: out[kept[k].i].claim}
	}
	if _, err := tx.PostLedgerTransactions(ctx, store.PostLedgerTransactionsParams{ClinicID: clinicID, Transactions: ledger}); err != nil {
		return nil, err
	}
	return out, nil
}

// nextPCN is the patient control number of the next payer's claim: the
// prior claim's with S for the secondary; a tertiary's replaces the
// secondary's S with T.
func nextPCN(prior, responsibility string) string {
	if responsibility == "T" {
		return strings.TrimSuffix(prior, "S") + "T"
	}
	return prior + responsibility
}

// nextPayerDoc is the claim document of the next payer, built from doc
// (the prior claim's, which it changes): the payer's subscriber (cov, the
// patient pt) with responsibility resp, the payer next, the patient
// control number pcn, the earlier payers' loops as the prior claim carried
// them and then the prior payer's: one Loop 2320/2330A/2330B (SBR01 P,
// then S; CAS for its claim-level adjustments, AMT*D its payment, AMT*EAF
// the patient liability it left, DTP*573 its date) and, on each line, one
// 2430 (SVD, CAS, DTP*573), from its payment cp and the payment's lines.
func (s *Service) nextPayerDoc(doc *claim.Claim, cov store.Coverage, pt store.Patient, next, priorPayer store.Payer, resp, pcn string,
	cp store.ClaimPayment, lines []paidLine, paidDate time.Time) *claim.Claim {
	// The prior claim's subscriber relationship: its coverage's, as the
	// claim was billed (2000C PAT01 for a dependent, else 18 self).
	rel := "18"
	if doc.Patient != nil && doc.Patient.Relationship != "" {
		rel = doc.Patient.Relationship
	}
	doc.ID = ""
	priorSub := doc.Subscriber
	setSubscriber(doc, cov, pt, filingIndicator(s.registryPayer(next.PayerID), next), resp)
	doc.Payer = claim.Payer{Name: strings.ToUpper(next.Name), ID: next.PayerID}
	doc.PayerClaimControlNumber = ""
	doc.PatientControlNumber = pcn
	remaining := cp.PatientResponsibilityCents
	priorResponsibility := priorSub.PayerResponsibility
	if priorResponsibility == "" {
		priorResponsibility = "P"
	}
	op := claim.OtherPayer{PayerResponsibility: priorResponsibility, Relationship: rel, GroupNumber: priorSub.GroupNumber,
		ClaimFilingIndicator: priorSub.ClaimFilingIndicator, PaidCents: cp.PaidCents, PaidKnown: true,
		RemainingPatientLiabilityCents: &remaining, BenefitsAssigned: true, ReleaseOfInformation: "Y",
		SubscriberLastName: priorSub.LastName, SubscriberFirstName: priorSub.FirstName, SubscriberMemberID: priorSub.MemberID,
		Payer: claim.Payer{Name: strings.ToUpper(priorPayer.Name), ID: priorPayer.PayerID}, AdjudicationDate: dateOf(paidDate)}
	for _, a := range cp.Adjustments {
		if a.ServiceLine == 0 {
			op.Adjustments = append(op.Adjustments, claim.Adjustment{Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents,
				Quantity: claim.Quantity(a.QuantityMilli)})
		}
	}
	// The earlier payers' loops stay as the prior claim carried them, in
	// payer order, and this payer's follows.
	doc.OtherPayers = append(slices.Clip(doc.OtherPayers), op)
	for i := range doc.Lines {
		l := &doc.Lines[i]
		pl, ok := matchPaidLine(lines, l, i)
		if !ok {
			continue
		}
		adj := claim.LineAdjudication{PayerID: priorPayer.PayerID, PaidCents: pl.PaidCents, ProcedureCode: l.ProcedureCode,
			Modifiers: l.Modifiers, RevenueCode: l.RevenueCode, Units: l.Units, Date: dateOf(paidDate)}
		for _, a := range pl.Adjustments {
			adj.Adjustments = append(adj.Adjustments, claim.Adjustment{Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents,
				Quantity: claim.Quantity(a.QuantityMilli)})
		}
		l.Adjudications = append(slices.Clip(l.Adjudications), adj)
	}
	return doc
}

// buildNextPayerClaim is buildNextPayerClaims for one claim: it returns
// the next payer's claim and whether it was created now (false with ID 0
// when there is nothing to bill).
func (s *Service) buildNextPayerClaim(ctx context.Context, tx store.Tx, prior store.Claim, cp store.ClaimPayment, lines []paidLine, paidDate time.Time) (store.Claim, bool, error) {
	out, err := s.buildNextPayerClaims(ctx, tx, prior.ClinicID, []nextPayerIn{{prior: prior, cp: cp, lines: lines, paidDate: paidDate}})
	if err != nil {
		return store.Claim{}, false, err
	}
	return out[0].claim, out[0].created, nil
}

// BuildSecondaryClaim builds the claim of the next payer (the secondary of a
// paid primary claim, the tertiary of a paid secondary one) from the claim's
// latest posted payment (see PostRemittance, which does this
// automatically). It returns the existing claim of that payer when there is
// one.
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
		c, created, err := s.buildNextPayerClaim(ctx, tx, prim, *last, doc.Lines, rem.PaymentDate)
		if err != nil {
			return err
		}
		if !created && c.ID == 0 {
			return fmt.Errorf("%w: claim %d leaves no patient responsibility or the patient has no coverage of the next priority", ErrNotBillable, prim.ID)
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

// scrubClaims scrubs claims BuildChunkSize a transaction (see Scrub): a
// chunk's claims are loaded with one query and scrubbed in memory, then
// their statuses and history are written with bulk statements and a
// worklist item is raised for each failure. A claim that cannot be moved
// is reported in the joined error and the rest of its chunk goes on; a
// chunk that cannot be written is reported and the next one goes on.
func (s *Service) scrubClaims(ctx context.Context, clinicID int64, claimIDs []int64, today claim.Date) (ScrubResult, error) {
	res := ScrubResult{Findings: make(map[int64][]scrub.Finding)}
	var errs []error
	for start := 0; start < len(claimIDs); start += BuildChunkSize {
		chunk := claimIDs[start:min(start+BuildChunkSize, len(claimIDs))]
		var part ScrubResult
		var claimErrs []error
		err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
			part = ScrubResult{Findings: make(map[int64][]scrub.Finding)}
			var err error
			claimErrs, err = s.scrubChunk(ctx, tx, clinicID, chunk, today, &part)
			return err
		})
		errs = append(errs, claimErrs...)
		if err != nil {
			errs = append(errs, fmt.Errorf("claims %d to %d: %w", chunk[0], chunk[len(chunk)-1], err))
			continue
		}
		res.Ready = append(res.Ready, part.Ready...)
		res.Failed = append(res.Failed, part.Failed...)
		for id, fs := range part.Findings {
			res.Findings[id] = fs
		}
	}
	return res, errors.Join(errs...)
}

// scrubChunk scrubs the claims ids in tx into res; the errors are those of
// single claims, the error the chunk's.
func (s *Service) scrubChunk(ctx context.Context, tx store.Tx, clinicID int64, ids []int64, today claim.Date, res *ScrubResult) ([]error, error) {
	cs, err := tx.GetClaimsByIDs(ctx, store.IDsParams{ClinicID: clinicID, IDs: ids})
	if err != nil {
		return nil, err
	}
	byID := index(cs, func(c store.Claim) int64 { return c.ID })
	// The clinic's denial model, when one was trained, warns of likely
	// denials before the claim goes out.
	var denial func(*claim.Claim, string) (float64, []string, bool)
	if m, _, ok, err := predict.Latest(ctx, tx, clinicID, store.ModelDenial); err != nil {
		return nil, err
	} else if ok {
		denial = predict.DenialScorer{Model: m, Submitted: today.Time()}.Risk
	}
	type failure struct {
		c  store.Claim
		fs []scrub.Finding
	}
	var (
		errs     []error
		moves    []store.ClaimStatusMove
		failures []failure
	)
	for _, id := range ids {
		c, ok := byID[id]
		if !ok {
			errs = append(errs, fmt.Errorf("claim %d: %w", id, store.ErrNotFound))
			continue
		}
		doc, err := loadDocument(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("claim %d: %w", id, err))
			continue
		}
		fs := s.opts.Scrubber.Scrub(doc, scrub.Options{Today: today, PayerID: doc.Payer.ID, DenialRisk: denial})
		res.Findings[id] = fs
		to, reason := claim.StatusReady, "scrub passed"
		if scrub.HasReject(fs) {
			to, reason = claim.StatusScrubFailed, fmt.Sprintf("scrub: %d findings, first %s", len(fs), fs[0].RuleID)
		}
		if c.Status != to {
			if err := claim.Transition(c.ID, c.Status, to); err != nil {
				errs = append(errs, fmt.Errorf("claim %d: %w", id, err))
				continue
			}
			moves = append(moves, store.ClaimStatusMove{ID: c.ID, From: c.Status, To: to, Reason: reason})
			c.Status = to
		}
		if to == claim.StatusReady {
			res.Ready = append(res.Ready, id)
			continue
		}
		res.Failed = append(res.Failed, id)
		failures = append(failures, failure{c, fs})
	}
	if err := tx.SetClaimStatuses(ctx, store.SetClaimStatusesParams{ClinicID: clinicID, Moves: moves, Actor: s.opts.Actor}); err != nil {
		return errs, err
	}
	for _, f := range failures {
		if err := s.scrubWorkItem(ctx, tx, f.c, f.fs); err != nil {
			return errs, fmt.Errorf("claim %d: %w", f.c.ID, err)
		}
	}
	return errs, nil
}
