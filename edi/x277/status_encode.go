package x277

import (
	"fmt"
	"io"
	"strings"

	"github.com/clearhouse/clearhouse/edi"
)

// EncodeStatus writes the claim status responses as one interchange with
// one functional group (GS01 HN, GS08 005010X212), one transaction set
// each, numbered 0001 upwards. Encode checks the guide's required values
// first and writes nothing when one is missing.
func EncodeStatus(w io.Writer, isa edi.ISAHeader, gs edi.GSHeader, resps ...*StatusResponse) error {
	ew := edi.NewWriter(w, edi.DefaultDelimiters)
	if err := EncodeStatusWriter(ew, isa, gs, resps...); err != nil {
		return err
	}
	return ew.Flush()
}

// EncodeStatusWriter is EncodeStatus over an edi.Writer; the caller
// flushes.
func EncodeStatusWriter(w *edi.Writer, isa edi.ISAHeader, gs edi.GSHeader, resps ...*StatusResponse) error {
	for _, r := range resps {
		if err := checkStatusResponse(r); err != nil {
			return err
		}
	}
	gs.FunctionalID = FunctionalID
	gs.Version = StatusVersion
	w.BeginInterchange(isa)
	w.BeginGroup(gs)
	for i, r := range resps {
		writeStatusSet(w, r, int64(i+1))
	}
	w.EndGroup()
	w.EndInterchange()
	return w.Error()
}

