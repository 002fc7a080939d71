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
	"gopkg.in/yaml.v3"
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

// TestImportMapping reads another system's export through a mapping file:
// its headers, its status values and its date layouts; a status the
// mapping does not translate is named with its line.
func TestImportMapping(t *testing.T) {
	raw, err := os.ReadFile("testdata/mapping/mapping.yaml")
	if err != nil {
		t.Fatal(err)
	}
	eachBackend(t, func(t *testing.T, st store.Store) {
		var m scheduling.ImportMapping
		if err := yaml.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		f := newFixture(t, st)
		in, err := os.ReadFile("testdata/mapping/export.csv")
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Import(ctx, scheduling.ImportParams{ClinicID: f.clinic.ID, FileName: "export.csv", Input: strings.NewReader(string(in)), Mapping: &m})
		var ie *scheduling.ImportError
		if !errors.As(err, &ie) || len(ie.Rows) != 1 || ie.Rows[0].Line != 5 || ie.Rows[0].Column != "status" {
			t.Fatalf("untranslated status: %v", err)
		}
		m.Statuses["Left Early"] = "completed"
		appts, err := f.svc.Import(ctx, scheduling.ImportParams{ClinicID: f.clinic.ID, FileName: "export.csv", Input: strings.NewReader(string(in)), Mapping: &m})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range appts {
			got = append(got, fmt.Sprintf("%s %s booked %s", a.StartsAt.In(est).Format("2006-01-02 15:04"), a.Status, a.BookedAt.In(est).Format("2006-01-02 15:04")))
		}
		want := []string{"2026-02-02 09:00 completed booked 2026-01-20 10:15", "2026-02-09 09:00 no_show booked 2026-01-25 14:30",
			"2026-02-02 09:00 cancelled booked 2026-01-15 08:00", "2026-02-03 14:30 completed booked 2026-01-28 09:00"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("imported\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// A future outcome is refused.
		_, err = f.svc.Import(ctx, scheduling.ImportParams{ClinicID: f.clinic.ID, FileName: "future.csv",
			Input: strings.NewReader("patient_mrn,provider_npi,date,time,status\nMRN500,1659412344,2026-03-10,09:00,no_show\n")})
		if !errors.As(err, &ie) || !errors.Is(err, scheduling.ErrInvalid) {
			t.Fatalf("future no-show: %v", err)
		}
	})
}
