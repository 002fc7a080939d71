package worklist_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/worklist"
)

// pgURL is the package's PostgreSQL database: one per test run, each test
// seeds its own clinic through its own pool (with its own clock).
var pgURL string

func TestMain(m *testing.M) {
	os.Exit(storetest.Main(m, storetest.Options{Prefix: "clearhouse_worklist_test"},
		func(pg storetest.Postgres) { pgURL = pg.URL }))
}

type fixture struct {
	st    store.Store
	clock *clock.Settable
	seed  *reporttest.Seeded
	svc   *worklist.Service
	ctx   context.Context
}

// eachBackend runs fn against a seeded SQLite store and a seeded clinic in
// the PostgreSQL database.
func eachBackend(t *testing.T, fn func(t *testing.T, f *fixture)) {
	open := map[string]func(t *testing.T, clock *clock.Settable) store.Store{
		"sqlite": func(t *testing.T, clock *clock.Settable) store.Store {
			return storetest.OpenSQLite(t, storetest.Options{Now: clock.Now})
		},
		"postgres": func(t *testing.T, clock *clock.Settable) store.Store {
			return storetest.OpenPostgresAt(t, pgURL, storetest.Options{Now: clock.Now, MaxConns: 2})
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := clock.New(reporttest.End)
			st := open[name](t, clock)
			seed, err := reporttest.Seed(ctx, st, clock)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := worklist.New(worklist.Config{Store: st, Now: clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, &fixture{st: st, clock: clock, seed: seed, svc: svc, ctx: ctx})
		})
	}
}

func ids(items []worklist.Item, names map[int64]string) []string {
	var out []string
	for _, it := range items {
		out = append(out, names[it.ID])
	}
	return out
}

func TestList(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		names := map[int64]string{}
		for n, w := range f.seed.Items {
			names[w.ID] = n
		}
		clinic := []int64{f.seed.Clinic.ID}
		for _, tc := range []struct {
			name   string
			filter worklist.Filter
			want   []string
		}{
			{"open by age", worklist.Filter{}, []string{"denial16", "underpaid", "reject999", "denial29", "unmatched", "eligibility"}},
			{"oldest first", worklist.Filter{Sort: "-age"}, []string{"denial16", "underpaid", "reject999", "denial29", "unmatched", "eligibility"}},
			{"newest first", worklist.Filter{Sort: "age"}, []string{"eligibility", "denial29", "unmatched", "reject999", "denial16", "underpaid"}},
			{"denials", worklist.Filter{Kinds: []string{store.WorkDenial}}, []string{"denial16", "denial29"}},
			{"payer", worklist.Filter{Payer: "mcrjx"}, []string{"denial29", "unmatched", "eligibility"}},
			{"assignee", worklist.Filter{Assignee: "dana"}, []string{"eligibility"}},
			{"unassigned amount", worklist.Filter{Unassigned: true, Sort: "-" + worklist.SortAmount}, []string{"denial16", "denial29", "reject999", "unmatched", "underpaid"}},
			{"amount range", worklist.Filter{MinAmountCents: 4500, MaxAmountCents: 18000}, []string{"reject999", "denial29", "unmatched"}},
			{"at least 10 days old", worklist.Filter{MinAgeDays: 10}, []string{"denial16", "underpaid", "reject999"}},
			{"at least 11 days old", worklist.Filter{MinAgeDays: 11}, []string{"denial16", "underpaid"}},
			{"at most 7 days", worklist.Filter{MaxAgeDays: 7}, []string{"denial29", "unmatched", "eligibility"}},
			{"resolved", worklist.Filter{Statuses: []string{store.WorkResolved}}, []string{"scrub", "reject277"}},
			{"limit", worklist.Filter{Sort: "-" + worklist.SortPriority, Limit: 2}, []string{"denial16", "reject999"}},
			{"clinic", worklist.Filter{ClinicIDs: clinic, Kinds: []string{store.WorkEligibility}}, []string{"eligibility"}},
			{"unknown payer", worklist.Filter{Payer: "NOPE"}, nil},
		} {
			items, err := f.svc.List(f.ctx, tc.filter)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			// Other tests' clinics share the PostgreSQL database.
			var mine []worklist.Item
			for _, it := range items {
				if it.ClinicID == f.seed.Clinic.ID {
					mine = append(mine, it)
				}
			}
			if got := ids(mine, names); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
			}
		}
		items, err := f.svc.List(f.ctx, worklist.Filter{ClinicIDs: clinic, Kinds: []string{store.WorkDenial}})
		if err != nil {
			t.Fatal(err)
		}
		if it := items[0]; it.AgeDays != 12 || it.PayerCode != "KHP01" || it.PatientControlNumber != "E102" || it.Action != "correct and resubmit" {
			t.Errorf("decorated item: %+v", it)
		}
		for _, bad := range []worklist.Filter{{Kinds: []string{"nope"}}, {Statuses: []string{"x"}}, {Sort: "size"},
			{MinAgeDays: 5, MaxAgeDays: 2}, {Assignee: "a", Unassigned: true}, {MinAmountCents: -1}} {
			if _, err := f.svc.List(f.ctx, bad); !errors.Is(err, worklist.ErrInvalid) {
				t.Errorf("filter %+v: %v, want ErrInvalid", bad, err)
			}
		}
	})
}

