package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/worker"
)

// hostileDir is the repository's hostile-input corpus (made by the
// generator in cmd/clearhouse/cli/hostile_corpus_test.go).
const hostileDir = "../testdata/hostile"

// hostileFile is a corpus case a payer could send, with what the pipeline
// must do with it.
type hostileFile struct {
	name    string // the name it is dropped under
	content []byte
	what    string
	// state is the inbound file's expected state; items how many worklist
	// items it raises.
	state string
	items int
	// finding, when set, is a known gap: the case's outcome is what
	// should happen, and the test reports instead of failing.
	finding string
}

// hostilePipelineCases reads the corpus cases with a pipeline outcome.
func hostilePipelineCases(t *testing.T) []hostileFile {
	t.Helper()
	exps, err := filepath.Glob(filepath.Join(hostileDir, "*", "*.expect.json"))
	must(t, err)
	if len(exps) == 0 {
		t.Fatalf("no corpus in %s", hostileDir)
	}
	var out []hostileFile
	for _, e := range exps {
		raw, err := os.ReadFile(e)
		must(t, err)
		var x struct {
			Transaction string `json:"transaction"`
			What        string `json:"what"`
			Pipeline    *struct {
				State   string `json:"state"`
				Items   int    `json:"items"`
				Posted  string `json:"posted"`
				Finding string `json:"finding"`
			} `json:"pipeline"`
		}
		must(t, json.Unmarshal(raw, &x))
		if x.Pipeline == nil {
			continue
		}
		if x.Pipeline.Posted != "nothing" {
			t.Fatalf("%s: posted %q: the test knows only cases that post nothing", e, x.Pipeline.Posted)
		}
		stem := strings.TrimSuffix(e, ".expect.json")
		path := stem + ".x12"
		if _, err := os.Stat(path); err != nil {
			path = stem + ".bin"
		}
		content, err := os.ReadFile(path)
		must(t, err)
		out = append(out, hostileFile{name: "hostile-" + x.Transaction + "-" + filepath.Base(path), content: content,
			what: x.What, state: x.Pipeline.State, items: x.Pipeline.Items, finding: x.Pipeline.Finding})
	}
	return out
}

// controlNumbers matches what a resent 835 changes: ISA13, GS06/GE02 and
// the TRN02 trace number.
var (
	isa13 = regexp.MustCompile(`(ISA(?:\*[^*~]*){12}\*)(\d{9})`)
	iea02 = regexp.MustCompile(`IEA\*(\d+)\*\d{9}`)
	trn02 = regexp.MustCompile(`TRN\*1\*([^*~]+)`)
)

// resend is an 835 the payer sends again under new control numbers: a
// replay of payments already posted.
func resend(content []byte) []byte {
	out := isa13.ReplaceAll(content, []byte("${1}000000999"))
	out = iea02.ReplaceAll(out, []byte("IEA*${1}*000000999"))
	return trn02.ReplaceAll(out, []byte("TRN*1*RESENT-${1}"))
}

// claimLedger is a claim's balances.
type claimLedger struct{ cash, ar, patient, adjusted int64 }

func ledgerOf(t testing.TB, st store.Store, clinicID int64) map[int64]claimLedger {
	t.Helper()
	ctx := context.Background()
	out := map[int64]claimLedger{}
	for _, c := range allClaims(t, st, clinicID) {
		bal := func(account string) int64 {
			v, err := st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: clinicID, Account: account, ClaimID: c.ID})
			must(t, err)
			return v
		}
		l := claimLedger{cash: bal(billing.AccountCash), ar: bal(billing.AccountInsuranceAR), patient: bal(billing.AccountPatientAR),
			adjusted: bal(billing.AccountContractual) + bal(billing.AccountOtherAdjustment)}
		if l.cash+l.ar+l.patient+l.adjusted != c.TotalChargeCents {
			t.Errorf("claim %s: charge %d != cash %d + A/R %d + patient %d + adjustments %d", c.PatientControlNumber,
				c.TotalChargeCents, l.cash, l.ar, l.patient, l.adjusted)
		}
		if l.cash > c.TotalChargeCents {
			t.Errorf("claim %s: %d paid on a charge of %d", c.PatientControlNumber, l.cash, c.TotalChargeCents)
		}
		out[c.ID] = l
	}
	return out
}

