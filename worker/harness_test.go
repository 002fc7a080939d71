package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/rules"
	"github.com/clearhouse/clearhouse/scheduling"
	"github.com/clearhouse/clearhouse/scrub"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/transport"
	"github.com/clearhouse/clearhouse/worker"
)

const simPassword = "paysim-secret"

var scrubber = sync.OnceValues(func() (*scrub.Scrubber, error) {
	sets, err := codes.LoadEmbedded()
	if err != nil {
		return nil, err
	}
	reg, err := fixtures.Payers()
	if err != nil {
		return nil, err
	}
	files, err := scrub.LoadRuleFiles(rules.Files())
	if err != nil {
		return nil, err
	}
	return scrub.New(scrub.Config{Codes: sets, Payers: reg, RuleFiles: files})
})

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openSQLite(t testing.TB, path string) store.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), sqlitestore.Config{Path: path})
	must(t, err)
	t.Cleanup(func() { s.Close() })
	_, err = s.Migrate(context.Background())
	must(t, err)
	return s
}

// eachBackend runs fn against SQLite and PostgreSQL, each a fresh database
// per test.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Store)) {
	storetest.Backends(t, nil, storetest.Options{Prefix: "clearhouse_worker_test"}, fn)
}

// simulator starts the payer simulator on a loopback port.
func simulator(t testing.TB, root string, seed uint64, mutate ...func(*paysim.Config)) *paysim.Simulator {
	t.Helper()
	reg, err := fixtures.Payers()
	must(t, err)
	cfg := paysim.Config{
		Server:             paysim.ServerConfig{Root: root, Users: []paysim.User{{Name: "clearhouse", Password: simPassword}}, Payers: []string{"KHP01"}},
		Registry:           reg,
		Seed:               seed,
		Rates:              paysim.Rates{Reject: 0.05, Deny: 0.1, Partial: 0.2},
		DefaultCostSharing: paysim.CostSharing{CopayCents: 2000},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	sim, err := paysim.NewSimulator(cfg)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	must(t, sim.Start(ctx))
	t.Cleanup(func() { cancel(); sim.Close() })
	return sim
}

// simTarget is how a worker reaches the simulator.
type simTarget struct {
	Addr        string
	Fingerprint string
}

func targetOf(sim *paysim.Simulator) simTarget {
	return simTarget{Addr: sim.Server().Addr().String(), Fingerprint: ssh.FingerprintSHA256(sim.Server().HostKey())}
}

func profileSource() (billing.ProfileSource, error) {
	raw, err := os.ReadFile(filepath.Join(testdataDir(), "profile.yaml"))
	if err != nil {
		return nil, err
	}
	return billing.LoadProfiles("profile.yaml", raw)
}

// testdataDir is the package's testdata, also from a re-executed binary.
func testdataDir() string {
	if d := os.Getenv("CLEARHOUSE_WORKER_TESTDATA"); d != "" {
		return d
	}
	d, _ := filepath.Abs("testdata")
	return d
}

// testLogger writes the pipeline's log to stderr when
// CLEARHOUSE_WORKER_LOG is set, and discards it otherwise.
func testLogger() *slog.Logger {
	if os.Getenv("CLEARHOUSE_WORKER_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, nil))
}

// pipelineOptions tune newPipeline.
type pipelineOptions struct {
	inbox       string
	jobTimeout  time.Duration
	rescueAfter time.Duration
	maxClaims   int
	sliceSize   int
	// eligibility configures the scheduling service, which applies 271s.
	eligibility bool
	payments    *payments.Service
	// pgp, when set, is KHP01's sftp.pgp.
	pgp *payers.PGP
	// postChunk is billing's PostChunkSize; now the pipeline's clock.
	postChunk int
	now       func() time.Time
	metrics   *worker.Metrics
}

// newPipeline builds billing and the pipeline against the simulator.
func newPipeline(t testing.TB, st store.Store, target simTarget, o pipelineOptions) (*billing.Service, *worker.Pipeline) {
	t.Helper()
	svc, p, err := buildPipeline(st, target, o)
	must(t, err)
	t.Cleanup(func() { p.Close() })
	return svc, p
}

// buildPipeline is newPipeline without a testing.TB, for the re-executed
// worker of the crash test.
func buildPipeline(st store.Store, target simTarget, o pipelineOptions) (*billing.Service, *worker.Pipeline, error) {
	scr, err := scrubber()
	if err != nil {
		return nil, nil, err
	}
	reg, err := fixtures.Payers()
	if err != nil {
		return nil, nil, err
	}
	if o.pgp != nil {
		py, _ := reg.Get("KHP01")
		py.SFTP.PGP = o.pgp
	}
	profiles, err := profileSource()
	if err != nil {
		return nil, nil, err
	}
	svc, err := billing.New(st, billing.Options{Scrubber: scr, Payers: reg, Profiles: profiles, Actor: "worker", PostChunkSize: o.postChunk})
	if err != nil {
		return nil, nil, err
	}
	host, portText, err := net.SplitHostPort(target.Addr)
	if err != nil {
		return nil, nil, err
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, nil, err
	}
	var sched *scheduling.Service
	if o.eligibility {
		if sched, err = scheduling.New(scheduling.Config{Store: st, Payers: reg}); err != nil {
			return nil, nil, err
		}
	}
	p, err := worker.New(worker.Config{
		Scheduling: sched,
		Store:      st,
		Billing:    svc,
		Payers:     reg,
		Endpoint: func(py *payers.Payer) (transport.Endpoint, error) {
			ep := worker.EndpointFor(py, transport.Auth{PasswordEnv: "PAYSIM_PASSWORD"}, true)
			ep.Host, ep.Port = host, port
			ep.HostKey = transport.HostKeyPin{Fingerprint: target.Fingerprint}
			ep.Retry = transport.RetryPolicy{MaxAttempts: 2, InitialBackoff: 50 * time.Millisecond}
			return ep, nil
		},
		Transport:        transport.Options{InboxDir: o.inbox, Getenv: func(string) string { return simPassword }},
		PollPayers:       []string{"KHP01"},
		NoNightly:        true,
		JobTimeout:       o.jobTimeout,
		RescueAfter:      o.rescueAfter,
		MaxClaimsPerFile: o.maxClaims,
		SliceSize:        o.sliceSize,
		Payments:         o.payments,
		RemittanceDelay:  2 * time.Second,
		Retry:            worker.RetryPolicy{Base: 200 * time.Millisecond, Max: 2 * time.Second},
		Logger:           testLogger(),
		Now:              o.now,
		Metrics:          o.metrics,
	})
	if err != nil {
		return nil, nil, err
	}
	return svc, p, nil
}

// practice is a clinic billing KHP01 for a set of patients.
type practice struct {
	clinic   store.Clinic
	payer    store.Payer
	provider store.Provider
	patients []store.Patient
}

func newPractice(t testing.TB, st store.Store, patients int) practice {
	t.Helper()
	ctx := context.Background()
	var pr practice
	var err error
	pr.clinic, err = st.CreateClinic(ctx, store.CreateClinicParams{Name: "Riverbend Family Medicine", NPI: "1234567893", TaxID: "123456789", SubmitterID: "CLEARHOUSE"})
	must(t, err)
	c := pr.clinic.ID
	pr.payer, err = st.CreatePayer(ctx, store.CreatePayerParams{ClinicID: c, PayerID: "KHP01", Name: "Keystone Health Plan", ReceiverID: "KEYSTONEHP", ClaimFilingCode: "CI"})
	must(t, err)
	pr.provider, err = st.CreateProvider(ctx, store.CreateProviderParams{ClinicID: c, NPI: "1987654328", FirstName: "Marcus", LastName: "Welby", TaxonomyCode: "207Q00000X"})
	must(t, err)
	for i := range patients {
		pat, err := st.CreatePatient(ctx, store.CreatePatientParams{ClinicID: c, MRN: fmt.Sprintf("MRN-%d", i+1), FirstName: "Pat", LastName: fmt.Sprintf("Sample%d", i+1),
			BirthDate: time.Date(1980, 4, 12, 0, 0, 0, 0, time.UTC), Sex: "F", AddressLine1: "12 Elm St", City: "Springfield", State: "PA", PostalCode: "19064"})
		must(t, err)
		_, err = st.CreateCoverage(ctx, store.CreateCoverageParams{ClinicID: c, PatientID: pat.ID, PayerID: pr.payer.ID,
			MemberID: fmt.Sprintf("KHP%06d", i+1), GroupNumber: "G1", Priority: 1, RelationshipCode: "18"})
		must(t, err)
		pr.patients = append(pr.patients, pat)
	}
	return pr
}

// importVisits imports n ready encounters (an office visit and a rapid
// strep test each) in one transaction.
func importVisits(t testing.TB, svc *billing.Service, pr practice, n int) {
	t.Helper()
	dos := time.Now().UTC().AddDate(0, 0, -5).Format("2006-01-02")
	var b strings.Builder
	b.WriteString("encounter,mrn,provider_npi,service_date,diagnoses,procedure,modifiers,pointers,charge\n")
	for i := range n {
		mrn := pr.patients[i%len(pr.patients)].MRN
		fmt.Fprintf(&b, "e%d,%s,%s,%s,J069|R509,99213,,1|2,%d.00\n", i, mrn, pr.provider.NPI, dos, 100+i%50)
		fmt.Fprintf(&b, "e%d,%s,%s,%s,J069|R509,87880,QW,1,\n", i, mrn, pr.provider.NPI, dos)
	}
	_, err := svc.ImportCharges(context.Background(), pr.clinic.ID, "visits.csv", strings.NewReader(b.String()))
	must(t, err)
}

// finalStatuses are where a claim's trip through the payer ends.
var finalStatuses = []claim.Status{claim.StatusPaid, claim.StatusPartiallyPaid, claim.StatusDenied, claim.StatusRejected}

// allClaims lists a clinic's claims.
func allClaims(t testing.TB, st store.Store, clinicID int64, statuses ...claim.Status) []store.Claim {
	t.Helper()
	var out []store.Claim
	for after := int64(0); ; {
		cs, err := st.ListClaims(context.Background(), store.ListClaimsParams{ClinicID: clinicID, Statuses: statuses, AfterID: after, Limit: 1000})
		must(t, err)
		out = append(out, cs...)
		if len(cs) < 1000 {
			return out
		}
		after = cs[len(cs)-1].ID
	}
}

// settled reports whether every claim reached a final status and every
// response was applied.
func settled(t testing.TB, st store.Store, sim *paysim.Simulator, clinicID int64, want int) bool {
	t.Helper()
	if sim.Pending() > 0 {
		return false
	}
	if n := len(allClaims(t, st, clinicID, finalStatuses...)); n < want {
		return false
	}
	open, err := st.ListInboundFiles(context.Background(), store.ListInboundFilesParams{ClinicID: clinicID,
		States: []string{store.InboundReceived, store.InboundProcessing, store.InboundFailed}})
	must(t, err)
	return len(open) == 0
}

// checkInvariants checks what must hold after the pipeline ran, however
// often it was interrupted: every claim in exactly one interchange and in a
// final status, nothing left to upload or apply, at most one claim payment
// per claim, and the ledger balanced per claim.
func checkInvariants(t testing.TB, st store.Store, sim *paysim.Simulator, clinicID int64, want int) {
	t.Helper()
	ctx := context.Background()
	claims := allClaims(t, st, clinicID)
	if len(claims) != want {
		t.Errorf("%d claims, want %d", len(claims), want)
	}
	// Every claim in exactly one uploaded interchange.
	carried := make(map[string]int)
	ics, err := st.ListInterchanges(ctx, store.ListInterchangesParams{ClinicID: clinicID})
	must(t, err)
	for _, listed := range ics {
		if listed.Status == store.InterchangeCreated || listed.Status == store.InterchangeFailed || listed.Status == store.InterchangeUploading {
			t.Errorf("interchange %d still %s", listed.ID, listed.Status)
		}
		ic, err := st.GetInterchange(ctx, store.Ref{ClinicID: clinicID, ID: listed.ID})
		must(t, err)
		r := edi.NewReader(bytes.NewReader(storetest.Content(t, st, ic.ContentID)))
		for {
			s, err := r.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			if s.Is("CLM") {
				carried[s.String(1)]++
			}
		}
	}
	// What the payer received: every claim in exactly one distinct file.
	received := make(map[string]int)
	dir := sim.Server().Dir("KHP01", paysim.Inbound)
	entries, err := os.ReadDir(dir)
	must(t, err)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		content, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		r := edi.NewReader(bytes.NewReader(content))
		for {
			s, err := r.Next()
			if err == io.EOF {
				break
			}
			must(t, err)
			if s.Is("CLM") {
				received[s.String(1)]++
			}
		}
	}
	var charges, paid, adjusted, patient, outstanding int64
	for _, c := range claims {
		if n := carried[c.PatientControlNumber]; n != 1 {
			t.Errorf("claim %s in %d interchanges", c.PatientControlNumber, n)
		}
		if n := received[c.PatientControlNumber]; n != 1 {
			t.Errorf("claim %s in %d files at the payer", c.PatientControlNumber, n)
		}
		final := false
		for _, s := range finalStatuses {
			final = final || c.Status == s
		}
		if !final {
			t.Errorf("claim %s is %s", c.PatientControlNumber, c.Status)
		}
		pays, err := st.ListClaimPayments(ctx, store.ListClaimPaymentsParams{ClinicID: clinicID, ClaimID: c.ID})
		must(t, err)
		if len(pays) > 1 {
			t.Errorf("claim %s has %d payments", c.PatientControlNumber, len(pays))
		}
		if c.Status != claim.StatusRejected && len(pays) != 1 {
			t.Errorf("claim %s (%s) has %d payments", c.PatientControlNumber, c.Status, len(pays))
		}
		var cPaid, cPR int64
		for _, py := range pays {
			cPaid += py.PaidCents
			cPR += py.PatientResponsibilityCents
		}
		// The ledger, per claim: the charge debited insurance A/R; payments
		// (cash), adjustments and the transfer to patient A/R moved it out.
		bal := func(account string) int64 {
			v, err := st.LedgerBalance(ctx, store.LedgerBalanceParams{ClinicID: clinicID, Account: account, ClaimID: c.ID})
			must(t, err)
			return v
		}
		// A denied amount stays owed in denied A/R until a person works it.
		cash, insAR, pat := bal(billing.AccountCash), bal(billing.AccountInsuranceAR), bal(billing.AccountPatientAR)
		ar := insAR + bal(billing.AccountDeniedAR)
		adj := bal(billing.AccountContractual) + bal(billing.AccountOtherAdjustment)
		if c.TotalChargeCents != cash+adj+pat+ar {
			t.Errorf("claim %s: charge %d != paid %d + adjustments %d + patient %d + outstanding %d",
				c.PatientControlNumber, c.TotalChargeCents, cash, adj, pat, ar)
		}
		paidStatus := c.Status == claim.StatusPaid || c.Status == claim.StatusPartiallyPaid
		// A denial stays in insurance A/R for appeal or write-off.
		if paidStatus && (cash != cPaid || pat != cPR) {
			t.Errorf("claim %s (%s): ledger paid %d patient %d, remittance paid %d patient %d", c.PatientControlNumber, c.Status, cash, pat, cPaid, cPR)
		}
		if paidStatus && insAR != 0 {
			t.Errorf("claim %s (%s): %d still outstanding", c.PatientControlNumber, c.Status, insAR)
		}
		charges += c.TotalChargeCents
		paid += cash
		adjusted += adj
		patient += pat
		outstanding += ar
	}
	if charges != paid+adjusted+patient+outstanding {
		t.Errorf("ledger: charges %d != payments %d + adjustments %d + patient %d + outstanding %d", charges, paid, adjusted, patient, outstanding)
	}
	// Every 835 posted once: one remittance per payment (trace number).
	rems, err := st.ListRemittances(ctx, store.ListRemittancesParams{ClinicID: clinicID})
	must(t, err)
	traces := make(map[string]bool)
	for _, r := range rems {
		key := r.PayerIdentifier + "/" + r.TraceNumber
		if traces[key] {
			t.Errorf("payment %s posted twice", key)
		}
		traces[key] = true
	}
	files, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: clinicID})
	must(t, err)
	for _, f := range files {
		if f.State != store.InboundProcessed {
			t.Errorf("inbound file %s is %s: %s", f.FileName, f.State, f.Error)
		}
	}
	out, err := os.ReadDir(sim.Server().Dir("KHP01", paysim.Outbound))
	must(t, err)
	for _, e := range out {
		if !strings.HasPrefix(e.Name(), ".") {
			t.Errorf("response %s never collected", e.Name())
		}
	}
	t.Logf("%d claims in %d interchanges, %d inbound files, %d payments; charges %d = paid %d + adjusted %d + patient %d + outstanding %d",
		len(claims), len(ics), len(files), len(rems), charges, paid, adjusted, patient, outstanding)
}

// describe logs the claims by status and the inbound files, to explain a
// pipeline that did not settle.
func describe(t testing.TB, st store.Store, clinicID int64) {
	t.Helper()
	byStatus := make(map[claim.Status]int)
	for _, c := range allClaims(t, st, clinicID) {
		byStatus[c.Status]++
	}
	t.Logf("claims by status: %v", byStatus)
	files, err := st.ListInboundFiles(context.Background(), store.ListInboundFilesParams{ClinicID: clinicID})
	must(t, err)
	for _, f := range files {
		t.Logf("inbound %d %s type %q state %s %s", f.ID, f.FileName, f.FileType, f.State, f.Error)
	}
}