func TestShow(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		d, err := f.svc.Show(f.ctx, 0, f.seed.Items["denial16"].ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Claim == nil || d.Claim.PatientControlNumber != "E102" || len(d.History) != 7 {
			t.Fatalf("claim %+v, history %d", d.Claim, len(d.History))
		}
		if d.Payment == nil || d.Payment.StatusCode != "4" || d.Payment.TraceNumber != "T100" || !slices.Equal(d.Payment.Remarks, []string{"M51"}) ||
			len(d.Payment.Adjustments) != 1 || d.Payment.Adjustments[0].ReasonCode != "16" {
			t.Fatalf("payment %+v", d.Payment)
		}
		want := worklist.Problem{Source: "835", Location: "Loop 2100 CAS", Code: "CO-16", Message: billing.ActionFor("CO", "16").Note,
			Action: "correct and resubmit", AmountCents: 20000}
		if len(d.Problems) != 1 || d.Problems[0] != want {
			t.Fatalf("problems %+v", d.Problems)
		}
		if len(d.Related) != 1 || d.Related[0].Kind != store.WorkScrubFailure {
			t.Fatalf("related %+v", d.Related)
		}
		for name, want := range map[string]worklist.Problem{
			"reject999": {Source: "999", Location: "Loop 2010BA NM109 (segment 12)", Code: "IK403:7", Message: "W1234",
				Action: "correct the claim from the error codes and locations, then scrub and resubmit"},
			"reject277": {Source: "277CA", Location: "Loop 2200D STC", Code: "A7:562:85", Message: "billing provider NPI invalid",
				Action: "correct the claim from the error codes and locations, then scrub and resubmit"},
			"scrub": {Source: "scrub", Location: "Loop 2400 SV101-3", Code: "KHP-MOD25", Message: "E/M with a procedure needs modifier 25",
				Action: "add modifier 25 to the E/M line"},
			"unmatched": {Source: "835", Location: "segment 14 CLP", Code: store.WorkUnmatchedPayment, Message: "Unmatched claim payment X999",
				Action: "find the claim and apply the payment to it"},
		} {
			d, err := f.svc.Show(f.ctx, f.seed.Clinic.ID, f.seed.Items[name].ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.Problems) != 1 || d.Problems[0] != want {
				t.Errorf("%s: problems %+v", name, d.Problems)
			}
		}
		if _, err := f.svc.Show(f.ctx, f.seed.Clinic.ID, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown item: %v", err)
		}
	})
}

// auditActions returns the clinic's audit events as "actor action entity:id".
func auditActions(t *testing.T, f *fixture) []string {
	t.Helper()
	evs, err := f.st.ListAuditEvents(f.ctx, store.ListAuditEventsParams{ClinicID: f.seed.Clinic.ID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Actor+" "+e.Action+" "+e.EntityType+":"+e.EntityID)
	}
	v, err := f.st.VerifyAuditChain(f.ctx, store.VerifyAuditChainParams{ClinicID: f.seed.Clinic.ID})
	if err != nil || !v.OK() {
		t.Fatalf("audit chain: %v %+v", err, v.Problem)
	}
	return out
}