// checkStatusResponse enforces the X212 277's required segments and
// values (the guide's loops 2000A to 2220E, as laid out in pyx12's map
// 277.5010.X212.xml, whose loop and segment usage this follows).
func checkStatusResponse(r *StatusResponse) error {
	if r.ReferenceID == "" || r.Created.IsZero() {
		return bad("BHT03 reference and BHT04 date are required")
	}
	if len(r.Sources) == 0 {
		return bad("an information source (Loop 2000A) is required")
	}
	for _, s := range r.Sources {
		// 2100A NM1*PR: NM103 name, NM108 and NM109 required.
		if s.Name.Last == "" || s.Name.ID == "" {
			return bad("information source: NM1*PR name and identifier are required (Loop 2100A NM103, NM109)")
		}
		if len(s.Receivers) == 0 {
			return bad("information source %q has no information receiver (Loop 2000B)", s.Name.Last)
		}
		for _, rc := range s.Receivers {
			// 2100B NM1*41: NM109 (ETIN) required.
			if rc.Name.ID == "" {
				return bad("information receiver %q: NM1*41 NM109 is required (Loop 2100B)", rc.Name.Last)
			}
			// Loop 2200B: TRN and STC are required together.
			if (rc.TraceNumber == "") != (len(rc.Statuses) == 0) {
				return bad("information receiver %q: Loop 2200B needs both TRN*2 and STC", rc.Name.Last)
			}
			if err := checkStatusSTC(rc.Statuses, false); err != nil {
				return err
			}
			for _, p := range rc.Providers {
				if p.Name.ID == "" {
					return bad("service provider %q: NM1*1P NM109 is required (Loop 2100C)", p.Name.Last)
				}
				if (p.TraceNumber == "") != (len(p.Statuses) == 0) {
					return bad("service provider %q: Loop 2200C needs both TRN*1 and STC", p.Name.Last)
				}
				if err := checkStatusSTC(p.Statuses, false); err != nil {
					return err
				}
				for _, sub := range p.Subscribers {
					if sub.Name.Last == "" || sub.Name.ID == "" {
						return bad("subscriber: NM1*IL NM103 and NM109 are required (Loop 2100D)")
					}
					if len(sub.Claims) == 0 && len(sub.Dependents) == 0 {
						return bad("subscriber %q has neither a claim (Loop 2200D) nor a dependent (Loop 2000E)", sub.Name.ID)
					}
					for _, c := range sub.Claims {
						if err := checkStatusClaim(c); err != nil {
							return err
						}
					}
					for _, dep := range sub.Dependents {
						if dep.Name.Last == "" {
							return bad("dependent: NM1*QC NM103 is required (Loop 2100E)")
						}
						// Loop 2200E is required in 2000E.
						if len(dep.Claims) == 0 {
							return bad("dependent %q has no claim (Loop 2200E)", dep.Name.Last)
						}
						for _, c := range dep.Claims {
							if err := checkStatusClaim(c); err != nil {
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

func checkStatusClaim(c StatusClaim) error {
	if c.TraceNumber == "" || len(c.Statuses) == 0 {
		return bad("claim %q: TRN*2 and STC are required (Loop 2200D/E)", c.PatientControlNumber)
	}
	if err := checkStatusSTC(c.Statuses, true); err != nil {
		return fmt.Errorf("claim %q: %w", c.TraceNumber, err)
	}
	for _, l := range c.Lines {
		// 2220D/E: SVC01, SVC02, SVC03 and SVC07 required; STC and DTP*472
		// required.
		if l.Qualifier == "" || l.Procedure == "" || l.Units == "" || len(l.Statuses) == 0 || l.ServiceFrom.IsZero() {
			return bad("claim %q: a service line needs SVC01, SVC07, STC and DTP*472 (Loop 2220D/E)", c.TraceNumber)
		}
		if err := checkStatusSTC(l.Statuses, false); err != nil {
			return fmt.Errorf("claim %q line %s: %w", c.TraceNumber, l.Procedure, err)
		}
	}
	return nil
}

// checkStatusSTC checks an X212 STC: STC01 and STC02 are required
// everywhere; STC03 (action code) and STC12 (free-form message) are not
// used in X212; STC04 to STC09 are used only at the claim level (2200D/E).
func checkStatusSTC(ss []Status, claim bool) error {
	for _, s := range ss {
		if len(s.Codes) == 0 || len(s.Codes) > 3 {
			return bad("STC needs one to three status composites")
		}
		if s.Date.IsZero() {
			return bad("STC02 (status information effective date) is required")
		}
		for _, c := range s.Codes {
			if c.Category == "" || c.Code == "" {
				return bad("STC composite needs a category and a status code")
			}
		}
		if s.Action != "" || s.Message != "" {
			return bad("STC03 and STC12 are not used in a claim status response")
		}
		if !claim && (s.AmountCents != 0 || s.PaidCents != 0 || !s.AdjudicatedDate.IsZero() || !s.CheckDate.IsZero() || s.CheckNumber != "") {
			return bad("STC04 to STC09 are used only at the claim level (Loop 2200D/E)")
		}
	}
	return nil
}

func writeStatusSet(w *edi.Writer, r *StatusResponse, control int64) {
	w.BeginSet("277", control, StatusVersion)
	t := r.Created.UTC()
	// BHT01 0010 (information source, receiver, provider, subscriber,
	// dependent), BHT02 08 status, BHT06 DG response.
	w.Begin("BHT")
	w.Elems("0010", "08", r.ReferenceID)
	w.ElemDate(t)
	w.Elem(t.Format("1504"))
	w.Elem("DG")
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
	children := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	for _, s := range r.Sources {
		sid := hlSeg(0, "20", "1") // 2000A HL04 is 1
		writeEntity(w, s.Name, "PR", "2")
		for _, rc := range s.Receivers {
			rid := hlSeg(sid, "21", children(len(rc.Providers) > 0))
			writeEntity(w, rc.Name, "41", "2")
			if rc.TraceNumber != "" {
				w.Segment("TRN", "2", rc.TraceNumber)
				writeStatusSTC(w, rc.Statuses, false)
			}
			for _, p := range rc.Providers {
				pid := hlSeg(rid, "19", children(len(p.Subscribers) > 0))
				writeEntity(w, p.Name, "1P", "2")
				if p.TraceNumber != "" {
					w.Segment("TRN", "1", p.TraceNumber)
					writeStatusSTC(w, p.Statuses, false)
				}
				for _, sub := range p.Subscribers {
					subID := hlSeg(pid, "22", children(len(sub.Dependents) > 0))
					writeEntity(w, sub.Name, "IL", "1")
					for _, c := range sub.Claims {
						writeStatusClaim(w, c)
					}
					for _, dep := range sub.Dependents {
						hlSeg(subID, "23", "") // 2000E HL04 is not used
						// 2100E NM108 and NM109 are not used.
						dep.Name.IDQualifier, dep.Name.ID = "", ""
						writeEntity(w, dep.Name, "QC", "1")
						for _, c := range dep.Claims {
							writeStatusClaim(w, c)
						}
					}
				}
			}
		}
	}
	w.EndSet()
}

// writeStatusClaim writes Loop 2200D/E and its service lines (2220D/E) in
// the guide's segment order: TRN, STC, REF*1K, BLT, EJ, XZ, VV, D9,
// DTP*472.
func writeStatusClaim(w *edi.Writer, c StatusClaim) {
	w.Segment("TRN", "2", c.TraceNumber)
	writeStatusSTC(w, c.Statuses, true)
	for _, ref := range [...]struct{ q, v string }{
		{"1K", c.PayerClaimControlNumber}, {"BLT", c.BillType}, {"EJ", c.PatientControlNumber},
		{"XZ", c.PrescriptionNumber}, {"VV", c.VoucherID}, {"D9", c.ClearinghouseTrace},
	} {
		if ref.v != "" {
			w.Segment("REF", ref.q, ref.v)
		}
	}
	if !c.ServiceFrom.IsZero() {
		writeDTP(w, "472", c.ServiceFrom, c.ServiceTo)
	}
	for _, l := range c.Lines {
		w.Begin("SVC")
		w.Composite()
		w.Comp(l.Qualifier)
		w.Comp(l.Procedure)
		for _, m := range l.Modifiers {
			w.Comp(m)
		}
		w.ElemAmount(l.ChargeCents) // SVC02 line charge
		w.ElemAmount(l.PaidCents)   // SVC03 line payment, required
		w.Elem(l.RevenueCode)       // SVC04
		w.Elem("")
		w.Elem("")
		w.Elem(l.Units) // SVC07
		w.End()
		writeStatusSTC(w, l.Statuses, false)
		if l.LineItemControlNumber != "" {
			w.Segment("REF", "FJ", l.LineItemControlNumber)
		}
		writeDTP(w, "472", l.ServiceFrom, l.ServiceTo)
	}
}

// writeStatusSTC writes X212 STC segments: STC01 and STC02, then at the
// claim level STC04 total claim charge, STC05 claim payment (written for
// a finalized category, zero included, as the guide's examples do), STC06
// adjudication date, STC08 check date and STC09 check number; STC10 and
// STC11 when there are more codes.
func writeStatusSTC(w *edi.Writer, ss []Status, claim bool) {
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
		w.ElemDate(s.Date)
		w.Elem("") // STC03 not used
		if claim {
			w.ElemAmount(s.AmountCents)
			if strings.HasPrefix(s.Category(), "F") || s.PaidCents != 0 {
				w.ElemAmount(s.PaidCents)
			} else {
				w.Elem("")
			}
			w.ElemDate(s.AdjudicatedDate)
			w.Elem("") // STC07 not used
			w.ElemDate(s.CheckDate)
			w.Elem(s.CheckNumber)
		} else {
			for i := 4; i <= 9; i++ {
				w.Elem("")
			}
		}
		for k := 1; k < 3; k++ {
			if k < len(s.Codes) {
				comp(s.Codes[k])
			} else {
				w.Elem("")
			}
		}
		w.End()
	}
}
