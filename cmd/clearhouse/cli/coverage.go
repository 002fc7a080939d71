package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clearhouse/clearhouse/registration"
	"github.com/clearhouse/clearhouse/store"
)

// coverageFlags are a coverage's fields on the command line.
type coverageFlags struct {
	patient, payer, member, group, relationship string
	subFirst, subLast, subBirth, from, to       string
	priority                                    int
}

func (f *coverageFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.patient, "patient", f.patient, "the patient: ID or MRN")
	fs.StringVar(&f.payer, "payer", f.payer, "the payer: its payer ID (e.g. KHP01) or row ID; register it first with payers add")
	fs.StringVar(&f.member, "member-id", f.member, "subscriber's member ID (Loop 2010BA NM109)")
	fs.StringVar(&f.group, "group", f.group, "group or policy number (SBR03)")
	fs.IntVar(&f.priority, "priority", f.priority, "1 primary, 2 secondary, 3 tertiary")
	fs.StringVar(&f.relationship, "relationship", f.relationship, "patient's relationship to the subscriber: 18 self (default), 01 spouse, 19 child, 20 employee, 21 unknown, 39, 40, 53 life partner, G8 other")
	fs.StringVar(&f.subFirst, "subscriber-first", f.subFirst, "subscriber's first name, when not the patient")
	fs.StringVar(&f.subLast, "subscriber-last", f.subLast, "subscriber's last name, when not the patient")
	fs.StringVar(&f.subBirth, "subscriber-birth-date", f.subBirth, "subscriber's birth date, YYYY-MM-DD")
	fs.StringVar(&f.from, "effective-from", f.from, "first day of coverage, YYYY-MM-DD")
	fs.StringVar(&f.to, "effective-to", f.to, "last day of coverage, YYYY-MM-DD (empty: open)")
}

func coverageFlagsOf(c store.Coverage, payerIDs map[int64]string) coverageFlags {
	return coverageFlags{patient: itoa64(c.PatientID), payer: payerIDs[c.PayerID], member: c.MemberID, group: c.GroupNumber,
		relationship: c.RelationshipCode, subFirst: c.SubscriberFirst, subLast: c.SubscriberLast, subBirth: dateString(c.SubscriberBirth),
		from: dateString(c.EffectiveFrom), to: dateString(c.EffectiveTo), priority: c.Priority}
}

// input is the coverage the flags describe, with its patient and payer
// settled in the clinic.
func (f coverageFlags) input(ctx context.Context, q store.Queries, clinicID int64) (registration.CoverageInput, error) {
	var in registration.CoverageInput
	for _, d := range []struct {
		flag, v string
		dst     *time.Time
	}{{"subscriber-birth-date", f.subBirth, &in.SubscriberBirth}, {"effective-from", f.from, &in.EffectiveFrom}, {"effective-to", f.to, &in.EffectiveTo}} {
		t, err := registration.ParseDate(d.v)
		if err != nil {
			return in, exitf(2, "--%s %q: want YYYY-MM-DD", d.flag, d.v)
		}
		*d.dst = t
	}
	if f.patient == "" {
		return in, exitf(2, "--patient is required (an ID or MRN)")
	}
	if f.payer == "" {
		return in, exitf(2, "--payer is required (a payer ID such as KHP01)")
	}
	p, err := patientRef(ctx, q, clinicID, f.patient)
	if err != nil {
		return in, regError(err)
	}
	py, err := payerRef(ctx, q, clinicID, f.payer)
	if err != nil {
		return in, &ExitError{Code: 1, Err: fmt.Errorf("payer %q is not registered for this clinic (clearhouse payers add %s): %w", f.payer, strings.ToUpper(f.payer), err)}
	}
	in.PatientID, in.Payer, in.MemberID, in.GroupNumber, in.Priority = p.ID, py.ID, f.member, f.group, f.priority
	in.Relationship, in.SubscriberFirst, in.SubscriberLast = f.relationship, f.subFirst, f.subLast
	return in, nil
}

type coverageView struct {
	ID           int64  `json:"id"`
	PatientID    int64  `json:"patient_id"`
	Payer        string `json:"payer"`
	MemberID     string `json:"member_id"`
	GroupNumber  string `json:"group_number"`
	Priority     int    `json:"priority"`
	Relationship string `json:"relationship"`
	Subscriber   struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		BirthDate string `json:"birth_date"`
	} `json:"subscriber"`
	EffectiveFrom string `json:"effective_from"`
	EffectiveTo   string `json:"effective_to"`
	Eligibility   string `json:"eligibility"`
}

