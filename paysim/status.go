package paysim

import (
	"bytes"

	"strings"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x276"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x835"
)

// Where a claim stands in the simulator, as a 277 claim status response
// reports it (claimRecord.State).
const (
	claimAccepted = "accepted" // 277CA accepted it; its 835 is not yet sent
	claimRejected = "rejected" // 277CA rejected it
	claimPaid     = "paid"     // its 835 paid some of it
	claimDenied   = "denied"   // its 835 denied it (CLP02 4)
)

// claimRecord is what the simulator remembers of a claim it received, to
// answer 276 inquiries about it.
type claimRecord struct {
	State        string    `json:"state"`
	ChargeCents  int64     `json:"chargeCents"`
	PaidCents    int64     `json:"paidCents,omitempty"`
	PayerClaimID string    `json:"payerClaimId,omitempty"`
	Received     time.Time `json:"received"`
	Finalized    time.Time `json:"finalized,omitzero"`
	// Rejection is the 277CA's first status code of a rejected claim.
	Rejection x277.StatusCode `json:"rejection,omitzero"`
}

func claimKey(payer, pcn string) string { return payer + "/" + pcn }

// recordClaim remembers a claim the 277CA accepts or rejects.
func (st *simState) recordClaim(payer, pcn string, r claimRecord) {
	if st.Claims == nil {
		st.Claims = map[string]claimRecord{}
	}
	st.Claims[claimKey(payer, pcn)] = r
	st.changedClaim(claimKey(payer, pcn))
}

// changedClaim notes a claim record a clone changed, for its journal
// entry.
func (st *simState) changedClaim(k string) {
	if st.changed == nil {
		st.changed = map[string]bool{}
	}
	st.changed[k] = true
}

// recordRemit marks the claims of a released 835 paid or denied.
func (st *simState) recordRemit(payer string, cp *x835.ClaimPayment, at time.Time) {
	k := claimKey(payer, cp.PatientControlNumber)
	r, ok := st.Claims[k]
	if !ok {
		return
	}
	r.State, r.PaidCents, r.Finalized = claimPaid, cp.PaidCents, at.UTC()
	if cp.Status == "4" {
		r.State = claimDenied
	}
	st.Claims[k] = r
	st.changedClaim(k)
}

// pendingAfter is how long an accepted claim is reported as received
// (A2) before it is reported pending in adjudication (P1).
const pendingAfter = 24 * time.Hour

// Claim status category and status codes of the simulator's 277 (external
// code lists 507 and 508, x12.org; the categories are those the X212
// samples in fixtures/x12/samples/277 use, A1, P3, F0, F2, E0, and the
// guide's A2, A4, P1, F1): status code 1 is "for more detailed information,
// see remittance advice", 20 "accepted for processing", 35 "claim/encounter
// not found".
//
// Checked against published copies of the lists (the X12 lists themselves
// are not in the repository): code 35 "Claim/encounter not found" and
// codes 1 and 20 as above in the 508 list as the hippo gem ships it
// (rubydoc.info Hippo::CodeLists::ClaimStatusCodes) and in Stedi's claim
// status troubleshooting guide, which adds that payers pair 35 with
// category D0 ("data search unsuccessful"); category A4 is "Acknowledgement/
// Not Found: the claim/encounter can not be found in the adjudication
// system" in the 507 list as eMedNY publishes it. So A4:35 is a valid
// answer for a claim the payer never received; x277.StandingOf reads A4
// and D0 alike as not found.
var (
	statusReceivedClaim = x277.StatusCode{Category: "A2", Code: "20"}
	statusPendingClaim  = x277.StatusCode{Category: "P1", Code: "20"}
	statusPaidClaim     = x277.StatusCode{Category: "F1", Code: "1"}
	statusDeniedClaim   = x277.StatusCode{Category: "F2", Code: "1"}
	statusNotFound      = x277.StatusCode{Category: "A4", Code: "35"}
)