func TestAssignNoteResolve(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		ref := store.Ref{ClinicID: f.seed.Clinic.ID, ID: f.seed.Items["denial29"].ID}
		w, err := f.svc.Assign(f.ctx, store.Ref{ID: ref.ID}, "sam", "lee")
		if err != nil || w.Assignee != "sam" || w.Status != store.WorkInProgress {
			t.Fatalf("assign: %+v %v", w, err)
		}
		if w, err = f.svc.AddNote(f.ctx, ref, "called the payer: proof of timely filing requested", "sam"); err != nil {
			t.Fatal(err)
		}
		if w, err = f.svc.AddNote(f.ctx, ref, "no proof on file", "sam"); err != nil {
			t.Fatal(err)
		}
		var d struct {
			Notes   []worklist.Note        `json:"notes"`
			Reasons []billing.DenialReason `json:"reasons"`
		}
		if err := json.Unmarshal(w.Details, &d); err != nil || len(d.Notes) != 2 || d.Notes[1].Actor != "sam" || len(d.Reasons) != 1 {
			t.Fatalf("details %s: %v", w.Details, err)
		}
		if w, err = f.svc.Resolve(f.ctx, ref, "written off", false, "sam"); err != nil || w.Status != store.WorkResolved || w.ResolvedAt == nil {
			t.Fatalf("resolve: %+v %v", w, err)
		}
		if _, err := f.svc.Resolve(f.ctx, ref, "again", false, "sam"); !errors.Is(err, worklist.ErrNotAllowed) {
			t.Errorf("resolve twice: %v", err)
		}
		if _, err := f.svc.Assign(f.ctx, ref, "x", "sam"); !errors.Is(err, worklist.ErrNotAllowed) {
			t.Errorf("assign resolved: %v", err)
		}
		if _, err := f.svc.AddNote(f.ctx, ref, "  ", "sam"); !errors.Is(err, worklist.ErrInvalid) {
			t.Errorf("empty note: %v", err)
		}
		if _, err := f.svc.Assign(f.ctx, ref, "x", ""); !errors.Is(err, worklist.ErrInvalid) {
			t.Errorf("no actor: %v", err)
		}
		other := store.Ref{ClinicID: f.seed.Clinic.ID, ID: f.seed.Items["unmatched"].ID}
		if w, err = f.svc.Resolve(f.ctx, other, "duplicate", true, "sam"); err != nil || w.Status != store.WorkDismissed {
			t.Fatalf("dismiss: %+v %v", w, err)
		}
		id, oid := fmt.Sprint(ref.ID), fmt.Sprint(other.ID)
		want := []string{"lee worklist.assign worklist_item:" + id, "sam worklist.note worklist_item:" + id, "sam worklist.note worklist_item:" + id,
			"sam worklist.resolve worklist_item:" + id, "sam worklist.dismiss worklist_item:" + oid}
		if got := auditActions(t, f); !slices.Equal(got, want) {
			t.Errorf("audit:\n got %q\nwant %q", got, want)
		}
	})
}

