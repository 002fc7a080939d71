package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/money"
)

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02")
}

func personName(last, first string) string {
	if first == "" {
		return last
	}
	return last + ", " + first
}

// errorView is a positioned error as JSON.
type errorView struct {
	Position string `json:"position"`
	Segment  int    `json:"segment"`
	Kind     string `json:"kind"`
	Message  string `json:"message"`
}

func viewError(e *edi.Error) errorView {
	kind := "error"
	for _, k := range []struct {
		err  error
		name string
	}{{edi.ErrBalance, "balance"}, {edi.ErrSyntax, "syntax"}, {edi.ErrImplementation, "implementation"}, {edi.ErrEnvelope, "envelope"}} {
		if errors.Is(e, k.err) {
			kind = k.name
			break
		}
	}
	return errorView{Position: e.Pos.String(), Segment: e.Pos.Segment, Kind: kind, Message: e.Error()}
}

type adjustmentView struct {
	Group    string `json:"group"`
	Reason   string `json:"reason"`
	Amount   string `json:"amount"`
	Quantity string `json:"quantity,omitempty"`
}

type lineView struct {
	Procedure         string           `json:"procedure"`
	Modifiers         []string         `json:"modifiers,omitempty"`
	OriginalProcedure string           `json:"original_procedure,omitempty"`
	RevenueCode       string           `json:"revenue_code,omitempty"`
	Charge            string           `json:"charge"`
	Paid              string           `json:"paid"`
	Units             string           `json:"units,omitempty"`
	ServiceDate       string           `json:"service_date,omitempty"`
	Adjustments       []adjustmentView `json:"adjustments,omitempty"`
	Remarks           []string         `json:"remarks,omitempty"`
	ControlNumber     string           `json:"line_control_number,omitempty"`
}

type claimView struct {
	Type                    string           `json:"type"`
	Payment                 string           `json:"payment_trace"`
	PatientControlNumber    string           `json:"patient_control_number"`
	Status                  string           `json:"status"`
	Kind                    string           `json:"kind"`
	Charge                  string           `json:"charge"`
	Paid                    string           `json:"paid"`
	PatientResponsibility   string           `json:"patient_responsibility"`
	FilingIndicator         string           `json:"claim_filing_indicator,omitempty"`
	PayerClaimControlNumber string           `json:"payer_claim_control_number,omitempty"`
	FacilityType            string           `json:"facility_type,omitempty"`
	Frequency               string           `json:"frequency,omitempty"`
	Patient                 string           `json:"patient"`
	MemberID                string           `json:"member_id,omitempty"`
	CorrectedPatient        string           `json:"corrected_patient,omitempty"`
	RenderingProvider       string           `json:"rendering_provider,omitempty"`
	Adjustments             []adjustmentView `json:"adjustments,omitempty"`
	Lines                   []lineView       `json:"lines,omitempty"`
	Remarks                 []string         `json:"remarks,omitempty"`
	Errors                  []errorView      `json:"errors,omitempty"`
}

type providerAdjustmentView struct {
	Provider  string `json:"provider"`
	Reason    string `json:"reason"`
	Reference string `json:"reference,omitempty"`
	Amount    string `json:"amount"`
}

type remittanceView struct {
	Type                string                   `json:"type"`
	ControlNumber       string                   `json:"control_number"`
	Handling            string                   `json:"handling"`
	Method              string                   `json:"method"`
	Total               string                   `json:"total"`
	CreditDebit         string                   `json:"credit_debit"`
	PaymentDate         string                   `json:"payment_date"`
	Trace               string                   `json:"trace"`
	Payer               string                   `json:"payer"`
	Payee               string                   `json:"payee"`
	PayeeID             string                   `json:"payee_id"`
	Claims              int                      `json:"claims"`
	ProviderAdjustments []providerAdjustmentView `json:"provider_adjustments,omitempty"`
	Errors              []errorView              `json:"errors,omitempty"`
}

func adjustments(as []x835.Adjustment) []adjustmentView {
	var out []adjustmentView
	for _, a := range as {
		out = append(out, adjustmentView{a.Group, a.Reason, money.Cents(a.AmountCents).String(), a.Quantity})
	}
	return out
}

