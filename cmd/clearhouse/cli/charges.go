package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// chargeFlags are the flags the charges commands share.
type chargeFlags struct {
	clinic  int64
	profile string
	output  string
}

func (f *chargeFlags) register(c *cobra.Command) {
	c.Flags().Int64Var(&f.clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	c.Flags().StringVar(&f.profile, "profile", "", "billing profile (YAML) whose fee schedule prices lines given without a charge")
	outputFlag(c, &f.output, []string{formatTable, formatJSON}, "")
}

// open checks the flags, opens the store and builds billing; close the
// store when done.
func (f *chargeFlags) open(ctx context.Context, env *Env) (*billing.Service, store.Store, int64, error) {
	if err := checkOutput(&f.output, formatTable, formatJSON); err != nil {
		return nil, nil, 0, err
	}
	var opts billing.Options
	if f.profile != "" {
		raw, err := os.ReadFile(f.profile)
		if err != nil {
			return nil, nil, 0, exitf(2, "--profile: %v", err)
		}
		if opts.Profiles, err = billing.LoadProfiles(f.profile, raw); err != nil {
			return nil, nil, 0, &ExitError{Code: 2, Err: err}
		}
	}
	st, err := env.openStore(ctx, storedb.Options{})
	if err != nil {
		return nil, nil, 0, &ExitError{Code: 2, Err: err}
	}
	clinic, err := clinicOrOnly(ctx, st, f.clinic)
	if err != nil {
		st.Close()
		return nil, nil, 0, err
	}
	if opts.Profiles == nil {
		if opts.Profiles, err = billing.StoredProfiles(ctx, st); err != nil {
			st.Close()
			return nil, nil, 0, &ExitError{Code: 2, Err: err}
		}
	}
	opts.Actor = env.actorName()
	svc, err := billing.New(st, opts)
	if err != nil {
		st.Close()
		return nil, nil, 0, &ExitError{Code: 2, Err: err}
	}
	return svc, st, clinic, nil
}

// clinicOrOnly returns id when set, else the ID of the database's only
// clinic.
func clinicOrOnly(ctx context.Context, st store.Store, id int64) (int64, error) {
	if id < 0 {
		return 0, exitf(2, "--clinic %d: want a positive clinic ID", id)
	}
	if id > 0 {
		if _, err := st.GetClinic(ctx, store.GetClinicParams{ClinicID: id}); err != nil {
			return 0, &ExitError{Code: 1, Err: err}
		}
		return id, nil
	}
	clinics, err := st.ListClinics(ctx)
	if err != nil {
		return 0, &ExitError{Code: 2, Err: err}
	}
	if len(clinics) == 0 {
		return 0, exitf(2, "the database has no clinic yet: set up the practice with clearhouse init (or clinics add)")
	}
	if len(clinics) != 1 {
		return 0, exitf(2, "the database has %d clinics: name one with --clinic", len(clinics))
	}
	return clinics[0].ID, nil
}

// chargesError maps a billing error to an exit status: 1 for refused
// input (bad rows, unknown patient or provider, no price), 2 otherwise
// (configuration, database).
func chargesError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	if errors.Is(err, billing.ErrConfig) {
		return &ExitError{Code: 2, Err: fmt.Errorf("%w (give --profile FILE with a fee schedule, or a charge on every line)", err)}
	}
	var re *billing.RowError
	for _, e := range []error{billing.ErrInput, billing.ErrNoPrice, store.ErrNotFound, store.ErrInvalid} {
		if errors.Is(err, e) {
			return &ExitError{Code: 1, Err: err}
		}
	}
	if errors.As(err, &re) {
		return &ExitError{Code: 1, Err: err}
	}
	return &ExitError{Code: 2, Err: err}
}

// newChargesCmd builds "clearhouse charges".
func newChargesCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "charges",
		Short: "Capture encounters and their charges",
	}
	c.AddCommand(newChargesAddCmd(env), newChargesImportCmd(env))
	return c
}

// encounterFlags are the flags of one encounter given on the command line.
type encounterFlags struct {
	patient, provider, coverage int64
	mrn, npi, date, pos         string
	lines, diagnoses            []string
	open                        bool
	file                        string
}

