package storetest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
)

// testProtectedColumns writes a patient, a coverage, claims (one by one
// and in bulk) and worklist items (one by one and in bulk) carrying
// protected values, reads them back, looks them up by the keys that have
// hashes, and checks what the database holds: with Harness.Sealed, none of
// the values in clear and every hash set; without, the values as given.
func testProtectedColumns(t *testing.T, h Harness) {
	ctx := context.Background()
	f := newFixture(t, h)
	s, cid := f.s, f.clinic.ID
	pt, err := s.CreatePatient(ctx, store.CreatePatientParams{ClinicID: cid, MRN: "MRN-PHI", FirstName: "Katherine", LastName: "Johnson",
		BirthDate: date(1918, 8, 26), AddressLine1: "1 LANGLEY BLVD", City: "HAMPTON", State: "VA", PostalCode: "23681",
		Phone: "7575550199", Email: "kj@example.com", GuarantorName: "Joylette Coleman", GuarantorRelationship: "19"})
	must(t, err)
	eq(t, "opened birth date", pt.BirthDate, date(1918, 8, 26))
	eq(t, "opened phone", pt.Phone, "7575550199")
	cov, err := s.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: cid, PatientID: pt.ID, PayerID: f.payer.ID, MemberID: "KJ1918XYZ",
		SubscriberFirst: "Katherine", SubscriberLast: "Johnson", SubscriberBirth: date(1918, 8, 26)})
	must(t, err)
	eq(t, "opened member", cov.MemberID, "KJ1918XYZ")
	doc := json.RawMessage(`{"patient":{"last":"Johnson","birth":"19180826"},"member":"KJ1918XYZ"}`)
	cl, err := s.CreateClaim(ctx, store.CreateClaimParams{ClinicID: cid, PayerID: f.payer.ID, PatientID: pt.ID, PatientControlNumber: "PHI1",
		TotalChargeCents: 100, Document: doc, Actor: "test"})
	must(t, err)
	jsonEq(t, "opened document", cl.Document, doc)
	ids, err := s.BulkInsertClaims(ctx, store.BulkInsertClaimsParams{ClinicID: cid, Claims: []store.CreateClaimParams{
		{PayerID: f.payer.ID, PatientID: pt.ID, PatientControlNumber: "PHI2", TotalChargeCents: 100, Document: doc, Actor: "test"}}})
	must(t, err)
	got, err := s.GetClaim(ctx, f.ref(ids[0]))
	must(t, err)
	jsonEq(t, "bulk document", got.Document, doc)
	details := json.RawMessage(`{"patientLast":"Johnson","patientFirst":"Katherine"}`)
	w, _, err := s.CreateWorklistItem(ctx, store.CreateWorklistItemParams{ClinicID: cid, Kind: "test", Title: "Unmatched claim payment PHI1", Details: details})
	must(t, err)
	jsonEq(t, "opened details", w.Details, details)
	must(t, s.InTx(ctx, cid, func(tx store.Tx) error {
		return tx.CreateWorklistItems(ctx, store.CreateWorklistItemsParams{Items: []store.CreateWorklistItemParams{{Kind: "test", Details: details}}})
	}))
	items, err := s.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: cid})
	must(t, err)
	eq(t, "items", len(items), 2)
	for _, it := range items {
		jsonEq(t, "item details", it.Details, details)
	}

	// Look-ups: by hash when sealed, by value when not; the same answers.
	ps, err := s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, LastName: "JOHNSON"})
	must(t, err)
	eq(t, "by last name", len(ps), 1)
	ps, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "kath", BirthDate: date(1918, 8, 26)})
	must(t, err)
	eq(t, "by prefix and birth date", len(ps), 1)
	ps, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "joh"})
	must(t, err)
	eq(t, "by prefix", len(ps), 1)
	ps, err = s.ListPatients(ctx, store.ListPatientsParams{ClinicID: cid, Name: "hop", Limit: 1})
	must(t, err)
	eq(t, "by prefix, limited", len(ps), 1)
	eq(t, "by prefix, limited, who", ps[0].ID, f.patient.ID)
	covs, err := s.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: cid, MemberID: "KJ1918XYZ"})
	must(t, err)
	eq(t, "by member ID", len(covs), 1)

	// What the database holds.
	clear := func(table, col, value string) int64 {
		return h.QueryInt(t, "SELECT count(*) FROM "+table+" WHERE clinic_id = $1 AND "+col+" LIKE $2", cid, "%"+value+"%")
	}
	checks := []struct{ table, col, value string }{
		{"patients", "first_name", "Katherine"}, {"patients", "last_name", "Johnson"}, {"patients", "birth_date", "1918-08-26"},
		{"patients", "address_line1", "LANGLEY"}, {"patients", "city", "HAMPTON"}, {"patients", "postal_code", "23681"},
		{"patients", "phone", "7575550199"}, {"patients", "email", "kj@example.com"}, {"patients", "guarantor_name", "Coleman"},
		{"coverages", "member_id", "KJ1918XYZ"}, {"coverages", "subscriber_first", "Katherine"}, {"coverages", "subscriber_last", "Johnson"},
		{"coverages", "subscriber_birth", "1918-08-26"},
		{"claim_documents", "CAST(document AS TEXT)", "Johnson"}, {"claim_documents", "CAST(document AS TEXT)", "KJ1918XYZ"},
		{"worklist_items", "CAST(details AS TEXT)", "Johnson"},
	}
	for _, c := range checks {
		n := clear(c.table, c.col, c.value)
		if h.Sealed && n != 0 {
			t.Errorf("%s.%s holds %q in clear in %d rows", c.table, c.col, c.value, n)
		}
		if !h.Sealed && n == 0 {
			t.Errorf("%s.%s does not hold %q (encryption off)", c.table, c.col, c.value)
		}
	}
	hashed := h.QueryInt(t, "SELECT count(*) FROM patients WHERE clinic_id = $1 AND birth_date_hash IS NOT NULL AND last_name_hash IS NOT NULL", cid) +
		h.QueryInt(t, "SELECT count(*) FROM coverages WHERE clinic_id = $1 AND member_id_hash IS NOT NULL", cid)
	if h.Sealed {
		eq(t, "rows with hashes", hashed, int64(3))
		eq(t, "state stays clear", clear("patients", "state", "VA"), int64(2))
		if n := h.QueryInt(t, "SELECT count(*) FROM patients WHERE clinic_id = $1 AND first_name NOT LIKE 'chf1:%'", cid); n != 0 {
			t.Errorf("%d first names not sealed", n)
		}
	} else {
		eq(t, "rows with hashes", hashed, int64(0))
	}
	if strings.Contains(string(cl.Document), "chf1:") {
		t.Error("a sealed document reached the caller")
	}
}