func viewClaim(c *x835.ClaimPayment) claimView {
	v := claimView{
		Type: "claim", PatientControlNumber: c.PatientControlNumber, Status: c.Status, Kind: c.Kind.String(),
		Charge: money.Cents(c.ChargeCents).String(), Paid: money.Cents(c.PaidCents).String(), PatientResponsibility: money.Cents(c.PatientResponsibilityCents).String(),
		FilingIndicator: c.FilingIndicator, PayerClaimControlNumber: c.PayerClaimControlNumber,
		FacilityType: c.FacilityType, Frequency: c.Frequency,
		Patient: personName(c.Patient.Last, c.Patient.First), MemberID: c.Patient.ID,
		Adjustments: adjustments(c.Adjustments), Remarks: c.RemarkCodes(),
	}
	if c.Remittance != nil {
		v.Payment = c.Remittance.TraceNumber
	}
	if !c.CorrectedPatient.IsZero() {
		v.CorrectedPatient = personName(c.CorrectedPatient.Last, c.CorrectedPatient.First)
	}
	if !c.RenderingProvider.IsZero() {
		v.RenderingProvider = strings.TrimSpace(personName(c.RenderingProvider.Last, c.RenderingProvider.First) + " " + c.RenderingProvider.ID)
	}
	for i := range c.ServiceLines {
		l := &c.ServiceLines[i]
		lv := lineView{Procedure: l.Procedure.Code, RevenueCode: l.RevenueCode, Charge: money.Cents(l.ChargeCents).String(), Paid: money.Cents(l.PaidCents).String(),
			Units: l.Units, Adjustments: adjustments(l.Adjustments), ControlNumber: l.Reference("6R")}
		for _, m := range l.Procedure.Modifiers {
			if m != "" {
				lv.Modifiers = append(lv.Modifiers, m)
			}
		}
		if !l.OriginalProcedure.IsZero() {
			lv.OriginalProcedure = l.OriginalProcedure.Code
		}
		if d, ok := l.Date("472"); ok {
			lv.ServiceDate = day(d)
		} else if d, ok := l.Date("150"); ok {
			lv.ServiceDate = day(d)
		}
		for _, r := range l.Remarks {
			lv.Remarks = append(lv.Remarks, r.Code)
		}
		v.Lines = append(v.Lines, lv)
	}
	for _, e := range c.Errors {
		v.Errors = append(v.Errors, viewError(e))
	}
	return v
}

func viewRemittance(r *x835.Remittance, claims int) remittanceView {
	v := remittanceView{Type: "remittance", ControlNumber: r.ControlNumber, Handling: r.HandlingCode, Method: r.PaymentMethod,
		Total: money.Cents(r.TotalPaidCents).String(), CreditDebit: r.CreditDebit, PaymentDate: day(r.PaymentDate), Trace: r.TraceNumber,
		Payer: r.Payer.Name, Payee: r.Payee.Name, PayeeID: r.Payee.ID, Claims: claims}
	for _, a := range r.ProviderAdjustments {
		v.ProviderAdjustments = append(v.ProviderAdjustments, providerAdjustmentView{a.ProviderID, a.Reason, a.Reference, money.Cents(a.AmountCents).String()})
	}
	for _, e := range r.Errors {
		v.Errors = append(v.Errors, viewError(e))
	}
	return v
}

// newRemitCmd builds "clearhouse remit": 835 remittance advice.
func newRemitCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remit",
		Short: "Read 835 remittance advice",
	}
	cmd.AddCommand(newRemitDecodeCmd(env))
	return cmd
}

func newRemitDecodeCmd(env *Env) *cobra.Command {
	var format string
	var noBalance bool
	cmd := &cobra.Command{
		Use:   "decode FILE",
		Short: "List the claim payments of an 835, with balancing errors",
		Long: "Reads an 835 claim by claim (any size, in constant memory) and lists each claim payment\n" +
			"and, after each transaction, its payment and provider adjustments (PLB). Amounts are checked\n" +
			"to balance (lines, claims, and BPR02 against the claims and PLB); each failure is listed with\n" +
			"its position. -o json writes one JSON object per line: claims, then their remittance.\n" +
			"The file is first checked against its implementation guide (as edi validate --level 2); what\n" +
			"the check finds goes to standard error with its position and is exit status 1.\n" +
			"Exit status: 0 clean, 1 when errors were listed, 2 when the file cannot be read as an 835.\n" +
			"FILE - reads standard input.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkOutput(&format, formatTable, formatJSON); err != nil {
				return err
			}
			in, err := openChecked(env, args[0])
			if err != nil {
				return err
			}
			defer in.close()
			r, err := in.ediReader()
			if err != nil {
				return err
			}
			d := x835.NewDecoderReader(r)
			d.SkipBalancing = noBalance
			out := bufio.NewWriter(env.Stdout)
			defer out.Flush()
			var p remitPrinter
			if format == formatJSON {
				p = &remitJSON{enc: json.NewEncoder(out)}
			} else {
				p = newRemitTable(out)
			}
			nErrs, claims, printed := 0, 0, 0
			// A transaction's PLB and balance are final at its SE, so each
			// remittance is printed after its claims, once complete.
			flush := func(all bool) error {
				rems := d.Remittances()
				for ; printed < len(rems) && (all || rems[printed].Complete); printed++ {
					nErrs += len(rems[printed].Errors)
					if err := p.remittance(rems[printed], claims); err != nil {
						return err
					}
					claims = 0
				}
				return nil
			}
			for d.Next() {
				c := d.Claim()
				if err := flush(false); err != nil {
					return err
				}
				nErrs += len(c.Errors)
				claims++
				if err := p.claim(c); err != nil {
					return err
				}
			}
			if err := flush(true); err != nil {
				return err
			}
			if d.Err() != nil {
				p.close()
				out.Flush()
				return in.finish(env.Stderr, &ExitError{Code: decodeExit(d.Err()), Err: d.Err()})
			}
			if err := p.close(); err != nil {
				return err
			}
			out.Flush()
			if nErrs > 0 {
				return in.finish(env.Stderr, &ExitError{Code: 1, Err: fmt.Errorf("%s: %s", in.file, plural(nErrs, "error", "errors"))})
			}
			return in.finish(env.Stderr, nil)
		},
	}
	outputFlag(cmd, &format, []string{formatTable, formatJSON}, "format")
	maxInputFlag(cmd, env)
	cmd.Flags().BoolVar(&noBalance, "no-balance", false, "skip the balancing checks (SNIP type 3)")
	return cmd
}

