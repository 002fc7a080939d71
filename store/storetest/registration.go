package storetest

import (
	"context"
	"testing"

	"github.com/clearhouse/clearhouse/store"
)

// testRegistration covers what a practice records at setup: clinic
// settings with the billing profile, provider roles, payer enrollment,
// patient contact and guarantor, and the lookups duplicate detection uses.
func testRegistration(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID

	eq(t, "new clinic time zone", f.clinic.TimeZone, "")
	settings := store.ClinicSettings{AddressLine1: "100 MAIN ST", City: "SPRINGFIELD", State: "PA", PostalCode: "190641234",
		TimeZone: "America/New_York", TaxonomyCode: "207Q00000X", ContactName: "BILLING", ContactPhone: "2155550100",
		ContactEmail: "billing@example.com", Profile: "fees:\n  - {code: \"99213\", amount: \"125.00\"}\n"}
	c, err := s.UpdateClinic(ctx, store.UpdateClinicParams{ClinicID: cid, Name: f.clinic.Name, NPI: f.clinic.NPI, TaxID: f.clinic.TaxID,
		SubmitterID: f.clinic.SubmitterID, ClinicSettings: settings})
	must(t, err)
	eq(t, "updated settings", c.ClinicSettings, settings)
	_, err = s.UpdateClinic(ctx, store.UpdateClinicParams{ClinicID: cid, Name: "X", ClinicSettings: store.ClinicSettings{TimeZone: "Mars/Olympus"}})
	wantErr(t, err, store.ErrInvalid)
	nc, err := s.CreateClinic(ctx, store.CreateClinicParams{Name: t.Name() + " with settings", ClinicSettings: settings})
	must(t, err)
	eq(t, "created settings", nc.ClinicSettings, settings)
	all, err := s.ListClinics(ctx)
	must(t, err)
	found := 0
	for _, x := range all {
		if x.ID == nc.ID || x.ID == cid {
			found++
			eq(t, "stored settings", x.ClinicSettings, settings)
		}
	}
	eq(t, "clinics listed", found, 2)

	// Providers: role defaults to rendering; an empty role on update keeps it.
	eq(t, "default role", f.provider.Role, store.ProviderRendering)
	pr, err := s.CreateProvider(ctx, store.CreateProviderParams{ClinicID: cid, NPI: "1003000126", OrganizationName: "GROUP", Role: store.ProviderBilling})
	must(t, err)
	eq(t, "role", pr.Role, store.ProviderBilling)
	pr, err = s.UpdateProvider(ctx, store.UpdateProviderParams{ClinicID: cid, ID: pr.ID, NPI: pr.NPI, OrganizationName: "GROUP", Active: true})
	must(t, err)
	eq(t, "kept role", pr.Role, store.ProviderBilling)
	pr, err = s.UpdateProvider(ctx, store.UpdateProviderParams{ClinicID: cid, ID: pr.ID, NPI: pr.NPI, Role: store.ProviderBoth, Active: true})
	must(t, err)
	eq(t, "changed role", pr.Role, store.ProviderBoth)
	_, err = s.CreateProvider(ctx, store.CreateProviderParams{ClinicID: cid, NPI: "1", Role: "surgeon"})
	wantErr(t, err, store.ErrInvalid)

	// Payers: enrollment per transaction, none by default.
	eq(t, "default enrollment", f.payer.Enrollment, store.Enrollment{Claims: store.EnrollmentNone, Remittance: store.EnrollmentNone, Eligibility: store.EnrollmentNone})
	py, err := s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: cid, PayerID: "MCRJX", Name: "Medicare",
		Enrollment: store.Enrollment{Claims: store.EnrollmentEnrolled, Remittance: store.EnrollmentPending}})
	must(t, err)
	eq(t, "enrollment", py.Enrollment, store.Enrollment{Claims: store.EnrollmentEnrolled, Remittance: store.EnrollmentPending, Eligibility: store.EnrollmentNone})
	py, err = s.UpdatePayer(ctx, store.UpdatePayerParams{ClinicID: cid, ID: py.ID, PayerID: py.PayerID, Name: py.Name, Active: true,
		Enrollment: store.Enrollment{Eligibility: store.EnrollmentRejected}})
	must(t, err)
	eq(t, "updated enrollment", py.Enrollment, store.Enrollment{Claims: store.EnrollmentEnrolled, Remittance: store.EnrollmentPending, Eligibility: store.EnrollmentRejected})
	_, err = s.CreatePayer(ctx, store.CreatePayerParams{ClinicID: cid, PayerID: "X", Name: "X", Enrollment: store.Enrollment{Claims: "maybe"}})
	wantErr(t, err, store.ErrInvalid)

	// Patients: contact and guarantor; birth date and member ID lookups.
	pt, err := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-2", FirstName: "Alan", LastName: "Turing",
		BirthDate: date(1912, 6, 23), Email: "alan@example.com", GuarantorName: "Sara Turing", GuarantorRelationship: "19"})
	must(t, err)
	eq(t, "email", pt.Email, "alan@example.com")
	eq(t, "guarantor", pt.GuarantorName+"/"+pt.GuarantorRelationship, "Sara Turing/19")
	eq(t, "not merged", pt.MergedInto == nil, true)
	pt, err = s.UpdatePatient(ctx, store.UpdatePatientParams{ClinicID: cid, ID: pt.ID, MRN: pt.MRN, FirstName: pt.FirstName, LastName: pt.LastName,
		BirthDate: pt.BirthDate, Email: "turing@example.com"})
	must(t, err)
	eq(t, "updated email", pt.Email, "turing@example.com")
	eq(t, "guarantor replaced", pt.GuarantorName, "")
	got, err := s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "turing", BirthDate: date(1912, 6, 23)})
	must(t, err)
	eq(t, "by name and birth date", len(got), 1)
	got, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "turing", BirthDate: date(1912, 6, 24)})
	must(t, err)
	eq(t, "other birth date", len(got), 0)
	_, err = s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: pt.ID, PayerID: py.ID, MemberID: "1EG4TE5MK73"})
	must(t, err)
	covs, err := s.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: cid, MemberID: "1EG4TE5MK73"})
	must(t, err)
	eq(t, "by member ID", len(covs), 1)
	eq(t, "member's patient", covs[0].PatientID, pt.ID)
}

