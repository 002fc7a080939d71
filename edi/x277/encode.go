package x277

import (
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Encode writes the acknowledgments as one interchange with one functional
// group (GS01 HN, GS08 005010X214), one transaction set each, numbered 0001
// upwards. The caller gives the envelope values; Encode checks the guide's
// required values first and writes nothing when one is missing.
func Encode(w io.Writer, isa edi.ISAHeader, gs edi.GSHeader, acks ...*Acknowledgment) error {
	ew := edi.NewWriter(w, edi.DefaultDelimiters)
	if err := EncodeWriter(ew, isa, gs, acks...); err != nil {
		return err
	}
	return ew.Flush()
}

// EncodeWriter is Encode over an edi.Writer (for other delimiters); the
// caller flushes.
func EncodeWriter(w *edi.Writer, isa edi.ISAHeader, gs edi.GSHeader, acks ...*Acknowledgment) error {
	for _, a := range acks {
		if err := check(a); err != nil {
			return err
		}
	}
	gs.FunctionalID = FunctionalID
	gs.Version = Version
	w.BeginInterchange(isa)
	w.BeginGroup(gs)
	for i, a := range acks {
		writeSet(w, a, int64(i+1))
	}
	w.EndGroup()
	w.EndInterchange()
	return w.Error()
}

func bad(format string, args ...any) error {
	return &edi.Error{Err: edi.ErrImplementation, Msg: fmt.Sprintf(format, args...)}
}

// check enforces the X214 required segments and values.
func check(a *Acknowledgment) error {
	if a.ReferenceID == "" || a.Created.IsZero() {
		return bad("BHT03 reference and BHT04 date are required")
	}
	if len(a.Sources) == 0 {
		return bad("an information source (Loop 2000A) is required")
	}
	for _, s := range a.Sources {
		if s.Name.Last == "" || s.TraceNumber == "" || s.ReceiptDate.IsZero() || s.ProcessDate.IsZero() {
			return bad("information source %q: NM1*PR name, TRN, DTP*050 and DTP*009 are required", s.Name.Last)
		}
		if len(s.Receivers) == 0 {
			return bad("information source %q has no information receiver (Loop 2000B)", s.Name.Last)
		}
		for _, r := range s.Receivers {
			if r.Name.Last == "" || r.TraceNumber == "" || len(r.Statuses) == 0 {
				return bad("information receiver %q: NM1*41 name, TRN and STC are required", r.Name.Last)
			}
			if err := checkStatuses(r.Statuses, levelReceiver); err != nil {
				return err
			}
			for _, p := range r.Providers {
				if p.Name.Last == "" || p.Name.ID == "" || p.TraceNumber == "" || len(p.Statuses) == 0 {
					return bad("billing provider %q: NM1*85 name and identifier, TRN and STC are required", p.Name.Last)
				}
				if err := checkStatuses(p.Statuses, levelProvider); err != nil {
					return err
				}
				if len(p.Claims) == 0 {
					return bad("billing provider %q has no claim (Loop 2000D)", p.Name.Last)
				}
				for _, c := range p.Claims {
					if c.Patient.Last == "" || c.PatientControlNumber == "" || len(c.Statuses) == 0 || c.ServiceFrom.IsZero() {
						return bad("claim %q: NM1*QC name, TRN (patient control number), STC and DTP*472 are required", c.PatientControlNumber)
					}
					if err := checkStatuses(c.Statuses, levelClaim); err != nil {
						return err
					}
					// 2220D is not used when the claim is accepted into
					// adjudication (X214 2220D SVC note; X12 RFI 1211).
					if len(c.Lines) > 0 && c.Accepted() {
						return bad("claim %q is accepted, so no service line is reported (Loop 2220D)", c.PatientControlNumber)
					}
					for _, l := range c.Lines {
						if l.Qualifier == "" || l.Procedure == "" || len(l.Statuses) == 0 {
							return bad("claim %q: a service line needs SVC01 and STC", c.PatientControlNumber)
						}
						if err := checkStatuses(l.Statuses, levelLine); err != nil {
							return fmt.Errorf("claim %q line %s: %w", c.PatientControlNumber, l.Procedure, err)
						}
					}
				}
			}
		}
	}
	return nil
}

// stcLevel is the loop an STC segment is written in; X214 lays STC out
// differently in each (pyx12 map 277.5010.X214.xml, and the guide's
// segment notes for loops 2200B, 2200C, 2200D and 2220D).
type stcLevel int

const (
	levelReceiver stcLevel = iota // 2200B: STC02, STC03 and STC04 required; STC12 not used
	levelProvider                 // 2200C: STC02 not used; STC03 and STC04 required; STC12 not used
	levelClaim                    // 2200D: STC02, STC03 (U or WQ) and STC04 (total claim charge) required; STC12 situational
	levelLine                     // 2220D: STC02 required; STC03 U only; STC04 and STC12 not used
)

func checkStatuses(ss []Status, level stcLevel) error {
	for _, s := range ss {
		if len(s.Codes) == 0 || len(s.Codes) > 3 {
			return bad("STC needs one to three status composites")
		}
		if s.Date.IsZero() && level != levelProvider {
			return bad("STC02 (status information effective date) is required outside Loop 2200C")
		}
		for _, c := range s.Codes {
			if c.Category == "" || c.Code == "" {
				return bad("STC composite needs a category and a status code")
			}
		}
		action := actionOf(s)
		if action != "U" && action != "WQ" {
			return bad("STC03 action code %q is not U or WQ", action)
		}
		// X214 Loop 2220D STC03 takes only U: a 277CA reports a service
		// line only when it rejects it.
		if level == levelLine && action != "U" {
			return bad("Loop 2220D reports rejected service lines only (STC03 U), not %q", action)
		}
	}
	return nil
}

// actionOf is STC03: the status's action code, or WQ (accepted) and U
// (rejected) by its category when none is set.
func actionOf(s Status) string {
	if s.Action != "" {
		return s.Action
	}
	if s.Rejected() {
		return "U"
	}
	return "WQ"
}

func writeSet(w *edi.Writer, a *Acknowledgment, control int64) {
	w.BeginSet("277", control, Version)
	t := a.Created.UTC()
	w.Begin("BHT")
	w.Elems("0085", "08", a.ReferenceID)
	w.ElemDate(t)
	w.Elem(t.Format("1504"))
	w.Elem("TH")
	w.End()
	hl := 0
	hlSeg := func(parent int, code string, children bool) int {
		hl++
		p := ""
		if parent > 0 {
			p = fmt.Sprint(parent)
		}
		c := ""
		if code != "PT" {
			c = "0"
			if children {
				c = "1"
			}
		}
		w.Segment("HL", fmt.Sprint(hl), p, code, c)
		return hl
	}
	for _, s := range a.Sources {
		sid := hlSeg(0, "20", true)
		writeEntity(w, s.Name, "PR", "2")
		w.Segment("TRN", "1", s.TraceNumber)
		writeDTP(w, "050", s.ReceiptDate, time.Time{})
		writeDTP(w, "009", s.ProcessDate, time.Time{})
		for _, r := range s.Receivers {
			rid := hlSeg(sid, "21", len(r.Providers) > 0)
			writeEntity(w, r.Name, "41", "2")
			w.Segment("TRN", "2", r.TraceNumber)
			writeStatuses(w, r.Statuses, levelReceiver)
			writeTotals(w, r.Totals, "90", "AA")
			for _, p := range r.Providers {
				pid := hlSeg(rid, "19", true)
				writeEntity(w, p.Name, "85", "2")
				w.Segment("TRN", "1", p.TraceNumber)
				writeStatuses(w, p.Statuses, levelProvider)
				for _, ref := range p.References {
					w.Segment("REF", ref.Qualifier, ref.Value)
				}
				writeTotals(w, p.Totals, "QA", "QC")
				for _, c := range p.Claims {
					hlSeg(pid, "PT", false)
					writeEntity(w, c.Patient, "QC", "1")
					w.Segment("TRN", "2", c.PatientControlNumber)
					writeStatuses(w, c.Statuses, levelClaim)
					if c.PayerClaimControlNumber != "" {
						w.Segment("REF", "1K", c.PayerClaimControlNumber)
					}
					if c.ClearinghouseTrace != "" {
						w.Segment("REF", "D9", c.ClearinghouseTrace)
					}
					if c.BillType != "" {
						w.Segment("REF", "BLT", c.BillType)
					}
					writeDTP(w, "472", c.ServiceFrom, c.ServiceTo)
					for _, l := range c.Lines {
						w.Begin("SVC")
						w.Composite()
						w.Comp(l.Qualifier)
						w.Comp(l.Procedure)
						for _, m := range l.Modifiers {
							w.Comp(m)
						}
						w.ElemAmount(l.ChargeCents)
						w.Elem("")
						w.Elem(l.RevenueCode)
						w.Elem("")
						w.Elem("")
						w.Elem(l.Units)
						w.End()
						writeStatuses(w, l.Statuses, levelLine)
						if l.LineItemControlNumber != "" {
							w.Segment("REF", "FJ", l.LineItemControlNumber)
						}
						if !l.ServiceFrom.IsZero() {
							writeDTP(w, "472", l.ServiceFrom, l.ServiceTo)
						}
					}
				}
			}
		}
	}
	w.EndSet()
}

func writeEntity(w *edi.Writer, e Entity, code, typ string) {
	w.Segment("NM1", orDefault(e.EntityCode, code), orDefault(e.EntityType, typ), e.Last, e.First, e.Middle, "", e.Suffix, e.IDQualifier, e.ID)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// writeDTP writes a D8 date, or an RD8 range when to is a later day.
func writeDTP(w *edi.Writer, q string, from, to time.Time) {
	if !to.IsZero() && !to.Equal(from) {
		w.Segment("DTP", q, "RD8", string(edi.AppendDate(nil, from))+"-"+string(edi.AppendDate(nil, to)))
		return
	}
	w.Segment("DTP", q, "D8", string(edi.AppendDate(nil, from)))
}

// writeStatuses writes STC segments laid out for their loop: STC02 is
// left out in 2200C, STC04 is written in 2200B, 2200C and 2200D (where it
// is required, zero included) and left out in 2220D, and STC12 is written
// only in 2200D.
func writeStatuses(w *edi.Writer, ss []Status, level stcLevel) {
	for _, s := range ss {
		w.Begin("STC")
		comp := func(c StatusCode) {
			w.Composite()
			w.Comp(c.Category)
			w.Comp(c.Code)
			w.Comp(c.Entity)
			w.Comp(c.CodeList)
		}
		comp(s.Codes[0])
		if level == levelProvider {
			w.Elem("")
		} else {
			w.ElemDate(s.Date)
		}
		w.Elem(actionOf(s))
		if level == levelLine {
			w.Elem("")
		} else {
			w.ElemAmount(s.AmountCents)
		}
		for i := 5; i <= 9; i++ {
			w.Elem("")
		}
		for k := 1; k < 3; k++ {
			if k < len(s.Codes) {
				comp(s.Codes[k])
			} else {
				w.Elem("")
			}
		}
		if level == levelClaim {
			w.Elem(s.Message)
		}
		w.End()
	}
}

// writeTotals writes the accepted and rejected counts and amounts that are
// not zero: QTY (acc, rej qualifiers) and AMT*YU, AMT*YY.
func writeTotals(w *edi.Writer, t Totals, acc, rej string) {
	if t.AcceptedQuantity > 0 {
		w.Segment("QTY", acc, fmt.Sprint(t.AcceptedQuantity))
	}
	if t.RejectedQuantity > 0 {
		w.Segment("QTY", rej, fmt.Sprint(t.RejectedQuantity))
	}
	if t.AcceptedQuantity > 0 {
		w.Begin("AMT")
		w.Elem("YU")
		w.ElemAmount(t.AcceptedAmountCents)
		w.End()
	}
	if t.RejectedQuantity > 0 {
		w.Begin("AMT")
		w.Elem("YY")
		w.ElemAmount(t.RejectedAmountCents)
		w.End()
	}
}