func TestCorrectReplacement(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		orig := f.seed.Claims[2] // denied CO-16, ICN KHP-0002
		res, err := f.svc.Correct(f.ctx, worklist.CorrectParams{ClaimID: orig.ID, Actor: "sam", Reason: "add modifier",
			Set: []string{`lines.0.modifiers=["25"]`, "lines.0.chargeCents=21000", "note=corrected claim"}})
		if err != nil {
			t.Fatal(err)
		}
		// The store does not record "replaced" yet; the original is closed.
		if (res.Original.Status != claim.StatusReplaced && res.Original.Status != claim.StatusClosed) || res.New == nil {
			t.Fatalf("result %+v", res)
		}
		nc := *res.New
		if nc.Status != claim.StatusDraft || nc.FrequencyCode != claim.FrequencyReplacement || nc.PatientControlNumber != "E102R1" ||
			nc.PayerClaimControlNumber != "KHP-0002" || nc.OriginalClaimID == nil || *nc.OriginalClaimID != orig.ID || nc.TotalChargeCents != 21000 {
			t.Fatalf("new claim %+v", nc)
		}
		var doc claim.Claim
		if err := json.Unmarshal(nc.Document, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.FrequencyCode != "7" || doc.PayerClaimControlNumber != "KHP-0002" || doc.PatientControlNumber != "E102R1" ||
			!slices.Equal(doc.Lines[0].Modifiers, []string{"25"}) || doc.TotalChargeCents != 21000 || doc.Note != "corrected claim" {
			t.Fatalf("document %+v", doc)
		}
		bal := func(id int64) int64 {
			b, err := f.st.LedgerBalance(f.ctx, store.LedgerBalanceParams{ClinicID: f.seed.Clinic.ID, Account: billing.AccountInsuranceAR, ClaimID: id})
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if bal(orig.ID) != 0 || bal(nc.ID) != 21000 {
			t.Errorf("A/R: original %d, replacement %d", bal(orig.ID), bal(nc.ID))
		}
		// The denial item is resolved; the resolved scrub item stays as it was.
		if len(res.ResolvedItems) != 1 || res.ResolvedItems[0] != f.seed.Items["denial16"].ID {
			t.Errorf("resolved %v", res.ResolvedItems)
		}
		// A second correction of the replacement (still a draft) is in place.
		res2, err := f.svc.Correct(f.ctx, worklist.CorrectParams{ClinicID: f.seed.Clinic.ID, ClaimID: nc.ID, Actor: "sam", Set: []string{"lines.0.chargeCents=20500"}})
		if err != nil || res2.New != nil || res2.Original.TotalChargeCents != 20500 || bal(nc.ID) != 20500 {
			t.Fatalf("in-place correction: %+v %v (A/R %d)", res2, err, bal(nc.ID))
		}
		// Replaced is final.
		if _, err := f.svc.Correct(f.ctx, worklist.CorrectParams{ClaimID: orig.ID, Actor: "sam", Set: []string{"note=x"}}); !errors.Is(err, worklist.ErrNotAllowed) {
			t.Errorf("correct a replaced claim: %v", err)
		}
		want := []string{"sam claim.correct claim:" + fmt.Sprint(orig.ID), "sam claim.correct claim:" + fmt.Sprint(nc.ID)}
		if got := auditActions(t, f); !slices.Equal(got, want) {
			t.Errorf("audit %q", got)
		}
	})
}

func TestCorrectInPlaceAndErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c9 := f.seed.Claims[9] // rejected by the 999: no ICN
		var doc claim.Claim
		if err := json.Unmarshal(c9.Document, &doc); err != nil {
			t.Fatal(err)
		}
		doc.PriorAuthorization = "PA77"
		edited, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.Correct(f.ctx, worklist.CorrectParams{ClaimID: c9.ID, Actor: "sam", Document: edited})
		if err != nil {
			t.Fatal(err)
		}
		var got claim.Claim
		if err := json.Unmarshal(res.Original.Document, &got); err != nil || got.PriorAuthorization != "PA77" || got.PatientControlNumber != "E109" {
			t.Fatalf("document %+v %v", got, err)
		}
		if res.New != nil || res.Original.Status != claim.StatusDraft {
			t.Fatalf("result %+v", res)
		}
		if len(res.ResolvedItems) != 1 || res.ResolvedItems[0] != f.seed.Items["reject999"].ID {
			t.Errorf("resolved %v", res.ResolvedItems)
		}
		for _, tc := range []struct {
			set  []string
			want error
		}{
			{nil, worklist.ErrInvalid},
			{[]string{"noEquals"}, worklist.ErrInvalid},
			{[]string{"nosuchfield=1"}, worklist.ErrInvalid},
			{[]string{"lines.5.chargeCents=1"}, worklist.ErrInvalid},
			{[]string{"lines.0.chargeCents=abc"}, worklist.ErrInvalid},
			{[]string{"kind.x=1"}, worklist.ErrInvalid},
		} {
			_, err := f.svc.Correct(f.ctx, worklist.CorrectParams{ClaimID: c9.ID, Actor: "sam", Set: tc.set})
			if !errors.Is(err, tc.want) {
				t.Errorf("set %q: %v, want %v", tc.set, err, tc.want)
			}
		}
		if _, err := f.svc.Correct(f.ctx, worklist.CorrectParams{ClaimID: 999999, Actor: "sam", Set: []string{"note=x"}}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown claim: %v", err)
		}
	})
}

