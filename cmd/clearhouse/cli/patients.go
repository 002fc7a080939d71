package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// patientFlags are a patient's fields on the command line.
type patientFlags struct {
	mrn, first, last, birth, sex                  string
	addr1, addr2, city, state, postal             string
	phone, email, guarantor, guarantorRel, member string
	allowDuplicate                                bool
}

func (f *patientFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.mrn, "mrn", f.mrn, "medical record number, unique in the clinic")
	fs.StringVar(&f.first, "first-name", f.first, "first name")
	fs.StringVar(&f.last, "last-name", f.last, "last name")
	fs.StringVar(&f.birth, "birth-date", f.birth, "birth date, YYYY-MM-DD")
	fs.StringVar(&f.sex, "sex", f.sex, "F, M or U")
	fs.StringVar(&f.addr1, "address-line1", f.addr1, "address, first line")
	fs.StringVar(&f.addr2, "address-line2", f.addr2, "address, second line")
	fs.StringVar(&f.city, "city", f.city, "city")
	fs.StringVar(&f.state, "state", f.state, "state, two letters")
	fs.StringVar(&f.postal, "postal-code", f.postal, "ZIP code, 5 or 9 digits")
	fs.StringVar(&f.phone, "phone", f.phone, "phone number")
	fs.StringVar(&f.email, "email", f.email, "email address")
	fs.StringVar(&f.guarantor, "guarantor-name", f.guarantor, "who pays the patient's balance, when not the patient")
	fs.StringVar(&f.guarantorRel, "guarantor-relationship", f.guarantorRel, "the guarantor's relationship to the patient (X12 code: 01 spouse, 19 child's parent, G8 other, ...)")
}

func patientFlagsOf(p store.Patient) patientFlags {
	return patientFlags{mrn: p.MRN, first: p.FirstName, last: p.LastName, birth: dateString(p.BirthDate), sex: p.Sex,
		addr1: p.AddressLine1, addr2: p.AddressLine2, city: p.City, state: p.State, postal: p.PostalCode, phone: p.Phone,
		email: p.Email, guarantor: p.GuarantorName, guarantorRel: p.GuarantorRelationship}
}

func (f patientFlags) input() (registration.PatientInput, error) {
	birth, err := registration.ParseDate(f.birth)
	if err != nil {
		return registration.PatientInput{}, exitf(2, "--birth-date %q: want YYYY-MM-DD", f.birth)
	}
	return registration.PatientInput{MRN: f.mrn, FirstName: f.first, LastName: f.last, BirthDate: birth, Sex: f.sex,
		AddressLine1: f.addr1, AddressLine2: f.addr2, City: f.city, State: strings.ToUpper(f.state), PostalCode: f.postal,
		Phone: f.phone, Email: f.email, GuarantorName: f.guarantor, GuarantorRelationship: strings.ToUpper(f.guarantorRel),
		MemberID: f.member, AllowDuplicate: f.allowDuplicate}, nil
}

type patientView struct {
	ID        int64       `json:"id"`
	MRN       string      `json:"mrn"`
	FirstName string      `json:"first_name"`
	LastName  string      `json:"last_name"`
	BirthDate string      `json:"birth_date"`
	Sex       string      `json:"sex"`
	Address   addressView `json:"address"`
	Phone     string      `json:"phone"`
	Email     string      `json:"email"`
	Guarantor struct {
		Name         string `json:"name"`
		Relationship string `json:"relationship"`
	} `json:"guarantor"`
	MergedInto *int64 `json:"merged_into"`
}

func viewPatient(p store.Patient) patientView {
	v := patientView{ID: p.ID, MRN: p.MRN, FirstName: p.FirstName, LastName: p.LastName, BirthDate: dateString(p.BirthDate), Sex: p.Sex,
		Address: addressView{Line1: p.AddressLine1, Line2: p.AddressLine2, City: p.City, State: p.State, PostalCode: p.PostalCode},
		Phone:   p.Phone, Email: p.Email, MergedInto: p.MergedInto}
	v.Guarantor.Name, v.Guarantor.Relationship = p.GuarantorName, p.GuarantorRelationship
	return v
}

func mergedInto(p store.Patient) string {
	if p.MergedInto == nil {
		return ""
	}
	return itoa64(*p.MergedInto)
}