// TestHostilePipeline drops the hostile corpus's payer files (835, 999,
// 277CA, 271, TA1 and junk), and resends of the 835s the pipeline posted,
// into the payer simulator's outbound folder of a running pipeline that
// has billed and been paid for a few claims, and checks: no job panics or
// fails, nothing hangs, every file is recorded and ends quarantined, held
// or processed as its case expects, with its worklist items (a quarantined
// file exactly one, naming the file and a position), nothing is posted,
// nothing absurd is paid, the ledger stays balanced per claim, and the
// heap stays bounded.
func TestHostilePipeline(t *testing.T) {
	cases := hostilePipelineCases(t)
	if len(cases) < 60 {
		t.Fatalf("%d pipeline cases", len(cases))
	}
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 21)
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir(), eligibility: true})
		pr := newPractice(t, st, 3)
		const visits = 4
		importVisits(t, svc, pr, visits)
		q := runQueue(t, st, p)
		var failed atomic.Int32
		var failures sync.Map
		events, cancel := q.Subscribe(river.EventKindJobFailed)
		defer cancel()
		go func() {
			for ev := range events {
				failed.Add(1)
				if len(ev.Job.Errors) > 0 {
					failures.Store(ev.Job.ID, ev.Job.Kind+": "+ev.Job.Errors[len(ev.Job.Errors)-1].Error)
				}
			}
		}()
		_, err := st.InsertJob(ctx, worker.NightlyAllArgs{}, nil)
		must(t, err)
		drive(t, st, sim, pr.clinic.ID, visits, 60*time.Second)
		checkInvariants(t, st, sim, pr.clinic.ID, visits)
		before := ledgerOf(t, st, pr.clinic.ID)
		payments := map[int64]int{}
		for id := range before {
			pays, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: pr.clinic.ID, ClaimID: id})
			must(t, err)
			payments[id] = len(pays)
		}
		oldItems, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID,
			Statuses: []string{store.WorkOpen, store.WorkInProgress, store.WorkResolved, store.WorkDismissed}})
		must(t, err)
		seenItem := map[int64]bool{}
		for _, it := range oldItems {
			seenItem[it.ID] = true
		}

		// The 835s the pipeline posted, resent: once byte for byte (the
		// transport has it already), once under new control numbers.
		posted, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: pr.clinic.ID, FileTypes: []string{"835"}})
		must(t, err)
		if len(posted) == 0 {
			t.Fatal("no 835 posted")
		}
		var resent []hostileFile
		for i, f := range posted {
			full, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: f.ID})
			must(t, err)
			body, err := st.OpenContent(ctx, full.ContentID)
			must(t, err)
			content, err := io.ReadAll(body)
			body.Close()
			must(t, err)
			again := resend(content)
			if bytes.Equal(again, content) {
				t.Fatalf("resend changed nothing in %s", f.FileName)
			}
			// Every claim payment of a resend is a suspected duplicate:
			// held, one item each (and the file processed).
			n := bytes.Count(content, []byte("CLP*"))
			resent = append(resent, hostileFile{name: "replay-" + string(rune('a'+i)) + "-" + f.FileName, content: again,
				what: "an 835 resent under new ISA13, GS06 and TRN02", state: store.InboundProcessed, items: n})
		}
		cases := append(append([]hostileFile{}, cases...), resent...)

		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		out := sim.Server().Dir("KHP01", paysim.Outbound)
		for _, c := range cases {
			must(t, os.WriteFile(filepath.Join(out, c.name), c.content, 0o644))
		}
		// A byte-for-byte copy of a file already fetched is not recorded
		// again.
		first, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: posted[0].ID})
		must(t, err)
		firstBody, err := st.OpenContent(ctx, first.ContentID)
		must(t, err)
		firstContent, err := io.ReadAll(firstBody)
		firstBody.Close()
		must(t, err)
		must(t, os.WriteFile(filepath.Join(out, "copy-"+first.FileName), firstContent, 0o644))

		byName := map[string]store.InboundFile{}
		deadline := time.Now().Add(90 * time.Second)
		for {
			files, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: pr.clinic.ID})
			must(t, err)
			open := 0
			for _, f := range files {
				byName[f.FileName] = f
				if f.State == store.InboundReceived || f.State == store.InboundProcessing || f.State == store.InboundFailed {
					open++
				}
			}
			left, _ := os.ReadDir(out)
			waiting := 0
			for _, e := range left {
				if !strings.HasPrefix(e.Name(), ".") {
					waiting++
				}
			}
			if open == 0 && waiting == 0 {
				break
			}
			if time.Now().After(deadline) {
				for _, f := range files {
					if f.State == store.InboundReceived || f.State == store.InboundProcessing || f.State == store.InboundFailed {
						t.Logf("open: %s %s %s", f.FileName, f.State, f.Error)
					}
				}
				failures.Range(func(_, v any) bool { t.Logf("job failed: %v", v); return true })
				t.Fatalf("pipeline did not settle: %d files open, %d not fetched", open, waiting)
			}
			_, err = st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
			must(t, err)
			time.Sleep(250 * time.Millisecond)
		}
		close(stop)
		wg.Wait()

		if _, ok := byName["copy-"+first.FileName]; ok {
			t.Errorf("a byte-for-byte copy of %s was recorded again", first.FileName)
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID,
			Statuses: []string{store.WorkOpen, store.WorkInProgress, store.WorkResolved, store.WorkDismissed}})
		must(t, err)
		perFile := map[int64][]store.WorklistItem{}
		var loose []store.WorklistItem
		for _, it := range items {
			if seenItem[it.ID] {
				continue
			}
			var d struct {
				InboundFileID int64 `json:"inboundFileId"`
			}
			if json.Unmarshal(it.Details, &d) == nil && d.InboundFileID != 0 {
				perFile[d.InboundFileID] = append(perFile[d.InboundFileID], it)
			} else {
				loose = append(loose, it)
			}
		}
		for _, it := range loose {
			t.Errorf("item %d %s %q names no inbound file", it.ID, it.Kind, it.Title)
		}
		counts := map[string]int{}
		var findings []string
		for _, c := range cases {
			f, ok := byName[c.name]
			if !ok {
				t.Errorf("%s (%s): never recorded", c.name, c.what)
				continue
			}
			counts[f.State]++
			got := perFile[f.ID]
			if c.finding != "" {
				if f.State != c.state || len(got) != c.items {
					findings = append(findings, c.name+": "+f.State+" with "+itoa(int64(len(got)))+" items, want "+c.state+" with "+itoa(int64(c.items))+": "+c.finding)
				} else {
					t.Errorf("%s: the finding %q no longer holds: drop it from the case", c.name, c.finding)
				}
			} else if f.State != c.state || len(got) != c.items {
				t.Errorf("%s (%s): %s with %d items, want %s with %d; %s", c.name, c.what, f.State, len(got), c.state, c.items, f.Error)
			}
			if f.State == store.InboundQuarantined {
				if !strings.Contains(f.Error, c.name) {
					t.Errorf("%s: quarantined with error %q, which does not name the file", c.name, f.Error)
				}
				for _, it := range got {
					if it.Kind != store.WorkQuarantinedFile || !strings.Contains(it.Title, c.name) {
						t.Errorf("%s: item %s %q", c.name, it.Kind, it.Title)
					}
				}
			}
		}
		for _, f := range findings {
			t.Logf("known finding: %s", f)
		}
		if n := failed.Load(); n > 0 {
			failures.Range(func(_, v any) bool { t.Errorf("job failed: %v", v); return true })
		}
		after := ledgerOf(t, st, pr.clinic.ID)
		for id, l := range after {
			if l != before[id] {
				t.Errorf("claim %d: ledger %+v, was %+v: a hostile file posted", id, l, before[id])
			}
			pays, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: pr.clinic.ID, ClaimID: id})
			must(t, err)
			if len(pays) != payments[id] {
				t.Errorf("claim %d: %d claim payments, was %d", id, len(pays), payments[id])
			}
		}
		if len(after) != visits {
			t.Errorf("%d claims, want %d", len(after), visits)
		}
		if peak.Load() > 512<<20 {
			t.Errorf("heap in use peaked at %d MB", peak.Load()>>20)
		}
		states := make([]string, 0, len(counts))
		for s, n := range counts {
			states = append(states, s+" "+itoa(int64(n)))
		}
		sort.Strings(states)
		t.Logf("%d hostile files: %s; peak heap %d MB", len(cases), strings.Join(states, ", "), peak.Load()>>20)
	})
}