func viewCoverage(c store.Coverage, payerIDs map[int64]string) coverageView {
	v := coverageView{ID: c.ID, PatientID: c.PatientID, Payer: payerIDs[c.PayerID], MemberID: c.MemberID, GroupNumber: c.GroupNumber,
		Priority: c.Priority, Relationship: c.RelationshipCode, EffectiveFrom: dateString(c.EffectiveFrom),
		EffectiveTo: dateString(c.EffectiveTo), Eligibility: c.EligibilityStatus}
	v.Subscriber.FirstName, v.Subscriber.LastName, v.Subscriber.BirthDate = c.SubscriberFirst, c.SubscriberLast, dateString(c.SubscriberBirth)
	return v
}

var priorityNames = map[int]string{1: "primary", 2: "secondary", 3: "tertiary"}

func priorityName(p int) string {
	if n, ok := priorityNames[p]; ok {
		return n
	}
	return strconv.Itoa(p)
}

// coverageLine is a coverage in one line: "primary KHP01 member K1 (self), 2026-01-01..".
func coverageLine(c store.Coverage, payerIDs map[int64]string) string {
	rel := "self"
	if c.RelationshipCode != "18" && c.RelationshipCode != "" {
		rel = c.RelationshipCode + ", subscriber " + strings.TrimSpace(c.SubscriberFirst+" "+c.SubscriberLast)
	}
	s := fmt.Sprintf("%s %s member %s (%s)", priorityName(c.Priority), payerIDs[c.PayerID], c.MemberID, rel)
	if !c.EffectiveFrom.IsZero() || !c.EffectiveTo.IsZero() {
		s += ", " + dateString(c.EffectiveFrom) + ".." + dateString(c.EffectiveTo)
	}
	return s + ", eligibility " + c.EligibilityStatus
}

func coverageFields(c store.Coverage, payerIDs map[int64]string) []field {
	v := viewCoverage(c, payerIDs)
	sub := strings.TrimSpace(c.SubscriberFirst + " " + c.SubscriberLast)
	if v.Subscriber.BirthDate != "" {
		sub += ", born " + v.Subscriber.BirthDate
	}
	return []field{{"id", itoa64(c.ID)}, {"patient", itoa64(c.PatientID)}, {"payer", v.Payer}, {"member id", c.MemberID},
		{"group", c.GroupNumber}, {"priority", priorityName(c.Priority)}, {"relationship", c.RelationshipCode}, {"subscriber", sub},
		{"effective", strings.Trim(v.EffectiveFrom+".."+v.EffectiveTo, ".")}, {"eligibility", c.EligibilityStatus}}
}

// payerCodes maps the clinic's payer rows to their payer IDs.
func payerCodes(ctx context.Context, q store.Queries, clinicID int64) (map[int64]string, error) {
	ps, err := q.ListPayers(ctx, store.ListPayersParams{ClinicID: clinicID})
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(ps))
	for _, p := range ps {
		m[p.ID] = p.PayerID
	}
	return m, nil
}

// newCoverageCmd builds "clearhouse coverage".
func newCoverageCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "coverage",
		Short: "Register patients' insurance: primary, secondary, tertiary, subscriber and effective dates",
	}
	c.AddCommand(newCoverageAddCmd(env), newCoverageListCmd(env), newCoverageShowCmd(env), newCoverageUpdateCmd(env), newCoverageImportCmd(env))
	return c
}

func newCoverageAddCmd(env *Env) *cobra.Command {
	var f regFlags
	var cf coverageFlags
	c := &cobra.Command{
		Use:   "add",
		Short: "Register a patient's coverage with a registered payer",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			in, err := cf.input(ctx, s.st, s.clinic)
			if err != nil {
				return err
			}
			cv, err := s.svc.AddCoverage(ctx, s.clinic, in)
			if err != nil {
				return regError(err)
			}
			return s.writeCoverage(ctx, env, f.output, cv)
		},
	}
	cf.bind(c.Flags())
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func (s *regSession) writeCoverage(ctx context.Context, env *Env, format string, cv store.Coverage) error {
	ids, err := payerCodes(ctx, s.st, s.clinic)
	if err != nil {
		return regError(err)
	}
	return writeRecord(env.Stdout, format, coverageFields(cv, ids), viewCoverage(cv, ids))
}