func patientFields(p store.Patient) []field {
	v := viewPatient(p)
	g := ""
	if p.GuarantorName != "" {
		g = p.GuarantorName + " (" + p.GuarantorRelationship + ")"
	}
	return []field{{"id", itoa64(p.ID)}, {"mrn", p.MRN}, {"name", p.LastName + ", " + p.FirstName}, {"birth date", v.BirthDate},
		{"sex", p.Sex}, {"address", addressLine(v.Address)}, {"phone", p.Phone}, {"email", p.Email}, {"guarantor", g},
		{"merged into", mergedInto(p)}}
}

// patientRef finds a patient by ID or MRN.
func patientRef(ctx context.Context, q store.Queries, clinicID int64, arg string) (store.Patient, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		if p, err := q.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: id}); err == nil {
			return p, nil
		}
	}
	ps, err := q.ListPatients(ctx, store.ListPatientsParams{ClinicID: clinicID, MRN: arg})
	if err != nil {
		return store.Patient{}, err
	}
	if len(ps) == 0 {
		return store.Patient{}, fmt.Errorf("patient %q (an ID or MRN): %w", arg, store.ErrNotFound)
	}
	return ps[0], nil
}

// writePatient shows a patient with their coverages.
func (s *regSession) writePatient(ctx context.Context, env *Env, format string, p store.Patient) error {
	covs, err := s.st.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: s.clinic, PatientID: p.ID})
	if err != nil {
		return regError(err)
	}
	payerIDs, err := payerCodes(ctx, s.st, s.clinic)
	if err != nil {
		return regError(err)
	}
	fields := patientFields(p)
	views := []coverageView{}
	for _, c := range covs {
		fields = append(fields, field{"coverage " + itoa64(c.ID), coverageLine(c, payerIDs)})
		views = append(views, viewCoverage(c, payerIDs))
	}
	return writeRecord(env.Stdout, format, fields, struct {
		patientView
		Coverages []coverageView `json:"coverages"`
	}{viewPatient(p), views})
}

// newPatientsCmd builds "clearhouse patients".
func newPatientsCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "patients",
		Short: "Register patients: demographics, contact, guarantor; find and merge duplicates; reminder preferences",
	}
	c.AddCommand(newPatientsAddCmd(env), newPatientsListCmd(env), newPatientsShowCmd(env), newPatientsUpdateCmd(env),
		newPatientsImportCmd(env), newPatientsMergeCmd(env), newPatientsRemindersCmd(env))
	return c
}

