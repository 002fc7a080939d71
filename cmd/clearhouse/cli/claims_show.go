package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/predict"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storedb"
)

// addClaimsShowCmd adds "claims show" to the claims command.
func addClaimsShowCmd(parent *cobra.Command, env *Env) {
	parent.AddCommand(newClaimsShowCmd(env))
}

// claimRef finds a claim by ID or patient control number (CLM01).
func claimRef(ctx context.Context, q store.Queries, clinicID int64, arg string) (store.Claim, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		if c, err := q.GetClaim(ctx, store.Ref{ClinicID: clinicID, ID: id}); err == nil {
			return c, nil
		}
	}
	c, err := q.GetClaimByPatientControlNumber(ctx, store.GetClaimByPatientControlNumberParams{ClinicID: clinicID, PatientControlNumber: arg})
	if err != nil {
		return store.Claim{}, fmt.Errorf("claim %q (an ID or patient control number): %w", arg, store.ErrNotFound)
	}
	return c, nil
}

// claimDetail is everything known about one stored claim.
type claimDetail struct {
	ID                      int64   `json:"id"`
	PatientControlNumber    string  `json:"patient_control_number"`
	Status                  string  `json:"status"`
	Kind                    string  `json:"kind"`
	FrequencyCode           string  `json:"frequency_code"`
	OriginalClaimID         *int64  `json:"original_claim_id"`
	PayerClaimControlNumber string  `json:"payer_claim_control_number"`
	TotalChargeCents        int64   `json:"total_charge_cents"`
	ServiceDateFrom         string  `json:"service_date_from"`
	ServiceDateTo           string  `json:"service_date_to"`
	EncounterID             *int64  `json:"encounter_id"`
	InterchangeID           *int64  `json:"interchange_id"`
	Interchange             *ixView `json:"interchange"`

	// Document is the canonical claim (package claim): parties,
	// diagnoses, lines with modifiers and pointers, other payers.
	Document *claim.Claim `json:"claim"`

	Patient   patientView    `json:"patient"`
	Coverages []coverageView `json:"coverages"`

	StatusHistory   []historyView   `json:"status_history"`
	Acknowledgments []storedAckView `json:"acknowledgments"`
	Payments        []paymentView   `json:"payments"`

	// DenialRisk is the clinic's denial model's prediction for the claim
	// (nil without a trained model).
	DenialRisk *denialRiskView `json:"denial_risk,omitempty"`
}

type denialRiskView struct {
	Risk         float64  `json:"risk"`
	Reasons      []string `json:"reasons"`
	ModelVersion int      `json:"model_version"`
}

type ixView struct {
	ID            int64  `json:"id"`
	ControlNumber int64  `json:"control_number"`
	FileName      string `json:"file_name"`
	Status        string `json:"status"`
}

