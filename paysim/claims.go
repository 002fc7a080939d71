package paysim

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x837"
)

// Claim status category and status codes of 277CA STC01 (external code
// lists 507 and 508) the simulator uses, with the entity identifier codes
// of C043-3 (85 billing provider, 82 rendering provider, DN referring
// provider, IL subscriber, QC patient, PR payer).
var (
	statusReceived = x277.StatusCode{Category: "A1", Code: "19", Entity: "PR"} // receipt acknowledged
	statusAccepted = x277.StatusCode{Category: "A2", Code: "20", Entity: "PR"} // accepted for processing
)

// rejection is a 277CA claim rejection: up to three STC composites and a
// message (STC12).
type rejection struct {
	codes   []x277.StatusCode
	message string
}

// randomRejections are the rejections drawn for claims without data errors
// at Rates.Reject: what payers commonly reject front-end.
var randomRejections = []rejection{
	{[]x277.StatusCode{{Category: "A7", Code: "21"}}, "MISSING OR INVALID INFORMATION"},
	{[]x277.StatusCode{{Category: "A7", Code: "562", Entity: "85"}}, "BILLING PROVIDER NPI NOT ON FILE"},
	{[]x277.StatusCode{{Category: "A6", Code: "145", Entity: "85"}}, "BILLING PROVIDER TAXONOMY REQUIRED"},
	{[]x277.StatusCode{{Category: "A8", Code: "158", Entity: "QC"}}, "PATIENT BIRTH DATE DOES NOT MATCH"},
	{[]x277.StatusCode{{Category: "A7", Code: "454"}}, "INVALID PROCEDURE CODE"},
}

// dataRejection returns the rejection of a claim with obviously bad data,
// or nil: an NPI failing its check digit, a subscriber without a member ID,
// a charge that does not add up, a future date of service, no diagnosis,
// and (when configured) a subscriber not in the roster.
func (rc *responder) dataRejection(c *claim.Claim, received claim.Date) *rejection {
	bad := func(msg string, codes ...x277.StatusCode) *rejection {
		return &rejection{codes: codes, message: msg}
	}
	switch {
	case !claim.ValidNPI(c.BillingProvider.NPI):
		return bad("INVALID BILLING PROVIDER NPI", x277.StatusCode{Category: "A7", Code: "562", Entity: "85"})
	case c.Rendering != nil && c.Rendering.NPI != "" && !claim.ValidNPI(c.Rendering.NPI):
		return bad("INVALID RENDERING PROVIDER NPI", x277.StatusCode{Category: "A7", Code: "562", Entity: "82"})
	case c.Referring != nil && c.Referring.NPI != "" && !claim.ValidNPI(c.Referring.NPI):
		return bad("INVALID REFERRING PROVIDER NPI", x277.StatusCode{Category: "A7", Code: "562", Entity: "DN"})
	case c.Subscriber.MemberID == "":
		return bad("SUBSCRIBER ID MISSING", x277.StatusCode{Category: "A6", Code: "164", Entity: "IL"})
	case len(c.Lines) == 0 || c.TotalChargeCents != c.LineChargeTotal():
		return bad("CLAIM OUT OF BALANCE", x277.StatusCode{Category: "A7", Code: "400"})
	case len(c.Diagnoses) == 0:
		return bad("DIAGNOSIS CODE MISSING", x277.StatusCode{Category: "A6", Code: "255"})
	}
	if from, to := c.ServiceSpan(); from.After(received) || to.After(received) {
		return bad("FUTURE DATE OF SERVICE", x277.StatusCode{Category: "A7", Code: "187"}, x277.StatusCode{Category: "A7", Code: "510"})
	}
	if rc.sim.cfg.RejectUnknownMembers && rc.sim.roster.find(rc.payer, c.Subscriber.MemberID) == nil {
		return bad("SUBSCRIBER ID NOT FOUND", x277.StatusCode{Category: "A7", Code: "33", Entity: "IL"}, x277.StatusCode{Category: "A7", Code: "164", Entity: "IL"})
	}
	return nil
}

// claimSet is the claims of one 837 transaction set.
type claimSet struct {
	key    setKey
	env    x837.Envelope
	claims []*claim.Claim
}

