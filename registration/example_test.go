package registration_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
)

// A practice registers itself, then a patient; the same person at the
// front desk again is refused, naming the patient already registered.
func ExampleService_AddPatient() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "registration-example")
	defer os.RemoveAll(dir)
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "practice.db")})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		panic(err)
	}
	sets, _ := codes.Load(codes.LoadOptions{Kinds: []codes.Kind{codes.Taxonomy}})
	reg, _ := fixtures.Payers()
	svc, err := registration.New(registration.Config{Store: st, Payers: reg, Codes: sets})
	if err != nil {
		panic(err)
	}
	p, err := svc.Setup(ctx, registration.Practice{
		Clinic:    registration.ClinicInput{Name: "Riverbend Family Medicine", NPI: "1234567893"},
		Providers: []registration.ProviderInput{{NPI: "1245319599", FirstName: "ANN", LastName: "KIM", TaxonomyCode: "207Q00000X"}},
		Payers:    []registration.PayerInput{{PayerID: "KHP01"}},
	})
	if err != nil {
		panic(err)
	}
	grace := registration.PatientInput{MRN: "MRN-1", FirstName: "Grace", LastName: "Hopper", BirthDate: time.Date(1950, 12, 9, 0, 0, 0, 0, time.UTC)}
	if _, err := svc.AddPatient(ctx, p.Clinic.ID, grace); err != nil {
		panic(err)
	}
	grace.MRN = "MRN-2"
	_, err = svc.AddPatient(ctx, p.Clinic.ID, grace)
	fmt.Println(err)
	// Output: possible duplicate of patient 1 (MRN MRN-1, Grace Hopper, born 1950-12-09): same name and birth date
}
