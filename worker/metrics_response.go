package worker

import (
	"context"

	"github.com/clearhouse/clearhouse/store"
)

// responseSample caps the claims of a 277CA or an 835 looked at to find
// the 837 files it answers.
const responseSample = 50

// observeResponse records, for each 837 file a processed 999, 277CA or
// 835 answers, the time from the 837's upload to the response's arrival
// (clearhouse_response_seconds). The 837s are found through what the file
// applied: a 999's acknowledged interchanges, the claims of a 277CA or an
// 835 (a sample of them). Failures only cost the observation.
func (p *Pipeline) observeResponse(ctx context.Context, f store.InboundFile) {
	st := p.cfg.Store
	interchanges := map[int64]bool{}
	addClaim := func(id *int64) {
		if id == nil || len(interchanges) >= responseSample {
			return
		}
		c, err := st.GetClaim(ctx, store.Ref{ClinicID: f.ClinicID, ID: *id})
		if err == nil && c.InterchangeID != nil {
			interchanges[*c.InterchangeID] = true
		}
	}
	switch f.FileType {
	case store.Ack999, store.Ack277CA:
		acks, err := st.ListAcknowledgments(ctx, store.ListAcknowledgmentsParams{ClinicID: f.ClinicID, InboundFileID: f.ID})
		if err != nil {
			return
		}
		claims := 0
		for _, a := range acks {
			switch {
			case f.FileType == store.Ack999 && a.InterchangeID != nil:
				interchanges[*a.InterchangeID] = true
			case f.FileType == store.Ack277CA && claims < responseSample:
				claims++
				addClaim(a.ClaimID)
			}
		}
	case "835":
		rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: f.ClinicID, InboundFileID: f.ID})
		if err != nil {
			return
		}
		for _, r := range rems {
			cps, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: f.ClinicID, RemittanceID: r.ID, Limit: responseSample})
			if err != nil {
				return
			}
			for _, cp := range cps {
				addClaim(cp.ClaimID)
			}
		}
	default:
		return
	}
	for id := range interchanges {
		ic, err := st.GetInterchange(ctx, store.Ref{ClinicID: f.ClinicID, ID: id})
		if err != nil || ic.UploadedAt == nil || len(ic.TransactionSet) < 3 || ic.TransactionSet[:3] != "837" {
			continue
		}
		if d := f.ReceivedAt.Sub(*ic.UploadedAt); d >= 0 {
			p.metrics.response.WithLabelValues(f.FileType).Observe(d.Seconds())
		}
	}
}
