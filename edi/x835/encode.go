package x835

import (
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Encoder writes 835 transaction sets into one interchange with one
// functional group, streaming claim by claim:
//
//	e := x835.NewEncoder(w, isa, gs)
//	e.BeginRemittance(&rem, 1)
//	for _, c := range claims { e.WriteClaim(c) }
//	e.EndRemittance(plbs)
//	err := e.Close()
//
// The caller gives the envelope values (sender and receiver, control
// numbers, time); the encoder sets GS01 to HP and GS08 to 005010X221A1 and
// leaves ST03 out (the 835 guide marks it not used). It refuses (with a sticky error) what the guide does not
// allow: a claim or line that does not balance, a transaction whose BPR02 is
// not the claims' payments less the provider adjustments, a missing required
// segment.
type Encoder struct {
	w       *edi.Writer
	isa     edi.ISAHeader
	gs      edi.GSHeader
	err     error
	started bool
	inSet   bool
	rem     *Remittance
	header  int64
	claims  int
	sumPaid int64
}

// NewEncoder returns an Encoder writing to w with the default delimiters.
func NewEncoder(w io.Writer, isa edi.ISAHeader, gs edi.GSHeader) *Encoder {
	return NewEncoderWriter(edi.NewWriter(w, edi.DefaultDelimiters), isa, gs)
}

// NewEncoderWriter returns an Encoder over an edi.Writer, for other
// delimiters.
func NewEncoderWriter(w *edi.Writer, isa edi.ISAHeader, gs edi.GSHeader) *Encoder {
	gs.FunctionalID = FunctionalID
	gs.Version = Version
	return &Encoder{w: w, isa: isa, gs: gs}
}

func (e *Encoder) fail(sentinel error, format string, args ...any) error {
	if e.err == nil {
		e.err = &edi.Error{Err: sentinel, Msg: fmt.Sprintf(format, args...)}
	}
	return e.err
}

// Err is the first error so far.
func (e *Encoder) Err() error {
	if e.err != nil {
		return e.err
	}
	return e.w.Error()
}

// BeginRemittance writes ST and the header of a transaction: BPR, TRN, CUR,
// REF*EV, REF*F2, DTM*405 and the payer (Loop 1000A) and payee (Loop 1000B)
// loops. The first call also writes ISA and GS.
func (e *Encoder) BeginRemittance(r *Remittance, controlNumber int64) error {
	if e.err != nil {
		return e.err
	}
	if e.inSet {
		return e.fail(edi.ErrEnvelope, "BeginRemittance inside a transaction set")
	}
	if err := checkHeader(r); err != nil {
		e.err = err
		return err
	}
	w := e.w
	if !e.started {
		w.BeginInterchange(e.isa)
		w.BeginGroup(e.gs)
		e.started = true
	}
	e.inSet, e.rem, e.header, e.claims, e.sumPaid = true, r, 0, 0, 0
	w.BeginSet("835", controlNumber, "") // ST03 is not used in 005010X221A1

	w.Begin("BPR")
	w.Elem(r.HandlingCode)
	w.ElemAmount(r.TotalPaidCents)
	w.Elem(orDefault(r.CreditDebit, "C"))
	w.Elem(r.PaymentMethod)
	w.Elem(r.PaymentFormat)
	w.Elems(r.SenderBank.DFIQualifier, r.SenderBank.DFINumber, r.SenderBank.AccountQualifier, r.SenderBank.AccountNumber)
	w.Elems(r.OriginatorID, r.OriginatorSupplemental)
	w.Elems(r.ReceiverBank.DFIQualifier, r.ReceiverBank.DFINumber, r.ReceiverBank.AccountQualifier, r.ReceiverBank.AccountNumber)
	w.ElemDate(r.PaymentDate)
	w.End()

	w.Segment("TRN", orDefault(r.TraceType, "1"), r.TraceNumber, r.TraceOriginator, r.TraceSupplemental)
	if r.Currency != "" && r.Currency != "USD" {
		w.Segment("CUR", "PR", r.Currency)
	}
	if r.ReceiverID != "" {
		w.Segment("REF", "EV", r.ReceiverID)
	}
	if r.VersionID != "" {
		w.Segment("REF", "F2", r.VersionID)
	}
	writeDate(w, "405", r.ProductionDate)
	writeParty(w, "PR", &r.Payer)
	writeParty(w, "PE", &r.Payee)
	return e.Err()
}

// checkHeader enforces the header's required values (X221 Table 1).
func checkHeader(r *Remittance) error {
	bad := func(f string, args ...any) error {
		return &edi.Error{Err: edi.ErrImplementation, Msg: fmt.Sprintf(f, args...)}
	}
	switch {
	case r.HandlingCode == "":
		return bad("BPR01 transaction handling code is required")
	case r.PaymentMethod == "":
		return bad("BPR04 payment method is required")
	case r.PaymentDate.IsZero():
		return bad("BPR16 payment date is required")
	case r.TraceNumber == "" || r.TraceOriginator == "":
		return bad("TRN02 trace number and TRN03 originator are required")
	case r.Payer.Name == "" || r.Payer.Address.Line1 == "" || r.Payer.Address.City == "":
		return bad("payer name, N3 and N4 are required (Loop 1000A)")
	case r.Payee.Name == "" || r.Payee.IDQualifier == "" || r.Payee.ID == "":
		return bad("payee name and N103/N104 identifier are required (Loop 1000B)")
	case r.PaymentMethod == "ACH" && (r.SenderBank.DFINumber == "" || r.ReceiverBank.DFINumber == "" || r.OriginatorID == ""):
		return bad("BPR06-BPR15 bank details are required when BPR04 is ACH")
	}
	for _, c := range r.Payer.Contacts {
		if c.Function == "BL" {
			return nil
		}
	}
	return bad("payer technical contact PER*BL is required (Loop 1000A)")
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func writeDate(w *edi.Writer, q string, t time.Time) {
	if t.IsZero() {
		return
	}
	w.Begin("DTM")
	w.Elem(q)
	w.ElemDate(t)
	w.End()
}

func writeParty(w *edi.Writer, code string, p *Party) {
	w.Segment("N1", code, p.Name, p.IDQualifier, p.ID)
	if p.Address.Line1 != "" {
		w.Segment("N3", p.Address.Line1, p.Address.Line2)
	}
	if p.Address.City != "" {
		a := p.Address
		w.Segment("N4", a.City, a.State, a.PostalCode, a.Country, "", "", a.Subdivision)
	}
	for _, r := range p.References {
		w.Segment("REF", r.Qualifier, r.Value)
	}
	// PER order in Loop 1000A: CX business, BL technical, IC web site.
	for _, f := range [...]string{"CX", "BL", "IC"} {
		for _, c := range p.Contacts {
			if c.Function == f {
				writeContact(w, c)
			}
		}
	}
	if len(p.RemittanceDelivery) > 0 {
		w.Segment("RDM", p.RemittanceDelivery...)
	}
}

func writeContact(w *edi.Writer, c Contact) {
	w.Begin("PER")
	w.Elem(c.Function)
	w.Elem(c.Name)
	for _, n := range c.Numbers {
		w.Elem(n.Qualifier)
		w.Elem(n.Number)
	}
	w.End()
}

// WriteClaim writes one claim payment (Loop 2100 with its Loop 2110 lines),
// preceded by LX (and TS3) when its header number differs from the previous
// claim's.
func (e *Encoder) WriteClaim(c *ClaimPayment) error {
	if e.err != nil {
		return e.err
	}
	if !e.inSet {
		return e.fail(edi.ErrEnvelope, "WriteClaim outside a transaction set")
	}
	if err := checkClaimData(c); err != nil {
		e.err = err
		return err
	}
	w := e.w
	h := c.HeaderNumber
	if h == 0 {
		h = 1
	}
	if e.claims == 0 || h != e.header {
		w.Begin("LX")
		w.ElemInt(h)
		w.End()
		if s := c.ProviderSummary; s != nil {
			w.Begin("TS3")
			w.Elem(s.ProviderID)
			w.Elem(s.FacilityCode)
			w.ElemDate(s.FiscalPeriodEnd)
			w.ElemInt(s.ClaimCount)
			w.ElemAmount(s.TotalChargeCents)
			w.End()
		}
		e.header = h
	}
	e.claims++
	e.sumPaid += c.PaidCents

	w.Begin("CLP")
	w.Elem(c.PatientControlNumber)
	w.Elem(c.Status)
	w.ElemAmount(c.ChargeCents)
	w.ElemAmount(c.PaidCents)
	if c.PatientResponsibilityCents != 0 {
		w.ElemAmount(c.PatientResponsibilityCents)
	} else {
		w.Elem("")
	}
	w.Elems(c.FilingIndicator, c.PayerClaimControlNumber, c.FacilityType, c.Frequency, "", c.DRGCode, c.DRGWeight, c.DischargeFraction)
	w.End()
	writeAdjustments(w, c.Adjustments)
	for _, n := range [...]*Name{&c.Patient, &c.Insured, &c.CorrectedPatient, &c.RenderingProvider, &c.CrossoverCarrier, &c.PriorityPayer, &c.OtherSubscriber} {
		if !n.IsZero() {
			w.Segment("NM1", n.EntityCode, orDefault(n.EntityType, "1"), n.Last, n.First, n.Middle, "", n.Suffix, n.IDQualifier, n.ID)
		}
	}
	if m := c.Inpatient; m != nil {
		var v [25]string
		v[1], v[3], v[15] = m.CoveredDays, m.LifetimePsychiatricDays, m.CostReportDays
		for _, a := range m.Amounts {
			if a.Element > 0 && a.Element < len(v) {
				v[a.Element] = edi.FormatAmount(a.AmountCents)
			}
		}
		for i, r := range m.RemarkCodes {
			if i < len(miaRemarks) {
				v[miaRemarks[i]] = r
			}
		}
		w.Segment("MIA", v[1:]...)
	}
	if m := c.Outpatient; m != nil {
		var v [10]string
		v[1] = m.ReimbursementRate
		for _, a := range m.Amounts {
			if a.Element > 0 && a.Element < len(v) {
				v[a.Element] = edi.FormatAmount(a.AmountCents)
			}
		}
		for i, r := range m.RemarkCodes {
			if i < len(moaRemarks) {
				v[moaRemarks[i]] = r
			}
		}
		w.Segment("MOA", v[1:]...)
	}
	for _, r := range c.References {
		w.Segment("REF", r.Qualifier, r.Value)
	}
	for _, d := range c.Dates {
		writeDate(w, d.Qualifier, d.Date)
	}
	for _, p := range c.Contacts {
		writeContact(w, p)
	}
	writeAmounts(w, c.Amounts)
	writeQuantities(w, c.Quantities)
	for i := range c.ServiceLines {
		l := &c.ServiceLines[i]
		w.Begin("SVC")
		writeProcedure(w, l.Procedure)
		w.ElemAmount(l.ChargeCents)
		w.ElemAmount(l.PaidCents)
		w.Elem(l.RevenueCode)
		w.Elem(l.Units)
		if l.OriginalProcedure.IsZero() {
			w.Elem("")
		} else {
			writeProcedure(w, l.OriginalProcedure)
		}
		w.Elem(l.OriginalUnits)
		w.End()
		for _, d := range l.Dates {
			writeDate(w, d.Qualifier, d.Date)
		}
		writeAdjustments(w, l.Adjustments)
		for _, r := range l.References {
			w.Segment("REF", r.Qualifier, r.Value)
		}
		writeAmounts(w, l.Amounts)
		writeQuantities(w, l.Quantities)
		for _, r := range l.Remarks {
			w.Segment("LQ", r.Qualifier, r.Code)
		}
	}
	return e.Err()
}

// checkClaimData enforces what the guide requires of Loop 2100 and that the
// claim balances.
func checkClaimData(c *ClaimPayment) error {
	bad := func(f string, args ...any) error {
		return &edi.Error{Err: edi.ErrImplementation, Msg: fmt.Sprintf(f, args...)}
	}
	switch {
	case c.PatientControlNumber == "" || c.Status == "" || c.FilingIndicator == "":
		return bad("claim %q: CLP01, CLP02 and CLP06 are required", c.PatientControlNumber)
	case c.Patient.IsZero():
		return bad("claim %q: patient name NM1*QC is required", c.PatientControlNumber)
	}
	for _, l := range c.ServiceLines {
		if l.Procedure.Qualifier == "" || l.Procedure.Code == "" {
			return bad("claim %q: SVC01 needs a qualifier and a code", c.PatientControlNumber)
		}
	}
	if errs := checkClaim(c, nil); len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func writeProcedure(w *edi.Writer, p Procedure) {
	w.Composite()
	w.Comp(p.Qualifier)
	w.Comp(p.Code)
	for _, m := range p.Modifiers {
		w.Comp(m)
	}
	w.Comp(p.Description)
}

// writeAdjustments writes CAS segments: one per group code, in the order the
// groups first appear, with up to six reasons each.
func writeAdjustments(w *edi.Writer, as []Adjustment) {
	for i, a := range as {
		seen := false
		for _, p := range as[:i] {
			if p.Group == a.Group {
				seen = true
				break
			}
		}
		if seen {
			continue
		}
		n := 0
		for _, b := range as[i:] {
			if b.Group != a.Group {
				continue
			}
			if n%6 == 0 {
				if n > 0 {
					w.End()
				}
				w.Begin("CAS")
				w.Elem(a.Group)
			}
			w.Elem(b.Reason)
			w.ElemAmount(b.AmountCents)
			w.Elem(b.Quantity)
			n++
		}
		w.End()
	}
}

func writeAmounts(w *edi.Writer, as []Amount) {
	for _, a := range as {
		w.Begin("AMT")
		w.Elem(a.Qualifier)
		w.ElemAmount(a.AmountCents)
		w.End()
	}
}

func writeQuantities(w *edi.Writer, qs []Quantity) {
	for _, q := range qs {
		w.Segment("QTY", q.Qualifier, q.Value)
	}
}

// EndRemittance writes the provider adjustments (PLB, up to six per segment
// for one provider and fiscal period) and SE, after checking that BPR02
// equals the claims' payments less the adjustments.
func (e *Encoder) EndRemittance(adjustments []ProviderAdjustment) error {
	if e.err != nil {
		return e.err
	}
	if !e.inSet {
		return e.fail(edi.ErrEnvelope, "EndRemittance outside a transaction set")
	}
	var plb int64
	for _, a := range adjustments {
		if a.ProviderID == "" || a.FiscalPeriodEnd.IsZero() || a.Reason == "" {
			return e.fail(edi.ErrImplementation, "PLB01, PLB02 and the reason code are required")
		}
		plb += a.AmountCents
	}
	total := e.rem.TotalPaidCents
	if e.rem.CreditDebit == "D" {
		total = -total
	}
	if e.sumPaid-plb != total {
		return e.fail(edi.ErrBalance, "BPR02 %s is not the claims' paid amounts %s less provider adjustments %s",
			edi.FormatAmount(total), edi.FormatAmount(e.sumPaid), edi.FormatAmount(plb))
	}
	w := e.w
	for i, a := range adjustments {
		first := true
		for _, p := range adjustments[:i] {
			if p.ProviderID == a.ProviderID && p.FiscalPeriodEnd.Equal(a.FiscalPeriodEnd) {
				first = false
				break
			}
		}
		if !first {
			continue
		}
		n := 0
		for _, b := range adjustments[i:] {
			if b.ProviderID != a.ProviderID || !b.FiscalPeriodEnd.Equal(a.FiscalPeriodEnd) {
				continue
			}
			if n%6 == 0 {
				if n > 0 {
					w.End()
				}
				w.Begin("PLB")
				w.Elem(a.ProviderID)
				w.ElemDate(a.FiscalPeriodEnd)
			}
			w.Composite()
			w.Comp(b.Reason)
			w.Comp(b.Reference)
			w.ElemAmount(b.AmountCents)
			n++
		}
		w.End()
	}
	w.EndSet()
	e.inSet = false
	return e.Err()
}

// Close writes GE and IEA and flushes. It writes nothing when no transaction
// was begun.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.inSet {
		return e.fail(edi.ErrEnvelope, "Close inside a transaction set")
	}
	if e.started {
		e.w.EndGroup()
		e.w.EndInterchange()
	}
	if err := e.w.Flush(); err != nil {
		return err
	}
	return e.Err()
}
