package worker_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestJobRequestsRefused: serve takes a request only for a kind people may
// ask for, with arguments of IDs that fit the kind (never a clinic of
// their own), from a user whose role carries the kind's permission in the
// request's clinic; the rest are refused with the reason and no job. (On
// SQLite, where the requester is what the command says; PostgreSQL records
// the login and its row-level security keeps other clinics out, see the
// cli package's TestJobRequestsPostgres.)
func TestJobRequestsRefused(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenSQLite(t, storetest.Options{})
	_, p := newPipeline(t, st, simTarget{Addr: "127.0.0.1:1"}, pipelineOptions{inbox: t.TempDir()})
	a, b := newPractice(t, st, 1), newPractice(t, st, 1)
	for _, u := range []store.CreateUserParams{
		{Login: "bill", Role: "biller", Clinics: []int64{a.clinic.ID}},
		{Login: "desk", Role: "front_desk", Clinics: []int64{a.clinic.ID}},
		{Login: "gone", Role: "biller", Clinics: []int64{a.clinic.ID}},
	} {
		_, err := st.CreateUser(ctx, u)
		must(t, err)
	}
	disabled := true
	_, err := st.UpdateUser(ctx, store.UpdateUserParams{Login: "gone", Disabled: &disabled})
	must(t, err)
	cases := []struct {
		name, by string
		clinic   int64
		kind     string
		args     string
		refused  string // "" when taken
	}{
		{"biller's nightly", "bill", a.clinic.ID, "nightly", `{}`, ""},
		{"biller's submission", "bill", a.clinic.ID, "submit_payer_batch", `{"payer_id": 1}`, ""},
		{"another clinic", "bill", b.clinic.ID, "nightly", `{}`, "is not a member of clinic"},
		{"a clinic in the arguments", "bill", a.clinic.ID, "nightly", `{"clinic_id": 2}`, `unknown field "clinic_id"`},
		{"missing payer", "bill", a.clinic.ID, "submit_payer_batch", `{}`, "payer_id is required"},
		{"front desk's nightly", "desk", a.clinic.ID, "nightly", `{}`, "may not claims.write"},
		{"operator's kind", "bill", a.clinic.ID, "process_inbound", `{"inbound_file_id": 1}`, "may not inbound.manage"},
		{"fan-out", "bill", a.clinic.ID, "nightly_all", `{}`, "not a kind of job people may request"},
		{"disabled user", "gone", a.clinic.ID, "nightly", `{}`, "disabled"},
		{"no user", "nobody", a.clinic.ID, "nightly", `{}`, "is not a user of Clearhouse"},
	}
	ids := make([]store.Ref, len(cases))
	for i, tc := range cases {
		rs, err := st.CreateJobRequests(ctx, store.CreateJobRequestsParams{ClinicID: tc.clinic, RequestedBy: tc.by,
			Requests: []store.NewJobRequest{{Kind: tc.kind, Args: json.RawMessage(tc.args)}}})
		must(t, err)
		ids[i] = store.Ref{ClinicID: tc.clinic, ID: rs[0].ID}
	}
	n, err := p.TakeJobRequests(ctx)
	must(t, err)
	if n != len(cases) {
		t.Fatalf("%d requests taken or refused, want %d", n, len(cases))
	}
	for i, tc := range cases {
		r, err := st.GetJobRequest(ctx, ids[i])
		must(t, err)
		switch {
		case tc.refused == "" && (r.State != store.JobRequestTaken || r.JobID == nil):
			t.Errorf("%s: %s %q, want taken with a job", tc.name, r.State, r.Error)
		case tc.refused != "" && (r.State != store.JobRequestRefused || r.JobID != nil || !strings.Contains(r.Error, tc.refused)):
			t.Errorf("%s: %s %q, want refused with %q", tc.name, r.State, r.Error, tc.refused)
		}
	}
	// Nothing is pending any more: a second round takes nothing.
	if n, err := p.TakeJobRequests(ctx); err != nil || n != 0 {
		t.Errorf("second round: %d, %v", n, err)
	}
}