// input builds the encounter the flags describe.
func (f *encounterFlags) input(c *cobra.Command) (billing.EncounterInput, error) {
	if f.file != "" {
		for _, name := range []string{"patient", "mrn", "provider", "npi", "coverage", "date", "pos", "line", "diagnosis", "open"} {
			if c.Flags().Changed(name) {
				return billing.EncounterInput{}, exitf(2, "--file and --%s: the file describes the whole encounter", name)
			}
		}
		return readEncounterFile(f.file)
	}
	in := billing.EncounterInput{PatientID: f.patient, MRN: f.mrn, ProviderID: f.provider, ProviderNPI: f.npi,
		CoverageID: f.coverage, PlaceOfService: f.pos, Open: f.open}
	var errs []error
	if f.date == "" {
		errs = append(errs, errors.New("--date: required (YYYY-MM-DD)"))
	} else if d, err := claim.ParseDate(f.date); err != nil {
		errs = append(errs, fmt.Errorf("--date %q: want YYYY-MM-DD", f.date))
	} else {
		in.ServiceDate = d
	}
	for _, d := range f.diagnoses {
		in.Diagnoses = append(in.Diagnoses, normalizeDiagnosis(d))
	}
	for _, spec := range f.lines {
		l, err := parseLineSpec(spec, &in.Diagnoses)
		if err != nil {
			errs = append(errs, fmt.Errorf("--line %q: %w", spec, err))
			continue
		}
		in.Lines = append(in.Lines, l)
	}
	if len(f.lines) == 0 {
		errs = append(errs, errors.New(`--line: at least one, "CPT[:MOD...]:UNITS:DX1[,DX2][@CHARGE]"`))
	}
	if len(errs) > 0 {
		return in, &ExitError{Code: 2, Err: errors.Join(errs...)}
	}
	return in, nil
}

func normalizeDiagnosis(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), ".", ""))
}

// parseLineSpec reads a service line given as
// "CPT[:MOD[:MOD...]]:UNITS:DX1[,DX2...][@CHARGE]" (Loop 2400 SV1). Each DX
// is a diagnosis pointer (1-based, into the encounter's diagnoses) or an
// ICD-10-CM code, which is added to diagnoses when not there yet. CHARGE is
// a decimal dollar amount; without it the fee schedule prices the line.
func parseLineSpec(spec string, diagnoses *[]string) (billing.LineInput, error) {
	var l billing.LineInput
	if at := strings.LastIndexByte(spec, '@'); at >= 0 {
		amount := spec[at+1:]
		spec = spec[:at]
		c, err := parseDollars("line", amount)
		if err != nil || c == 0 {
			return l, fmt.Errorf("charge %q: want a positive amount like 125.00", amount)
		}
		l.ChargeCents = c
	}
	parts := strings.Split(spec, ":")
	if len(parts) < 3 {
		return l, errors.New("want CPT[:MOD...]:UNITS:DX1[,DX2]")
	}
	if len(parts) > 7 {
		return l, errors.New("at most four modifiers")
	}
	l.ProcedureCode = strings.ToUpper(strings.TrimSpace(parts[0]))
	if l.ProcedureCode == "" {
		return l, errors.New("procedure code missing")
	}
	for _, m := range parts[1 : len(parts)-2] {
		m = strings.ToUpper(strings.TrimSpace(m))
		if m == "" {
			return l, errors.New("empty modifier")
		}
		l.Modifiers = append(l.Modifiers, m)
	}
	units := strings.TrimSpace(parts[len(parts)-2])
	q, err := claim.ParseQuantity(units)
	if err != nil || q <= 0 {
		return l, fmt.Errorf("units %q: want a positive number", units)
	}
	l.Units = q
	for _, dx := range strings.Split(parts[len(parts)-1], ",") {
		dx = strings.TrimSpace(dx)
		if dx == "" {
			return l, errors.New("diagnosis missing: give a pointer (1, 2, ...) or an ICD-10-CM code")
		}
		if n, err := strconv.Atoi(dx); err == nil {
			if n < 1 {
				return l, fmt.Errorf("diagnosis pointer %d: pointers start at 1", n)
			}
			l.DiagnosisPointers = append(l.DiagnosisPointers, n)
			continue
		}
		code := normalizeDiagnosis(dx)
		ptr := 0
		for i, d := range *diagnoses {
			if d == code {
				ptr = i + 1
				break
			}
		}
		if ptr == 0 {
			*diagnoses = append(*diagnoses, code)
			ptr = len(*diagnoses)
		}
		l.DiagnosisPointers = append(l.DiagnosisPointers, ptr)
	}
	return l, nil
}

