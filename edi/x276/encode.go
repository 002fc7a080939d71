package x276

import (
	"fmt"
	"io"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Encode writes the requests as one interchange with one functional group
// (GS01 HR, GS08 005010X212), one transaction set each, numbered 0001
// upwards. Encode checks the guide's required values first and writes
// nothing when one is missing.
func Encode(w io.Writer, isa edi.ISAHeader, gs edi.GSHeader, reqs ...*Request) error {
	ew := edi.NewWriter(w, edi.DefaultDelimiters)
	if err := EncodeWriter(ew, isa, gs, reqs...); err != nil {
		return err
	}
	return ew.Flush()
}

// EncodeWriter is Encode over an edi.Writer; the caller flushes.
func EncodeWriter(w *edi.Writer, isa edi.ISAHeader, gs edi.GSHeader, reqs ...*Request) error {
	for _, r := range reqs {
		if err := check(r); err != nil {
			return err
		}
	}
	gs.FunctionalID = FunctionalID
	gs.Version = Version
	w.BeginInterchange(isa)
	w.BeginGroup(gs)
	for i, r := range reqs {
		writeSet(w, r, int64(i+1))
	}
	w.EndGroup()
	w.EndInterchange()
	return w.Error()
}

func bad(format string, args ...any) error {
	return &edi.Error{Err: edi.ErrImplementation, Msg: fmt.Sprintf(format, args...)}
}

// check enforces the X212 276's required segments and values: every level
// down to a claim is present, each named with its identifier (2100A-2100D
// NM109), the patient's DMG (2000D when the subscriber is the patient,
// 2000E), TRN*1 for each claim (2200D/E), and a service date for each
// claim, on the claim (DTP*472) or on every line (2210D/E DTP*472).
func check(r *Request) error {
	if r.ReferenceID == "" || r.Created.IsZero() {
		return bad("BHT03 reference and BHT04 date are required")
	}
	if len(r.Sources) == 0 {
		return bad("an information source (Loop 2000A) is required")
	}
	for _, s := range r.Sources {
		if s.Name.Last == "" || s.Name.ID == "" {
			return bad("payer: NM1*PR NM103 and NM109 are required (Loop 2100A)")
		}
		if len(s.Receivers) == 0 {
			return bad("payer %q has no information receiver (Loop 2000B)", s.Name.ID)
		}
		for _, rc := range s.Receivers {
			if rc.Name.ID == "" {
				return bad("information receiver %q: NM1*41 NM109 is required (Loop 2100B)", rc.Name.Last)
			}
			if len(rc.Providers) == 0 {
				return bad("information receiver %q has no service provider (Loop 2000C)", rc.Name.ID)
			}
			for _, p := range rc.Providers {
				if p.Name.ID == "" {
					return bad("service provider %q: NM1*1P NM109 is required (Loop 2100C)", p.Name.Last)
				}
				if len(p.Subscribers) == 0 {
					return bad("service provider %q has no subscriber (Loop 2000D)", p.Name.ID)
				}
				for _, sub := range p.Subscribers {
					if sub.Name.Last == "" || sub.Name.ID == "" {
						return bad("subscriber: NM1*IL NM103 and NM109 are required (Loop 2100D)")
					}
					if len(sub.Claims) == 0 && len(sub.Dependents) == 0 {
						return bad("subscriber %q has neither a claim (Loop 2200D) nor a dependent (Loop 2000E)", sub.Name.ID)
					}
					if len(sub.Claims) > 0 && sub.BirthDate.IsZero() {
						return bad("subscriber %q is the patient: DMG is required (Loop 2000D)", sub.Name.ID)
					}
					for _, c := range sub.Claims {
						if err := checkClaim(c); err != nil {
							return err
						}
					}
					for _, dep := range sub.Dependents {
						if dep.Name.Last == "" || dep.BirthDate.IsZero() {
							return bad("dependent: NM1*QC NM103 and DMG are required (Loops 2000E, 2100E)")
						}
						if len(dep.Claims) == 0 {
							return bad("dependent %q has no claim (Loop 2200E)", dep.Name.Last)
						}
						for _, c := range dep.Claims {
							if err := checkClaim(c); err != nil {
								return err
							}
						}
					}
				}
			}
		}
	}
	return nil
}

func checkClaim(c Claim) error {
	if c.TraceNumber == "" {
		return bad("claim %q: TRN*1 trace number is required (Loop 2200D/E)", c.PatientControlNumber)
	}
	dated := !c.ServiceFrom.IsZero()
	for _, l := range c.Lines {
		if l.Qualifier == "" || l.Procedure == "" {
			return bad("claim %q: a service line needs SVC01 (Loop 2210D/E)", c.TraceNumber)
		}
		if !dated && l.ServiceFrom.IsZero() {
			return bad("claim %q: a service date is required on the claim or on every line (DTP*472)", c.TraceNumber)
		}
	}
	if !dated && len(c.Lines) == 0 {
		return bad("claim %q: DTP*472 service date is required (Loop 2200D/E)", c.TraceNumber)
	}
	return nil
}

func writeSet(w *edi.Writer, r *Request, control int64) {
	w.BeginSet("276", control, Version)
	t := r.Created.UTC()
	// BHT01 0010 (information source, receiver, provider, subscriber,
	// dependent), BHT02 13 request.
	w.Begin("BHT")
	w.Elems("0010", "13", r.ReferenceID)
	w.ElemDate(t)
	w.Elem(t.Format("1504"))
	w.End()
	hl := 0
	hlSeg := func(parent int, code, child string) int {
		hl++
		p := ""
		if parent > 0 {
			p = fmt.Sprint(parent)
		}
		w.Segment("HL", fmt.Sprint(hl), p, code, child)
		return hl
	}
	for _, s := range r.Sources {
		sid := hlSeg(0, "20", "1")
		writeEntity(w, s.Name, "PR", "2")
		for _, rc := range s.Receivers {
			rid := hlSeg(sid, "21", "1")
			writeEntity(w, rc.Name, "41", "2")
			for _, p := range rc.Providers {
				pid := hlSeg(rid, "19", "1")
				writeEntity(w, p.Name, "1P", "2")
				for _, sub := range p.Subscribers {
					child := "0"
					if len(sub.Dependents) > 0 {
						child = "1"
					}
					subID := hlSeg(pid, "22", child)
					writeDMG(w, sub.Demographics)
					writeEntity(w, sub.Name, "IL", "1")
					for _, c := range sub.Claims {
						writeClaim(w, c)
					}
					for _, dep := range sub.Dependents {
						hlSeg(subID, "23", "") // 2000E HL04 is not used
						writeDMG(w, dep.Demographics)
						// 2100E NM108 and NM109 are not used.
						dep.Name.IDQualifier, dep.Name.ID = "", ""
						writeEntity(w, dep.Name, "QC", "1")
						for _, c := range dep.Claims {
							writeClaim(w, c)
						}
					}
				}
			}
		}
	}
	w.EndSet()
}

func writeDMG(w *edi.Writer, d Demographics) {
	if d.BirthDate.IsZero() {
		return
	}
	w.Segment("DMG", "D8", string(edi.AppendDate(nil, d.BirthDate)), d.Gender)
}

func writeEntity(w *edi.Writer, e Entity, code, typ string) {
	if e.EntityCode == "" {
		e.EntityCode = code
	}
	if e.EntityType == "" {
		e.EntityType = typ
	}
	w.Segment("NM1", e.EntityCode, e.EntityType, e.Last, e.First, e.Middle, "", e.Suffix, e.IDQualifier, e.ID)
}

// writeClaim writes Loop 2200D/E (TRN*1, REF*1K, BLT, EJ, XZ, D9, AMT*T3,
// DTP*472) and its service lines (2210D/E: SVC, REF*FJ, DTP*472).
func writeClaim(w *edi.Writer, c Claim) {
	w.Segment("TRN", "1", c.TraceNumber)
	for _, ref := range [...]struct{ q, v string }{
		{"1K", c.PayerClaimControlNumber}, {"BLT", c.BillType}, {"EJ", c.PatientControlNumber},
		{"XZ", c.PrescriptionNumber}, {"D9", c.ClearinghouseTrace},
	} {
		if ref.v != "" {
			w.Segment("REF", ref.q, ref.v)
		}
	}
	w.Begin("AMT")
	w.Elem("T3")
	w.ElemAmount(c.ChargeCents)
	w.End()
	if !c.ServiceFrom.IsZero() {
		writeDTP(w, c.ServiceFrom, c.ServiceTo)
	}
	for _, l := range c.Lines {
		w.Begin("SVC")
		w.Composite()
		w.Comp(l.Qualifier)
		w.Comp(l.Procedure)
		for _, m := range l.Modifiers {
			w.Comp(m)
		}
		w.ElemAmount(l.ChargeCents) // SVC02
		w.Elem("")                  // SVC03 not used in a 276
		w.Elem(l.RevenueCode)       // SVC04
		w.Elem("")
		w.Elem("")
		w.Elem(l.Units) // SVC07
		w.End()
		if l.LineItemControlNumber != "" {
			w.Segment("REF", "FJ", l.LineItemControlNumber)
		}
		if !l.ServiceFrom.IsZero() {
			writeDTP(w, l.ServiceFrom, l.ServiceTo)
		}
	}
}

// writeDTP writes DTP*472 as a D8 date, or an RD8 range when to is a
// later day.
func writeDTP(w *edi.Writer, from, to time.Time) {
	if !to.IsZero() && !to.Equal(from) {
		w.Segment("DTP", "472", "RD8", string(edi.AppendDate(nil, from))+"-"+string(edi.AppendDate(nil, to)))
		return
	}
	w.Segment("DTP", "472", "D8", string(edi.AppendDate(nil, from)))
}
