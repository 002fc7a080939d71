package cli

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/fhir"
)

// newFHIRCmd builds "clearhouse fhir": the EHR boundary.
func newFHIRCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "fhir",
		Short: "Import what an EHR exports as FHIR R4 (the read API is served by serve --fhir-tokens)",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newFHIRImportCmd(env))
	return c
}

func newFHIRImportCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "import FILE|DIR",
		Short: "Import FHIR R4 Bundles or bulk NDJSON into registrations, appointments and encounters with charges",
		Long: "Import what an EHR exports: a Bundle (.json), a single resource, or NDJSON (one resource per line, as\n" +
			"FHIR bulk data export writes). A directory imports each .json file as a batch and all its .ndjson\n" +
			"files together as one batch. Each batch is imported in one transaction, or not at all.\n\n" +
			"Organization (the clinic by NPI, or a payer registered for it by payer ID), Location (place of\n" +
			"service), Practitioner and PractitionerRole (providers by NPI and NUCC taxonomy), Patient and\n" +
			"RelatedPerson (patients and guarantors, with duplicate detection), Coverage, Appointment, and\n" +
			"Encounter with Condition, Procedure, ChargeItem or Claim (an encounter and its charges, priced from\n" +
			"the clinic's fee schedule when the EHR sends no price) are mapped; other types are reported as\n" +
			"skipped. A resource imported before is left alone at the same meta.versionId; a newer version\n" +
			"updates its patient, coverage or appointment (an imported encounter's charges are not changed).\n\n" +
			"Exit status 1 when a batch was not imported: every resource that could not be mapped is listed\n" +
			"with its reference and position. Exit status 2: the path cannot be read or is not FHIR JSON.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			batches, err := fhir.ReadPath(args[0])
			if err != nil {
				return exitf(2, "%v", err)
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			profiles, err := billing.StoredProfiles(ctx, s.st)
			if err != nil {
				return exitf(2, "profiles: %v", err)
			}
			bill, err := billing.New(s.st, billing.Options{Payers: s.svc.Payers(), Profiles: profiles, Actor: "cli"})
			if err != nil {
				return exitf(2, "%v", err)
			}
			im, err := fhir.NewImporter(fhir.ImportConfig{Store: s.st, Registration: s.svc, Billing: bill, Actor: "cli"})
			if err != nil {
				return exitf(2, "%v", err)
			}
			results := make([]fhir.Result, 0, len(batches))
			failed := 0
			for _, b := range batches {
				res, err := im.Import(ctx, s.clinic, b)
				if err != nil {
					if !errors.Is(err, fhir.ErrNotImported) {
						return exitf(2, "%v", err)
					}
					failed++
				}
				results = append(results, res)
			}
			if err := writeFHIRResults(env.Stdout, f.output, results); err != nil {
				return err
			}
			if failed > 0 {
				return exitf(1, "%d of %d batches not imported (nothing of them was written)", failed, len(batches))
			}
			return nil
		},
	}
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func writeFHIRResults(w io.Writer, format string, results []fhir.Result) error {
	if format == formatJSON {
		return writeJSONTo(w, results)
	}
	for _, r := range results {
		state := "imported"
		if !r.Committed {
			state = "NOT imported"
		}
		fmt.Fprintf(w, "%s: %s\n", r.Source, state)
		types := make([]string, 0, len(r.ByType))
		for t := range r.ByType {
			types = append(types, t)
		}
		sort.Strings(types)
		if len(types) > 0 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  RESOURCE\tCREATED\tUPDATED\tUNCHANGED")
			for _, t := range types {
				c := r.ByType[t]
				fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\n", t, c.Created, c.Updated, c.Unchanged)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		for _, p := range r.Skipped {
			fmt.Fprintf(w, "  skipped %s\n", p)
		}
		for _, p := range r.Errors {
			fmt.Fprintf(w, "  error %s\n", p)
		}
	}
	return nil
}
