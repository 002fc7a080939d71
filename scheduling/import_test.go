package scheduling_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// TestImport imports each testdata/import/*.csv file and compares what it
// booked, or its errors, with the .golden file beside it.
func TestImport(t *testing.T) {
	files, err := filepath.Glob("testdata/import/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatal("no import files", err)
	}
	eachBackend(t, func(t *testing.T, st store.Store) {
		for _, path := range files {
			name := strings.TrimSuffix(filepath.Base(path), ".csv")
			t.Run(name, func(t *testing.T) {
				ctx := context.Background()
				f := newFixture(t, st)
				in, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer in.Close()
				appts, err := f.svc.Import(ctx, scheduling.ImportParams{ClinicID: f.clinic.ID, FileName: filepath.Base(path), Input: in})
				var out strings.Builder
				if err != nil {
					if !errors.Is(err, scheduling.ErrImport) {
						t.Fatalf("error does not wrap ErrImport: %v", err)
					}
					fmt.Fprintf(&out, "error: %v\n", err)
				}
				byID := map[int64]string{f.jane.ID: "MRN100", f.tommy.ID: "MRN300", f.walter.ID: "MRN400", f.rita.ID: "MRN500", f.sam.ID: "MRN600"}
				prov := map[int64]string{f.drKim.ID: "KIM", f.drLee.ID: "LEE"}
				for _, a := range appts {
					cov := "none"
					if a.CoverageID != nil {
						cov = "primary"
						if *a.CoverageID != f.janeCov.ID && *a.CoverageID != f.tommyCov.ID {
							cov = "other"
						}
					}
					fmt.Fprintf(&out, "%s %s %s-%s %s coverage=%s reason=%q\n", byID[a.PatientID], prov[a.ProviderID],
						a.StartsAt.In(est).Format("2006-01-02 15:04"), a.EndsAt.In(est).Format("15:04"), a.Status, cov, a.Reason)
				}
				// Row IDs differ between backends: name them.
				text := regexp.MustCompile(`appointment \d+`).ReplaceAllString(out.String(), "appointment N")
				text = strings.ReplaceAll(text, fmt.Sprintf("provider %d,", f.drKim.ID), "provider KIM,")
				text = strings.ReplaceAll(text, fmt.Sprintf("provider %d ", f.drKim.ID), "provider KIM ")
				golden(t, "import/"+name+".golden", []byte(text))
				// All or nothing.
				all, err := st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: f.clinic.ID})
				if err != nil || len(all) != len(appts) {
					t.Fatalf("%d appointments stored, %d imported (%v)", len(all), len(appts), err)
				}
			})
		}
	})
}

func TestImportConflictsWithBook(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		f.book(t, f.walter.ID, f.drKim.ID, at(2026, 3, 4, 9, 0))
		in := "patient_mrn,provider_npi,date,time\nMRN100,1659412344,2026-03-04,08:45\nMRN300,1659412344,2026-03-04,09:10\n"
		_, err := f.svc.Import(ctx, scheduling.ImportParams{ClinicID: f.clinic.ID, FileName: "day.csv", Input: strings.NewReader(in)})
		var ie *scheduling.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 3 || !errors.Is(err, scheduling.ErrDoubleBooked) {
			t.Fatalf("err = %v", err)
		}
		all, _ := st.ListAppointments(ctx, store.ListAppointmentsParams{ClinicID: f.clinic.ID})
		if len(all) != 1 {
			t.Fatalf("%d appointments: the file was partly imported", len(all))
		}
	})
}
