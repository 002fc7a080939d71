package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/store"
)

// AuditReleaseQuarantined is the audit action of a quarantined file staff
// sent back to processing.
const AuditReleaseQuarantined = "inbound.release_quarantined"

// QuarantineRelease says what ReleaseQuarantined did.
type QuarantineRelease struct {
	File store.InboundFile
	// RequestID is the job request written for the process_inbound job
	// (serve inserts the job); Release its release number (the audit
	// event's sequence number).
	RequestID int64
	Release   int64
	// ResolvedItems are the quarantine items resolved.
	ResolvedItems []int64
}

// ReleaseQuarantined sends a quarantined file back to processing from its
// stored content: in one transaction the release is appended to the audit
// log, the file goes back to received (its reason and error cleared), its
// quarantine items are resolved and a process_inbound job is requested
// for it (a store.JobRequest serve turns into the job), numbered by the
// release so it is not taken for the file's first, completed job. The worker then inspects and applies the file as if it
// had just arrived; a file still unreadable is quarantined again with a
// new item. A file that is not quarantined fails with
// billing.ErrNotReleasable.
func ReleaseQuarantined(ctx context.Context, st store.Store, p billing.ReleaseParams) (QuarantineRelease, error) {
	var out QuarantineRelease
	if strings.TrimSpace(p.Actor) == "" {
		return out, fmt.Errorf("%w: the acting user is required (audit actor)", store.ErrInvalid)
	}
	err := st.InTx(ctx, p.ClinicID, func(tx store.Tx) error {
		f, err := tx.GetInboundFile(ctx, store.Ref{ClinicID: p.ClinicID, ID: p.InboundFileID})
		if err != nil {
			return err
		}
		if f.State != store.InboundQuarantined {
			return fmt.Errorf("%w: inbound file %d %s is %s, not quarantined", billing.ErrNotReleasable, f.ID, f.FileName, f.State)
		}
		raw, err := json.Marshal(map[string]any{"inboundFileId": f.ID, "file": f.FileName, "reason": p.Reason,
			"quarantineReason": f.QuarantineReason, "error": f.Error})
		if err != nil {
			return err
		}
		ev, err := tx.AppendAuditEvent(ctx, store.AppendAuditEventParams{Actor: p.Actor, Action: AuditReleaseQuarantined,
			EntityType: "inbound_file", EntityID: strconv.FormatInt(f.ID, 10), Details: raw})
		if err != nil {
			return err
		}
		// Appending holds the clinic's audit chain until commit: read
		// again, a release or discard that committed meanwhile shows.
		if cur, err := tx.GetInboundFile(ctx, store.Ref{ClinicID: p.ClinicID, ID: f.ID}); err != nil {
			return err
		} else if cur.State != f.State {
			return fmt.Errorf("%w: inbound file %d %s became %s meanwhile", billing.ErrNotReleasable, f.ID, f.FileName, cur.State)
		}
		resolution := "released by " + p.Actor
		if p.Reason != "" {
			resolution += ": " + p.Reason
		}
		if out.ResolvedItems, err = billing.ResolveFileItems(ctx, tx, f.ID, store.WorkResolved, resolution, store.WorkQuarantinedFile); err != nil {
			return err
		}
		if out.File, err = tx.UpdateInboundFile(ctx, store.UpdateInboundFileParams{ClinicID: p.ClinicID, ID: f.ID,
			State: store.InboundReceived}); err != nil {
			return err
		}
		reqs, err := tx.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: p.ClinicID, RequestedBy: p.Actor,
			Requests: []store.NewJobRequest{{Kind: ProcessInboundArgs{}.Kind(),
				Args: RequestArgs(map[string]int64{"inbound_file_id": f.ID, "release": ev.Seq})}}})
		if err != nil {
			return err
		}
		out.Release, out.RequestID = ev.Seq, reqs[0].ID
		return nil
	})
	return out, err
}