func newCoverageListCmd(env *Env) *cobra.Command {
	var f regFlags
	var sortBy, patient, payer string
	c := &cobra.Command{
		Use:   "list",
		Short: "List coverages, of one patient or payer or all",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON, formatCSV); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			p := store.ListCoveragesParams{ClinicID: s.clinic}
			if patient != "" {
				pt, err := patientRef(ctx, s.st, s.clinic, patient)
				if err != nil {
					return regError(err)
				}
				p.PatientID = pt.ID
			}
			if payer != "" {
				py, err := payerRef(ctx, s.st, s.clinic, payer)
				if err != nil {
					return regError(err)
				}
				p.PayerID = py.ID
			}
			covs, err := s.st.ListCoverages(ctx, p)
			if err != nil {
				return regError(err)
			}
			if err := env.auditReads(ctx, s.st, cmd, s.clinic, "coverage", idsOf(covs, func(c store.Coverage) int64 { return c.ID })); err != nil {
				return err
			}
			ids, err := payerCodes(ctx, s.st, s.clinic)
			if err != nil {
				return regError(err)
			}
			l := listing{columns: []string{"id", "patient", "priority", "payer", "member_id", "relationship", "from", "to", "eligibility"}}
			var js []any
			for _, c := range covs {
				v := viewCoverage(c, ids)
				l.rows = append(l.rows, []string{itoa64(c.ID), itoa64(c.PatientID), priorityName(c.Priority), v.Payer, c.MemberID,
					c.RelationshipCode, v.EffectiveFrom, v.EffectiveTo, c.EligibilityStatus})
				js = append(js, v)
			}
			l.json = js
			if err := sortListing(&l, sortBy); err != nil {
				return err
			}
			return writeListing(env.Stdout, f.output, l)
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().StringVar(&patient, "patient", "", "only this patient's coverages (ID or MRN)")
	c.Flags().StringVar(&payer, "payer", "", "only coverages with this payer (payer ID or row ID)")
	c.Flags().StringVar(&sortBy, "sort", "", "sort by a column (id, patient, priority, payer, ...); -field sorts descending")
	outputFlag(c, &f.output, []string{formatTable, formatJSON, formatCSV}, "")
	return c
}

func newCoverageShowCmd(env *Env) *cobra.Command {
	var f regFlags
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show a coverage",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "coverage")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cv, err := s.st.GetCoverage(ctx, store.Ref{ClinicID: s.clinic, ID: id})
			if err != nil {
				return regError(err)
			}
			if err := env.auditReads(ctx, s.st, cmd, s.clinic, "coverage", []int64{cv.ID}); err != nil {
				return err
			}
			return s.writeCoverage(ctx, env, f.output, cv)
		},
	}
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newCoverageUpdateCmd(env *Env) *cobra.Command {
	var f regFlags
	var cf coverageFlags
	c := &cobra.Command{
		Use:   "update ID",
		Short: "Change a coverage (payer, member ID, priority, subscriber, dates); flags not given keep their values",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
				return err
			}
			id, err := parseID(args[0], "coverage")
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			s, err := f.open(ctx, env, true)
			if err != nil {
				return err
			}
			defer s.Close()
			cur, err := s.st.GetCoverage(ctx, store.Ref{ClinicID: s.clinic, ID: id})
			if err != nil {
				return regError(err)
			}
			ids, err := payerCodes(ctx, s.st, s.clinic)
			if err != nil {
				return regError(err)
			}
			next := coverageFlagsOf(cur, ids)
			if err := overlay(cmd, next.bind); err != nil {
				return exitf(2, "%v", err)
			}
			in, err := next.input(ctx, s.st, s.clinic)
			if err != nil {
				return err
			}
			cv, err := s.svc.UpdateCoverage(ctx, s.clinic, id, in)
			if err != nil {
				return regError(err)
			}
			return s.writeCoverage(ctx, env, f.output, cv)
		},
	}
	cf.bind(c.Flags())
	f.register(c, true)
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
	return c
}

func newCoverageImportCmd(env *Env) *cobra.Command {
	return newRegImportCmd(env, regImport{noun: "coverages", short: "Register the coverages of a CSV file (- for standard input), all or none",
		columns: registration.CoverageColumns, rules: "mrn, payer_id and member_id are required.", needClinic: true,
		run: func(ctx context.Context, s *regSession, name string, r io.Reader) (registration.ImportResult, error) {
			return s.svc.ImportCoverages(ctx, s.clinic, name, r)
		}})
}