func TestVoid(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c4 := f.seed.Claims[4] // accepted, unpaid, 300.00 in A/R
		res, err := f.svc.Void(f.ctx, worklist.VoidParams{ClaimID: c4.ID, Actor: "sam", Reason: "wrong patient"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Original.Status != claim.StatusVoided || res.New == nil || res.New.FrequencyCode != "8" || res.New.PatientControlNumber != "E104V1" ||
			res.New.PayerClaimControlNumber != "MCR-0004" || res.New.Status != claim.StatusDraft {
			t.Fatalf("void %+v new %+v", res.Original, res.New)
		}
		b, err := f.st.LedgerBalance(f.ctx, store.LedgerBalanceParams{ClinicID: f.seed.Clinic.ID, Account: billing.AccountInsuranceAR, ClaimID: c4.ID})
		if err != nil || b != 0 {
			t.Errorf("A/R after void: %d %v", b, err)
		}
		if _, err := f.svc.Void(f.ctx, worklist.VoidParams{ClaimID: c4.ID, Actor: "sam"}); !errors.Is(err, worklist.ErrNotAllowed) {
			t.Errorf("void twice: %v", err)
		}
		// A claim the payer never had is voided without a void claim.
		c9 := f.seed.Claims[9]
		res, err = f.svc.Void(f.ctx, worklist.VoidParams{ClaimID: c9.ID, Actor: "sam"})
		if err != nil || res.New != nil || res.Original.Status != claim.StatusVoided {
			t.Fatalf("void unsent: %+v %v", res, err)
		}
		if got := auditActions(t, f); len(got) != 2 || got[1] != "sam claim.void claim:"+fmt.Sprint(c9.ID) {
			t.Errorf("audit %q", got)
		}
	})
}

func TestAppeal(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c2 := f.seed.Claims[2]
		res, err := f.svc.Appeal(f.ctx, worklist.AppealParams{ClaimID: c2.ID, Actor: "sam", Note: "records attached"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Item == nil || res.Item.Kind != worklist.KindAppeal || res.Item.Status != store.WorkInProgress || res.Item.AmountCents != 20000 ||
			len(res.ResolvedItems) != 1 {
			t.Fatalf("appeal %+v", res)
		}
		if _, err := f.svc.Appeal(f.ctx, worklist.AppealParams{ClaimID: c2.ID, Actor: "sam"}); !errors.Is(err, worklist.ErrNotAllowed) {
			t.Errorf("second filing: %v", err)
		}
		if _, err := f.svc.Appeal(f.ctx, worklist.AppealParams{ClaimID: c2.ID, Actor: "sam", Status: worklist.AppealPending}); err != nil {
			t.Fatal(err)
		}
		res, err = f.svc.Appeal(f.ctx, worklist.AppealParams{ClaimID: c2.ID, Actor: "sam", Status: worklist.AppealLost, Note: "upheld"})
		if err != nil || res.Item.Status != store.WorkResolved || res.Item.Resolution != "appeal lost: upheld" {
			t.Fatalf("lost: %+v %v", res.Item, err)
		}
		var d struct {
			Appeal []worklist.AppealEvent `json:"appeal"`
		}
		if err := json.Unmarshal(res.Item.Details, &d); err != nil || len(d.Appeal) != 3 || d.Appeal[2].Status != "lost" {
			t.Fatalf("history %s", res.Item.Details)
		}
		// A second-level appeal after losing.
		res, err = f.svc.Appeal(f.ctx, worklist.AppealParams{ClaimID: c2.ID, Actor: "sam"})
		if err != nil || res.Item.Title != "Appeal level 2 of E102" {
			t.Fatalf("level 2: %+v %v", res.Item, err)
		}
		for _, tc := range []struct {
			p    worklist.AppealParams
			want error
		}{
			{worklist.AppealParams{ClaimID: f.seed.Claims[4].ID, Actor: "sam"}, worklist.ErrNotAllowed},                             // accepted, not adjudicated
			{worklist.AppealParams{ClaimID: f.seed.Claims[7].ID, Actor: "sam", Status: worklist.AppealWon}, worklist.ErrNotAllowed}, // nothing filed
			{worklist.AppealParams{ClaimID: c2.ID, Actor: "sam", Status: "maybe"}, worklist.ErrInvalid},
		} {
			if _, err := f.svc.Appeal(f.ctx, tc.p); !errors.Is(err, tc.want) {
				t.Errorf("%+v: %v, want %v", tc.p, err, tc.want)
			}
		}
		items, err := f.svc.List(f.ctx, worklist.Filter{ClinicIDs: []int64{f.seed.Clinic.ID}, Kinds: []string{worklist.KindAppeal}})
		if err != nil || len(items) != 1 || items[0].Action != "follow up with the payer on the appeal" {
			t.Fatalf("appeal items %+v %v", items, err)
		}
	})
}