// testMergePatients merges a duplicate: its rows move to the patient of
// record and it is marked merged; a second merge of it is refused.
func testMergePatients(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	dup, err := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-DUP", FirstName: "Grace", LastName: "Hopper", BirthDate: date(1950, 12, 9)})
	must(t, err)
	_, err = s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: dup.ID, PayerID: f.payer.ID, MemberID: "M1"})
	must(t, err)
	enc, err := s.CreateEncounter(ctx, store.CreateEncounterParams{ClinicID: cid, PatientID: dup.ID, ProviderID: f.provider.ID, ServiceDate: date(2025, 3, 4)})
	must(t, err)
	cl, err := s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: f.payer.ID, PatientID: dup.ID, PatientControlNumber: "MERGE1",
		TotalChargeCents: 100, ServiceDateFrom: date(2025, 3, 4), ServiceDateTo: date(2025, 3, 4), Document: []byte(`{}`), Actor: "test"})
	must(t, err)

	m, err := s.MergePatients(ctx, store.MergePatientsParams{ClinicID: cid, From: dup.ID, Into: f.patient.ID})
	must(t, err)
	eq(t, "merged into", *m.From.MergedInto, f.patient.ID)
	eq(t, "coverages moved", m.Moved["coverages"], 1)
	eq(t, "encounters moved", m.Moved["encounters"], 1)
	eq(t, "claims moved", m.Moved["claims"], 1)
	covs, err := s.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: cid, PatientID: f.patient.ID})
	must(t, err)
	eq(t, "survivor coverages", len(covs), 1)
	e, err := s.GetEncounter(ctx, f.ref(enc.ID))
	must(t, err)
	eq(t, "encounter patient", e.PatientID, f.patient.ID)
	c, err := s.GetClaim(ctx, f.ref(cl.ID))
	must(t, err)
	eq(t, "claim patient", c.PatientID, f.patient.ID)

	_, err = s.MergePatients(ctx, store.MergePatientsParams{ClinicID: cid, From: dup.ID, Into: f.patient.ID})
	wantErr(t, err, store.ErrConflict)
	_, err = s.MergePatients(ctx, store.MergePatientsParams{ClinicID: cid, From: f.patient.ID, Into: dup.ID})
	wantErr(t, err, store.ErrConflict)
	_, err = s.MergePatients(ctx, store.MergePatientsParams{ClinicID: cid, From: f.patient.ID, Into: f.patient.ID})
	wantErr(t, err, store.ErrInvalid)
	_, err = s.MergePatients(ctx, store.MergePatientsParams{ClinicID: cid, From: 999999, Into: f.patient.ID})
	wantErr(t, err, store.ErrNotFound)
}