// jsonEq compares documents as JSON (jsonb keeps no key order).
func jsonEq(t *testing.T, what string, got, want json.RawMessage) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}
	must(t, json.Unmarshal(want, &w))
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// SealOnMigrate checks the life of a database's protected columns: rows
// written without a key are sealed by the first migrate with one, a
// rotation to a new key-encryption key keeps them readable, a
// re-encryption seals them again under a new data key, and a store opened
// without the key refuses to read or write them. open opens the same
// database each call (closed at the test's end); queryInt queries it as
// its owner.
func SealOnMigrate(t *testing.T, open func(t *testing.T, keys *keyring.Ring) store.Store, queryInt func(t *testing.T, sql string, args ...any) int64) {
	ctx := context.Background()
	plain := open(t, nil)
	_, err := plain.Migrate(ctx)
	must(t, err)
	c, err := plain.CreateClinic(ctx, store.CreateClinicParams{Name: "sealing"})
	must(t, err)
	py, err := plain.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c.ID, PayerID: "87726", Name: "Example Health"})
	must(t, err)
	pt, err := plain.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "M1", FirstName: "Dorothy", LastName: "Vaughan",
		BirthDate: date(1910, 9, 20), Phone: "3045550100"})
	must(t, err)
	_, err = plain.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: c.ID, PatientID: pt.ID, PayerID: py.ID, MemberID: "DV1910"})
	must(t, err)
	_, err = plain.CreateClaim(ctx, store.CreateClaimParams{ClinicID: c.ID, PayerID: py.ID, PatientID: pt.ID, PatientControlNumber: "S1",
		Document: json.RawMessage(`{"last":"Vaughan"}`), Actor: "test"})
	must(t, err)
	clear := func() int64 {
		return queryInt(t, "SELECT count(*) FROM patients WHERE last_name = 'Vaughan'") +
			queryInt(t, "SELECT count(*) FROM coverages WHERE member_id = 'DV1910'") +
			queryInt(t, "SELECT count(*) FROM claim_documents WHERE CAST(document AS TEXT) LIKE '%Vaughan%'")
	}
	eq(t, "clear before", clear(), int64(3))

	k1, _, err := keyring.GenerateKey(nil)
	must(t, err)
	// A key configured before migrate made the field keys: clear rows
	// read, a protected value is not written clear.
	pending := open(t, &keyring.Ring{Primary: k1})
	got, err := pending.GetPatient(ctx, store.Ref{ClinicID: c.ID, ID: pt.ID})
	must(t, err)
	eq(t, "clear row read", got.LastName, "Vaughan")
	_, err = pending.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "M3", FirstName: "Annie", LastName: "Easley"})
	if err == nil || !strings.Contains(err.Error(), "clearhouse migrate") {
		t.Errorf("write before migrate made the field keys: %v", err)
	}
	sealed := open(t, &keyring.Ring{Primary: k1})
	_, err = sealed.Migrate(ctx)
	must(t, err)
	eq(t, "clear after migrate", clear(), int64(0))
	check := func(s store.Store, what string) {
		t.Helper()
		got, err := s.GetPatient(ctx, store.Ref{ClinicID: c.ID, ID: pt.ID})
		must(t, err)
		eq(t, what+": name", got.LastName, "Vaughan")
		eq(t, what+": birth", got.BirthDate, date(1910, 9, 20))
		covs, err := s.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: c.ID, MemberID: "DV1910"})
		must(t, err)
		eq(t, what+": by member", len(covs), 1)
		ps, err := s.ListPatients(ctx, store.ListPatientsParams{ClinicID: c.ID, LastName: "vaughan", BirthDate: date(1910, 9, 20)})
		must(t, err)
		eq(t, what+": by name and birth", len(ps), 1)
	}
	check(sealed, "after migrate")
	fk := sealed.(store.FieldKeys)
	st, err := fk.FieldKeyStatus(ctx)
	must(t, err)
	eq(t, "encrypts", st.Encrypts, true)
	eq(t, "keys", len(st.Keys), 2)
	eq(t, "clear values", len(st.Clear), 0)
	eq(t, "sealed values", st.Sealed[st.DataKey] >= 4, true)

	// A new key-encryption key, the old one kept as previous: the field
	// keys are wrapped again, the values stay as they are.
	k2, _, err := keyring.GenerateKey(nil)
	must(t, err)
	rotated := open(t, &keyring.Ring{Primary: k2, Previous: []*keyring.Key{k1}})
	rot, err := rotated.(store.FieldKeys).RotateFieldKeys(ctx, false)
	must(t, err)
	eq(t, "rewrapped", rot.Rewrapped, 2)
	eq(t, "same data key", rot.DataKey, st.DataKey)
	only2 := open(t, &keyring.Ring{Primary: k2})
	check(only2, "under the new key")
	rot, err = only2.(store.FieldKeys).RotateFieldKeys(ctx, true)
	must(t, err)
	if rot.DataKey == st.DataKey || rot.Resealed["patients"] != 1 || rot.Resealed["claim_documents"] != 1 {
		t.Errorf("re-encryption: %+v", rot)
	}
	check(only2, "re-encrypted")
	st2, err := only2.(store.FieldKeys).FieldKeyStatus(ctx)
	must(t, err)
	eq(t, "values under the old data key", st2.Sealed[st.DataKey], 0)
	check(open(t, &keyring.Ring{Primary: k2}), "reopened")

	// Without the key: reads and writes of protected values refuse.
	locked := open(t, nil)
	_, err = locked.GetPatient(ctx, store.Ref{ClinicID: c.ID, ID: pt.ID})
	if err == nil || strings.Contains(err.Error(), "Vaughan") {
		t.Errorf("read without the key: %v", err)
	}
	_, err = locked.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c.ID, MRN: "M2", FirstName: "Mary", LastName: "Jackson"})
	if err == nil || strings.Contains(err.Error(), "Jackson") {
		t.Errorf("write without the key: %v", err)
	}
	eq(t, "no clear write", queryInt(t, "SELECT count(*) FROM patients WHERE last_name = 'Jackson'"), int64(0))
}