// answerClaims decodes the claims of the accepted 837 sets and answers each
// interchange with a 277CA holding one transaction per 837 set. Accepted
// claims are adjudicated into the pending queue.
func (rc *responder) answerClaims(content []byte, reports map[int64]*edi.InterchangeReport, accepted map[setKey]bool) ([][]byte, error) {
	d := x837.NewDecoder(bytes.NewReader(content))
	d.File = rc.name
	var sets []*claimSet
	for d.Next() {
		env := d.Envelope()
		k := setKey{env.Controls.Interchange, env.Controls.Group, env.Controls.Set}
		if !accepted[k] {
			continue
		}
		if len(sets) == 0 || sets[len(sets)-1].key != k {
			sets = append(sets, &claimSet{key: k, env: env})
		}
		cs := sets[len(sets)-1]
		cs.claims = append(cs.claims, d.Claim())
	}
	if err := d.Err(); err != nil {
		// Claims whose values cannot be read are not answered; the others are.
		rc.sim.log.Warn("paysim 837 claims not decoded", "payer", rc.payer, "name", rc.name, "err", err)
	}
	var out [][]byte
	for len(sets) > 0 {
		isa := sets[0].key.isa
		n := 1
		for n < len(sets) && sets[n].key.isa == isa {
			n++
		}
		ic := reports[isa]
		if ic == nil {
			sets = sets[n:]
			continue
		}
		b, err := rc.write277(ic, sets[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, b)
		sets = sets[n:]
	}
	return out, nil
}

// write277 writes the 277CA interchange answering the sets of interchange
// ic, and queues the accepted claims.
func (rc *responder) write277(ic *edi.InterchangeReport, sets []*claimSet) ([]byte, error) {
	isaHdr, gsHdr := rc.replyEnvelope(ic)
	received := claim.DateOf(rc.now)
	reply := replyAddress{
		SenderQualifier: isaHdr.SenderQualifier, SenderID: isaHdr.SenderID, SenderCode: gsHdr.SenderCode,
		ReceiverQualifier: isaHdr.ReceiverQualifier, ReceiverID: isaHdr.ReceiverID, ReceiverCode: gsHdr.ReceiverCode,
		Usage: isaHdr.Usage,
	}
	dr := draw{seed: rc.sim.cfg.Seed}
	acks := make([]*x277.Acknowledgment, 0, len(sets))
	for si, cs := range sets {
		submitter := x277.Entity{EntityCode: "41", EntityType: "2", Last: cs.env.SubmitterName, IDQualifier: "46", ID: cs.env.SubmitterID}
		if submitter.Last == "" {
			submitter.Last = ic.SenderID
		}
		if submitter.ID == "" {
			submitter.ID = ic.SenderID
		}
		batch := cs.env.Reference
		if batch == "" {
			batch = fmt.Sprintf("%04d", cs.key.st)
		}
		status := func(c x277.StatusCode) []x277.Status {
			return []x277.Status{{Codes: []x277.StatusCode{c}, Date: rc.now}}
		}
		recv := x277.InformationReceiver{Name: submitter, TraceNumber: batch, Statuses: status(statusReceived)}
		for ci, c := range cs.claims {
			pi := slices.IndexFunc(recv.Providers, func(p x277.BillingProvider) bool {
				return p.Name.ID == providerID(c) && p.Name.Last == providerName(&c.BillingProvider)
			})
			if pi < 0 {
				bp := x277.BillingProvider{
					Name:        providerEntity(c),
					TraceNumber: fmt.Sprintf("%s%03d", "BP", len(recv.Providers)+1),
					Statuses:    status(x277.StatusCode{Category: "A1", Code: "19", Entity: "85"}),
				}
				if c.BillingProvider.TaxID != "" {
					bp.References = []x277.Reference{{Qualifier: "TJ", Value: c.BillingProvider.TaxID}}
				}
				recv.Providers = append(recv.Providers, bp)
				pi = len(recv.Providers) - 1
			}
			cst := x277.ClaimStatus{
				Patient:              patientEntity(c),
				PatientControlNumber: c.PatientControlNumber,
			}
			from, to := c.ServiceSpan()
			if from.IsZero() {
				from = received
			}
			cst.ServiceFrom = from.Time()
			if !to.IsZero() && to != from {
				cst.ServiceTo = to.Time()
			}
			if c.Kind == claim.Institutional && c.FacilityType != "" {
				cst.BillType = c.FacilityType + orDefault(c.FrequencyCode, claim.FrequencyOriginal)
			}
			rej := rc.dataRejection(c, received)
			if rej == nil && dr.chance(rc.sim.rates.reject, "reject", rc.payer, c.PatientControlNumber) {
				r := randomRejections[dr.pick(len(randomRejections), "reject-reason", rc.payer, c.PatientControlNumber)]
				rej = &r
			}
			if rej != nil {
				cst.Statuses = []x277.Status{{Codes: rej.codes, Date: rc.now, Action: "U", AmountCents: c.TotalChargeCents, Message: rej.message}}
				rc.st.recordClaim(rc.payer, c.PatientControlNumber, claimRecord{State: claimRejected, ChargeCents: c.TotalChargeCents, Received: rc.now.UTC(), Rejection: rej.codes[0]})
			} else {
				icn := fmt.Sprintf("%02d%03d%s", rc.now.Year()%100, rc.now.YearDay(),
					dr.digits(9, "icn", rc.payer, rc.name, strconv.FormatInt(cs.key.isa, 10), strconv.FormatInt(cs.key.st, 10), strconv.Itoa(ci), c.PatientControlNumber))
				cst.PayerClaimControlNumber = icn
				cst.Statuses = []x277.Status{{Codes: []x277.StatusCode{statusAccepted}, Date: rc.now, Action: "WQ", AmountCents: c.TotalChargeCents}}
				rc.queue(c, icn, reply)
				rc.st.recordClaim(rc.payer, c.PatientControlNumber, claimRecord{State: claimAccepted, ChargeCents: c.TotalChargeCents, PayerClaimID: icn, Received: rc.now.UTC()})
			}
			recv.Providers[pi].Claims = append(recv.Providers[pi].Claims, cst)
		}
		ack := &x277.Acknowledgment{
			ReferenceID: fmt.Sprintf("CA%09d%02d", isaHdr.ControlNumber, si+1),
			Created:     rc.now,
			Sources: []x277.InformationSource{{
				Name:        x277.Entity{EntityCode: "PR", EntityType: "2", Last: rc.profile.Name, IDQualifier: "PI", ID: rc.profile.ID},
				TraceNumber: fmt.Sprintf("RCV%09d", isaHdr.ControlNumber),
				ReceiptDate: rc.now,
				ProcessDate: rc.now,
				Receivers:   []x277.InformationReceiver{recv},
			}},
		}
		if len(recv.Providers) == 0 {
			continue
		}
		ack.ComputeTotals()
		acks = append(acks, ack)
	}
	if len(acks) == 0 {
		return nil, nil
	}
	var buf bytes.Buffer
	if err := x277.Encode(&buf, isaHdr, gsHdr, acks...); err != nil {
		return nil, fmt.Errorf("paysim: writing 277CA for %s: %w", rc.name, err)
	}
	return buf.Bytes(), nil
}

func providerName(p *claim.Provider) string {
	if p.Organization != "" {
		return p.Organization
	}
	return p.LastName
}

// providerID is the billing provider's NPI, or its tax ID without one.
func providerID(c *claim.Claim) string {
	if c.BillingProvider.NPI != "" {
		return c.BillingProvider.NPI
	}
	return orDefault(c.BillingProvider.TaxID, "000000000")
}

// providerEntity is the 277CA Loop 2100C NM1*85.
func providerEntity(c *claim.Claim) x277.Entity {
	p := &c.BillingProvider
	e := x277.Entity{EntityCode: "85", EntityType: "2", Last: providerName(p), IDQualifier: "XX", ID: providerID(c)}
	if p.Organization == "" {
		e.EntityType, e.First = "1", p.FirstName
	}
	if p.NPI == "" {
		e.IDQualifier = "FI"
	}
	return e
}

// patientEntity is the 277CA Loop 2100D NM1*QC: the patient's name with the
// subscriber's member ID.
func patientEntity(c *claim.Claim) x277.Entity {
	last, first := c.PatientName()
	e := x277.Entity{EntityCode: "QC", EntityType: "1", Last: last, First: first}
	if c.Subscriber.MemberID != "" {
		e.IDQualifier, e.ID = "MI", c.Subscriber.MemberID
	}
	if e.Last == "" {
		e.Last = "UNKNOWN"
	}
	return e
}

// dueTime is when the 835 of a claim accepted now is due.
func (rc *responder) dueTime(pcn string) time.Time {
	due := rc.now.Add(rc.sim.cfg.AdjudicationDelay)
	if j := rc.sim.cfg.AdjudicationJitter; j > 0 {
		due = due.Add(time.Duration(draw{seed: rc.sim.cfg.Seed}.value("jitter", rc.payer, pcn) % uint64(j+1)))
	}
	return due.UTC()
}