func TestWriteOff(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		c7 := f.seed.Claims[7] // CO-29 timely filing, 180.00 in A/R
		res, err := f.svc.WriteOff(f.ctx, worklist.WriteOffParams{ClaimID: c7.ID, AmountCents: 5000, Reason: "timely filing", Actor: "sam"})
		if err != nil || res.AmountCents != 5000 || len(res.ResolvedItems) != 0 {
			t.Fatalf("partial: %+v %v", res, err)
		}
		res, err = f.svc.WriteOff(f.ctx, worklist.WriteOffParams{ClaimID: c7.ID, Reason: "timely filing", Actor: "sam"})
		if err != nil || res.AmountCents != 13000 || len(res.ResolvedItems) != 1 {
			t.Fatalf("rest: %+v %v", res, err)
		}
		wo, err := f.st.LedgerBalance(f.ctx, store.LedgerBalanceParams{ClinicID: f.seed.Clinic.ID, Account: billing.AccountWriteOff, ClaimID: c7.ID})
		if err != nil || wo != 18000 {
			t.Errorf("written off %d %v", wo, err)
		}
		if _, err := f.svc.WriteOff(f.ctx, worklist.WriteOffParams{ClaimID: c7.ID, Reason: "x", Actor: "sam"}); !errors.Is(err, worklist.ErrNotAllowed) {
			t.Errorf("nothing left: %v", err)
		}
		c8 := f.seed.Claims[8] // 100.00 patient responsibility
		if res, err = f.svc.WriteOff(f.ctx, worklist.WriteOffParams{ClaimID: c8.ID, FromPatient: true, AmountCents: 2500, Reason: "small balance", Actor: "sam"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.WriteOff(f.ctx, worklist.WriteOffParams{ClaimID: c8.ID, Actor: "sam"}); !errors.Is(err, worklist.ErrInvalid) {
			t.Errorf("no reason: %v", err)
		}
		if got := auditActions(t, f); len(got) != 3 || got[2] != "sam claim.writeoff claim:"+fmt.Sprint(c8.ID) {
			t.Errorf("audit %q", got)
		}
	})
}

// TestShowHeldPayment: a held 835 claim payment shows each hold as a
// problem with its position and amount; the hold kinds are listed kinds.
func TestShowHeldPayment(t *testing.T) {
	eachBackend(t, func(t *testing.T, f *fixture) {
		hold := billing.Hold{Reason: billing.HoldDuplicate, Message: "claim E102: payment 120.00 of payer claim ICN1 was posted before",
			Position: "ISA13 000000042, GS06 42, ST02 0001, segment 12, CLP", AmountCents: 12000, PatientControlNumber: "E102", PriorPaymentID: 7}
		raw, err := json.Marshal(map[string]any{"holds": []billing.Hold{hold}, "position": hold.Position, "action": "compare with the payer"})
		if err != nil {
			t.Fatal(err)
		}
		w, _, err := f.st.CreateWorklistItem(f.ctx, store.CreateWorklistItemParams{ClinicID: f.seed.Clinic.ID, Kind: billing.WorkHeldPayment,
			Priority: 3, AmountCents: 12000, Title: "835 payment 120.00 of E102 held (duplicate), not posted", Details: raw, DedupeKey: "held-test"})
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.svc.Show(f.ctx, 0, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := worklist.Problem{Source: "835", Location: hold.Position, Code: "hold:duplicate", Message: hold.Message, Action: "compare with the payer",
			AmountCents: 12000}
		if len(d.Problems) != 1 || d.Problems[0] != want {
			t.Fatalf("problems %+v", d.Problems)
		}
		items, err := f.svc.List(f.ctx, worklist.Filter{ClinicIDs: []int64{f.seed.Clinic.ID}, Kinds: []string{billing.WorkHeldPayment, billing.WorkHeldRemittance}})
		if err != nil || len(items) != 1 || items[0].ID != w.ID {
			t.Fatalf("held items %+v %v", items, err)
		}
	})
}
