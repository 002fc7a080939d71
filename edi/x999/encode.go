package x999

import (
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// Envelope addresses an acknowledgment interchange. GS.FunctionalID and
// GS.Version default to FA and 005010X231A1.
type Envelope struct {
	ISA edi.ISAHeader
	GS  edi.GSHeader
}

// ReplyEnvelope addresses a reply to the interchange ic: its receiver
// becomes the sender, its sender the receiver (ISA05-ISA08 and GS02/GS03
// swapped from the acknowledged group, when there is one), its usage (ISA15)
// is kept, and the reply gets the given control numbers and time.
func ReplyEnvelope(ic *edi.InterchangeReport, isa13, gs06 int64, at time.Time) Envelope {
	env := Envelope{
		ISA: edi.ISAHeader{
			SenderQualifier:   ic.ReceiverQualifier,
			SenderID:          ic.ReceiverID,
			ReceiverQualifier: ic.SenderQualifier,
			ReceiverID:        ic.SenderID,
			Time:              at,
			ControlNumber:     isa13,
			Usage:             ic.Usage,
		},
		GS: edi.GSHeader{
			FunctionalID:  "FA",
			SenderCode:    ic.ReceiverID,
			ReceiverCode:  ic.SenderID,
			Time:          at,
			ControlNumber: gs06,
			Version:       ImplementationRef,
		},
	}
	if len(ic.Groups) > 0 {
		env.GS.SenderCode = ic.Groups[0].ReceiverCode
		env.GS.ReceiverCode = ic.Groups[0].SenderCode
	}
	if env.ISA.Usage != "T" {
		env.ISA.Usage = "P"
	}
	if !validQualifier(env.ISA.SenderQualifier) {
		env.ISA.SenderQualifier = "ZZ"
	}
	if !validQualifier(env.ISA.ReceiverQualifier) {
		env.ISA.ReceiverQualifier = "ZZ"
	}
	return env
}

func validQualifier(q string) bool {
	switch q {
	case "01", "14", "20", "27", "28", "29", "30", "33", "ZZ":
		return true
	}
	return false
}

// Encode writes one acknowledgment interchange to w: the TA1 segments right
// after the ISA, then, when there are responses, one FA functional group with
// one 999 per response, numbered 0001 up. It returns the writer's error.
func Encode(w *edi.Writer, env Envelope, ta1s []TA1, responses []FunctionalGroupResponse) error {
	w.BeginInterchange(env.ISA)
	for _, t := range ta1s {
		WriteTA1(w, t)
	}
	if len(responses) > 0 {
		gs := env.GS
		if gs.FunctionalID == "" {
			gs.FunctionalID = "FA"
		}
		if gs.Version == "" {
			gs.Version = ImplementationRef
		}
		if gs.Time.IsZero() {
			gs.Time = env.ISA.Time
		}
		w.BeginGroup(gs)
		for i, r := range responses {
			WriteSet(w, r, int64(i+1))
		}
		w.EndGroup()
	}
	w.EndInterchange()
	return w.Flush()
}

// WriteTA1 writes a TA1 segment.
func WriteTA1(w *edi.Writer, t TA1) {
	w.Segment("TA1", t.ControlNumber, t.Date, t.Time, t.Ack, t.NoteCode)
}

// WriteSet writes one 999 transaction set (ST to SE) inside an open group.
func WriteSet(w *edi.Writer, r FunctionalGroupResponse, controlNumber int64) {
	w.BeginSet("999", controlNumber, ImplementationRef)
	w.Segment("AK1", r.FunctionalID, r.GroupControlNumber, r.Version)
	for _, s := range r.Sets {
		w.Segment("AK2", s.ID, s.ControlNumber, s.ImplRef)
		for _, sg := range s.Segments {
			w.Begin("IK3")
			w.Elem(sg.SegmentID)
			w.ElemInt(int64(sg.Position))
			w.Elem(sg.Loop)
			w.Elem(sg.Code)
			w.End()
			// Loop 2100 CTX: the business unit, then the situational
			// trigger (both at position 0500 of 005010X231A1).
			if sg.Unit != "" && sg.UnitRef != "" {
				w.Begin("CTX")
				w.Composite()
				w.Comp(sg.Unit)
				w.Comp(sg.UnitRef)
				w.End()
			}
			if t := sg.Trigger; t != nil {
				w.Begin("CTX")
				w.Elem("SITUATIONAL TRIGGER")
				w.Elem(t.SegmentID)
				w.ElemInt(int64(t.Position))
				w.Elem(t.Loop)
				if t.Element > 0 {
					w.Composite()
					w.Comp(strconv.Itoa(t.Element))
					if t.Component > 0 {
						w.Comp(strconv.Itoa(t.Component))
					}
				}
				w.End()
			}
			for _, e := range sg.Elements {
				w.Begin("IK4")
				w.Composite()
				w.Comp(strconv.Itoa(e.Position))
				if e.Component > 0 || e.Repetition > 0 {
					w.Comp(itoaOrEmpty(e.Component))
					w.Comp(itoaOrEmpty(e.Repetition))
				}
				w.Elem(e.Reference)
				w.Elem(e.Code)
				w.Elem(e.Value)
				w.End()
			}
		}
		w.Begin("IK5")
		w.Elem(s.Ack)
		for _, c := range s.Codes {
			w.Elem(c)
		}
		w.End()
	}
	w.Begin("AK9")
	w.Elem(r.Ack)
	w.ElemInt(int64(r.Included))
	w.ElemInt(int64(r.Received))
	w.ElemInt(int64(r.Accepted))
	for _, c := range r.Codes {
		w.Elem(c)
	}
	w.End()
	w.EndSet()
}

func itoaOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}