type remitPrinter interface {
	claim(c *x835.ClaimPayment) error
	remittance(r *x835.Remittance, claims int) error
	close() error
}

type remitJSON struct{ enc *json.Encoder }

func (p *remitJSON) claim(c *x835.ClaimPayment) error { return p.enc.Encode(viewClaim(c)) }
func (p *remitJSON) remittance(r *x835.Remittance, n int) error {
	return p.enc.Encode(viewRemittance(r, n))
}
func (p *remitJSON) close() error { return nil }

// maxListedErrors caps the errors the table lists per transaction; the
// rest are counted.
const maxListedErrors = 1000

type remitTable struct {
	w       io.Writer
	tw      *tabwriter.Writer
	errs    []*edi.Error
	dropped int
}

func (p *remitTable) keep(errs []*edi.Error) {
	for _, e := range errs {
		if len(p.errs) < maxListedErrors {
			p.errs = append(p.errs, e)
		} else {
			p.dropped++
		}
	}
}

func newRemitTable(w io.Writer) *remitTable {
	return &remitTable{w: w}
}

func (p *remitTable) claim(c *x835.ClaimPayment) error {
	if p.tw == nil {
		p.tw = tabwriter.NewWriter(p.w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(p.tw, "PATIENT CONTROL #\tSTATUS\tKIND\tCHARGE\tPAID\tPT RESP\tPAYER CLAIM #\tPATIENT\tLINES\tADJUSTMENTS\tREMARKS")
	}
	var adj []string
	for _, a := range c.Adjustments {
		adj = append(adj, a.Group+"-"+a.Reason+" "+money.Cents(a.AmountCents).String())
	}
	for _, l := range c.ServiceLines {
		for _, a := range l.Adjustments {
			adj = append(adj, a.Group+"-"+a.Reason+" "+money.Cents(a.AmountCents).String())
		}
	}
	_, err := fmt.Fprintf(p.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", c.PatientControlNumber, c.Status, c.Kind,
		money.Cents(c.ChargeCents).String(), money.Cents(c.PaidCents).String(), money.Cents(c.PatientResponsibilityCents).String(), c.PayerClaimControlNumber,
		personName(c.Patient.Last, c.Patient.First), len(c.ServiceLines), strings.Join(adj, " "), strings.Join(c.RemarkCodes(), " "))
	p.keep(c.Errors)
	return err
}

func (p *remitTable) remittance(r *x835.Remittance, n int) error {
	if p.tw != nil {
		p.tw.Flush()
		p.tw = nil
	}
	fmt.Fprintf(p.w, "payment %s %s %s %s on %s from %s to %s (%s): %s\n", r.TraceNumber, r.PaymentMethod, r.CreditDebit,
		money.Cents(r.TotalPaidCents).String(), day(r.PaymentDate), r.Payer.Name, r.Payee.Name, r.Payee.ID, plural(n, "claim", "claims"))
	for _, a := range r.ProviderAdjustments {
		fmt.Fprintf(p.w, "  provider adjustment %s %s %s %s\n", a.ProviderID, a.Reason, a.Reference, money.Cents(a.AmountCents).String())
	}
	p.keep(r.Errors)
	for _, e := range p.errs {
		fmt.Fprintf(p.w, "  error: %v\n", e)
	}
	if p.dropped > 0 {
		fmt.Fprintf(p.w, "  (%s not listed)\n", plural(p.dropped, "more error", "more errors"))
	}
	p.errs, p.dropped = p.errs[:0], 0
	_, err := fmt.Fprintln(p.w)
	return err
}

func (p *remitTable) close() error {
	if p.tw != nil {
		return p.tw.Flush()
	}
	return nil
}