// TestHostileUnmatchedPaymentItems: an 835 paying claims the practice
// never billed raises one item per claim payment, and each names the
// inbound file it came from (inboundFileId in its details), so that
// inbound show lists it and an operator can trace the money to the file.
func TestHostileUnmatchedPaymentItems(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		sim := simulator(t, t.TempDir(), 3)
		_, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir()})
		pr := newPractice(t, st, 1)
		content, err := os.ReadFile(filepath.Join(hostileDir, "835", "unknown-references-unknown-claims.x12"))
		must(t, err)
		f, _, err := st.RecordInboundFile(ctx, store.RecordInboundFileParams{ClinicID: pr.clinic.ID, FileName: "unknown.835", Source: "KHP01", FileType: "835", Body: bytes.NewReader(content)})
		must(t, err)
		q := runQueue(t, st, p)
		events, cancel := q.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		defer cancel()
		_, err = st.InsertJob(ctx, worker.ProcessInboundArgs{ClinicID: pr.clinic.ID, InboundFileID: f.ID}, nil)
		must(t, err)
		select {
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("job %s: %v", ev.Kind, ev.Job.Errors)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("job did not finish")
		}
		var items []store.WorklistItem
		must(t, st.InTx(ctx, pr.clinic.ID, func(tx store.Tx) error {
			items, err = billing.FileItems(ctx, tx, f.ID, true)
			return err
		}))
		if want := bytes.Count(content, []byte("CLP*")); len(items) != want {
			t.Errorf("%d items name the file, want %d (one per claim payment)", len(items), want)
		}
	})
}