// claimStatus is the 277 Loop 2200D/E answer to one claim of a 276.
func (rc *responder) claimStatus(q *x276.Claim) x277.StatusClaim {
	out := x277.StatusClaim{
		TraceNumber:             q.TraceNumber,
		PatientControlNumber:    q.PatientControlNumber,
		PayerClaimControlNumber: q.PayerClaimControlNumber,
		BillType:                q.BillType,
		ServiceFrom:             q.ServiceFrom,
		ServiceTo:               q.ServiceTo,
	}
	st := x277.Status{Date: rc.now, AmountCents: q.ChargeCents}
	r, ok := rc.st.Claims[claimKey(rc.payer, q.PatientControlNumber)]
	if !ok && q.PayerClaimControlNumber != "" {
		for k, v := range rc.st.Claims {
			if v.PayerClaimID == q.PayerClaimControlNumber && strings.HasPrefix(k, rc.payer+"/") {
				r, ok = v, true
				break
			}
		}
	}
	if !ok {
		st.Codes = []x277.StatusCode{statusNotFound}
		out.Statuses = []x277.Status{st}
		return out
	}
	st.AmountCents = r.ChargeCents
	if r.PayerClaimID != "" {
		out.PayerClaimControlNumber = r.PayerClaimID
	}
	switch r.State {
	case claimRejected:
		c := r.Rejection
		if c.Category == "" {
			c = x277.StatusCode{Category: "A3", Code: "21"}
		}
		st.Codes = []x277.StatusCode{c}
	case claimPaid, claimDenied:
		st.Codes = []x277.StatusCode{statusPaidClaim}
		if r.State == claimDenied {
			st.Codes = []x277.StatusCode{statusDeniedClaim}
		}
		st.PaidCents = r.PaidCents
		st.AdjudicatedDate = r.Finalized
	default:
		st.Codes = []x277.StatusCode{statusReceivedClaim}
		if rc.now.Sub(r.Received) >= pendingAfter {
			st.Codes = []x277.StatusCode{statusPendingClaim}
		}
	}
	out.Statuses = []x277.Status{st}
	return out
}

// answerStatus writes the 277 claim status responses (X212) to the
// accepted 276 sets of the file, one interchange per interchange asked.
func (rc *responder) answerStatus(content []byte, reports map[int64]*edi.InterchangeReport, accepted map[setKey]bool) ([][]byte, error) {
	reqs, err := x276.Decode(bytes.NewReader(content))
	if err != nil {
		rc.sim.log.Warn("paysim 276 not fully decoded", "payer", rc.payer, "name", rc.name, "err", err)
	}
	byISA := map[int64][]*x277.StatusResponse{}
	var order []int64
	for _, q := range reqs {
		isa := parseControl(q.Interchange)
		if !accepted[setKey{isa, parseControl(q.Group), parseControl(q.ControlNumber)}] || reports[isa] == nil {
			continue
		}
		resp := &x277.StatusResponse{ReferenceID: q.ReferenceID, Created: rc.now}
		if resp.ReferenceID == "" {
			resp.ReferenceID = q.ControlNumber
		}
		for _, s := range q.Sources {
			src := x277.StatusSource{Name: s.Name}
			src.Name.Last = rc.profile.Name
			for _, r := range s.Receivers {
				rcv := x277.StatusReceiver{Name: r.Name}
				for _, p := range r.Providers {
					prov := x277.StatusProvider{Name: p.Name}
					for _, sub := range p.Subscribers {
						ss := x277.StatusSubscriber{Name: sub.Name}
						for i := range sub.Claims {
							ss.Claims = append(ss.Claims, rc.claimStatus(&sub.Claims[i]))
						}
						for _, d := range sub.Dependents {
							sd := x277.StatusDependent{Name: d.Name}
							for i := range d.Claims {
								sd.Claims = append(sd.Claims, rc.claimStatus(&d.Claims[i]))
							}
							ss.Dependents = append(ss.Dependents, sd)
						}
						prov.Subscribers = append(prov.Subscribers, ss)
					}
					rcv.Providers = append(rcv.Providers, prov)
				}
				src.Receivers = append(src.Receivers, rcv)
			}
			resp.Sources = append(resp.Sources, src)
		}
		if _, seen := byISA[isa]; !seen {
			order = append(order, isa)
		}
		byISA[isa] = append(byISA[isa], resp)
	}
	var out [][]byte
	for _, isa := range order {
		isaHdr, gsHdr := rc.replyEnvelope(reports[isa])
		var buf bytes.Buffer
		if err := x277.EncodeStatus(&buf, isaHdr, gsHdr, byISA[isa]...); err != nil {
			// A 276 the guide's required values are missing from (say, no
			// payer ID) gets no 277; its 999 already answered it.
			rc.sim.log.Warn("paysim 277 not written", "payer", rc.payer, "name", rc.name, "err", err)
			continue
		}
		out = append(out, buf.Bytes())
	}
	return out, nil
}