type historyView struct {
	At     time.Time `json:"at"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
}

type storedAckView struct {
	Kind          string          `json:"kind"`
	ControlNumber string          `json:"control_number"`
	Code          string          `json:"code"`
	Accepted      bool            `json:"accepted"`
	At            time.Time       `json:"at"`
	Details       json.RawMessage `json:"details"`
}

type paymentView struct {
	ID                         int64             `json:"id"`
	RemittanceID               int64             `json:"remittance_id"`
	TraceNumber                string            `json:"trace_number"`
	PaymentDate                string            `json:"payment_date"`
	StatusCode                 string            `json:"status_code"`
	ChargeCents                int64             `json:"charge_cents"`
	PaidCents                  int64             `json:"paid_cents"`
	PatientResponsibilityCents int64             `json:"patient_responsibility_cents"`
	PayerClaimControlNumber    string            `json:"payer_claim_control_number"`
	Adjustments                []storedAdjView   `json:"adjustments"`
	Detail                     json.RawMessage   `json:"detail"`
	remit                      *store.Remittance `json:"-"`
}

type storedAdjView struct {
	Line        int    `json:"line"`
	Group       string `json:"group"`
	Reason      string `json:"reason"`
	AmountCents int64  `json:"amount_cents"`
}

// loadClaimDetail reads a claim with its patient, coverages, history,
// acknowledgments (its 277CAs and the 999s of its interchange) and 835
// payments.
func loadClaimDetail(ctx context.Context, q store.Queries, clinicID int64, c store.Claim) (claimDetail, error) {
	d := claimDetail{ID: c.ID, PatientControlNumber: c.PatientControlNumber, Status: string(c.Status), Kind: c.Kind,
		FrequencyCode: c.FrequencyCode, OriginalClaimID: c.OriginalClaimID, PayerClaimControlNumber: c.PayerClaimControlNumber,
		TotalChargeCents: c.TotalChargeCents, ServiceDateFrom: day(c.ServiceDateFrom), ServiceDateTo: day(c.ServiceDateTo),
		EncounterID: c.EncounterID, InterchangeID: c.InterchangeID, Coverages: []coverageView{}, StatusHistory: []historyView{},
		Acknowledgments: []storedAckView{}, Payments: []paymentView{}}
	if len(c.Document) > 0 && string(c.Document) != "{}" {
		var doc claim.Claim
		if err := json.Unmarshal(c.Document, &doc); err != nil {
			return d, fmt.Errorf("claim %d: document: %w", c.ID, err)
		}
		d.Document = &doc
		m, row, ok, err := predict.Latest(ctx, q, clinicID, store.ModelDenial)
		if err != nil {
			return d, err
		}
		if ok {
			payers, err := payerCodes(ctx, q, clinicID)
			if err != nil {
				return d, err
			}
			risk, reasons, _ := predict.DenialScorer{Model: m, Submitted: c.CreatedAt}.Risk(&doc, payers[c.PayerID])
			d.DenialRisk = &denialRiskView{Risk: risk, Reasons: reasons, ModelVersion: row.Version}
		}
	}
	pt, err := q.GetPatient(ctx, store.Ref{ClinicID: clinicID, ID: c.PatientID})
	if err != nil {
		return d, err
	}
	d.Patient = viewPatient(pt)
	payerIDs, err := payerCodes(ctx, q, clinicID)
	if err != nil {
		return d, err
	}
	covs, err := q.ListCoverages(ctx, store.ListCoveragesParams{ClinicID: clinicID, PatientID: c.PatientID})
	if err != nil {
		return d, err
	}
	for _, cv := range covs {
		d.Coverages = append(d.Coverages, viewCoverage(cv, payerIDs))
	}
	hist, err := q.ListClaimStatusHistory(ctx, store.Ref{ClinicID: clinicID, ID: c.ID})
	if err != nil {
		return d, err
	}
	for _, h := range hist {
		d.StatusHistory = append(d.StatusHistory, historyView{At: h.At, From: string(h.FromStatus), To: string(h.ToStatus), Reason: h.Reason, Actor: h.Actor})
	}
	var acks []store.Acknowledgment
	if c.InterchangeID != nil {
		ix, err := q.GetInterchange(ctx, store.Ref{ClinicID: clinicID, ID: *c.InterchangeID})
		if err != nil {
			return d, err
		}
		d.Interchange = &ixView{ID: ix.ID, ControlNumber: ix.ControlNumber, FileName: ix.FileName, Status: ix.Status}
		for _, kind := range []string{store.AckTA1, store.Ack999} {
			a, err := q.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: clinicID, InterchangeID: ix.ID, Kind: kind})
			if err != nil {
				return d, err
			}
			acks = append(acks, a...)
		}
	}
	a, err := q.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: clinicID, ClaimID: c.ID})
	if err != nil {
		return d, err
	}
	for _, x := range a {
		if x.Kind == store.Ack277CA || x.InterchangeID == nil || c.InterchangeID == nil || *x.InterchangeID != *c.InterchangeID {
			acks = append(acks, x)
		}
	}
	for _, x := range acks {
		d.Acknowledgments = append(d.Acknowledgments, storedAckView{Kind: x.Kind, ControlNumber: x.ControlNumber, Code: x.Code, Accepted: x.Accepted,
			At: x.CreatedAt, Details: nonNullJSON(x.Details)})
	}
	pays, err := q.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinicID, ClaimID: c.ID})
	if err != nil {
		return d, err
	}
	remits := map[int64]*store.Remittance{}
	for _, p := range pays {
		r, ok := remits[p.RemittanceID]
		if !ok {
			rr, err := q.GetRemittance(ctx, store.Ref{ClinicID: clinicID, ID: p.RemittanceID})
			if err != nil {
				return d, err
			}
			r = &rr
			remits[p.RemittanceID] = r
		}
		v := paymentView{ID: p.ID, RemittanceID: p.RemittanceID, TraceNumber: r.TraceNumber, PaymentDate: day(r.PaymentDate),
			StatusCode: p.StatusCode, ChargeCents: p.ChargeCents, PaidCents: p.PaidCents, PatientResponsibilityCents: p.PatientResponsibilityCents,
			PayerClaimControlNumber: p.PayerClaimControlNumber, Adjustments: []storedAdjView{}, Detail: nonNullJSON(p.Document), remit: r}
		for _, a := range p.Adjustments {
			v.Adjustments = append(v.Adjustments, storedAdjView{Line: a.ServiceLine, Group: a.GroupCode, Reason: a.ReasonCode, AmountCents: a.AmountCents})
		}
		d.Payments = append(d.Payments, v)
	}
	return d, nil
}

func nonNullJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// writeClaimDetail writes a claim as sections of a table.
func writeClaimDetail(w io.Writer, d claimDetail) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	kv := func(k, v string) { fmt.Fprintf(tw, "%s:\t%s\n", k, orDash(v)) }
	section := func(name string) {
		tw.Flush()
		fmt.Fprintf(w, "\n%s\n", name)
	}
	kv("claim", fmt.Sprintf("%d %s", d.ID, d.PatientControlNumber))
	kv("status", d.Status)
	freq := d.FrequencyCode
	if d.OriginalClaimID != nil {
		freq += fmt.Sprintf(" (replaces claim %d)", *d.OriginalClaimID)
	}
	kv("kind", d.Kind)
	kv("frequency", freq)
	kv("payer claim number", d.PayerClaimControlNumber)
	kv("total charge", money.Cents(d.TotalChargeCents).String())
	dates := d.ServiceDateFrom
	if d.ServiceDateTo != d.ServiceDateFrom {
		dates += ".." + d.ServiceDateTo
	}
	kv("service dates", dates)
	if r := d.DenialRisk; r != nil {
		kv("denial risk", fmt.Sprintf("%.0f%% (model version %d: %s)", r.Risk*100, r.ModelVersion, strings.Join(r.Reasons, ", ")))
	}
	if d.Interchange != nil {
		kv("interchange", fmt.Sprintf("%d ISA13 %09d %s (%s)", d.Interchange.ID, d.Interchange.ControlNumber, d.Interchange.FileName, d.Interchange.Status))
	} else {
		kv("interchange", "")
	}
	doc := d.Document
	section("parties")
	p := d.Patient
	kv("patient", fmt.Sprintf("%s, %s (MRN %s), born %s, sex %s", p.LastName, p.FirstName, p.MRN, p.BirthDate, orDash(p.Sex)))
	if doc != nil {
		kv("billing provider", providerLine(doc.BillingProvider))
		if doc.Rendering != nil {
			kv("rendering provider", providerLine(*doc.Rendering))
		}
		if doc.Attending != nil {
			kv("attending provider", providerLine(*doc.Attending))
		}
		kv("payer", fmt.Sprintf("%s %s", doc.Payer.ID, doc.Payer.Name))
		s := doc.Subscriber
		if s.MemberID == "" && s.LastName == "" {
			kv("subscriber", "")
		} else {
			kv("subscriber", fmt.Sprintf("%s, %s member %s group %s (SBR01 %s, SBR09 %s)", s.LastName, s.FirstName, s.MemberID, orDash(s.GroupNumber),
				s.PayerResponsibility, s.ClaimFilingIndicator))
		}
		if doc.Patient != nil {
			kv("patient relationship", doc.Patient.Relationship)
		}
		for _, op := range doc.OtherPayers {
			kv("other payer", fmt.Sprintf("%s %s (SBR01 %s) paid %s", op.Payer.ID, op.Payer.Name, op.PayerResponsibility, money.Cents(op.PaidCents).String()))
		}
		pos := doc.PlaceOfService
		if pos == "" {
			pos = doc.FacilityType
		}
		kv("place of service", pos)
	}
	section("coverage")
	if len(d.Coverages) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	for _, c := range d.Coverages {
		fmt.Fprintf(tw, "%s\t%s\tmember %s\trelationship %s\t%s..%s\teligibility %s\n", priorityName(c.Priority), c.Payer, c.MemberID,
			c.Relationship, c.EffectiveFrom, c.EffectiveTo, c.Eligibility)
	}
	if doc != nil {
		section("diagnoses")
		fmt.Fprintln(tw, "PTR\tCODE\tKIND")
		for i, dx := range doc.Diagnoses {
			kind := string(dx.Kind)
			if kind == "" {
				kind = "other"
				if i == 0 {
					kind = "principal"
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", i+1, dx.Code, kind)
		}
		section("lines")
		fmt.Fprintln(tw, "LINE\tDATE\tPROCEDURE\tMODIFIERS\tUNITS\tCHARGE\tPOINTERS\tDIAGNOSES")
		for i, l := range doc.Lines {
			code := l.ProcedureCode
			if l.RevenueCode != "" {
				code = l.RevenueCode + " " + code
			}
			var ptrs, dxs []string
			for _, ptr := range l.DiagnosisPointers {
				ptrs = append(ptrs, strconv.Itoa(ptr))
				if ptr >= 1 && ptr <= len(doc.Diagnoses) {
					dxs = append(dxs, doc.Diagnoses[ptr-1].Code)
				}
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, l.ServiceDate.String(), code, orDash(strings.Join(l.Modifiers, ":")),
				l.Units.String(), money.Cents(l.ChargeCents).String(), orDash(strings.Join(ptrs, ",")), orDash(strings.Join(dxs, " ")))
		}
	}
	section("status history")
	for _, h := range d.StatusHistory {
		from := h.From
		if from == "" {
			from = "(new)"
		}
		fmt.Fprintf(tw, "%s\t%s -> %s\t%s\t%s\n", h.At.UTC().Format(time.RFC3339), from, h.To, h.Actor, h.Reason)
	}
	section("acknowledgments")
	if len(d.Acknowledgments) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	for _, a := range d.Acknowledgments {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.At.UTC().Format(time.RFC3339), a.Kind, a.ControlNumber, a.Code, acceptedWord(a.Accepted))
	}
	section("remittance (835)")
	if len(d.Payments) == 0 {
		fmt.Fprintln(tw, "(none)")
	}
	for _, pm := range d.Payments {
		fmt.Fprintf(tw, "payment %d\ttrace %s\tpaid on %s\tCLP02 %s\tcharge %s\tpaid %s\tpatient %s\tICN %s\n", pm.ID, pm.TraceNumber,
			orDash(pm.PaymentDate), pm.StatusCode, money.Cents(pm.ChargeCents).String(), money.Cents(pm.PaidCents).String(), money.Cents(pm.PatientResponsibilityCents).String(),
			orDash(pm.PayerClaimControlNumber))
		for _, a := range pm.Adjustments {
			where := "claim"
			if a.Line > 0 {
				where = "line " + strconv.Itoa(a.Line)
			}
			fmt.Fprintf(tw, "\t%s-%s\t%s\t%s\n", a.Group, a.Reason, money.Cents(a.AmountCents).String(), where)
		}
	}
	return tw.Flush()
}

func acceptedWord(ok bool) string {
	if ok {
		return "accepted"
	}
	return "rejected"
}

func providerLine(p claim.Provider) string {
	if p.Organization == "" && p.LastName == "" && p.NPI == "" {
		return ""
	}
	name := p.Organization
	if name == "" {
		name = strings.TrimSpace(p.LastName + ", " + p.FirstName)
	}
	s := name + " NPI " + orDash(p.NPI)
	if p.Taxonomy != "" {
		s += " taxonomy " + p.Taxonomy
	}
	if p.TaxID != "" {
		s += " tax ID " + p.TaxID
	}
	return s
}

func newClaimsShowCmd(env *Env) *cobra.Command {
	var clinic int64
	var out string
	c := &cobra.Command{
		Use:   "show ID|PCN",
		Short: "Show a stored claim: parties, diagnoses, lines, coverage, status history, 999/277CA and 835 detail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(&out, formatTable, formatJSON); err != nil {
				return err
			}
			ctx := cmdContext(cmd)
			st, err := env.openStore(ctx, storedb.Options{})
			if err != nil {
				return &ExitError{Code: 2, Err: err}
			}
			defer st.Close()
			cid, err := clinicOrOnly(ctx, st, clinic)
			if err != nil {
				return err
			}
			var d claimDetail
			err = st.InTx(ctx, cid, func(tx store.Tx) error {
				cl, err := claimRef(ctx, tx, cid, args[0])
				if err != nil {
					return err
				}
				d, err = loadClaimDetail(ctx, tx, cid, cl)
				return err
			})
			if err != nil {
				return regError(err)
			}
			if err := env.auditReads(ctx, st, cmd, cid, "claim", []int64{d.ID}); err != nil {
				return err
			}
			if out == formatJSON {
				return writeJSONTo(env.Stdout, d)
			}
			return writeClaimDetail(env.Stdout, d)
		},
	}
	c.Flags().Int64Var(&clinic, "clinic", 0, "clinic ID (default: the only clinic of the database)")
	outputFlag(c, &out, []string{formatTable, formatJSON}, "")
	return c
}
