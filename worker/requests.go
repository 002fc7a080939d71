package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/access"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/store"
)

// Job requests: people's commands do not insert River jobs. They write a
// request of their clinic (store.JobRequest: kind, arguments as IDs only,
// requester, time), and serve turns pending requests into jobs here, a
// chunk per transaction with River's batch insert in the same
// transaction. On PostgreSQL a person holds no privilege on River's tables
// (which have no clinic) and sees only their clinics' requests; on SQLite
// the same path is taken for uniformity. Operators' own tools (jobs retry
// and cancel, River UI) stay on River directly.

// DefaultRequestInterval is how often serve looks for job requests.
const DefaultRequestInterval = time.Second

// requestKind is a job people may request: the permission the requester's
// role must carry, and how the request's arguments become the job's (the
// clinic always the request row's, never an argument).
type requestKind struct {
	perm access.Permission
	job  func(clinic int64, args json.RawMessage) (river.JobArgs, error)
}

// RequestKinds lists the kinds of job people may request, sorted.
func RequestKinds() []string {
	out := make([]string, 0, len(requestKinds))
	for k := range requestKinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RequestPermission is the permission a requester of kind needs; ok is
// false for a kind nobody may request.
func RequestPermission(kind string) (access.Permission, bool) {
	k, ok := requestKinds[kind]
	return k.perm, ok
}

var requestKinds = map[string]requestKind{
	NightlyArgs{}.Kind(): {access.ClaimsWrite, func(clinic int64, raw json.RawMessage) (river.JobArgs, error) {
		var a struct{}
		return NightlyArgs{ClinicID: clinic}, decodeRequestArgs(raw, &a)
	}},
	SubmitPayerBatchArgs{}.Kind(): {access.ClaimsWrite, func(clinic int64, raw json.RawMessage) (river.JobArgs, error) {
		var a struct {
			PayerID int64 `json:"payer_id"`
		}
		if err := decodeRequestArgs(raw, &a); err != nil {
			return nil, err
		}
		if a.PayerID <= 0 {
			return nil, errors.New("payer_id is required")
		}
		return SubmitPayerBatchArgs{ClinicID: clinic, PayerID: a.PayerID}, nil
	}},
	ClaimStatusArgs{}.Kind(): {access.ClaimsWrite, func(clinic int64, raw json.RawMessage) (river.JobArgs, error) {
		var a struct {
			PayerID  int64   `json:"payer_id"`
			ClaimIDs []int64 `json:"claim_ids"`
		}
		if err := decodeRequestArgs(raw, &a); err != nil {
			return nil, err
		}
		if (a.PayerID > 0) != (len(a.ClaimIDs) > 0) {
			return nil, errors.New("payer_id and claim_ids go together")
		}
		return ClaimStatusArgs{ClinicID: clinic, PayerID: a.PayerID, ClaimIDs: a.ClaimIDs}, nil
	}},
	PatientPaymentsArgs{}.Kind(): {access.PaymentsWrite, func(clinic int64, raw json.RawMessage) (river.JobArgs, error) {
		var a struct{}
		return PatientPaymentsArgs{ClinicID: clinic}, decodeRequestArgs(raw, &a)
	}},
	ProcessInboundArgs{}.Kind(): {access.InboundManage, func(clinic int64, raw json.RawMessage) (river.JobArgs, error) {
		var a struct {
			InboundFileID int64 `json:"inbound_file_id"`
			Release       int64 `json:"release"`
		}
		if err := decodeRequestArgs(raw, &a); err != nil {
			return nil, err
		}
		if a.InboundFileID <= 0 {
			return nil, errors.New("inbound_file_id is required")
		}
		return ProcessInboundArgs{ClinicID: clinic, InboundFileID: a.InboundFileID, Release: a.Release}, nil
	}},
	scheduling.DeliverReminderArgs{}.Kind(): {access.AppointmentsWrite, func(clinic int64, raw json.RawMessage) (river.JobArgs, error) {
		var a struct {
			ReminderID int64 `json:"reminder_id"`
		}
		if err := decodeRequestArgs(raw, &a); err != nil {
			return nil, err
		}
		if a.ReminderID <= 0 {
			return nil, errors.New("reminder_id is required")
		}
		return scheduling.DeliverReminderArgs{ClinicID: clinic, ReminderID: a.ReminderID}, nil
	}},
}

// decodeRequestArgs reads a request's arguments strictly: a field the kind
// does not take (a clinic_id among them) refuses the request.
func decodeRequestArgs(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("arguments: %v", err)
	}
	return nil
}