func newPatientsAddCmd(env *Env) *cobra.Command {
	var f regFlags
	var pf patientFlags
	var payer, group string
	c := &cobra.Command{
		Use:   "add",
		Short: "Register a patient (refused when it looks like a registered patient: same name and birth date, or same member ID and birth date)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			in, err := pf.input()
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			if payer == "" {
				p, err := s.svc.AddPatient(ctx, s.clinic, in)
				if err != nil {
					return regError(err)
				}
				return writeRecord(env.Stdout, f.output, patientFields(p), viewPatient(p))
			}
			// The patient and their primary coverage, in one transaction.
			if in.MemberID == "" {
				return exitf(2, "--payer needs --member-id")
			}
			py, err := payerRef(ctx, s.st, s.clinic, payer)
			if err != nil {
				return &ExitError{Code: 1, Err: fmt.Errorf("payer %q is not registered for this clinic (clearhouse payers add %s): %w", payer, strings.ToUpper(payer), err)}
			}
			ps, err := s.svc.RegisterPatients(ctx, s.clinic, []registration.PatientRegistration{{Patient: in,
				Coverages: []registration.CoverageInput{{Payer: py.ID, MemberID: in.MemberID, GroupNumber: group}}}})
			if err != nil {
				return regError(err)
			}
			return s.writePatient(ctx, env, f.output, ps[0])
		},
	}
	pf.bind(c.Flags())
	c.Flags().StringVar(&pf.member, "member-id", "", "the patient's insurance member ID, checked for duplicates; with --payer, registers the primary coverage")
	c.Flags().StringVar(&payer, "payer", "", "register the patient's primary coverage with this payer (payer ID) in the same step")
	c.Flags().StringVar(&group, "group", "", "group or policy number of the coverage --payer registers")
	c.Flags().BoolVar(&pf.allowDuplicate, "allow-duplicate", false, "register even when the patient looks like one already registered")
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newPatientsListCmd(env *Env) *cobra.Command {
	var f regFlags
	var sortBy, name, birth string
	var limit int
	c := &cobra.Command{
		Use:   "list",
		Short: "List patients",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			bd, err := registration.ParseDate(birth)
			if err != nil {
				return exitf(2, "--birth-date %q: want YYYY-MM-DD", birth)
			}
			if limit < 0 {
				return exitf(2, "--limit %d: want zero (no limit) or more", limit)
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			ps, err := s.st.ListPatients(ctx, store.ListPatientsParams{ClinicID: s.clinic, Name: name, BirthDate: bd, Limit: limit})
			if err != nil {
				return regError(err)
			}
			if err := env.auditReads(ctx, s.st, cmd, s.clinic, "patient", idsOf(ps, func(p store.Patient) int64 { return p.ID })); err != nil {
				return err
			}
			l := listing{columns: []string{"id", "mrn", "name", "birth_date", "sex", "city", "phone", "merged_into"}}
			var js []any
			for _, p := range ps {
				l.rows = append(l.rows, []string{itoa64(p.ID), p.MRN, p.LastName + ", " + p.FirstName, dateString(p.BirthDate), p.Sex,
					p.City, p.Phone, mergedInto(p)})
				js = append(js, viewPatient(p))
			}
			l.json = js
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, f.output, l)
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().StringVar(&name, "name", "", "only patients whose first or last name starts with this")
	c.Flags().StringVar(&birth, "birth-date", "", "only patients born on this date, YYYY-MM-DD")
	c.Flags().IntVar(&limit, "limit", 0, "show at most this many patients")
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (id, mrn, name, birth_date, ...); -field sorts descending")
	outputFlag(c, &f.output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newPatientsShowCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "show ID|MRN",
		Short: "Show a patient with their coverages",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			p, err := patientRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			if err := env.auditReads(ctx, s.st, cmd, s.clinic, "patient", []int64{p.ID}); err != nil {
				return err
			}
			return s.writePatient(ctx, env, f.output, p)
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newPatientsUpdateCmd(env *Env) *cobra.Command {
	var f regFlags
	var pf patientFlags
	c := &cobra.Command{
		Use:   "update ID|MRN",
		Short: "Change a patient's demographics, contact or guarantor; flags not given keep their values",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := patientRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			next := patientFlagsOf(cur)
			if err := overlay(cmd, next.bind); err != nil {
				return exitf(2, "%v", err)
			}
			in, err := next.input()
			if err != nil {
				return err
			}
			p, err := s.svc.UpdatePatient(ctx, s.clinic, cur.ID, in)
			if err != nil {
				return regError(err)
			}
			return writeRecord(env.Stdout, f.output, patientFields(p), viewPatient(p))
		},
	}
	pf.bind(c.Flags())
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newPatientsImportCmd(env *Env) *cobra.Command {
	var allowDuplicates bool
	c := newRegImportCmd(env, regImport{noun: "patients", short: "Register the patients of a CSV file (- for standard input), all or none",
		columns: registration.PatientColumns, needClinic: true,
		rules: "mrn, first_name, last_name and birth_date are required. A possible duplicate\n" +
			"(of a registered patient or of an earlier row) fails the file unless --allow-duplicates.",
		run: func(ctx context.Context, s *regSession, name string, r io.Reader) (registration.ImportResult, error) {
			return s.svc.ImportPatients(ctx, s.clinic, name, r, allowDuplicates)
		}})
	c.Flags().BoolVar(&allowDuplicates, "allow-duplicates", false, "register rows that look like registered patients")
	return c
}

func newPatientsMergeCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "merge DUPLICATE INTO",
		Short: "Merge a duplicate patient into the patient of record: coverages, visits, claims, ledger and work items move",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			from, err := patientRef(ctx, s.st, s.clinic, args[0])
			if err != nil {
				return regError(err)
			}
			into, err := patientRef(ctx, s.st, s.clinic, args[1])
			if err != nil {
				return regError(err)
			}
			m, err := s.svc.MergePatients(ctx, s.clinic, from.ID, into.ID)
			if err != nil {
				return regError(err)
			}
			if f.output == formatJSON {
				return writeJSONTo(env.Stdout, map[string]any{"from": viewPatient(m.From), "into": viewPatient(m.Into), "moved": m.Moved})
			}
			fmt.Fprintf(env.Stdout, "merged patient %d (MRN %s) into patient %d (MRN %s)\n", m.From.ID, m.From.MRN, m.Into.ID, m.Into.MRN)
			tables := []string{"coverages", "appointments", "encounters", "claims", "ledger_entries", "worklist_items"}
			var moved []string
			for _, t := range tables {
				moved = append(moved, fmt.Sprintf("%s %d", strings.ReplaceAll(t, "_", " "), m.Moved[t]))
			}
			_, err = fmt.Fprintf(env.Stdout, "moved: %s\n", strings.Join(moved, ", "))
			return err
		},
	}
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}