// readEncounterFile reads one encounter as JSON (billing.EncounterInput);
// errors name the file and line.
func readEncounterFile(name string) (billing.EncounterInput, error) {
	var in billing.EncounterInput
	raw, err := os.ReadFile(name)
	if err != nil {
		return in, exitf(2, "--file: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		// Syntax and type errors know where they are; a value refused by a
		// field's own decoder (a date, a quantity) is only known to be in
		// the encounter, so no line is claimed for it.
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		offset := int64(-1)
		switch {
		case errors.As(err, &se):
			offset = se.Offset
		case errors.As(err, &te):
			offset = te.Offset
		}
		if offset < 0 {
			return in, &ExitError{Code: 1, Err: fmt.Errorf("%s: %w: %v", name, billing.ErrInput, err)}
		}
		return in, &ExitError{Code: 1, Err: fmt.Errorf("%s:%d: %w: %v", name, lineAt(raw, offset), billing.ErrInput, err)}
	}
	if _, err := dec.Token(); err != io.EOF {
		return in, &ExitError{Code: 1, Err: fmt.Errorf("%s:%d: %w: more than one encounter (give one JSON object; import a list with charges import)",
			name, lineAt(raw, dec.InputOffset()), billing.ErrInput)}
	}
	return in, nil
}

// lineAt is the 1-based line of a byte offset.
func lineAt(raw []byte, offset int64) int {
	return 1 + bytes.Count(raw[:min(int(offset), len(raw))], []byte("\n"))
}

func newChargesAddCmd(env *Env) *cobra.Command {
	var f chargeFlags
	var e encounterFlags
	c := &cobra.Command{
		Use:   "add",
		Short: "Record one encounter and its charges",
		Long: "add records an encounter (a visit) and its service lines, ready to bill unless --open.\n" +
			"Each --line is CPT[:MOD[:MOD...]]:UNITS:DX1[,DX2...][@CHARGE], e.g. 99213:25:1:J06.9 or\n" +
			"87880:QW:1:2@50.00: a DX is a diagnosis pointer (1-based into --diagnosis) or an ICD-10-CM\n" +
			"code, added to the diagnoses in order of first use. Lines without @CHARGE are priced from the\n" +
			"fee schedule of --profile. --file reads the whole encounter from JSON instead:\n" +
			`{"mrn": "MRN100", "providerNpi": "1659412344", "serviceDate": "2026-04-02",` + "\n" +
			` "diagnoses": ["J069"], "lines": [{"procedureCode": "99213", "units": 1, "chargeCents": 12500}]}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in, err := e.input(cmd)
			if err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			svc, st, clinic, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			ce, err := svc.CaptureEncounter(ctx, clinic, in)
			if err != nil {
				return chargesError(err)
			}
			if f.output == "json" {
				return writeJSON(env, encounterView(ce))
			}
			return writeEncounter(env, ce)
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.Int64Var(&e.patient, "patient", 0, "patient ID")
	fl.StringVar(&e.mrn, "mrn", "", "patient medical record number (instead of --patient)")
	fl.Int64Var(&e.provider, "provider", 0, "rendering provider ID")
	fl.StringVar(&e.npi, "npi", "", "rendering provider NPI (instead of --provider)")
	fl.Int64Var(&e.coverage, "coverage", 0, "coverage ID to bill (default: the patient's primary coverage)")
	fl.StringVar(&e.date, "date", "", "date of service, YYYY-MM-DD")
	fl.StringVar(&e.pos, "pos", "", "place of service code (default 11, office)")
	fl.StringArrayVar(&e.lines, "line", nil, "service line CPT[:MOD...]:UNITS:DX1[,DX2][@CHARGE] (repeat)")
	fl.StringSliceVar(&e.diagnoses, "diagnosis", nil, "ICD-10-CM codes in pointer order (repeat or comma-separate)")
	fl.BoolVar(&e.open, "open", false, "keep the encounter open for more charges")
	fl.StringVar(&e.file, "file", "", "read the encounter from a JSON file")
	return c
}

func newChargesImportCmd(env *Env) *cobra.Command {
	var f chargeFlags
	c := &cobra.Command{
		Use:   "import FILE.csv|FILE.json",
		Short: "Import encounters and charges from a CSV or JSON file, all or nothing",
		Long: "import stores every encounter of the file in one transaction: when a row is wrong nothing is\n" +
			"stored and every bad row is reported with its file and line.\n\n" +
			"CSV: a header row naming the columns encounter, mrn, provider_npi, service_date, diagnoses,\n" +
			"procedure (required) and modifiers, pointers, units, charge, place_of_service; one row per\n" +
			"service line, rows of an encounter share its key; lists are separated by |.\n" +
			"JSON: an array of encounters in the form charges add --file reads.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmdContext(cmd)
			file, err := os.Open(args[0])
			if err != nil {
				return exitf(2, "%v", err)
			}
			defer file.Close()
			svc, st, clinic, err := f.open(ctx, env)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := svc.ImportCharges(ctx, clinic, args[0], file)
			if err != nil {
				return chargesError(err)
			}
			fmt.Fprintf(env.Stderr, "imported %d encounters, %d lines from %s\n", len(res.Encounters), res.Lines, args[0])
			if f.output == "json" {
				views := make([]encounterJSON, len(res.Encounters))
				for i, ce := range res.Encounters {
					views[i] = encounterView(ce)
				}
				return writeJSON(env, views)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ENCOUNTER\tSTATUS\tPATIENT\tPROVIDER\tDATE\tDIAGNOSES\tLINES\tCHARGES")
			for _, ce := range res.Encounters {
				e := ce.Encounter
				fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%d\t%s\n", e.ID, e.Status, e.PatientID, e.ProviderID,
					e.ServiceDate.Format(time.DateOnly), strings.Join(e.DiagnosisCodes, " "), len(ce.Charges), money.Cents(totalCharges(ce.Charges)).Dollars())
			}
			return tw.Flush()
		},
	}
	f.register(c)
	return c
}

func totalCharges(cs []store.Charge) int64 {
	var t int64
	for _, c := range cs {
		t += c.ChargeCents
	}
	return t
}

// writeEncounter prints an encounter and its charges as a table.
func writeEncounter(env *Env, ce billing.CapturedEncounter) error {
	e := ce.Encounter
	cov := "primary"
	if e.CoverageID != nil {
		cov = strconv.FormatInt(*e.CoverageID, 10)
	}
	fmt.Fprintf(env.Stdout, "encounter %d: %s, patient %d, provider %d, coverage %s, date of service %s, place of service %s\n",
		e.ID, e.Status, e.PatientID, e.ProviderID, cov, e.ServiceDate.Format(time.DateOnly), e.PlaceOfService)
	fmt.Fprintf(env.Stdout, "diagnoses: %s\n", strings.Join(e.DiagnosisCodes, " "))
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "LINE\tCHARGE ID\tPROCEDURE\tMODIFIERS\tUNITS\tPOINTERS\tCHARGE\t")
	for _, c := range ce.Charges {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", c.LineNumber, c.ID, c.ProcedureCode, dash(strings.Join(c.Modifiers, " ")),
			claim.Quantity(c.UnitsMilli), joinInts(c.DiagnosisPointers), money.Cents(c.ChargeCents).Dollars())
	}
	fmt.Fprintf(tw, "\t\t\t\t\ttotal\t%s\t\n", money.Cents(totalCharges(ce.Charges)).Dollars())
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// encounterJSON is the JSON form of a captured encounter.
type encounterJSON struct {
	ID             int64        `json:"id"`
	ClinicID       int64        `json:"clinicId"`
	PatientID      int64        `json:"patientId"`
	ProviderID     int64        `json:"providerId"`
	CoverageID     *int64       `json:"coverageId,omitempty"`
	ServiceDate    string       `json:"serviceDate"`
	PlaceOfService string       `json:"placeOfService"`
	Diagnoses      []string     `json:"diagnoses"`
	Status         string       `json:"status"`
	Charges        []chargeJSON `json:"charges"`
	TotalCents     int64        `json:"totalCents"`
}

type chargeJSON struct {
	ID                int64          `json:"id"`
	Line              int            `json:"line"`
	ProcedureCode     string         `json:"procedureCode"`
	Modifiers         []string       `json:"modifiers,omitempty"`
	DiagnosisPointers []int          `json:"diagnosisPointers"`
	Units             claim.Quantity `json:"units"`
	ChargeCents       int64          `json:"chargeCents"`
}

func encounterView(ce billing.CapturedEncounter) encounterJSON {
	e := ce.Encounter
	v := encounterJSON{ID: e.ID, ClinicID: e.ClinicID, PatientID: e.PatientID, ProviderID: e.ProviderID, CoverageID: e.CoverageID,
		ServiceDate: e.ServiceDate.Format(time.DateOnly), PlaceOfService: e.PlaceOfService, Diagnoses: e.DiagnosisCodes,
		Status: e.Status, Charges: make([]chargeJSON, len(ce.Charges)), TotalCents: totalCharges(ce.Charges)}
	for i, c := range ce.Charges {
		v.Charges[i] = chargeJSON{ID: c.ID, Line: c.LineNumber, ProcedureCode: c.ProcedureCode, Modifiers: c.Modifiers,
			DiagnosisPointers: c.DiagnosisPointers, Units: claim.Quantity(c.UnitsMilli), ChargeCents: c.ChargeCents}
	}
	return v
}

func writeJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