// RequestArgs are the arguments of a request of kind, as IDs only; the
// clinic is the request's.
func RequestArgs(v any) json.RawMessage {
	b, _ := json.Marshal(v) // structs of IDs always marshal
	return b
}

// requestJobs returns the function that maps claimed requests to their
// jobs, judging requesters by users (read before the transaction: on
// SQLite's single connection no other store call may run inside it). A
// request whose kind is unknown, whose arguments do not fit, or whose
// requester may not ask for it in that clinic (their role, their clinics,
// a disabled or unknown user) is refused with the reason.
func requestJobs(users []store.User) func(ctx context.Context, reqs []store.JobRequest) ([]store.JobRequestJob, error) {
	byLogin := make(map[string]store.User, len(users))
	for _, u := range users {
		byLogin[u.Login] = u
	}
	return func(_ context.Context, reqs []store.JobRequest) ([]store.JobRequestJob, error) {
		out := make([]store.JobRequestJob, len(reqs))
		for i, r := range reqs {
			k, ok := requestKinds[r.Kind]
			if !ok {
				out[i].Refused = fmt.Sprintf("%q is not a kind of job people may request", r.Kind)
				continue
			}
			u, ok := byLogin[r.RequestedBy]
			if !ok {
				out[i].Refused = fmt.Sprintf("%s %v", r.RequestedBy, access.ErrUnknownUser)
				continue
			}
			who, err := access.FromUser(u)
			if err == nil {
				err = who.CheckClinic(k.perm, r.ClinicID)
			}
			if err != nil {
				out[i].Refused = err.Error()
				continue
			}
			args, err := k.job(r.ClinicID, r.Args)
			if err != nil {
				out[i].Refused = err.Error()
				continue
			}
			opts := &river.InsertOpts{}
			if o, ok := args.(river.JobArgsWithInsertOpts); ok {
				v := o.InsertOpts()
				opts = &v
			}
			if r.ScheduledAt != nil {
				opts.ScheduledAt = *r.ScheduledAt
			}
			out[i].Job = river.InsertManyParams{Args: args, InsertOpts: opts}
		}
		return out, nil
	}
}

// TakeJobRequests turns every pending job request into its River job (or
// refuses it), a chunk of SliceSize requests per transaction, then gives
// taken requests whose job has ended the job's final state. It returns how
// many requests it took or refused.
func (p *Pipeline) TakeJobRequests(ctx context.Context) (int, error) {
	users, err := p.cfg.Store.ListUsers(ctx)
	if err != nil {
		return 0, fmt.Errorf("job requests: users: %w", err)
	}
	jobs := requestJobs(users)
	total := 0
	for {
		reqs, err := p.cfg.Store.TakeJobRequests(ctx, store.TakeJobRequestsParams{Limit: p.cfg.SliceSize, Jobs: jobs})
		if err != nil {
			return total, err
		}
		total += len(reqs)
		refused := 0
		for _, r := range reqs {
			if r.State == store.JobRequestRefused {
				refused++
				p.log.Warn("job request refused", "clinic", r.ClinicID, "request", r.ID, "kind", r.Kind, "requested_by", r.RequestedBy, "reason", r.Error)
			}
		}
		if len(reqs) > 0 {
			p.log.Info("job requests taken", "requests", len(reqs), "refused", refused)
		}
		if len(reqs) < p.cfg.SliceSize {
			break
		}
	}
	if _, err := p.cfg.Store.SyncJobRequests(ctx); err != nil {
		return total, err
	}
	return total, nil
}

// ServeJobRequests takes job requests every interval (default
// DefaultRequestInterval) until ctx ends; a failed round is logged and
// tried again at the next.
func (p *Pipeline) ServeJobRequests(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultRequestInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := p.TakeJobRequests(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("job requests", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
