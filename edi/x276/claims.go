package x276

import (
	"time"

	"github.com/clearhouse/clearhouse/claim"
)

// ClaimInquiry is one claim to ask about, with what the payer told of it
// before: its claim control number from the 277CA or 835 (REF*1K), when
// known.
type ClaimInquiry struct {
	Claim                   *claim.Claim
	PayerClaimControlNumber string
}

// RequestFor builds a 276 asking payer, on behalf of receiver (the
// submitter, 2100B NM1*41 NM109 its ETIN), about claims: one service
// provider level per billing provider NPI, one subscriber level per member
// ID under it, and a dependent level (2000E) for a claim whose patient is
// not the subscriber. Each claim's TRN*1 trace number is its patient
// control number, which the 277 echoes in TRN*2.
func RequestFor(ref string, created time.Time, payer, receiver Entity, claims []ClaimInquiry) *Request {
	payer.EntityCode, receiver.EntityCode = "PR", "41"
	if payer.EntityType == "" {
		payer.EntityType = "2"
	}
	if payer.IDQualifier == "" {
		payer.IDQualifier = "PI"
	}
	if receiver.EntityType == "" {
		receiver.EntityType = "2"
	}
	receiver.IDQualifier = "46"
	rcv := Receiver{Name: receiver}
	for _, q := range claims {
		c := q.Claim
		bp := &c.BillingProvider
		pi := -1
		for i := range rcv.Providers {
			if rcv.Providers[i].Name.ID == bp.NPI {
				pi = i
			}
		}
		if pi < 0 {
			name := Entity{EntityCode: "1P", EntityType: "2", Last: bp.Organization, IDQualifier: "XX", ID: bp.NPI}
			if bp.Organization == "" {
				name.EntityType, name.Last, name.First, name.Middle, name.Suffix = "1", bp.LastName, bp.FirstName, bp.MiddleName, bp.Suffix
			}
			rcv.Providers = append(rcv.Providers, Provider{Name: name})
			pi = len(rcv.Providers) - 1
		}
		p := &rcv.Providers[pi]
		s := &c.Subscriber
		si := -1
		for i := range p.Subscribers {
			if p.Subscribers[i].Name.ID == s.MemberID {
				si = i
			}
		}
		if si < 0 {
			p.Subscribers = append(p.Subscribers, Subscriber{
				Name: Entity{EntityCode: "IL", EntityType: "1", Last: s.LastName, First: s.FirstName, Middle: s.MiddleName,
					Suffix: s.Suffix, IDQualifier: "MI", ID: s.MemberID},
			})
			si = len(p.Subscribers) - 1
		}
		sub := &p.Subscribers[si]
		from, to := c.ServiceSpan()
		cl := Claim{
			TraceNumber: c.PatientControlNumber, PayerClaimControlNumber: q.PayerClaimControlNumber,
			PatientControlNumber: c.PatientControlNumber, ChargeCents: c.TotalChargeCents,
			ServiceFrom: from.Time(), ServiceTo: to.Time(),
		}
		if from.IsZero() {
			cl.ServiceFrom, cl.ServiceTo = time.Time{}, time.Time{}
		}
		if c.Kind == claim.Institutional && c.FacilityType != "" {
			freq := c.FrequencyCode
			if freq == "" {
				freq = claim.FrequencyOriginal
			}
			cl.BillType = c.FacilityType + freq
		}
		if c.Patient == nil {
			sub.Demographics = Demographics{BirthDate: dateTime(s.BirthDate), Gender: s.Gender}
			sub.Claims = append(sub.Claims, cl)
			continue
		}
		pt := c.Patient
		di := -1
		for i := range sub.Dependents {
			d := &sub.Dependents[i]
			if d.Name.Last == pt.LastName && d.Name.First == pt.FirstName && d.BirthDate.Equal(dateTime(pt.BirthDate)) {
				di = i
			}
		}
		if di < 0 {
			sub.Dependents = append(sub.Dependents, Dependent{
				Demographics: Demographics{BirthDate: dateTime(pt.BirthDate), Gender: pt.Gender},
				Name:         Entity{EntityCode: "QC", EntityType: "1", Last: pt.LastName, First: pt.FirstName, Middle: pt.MiddleName, Suffix: pt.Suffix},
			})
			di = len(sub.Dependents) - 1
		}
		sub.Dependents[di].Claims = append(sub.Dependents[di].Claims, cl)
	}
	return &Request{ReferenceID: ref, Created: created,
		Sources: []Source{{Name: payer, Receivers: []Receiver{rcv}}}}
}

func dateTime(d claim.Date) time.Time {
	if d.IsZero() {
		return time.Time{}
	}
	return d.Time()
}
