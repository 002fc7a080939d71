package cli

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

// runNight runs one night of clinic 1 through the River queue against the
// payer simulator over SFTP, as serve does: the nightly job scrubs the
// drafts and submits the 837s, the 999s and 277CAs come back and are
// applied, then the 835s are released and posted. It returns when every
// file the payers sent is processed.
func runNight(t *testing.T, st store.Store, clk *clock.Settable) {
	t.Helper()
	ctx := context.Background()
	reg, err := fixtures.Payers()
	if err != nil {
		t.Fatal(err)
	}
	const payer = "KHP01"
	rp, ok := reg.Get(payer)
	if !ok {
		t.Fatal("KHP01 not in the fixture payers")
	}
	const password = "night-test-password"
	logger := slog.New(slog.DiscardHandler)
	sim, err := paysim.NewSimulator(paysim.Config{
		Server: paysim.ServerConfig{Addr: "127.0.0.1:0", Root: filepath.Join(t.TempDir(), "paysim"), Payers: []string{payer},
			Users: []paysim.User{{Name: "clearhouse", Password: password}}},
		Payers: []paysim.PayerProfile{{ID: payer, Name: rp.Name, InterchangeQualifier: rp.Envelope.ReceiverQualifier,
			InterchangeID: rp.Envelope.ReceiverID, ApplicationID: rp.Envelope.GSReceiver, TimelyFilingDays: rp.TimelyFilingDays,
			FeeSchedule: &paysim.FeeSchedule{Allowed: map[string]int64{}, DefaultPercent: 80}}},
		Registry:          reg,
		Seed:              15,
		AdjudicationDelay: 24 * time.Hour,
		Logger:            logger,
		Now:               clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	host, portText, err := net.SplitHostPort(sim.Server().Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portText)
	pin := transport.HostKeyPin{Fingerprint: ssh.FingerprintSHA256(sim.Server().HostKey())}

	sets, err := codes.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		t.Fatal(err)
	}
	scr, err := scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
	if err != nil {
		t.Fatal(err)
	}
	profiles, err := billing.StoredProfiles(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	bill, err := billing.New(st, billing.Options{Now: clk.Now, Logger: logger, Scrubber: scr, Payers: reg, Profiles: profiles, Actor: "night"})
	if err != nil {
		t.Fatal(err)
	}
	const pwEnv = "NIGHT_TEST_SFTP_PASSWORD"
	pipe, err := worker.New(worker.Config{
		Store: st, Billing: bill, Payers: reg,
		Endpoint: func(py *payers.Payer) (transport.Endpoint, error) {
			ep := worker.EndpointFor(py, transport.Auth{PasswordEnv: pwEnv}, true)
			ep.Host, ep.Port, ep.HostKey = host, port, pin
			ep.Retry = transport.RetryPolicy{MaxAttempts: 3, InitialBackoff: 50 * time.Millisecond}
			return ep, nil
		},
		Transport: transport.Options{InboxDir: t.TempDir(), Logger: logger, Now: clk.Now,
			Getenv: func(name string) string {
				if name == pwEnv {
					return password
				}
				return ""
			}},
		PollPayers: []string{payer},
		NoNightly:  true,
		Retry:      worker.RetryPolicy{Base: 100 * time.Millisecond, Max: time.Second, MaxAttempts: 5},
		Logger:     logger,
		Now:        clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	qc := pipe.QueueConfig(2)
	qc.PeriodicJobs = nil // the test drives the schedule on its own clock
	qc.FetchPollInterval = 50 * time.Millisecond
	qc.Logger = logger
	queue, err := st.NewQueue(qc)
	if err != nil {
		t.Fatal(err)
	}
	if err := queue.Start(context.WithoutCancel(ctx)); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stop, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_ = queue.Stop(stop)
	}()

	waitFor := func(what string, cond func() (bool, error)) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			ok, err := cond()
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				cs, _ := st.ListClaims(ctx, store.ListClaimsParams{ClinicID: 1})
				for _, c := range cs {
					t.Logf("claim %d %s %s", c.ID, c.PatientControlNumber, c.Status)
				}
				items, _ := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: 1})
				for _, it := range items {
					t.Logf("item %d %s %s", it.ID, it.Kind, it.Title)
				}
				ics, _ := st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: 1})
				for _, ic := range ics {
					t.Logf("interchange %d %s %s %s", ic.ID, ic.TransactionSet, ic.Status, ic.LastError)
				}
				fs, _ := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: 1})
				for _, f := range fs {
					t.Logf("inbound %d %s %s %s %s", f.ID, f.FileName, f.FileType, f.State, f.Error)
				}
				t.Fatalf("%s: not done after 90 s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	count := func(statuses ...claim.Status) int {
		cs, err := st.ListClaims(ctx, store.ListClaimsParams{ClinicID: 1, Statuses: statuses})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	collect := func(expected int) {
		t.Helper()
		var lastPoll time.Time
		waitFor("files received and applied", func() (bool, error) {
			fs, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: 1})
			if err != nil {
				return false, err
			}
			settled := 0
			for _, f := range fs {
				if f.State == store.InboundProcessed || f.State == store.InboundQuarantined {
					settled++
				}
			}
			if settled >= expected && settled == len(fs) {
				return true, nil
			}
			if time.Since(lastPoll) > 300*time.Millisecond {
				lastPoll = time.Now()
				if _, err := st.InsertJob(ctx, worker.PollInboundArgs{Payer: payer}, nil); err != nil {
					return false, err
				}
			}
			return false, nil
		})
	}

	if _, err := st.InsertJob(ctx, worker.NightlyArgs{ClinicID: 1}, nil); err != nil {
		t.Fatal(err)
	}
	interchanges := 0
	waitFor("claims scrubbed and submitted", func() (bool, error) {
		if count(claim.StatusDraft, claim.StatusReady) > 0 {
			return false, nil
		}
		ics, err := st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: 1})
		if err != nil {
			return false, err
		}
		interchanges = 0
		for _, ic := range ics {
			switch ic.Status {
			case store.InterchangeCreated, store.InterchangeUploading, store.InterchangeFailed:
				return false, nil
			}
			if ic.TransactionSet != "270" {
				interchanges++
			}
		}
		return interchanges > 0, nil
	})
	collect(2 * interchanges) // a 999 and a 277CA each

	clk.Set(clk.Now().Add(48 * time.Hour))
	released, err := sim.ReleaseDue(ctx, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if released == 0 {
		t.Fatal("the simulator released no 835")
	}
	collect(2*interchanges + released)
}
