package paysim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/transport/pgp"
)

// Config configures a Simulator: the SFTP server it answers through, who
// each payer is, its members and how it decides.
type Config struct {
	// Server is the SFTP server's configuration. OnArrival must be nil: the
	// simulator sets it. Logger and Now default to the simulator's.
	Server ServerConfig

	// Payers describe the simulated payers by folder name. A payer with a
	// folder but no profile here takes its identity from Registry, and
	// without one from the interchanges it receives (it answers as the
	// receiver they name).
	Payers []PayerProfile
	// Registry, when set, gives the identity (name, ISA and GS IDs, timely
	// filing limit) of payers without a profile.
	Registry *payers.Registry

	// Roster are the members that 270 inquiries are answered from and
	// whose cost sharing 835s apply. See LoadRoster.
	Roster []Member
	// RejectUnknownMembers makes the 277CA reject claims whose subscriber
	// is not in the roster (A7:33:IL). It needs a roster.
	RejectUnknownMembers bool
	// DefaultCostSharing applies to claims of subscribers not in the
	// roster. The zero value leaves them no patient responsibility.
	DefaultCostSharing CostSharing

	// Seed makes every decision reproducible: the same seed, inputs and
	// clock give byte-identical responses.
	Seed uint64
	// Rates are the shares of claims rejected, denied and partly paid.
	Rates Rates
	// AdjudicationDelay is how long after its 277CA a claim's 835 is due.
	AdjudicationDelay time.Duration
	// AdjudicationJitter adds up to this much more per claim (chosen from
	// the seed and the claim), so claims of one file are paid on different
	// runs of ReleaseDue.
	AdjudicationJitter time.Duration
	// PaymentMethod is BPR04 of payments: CHK (default) or ACH.
	PaymentMethod string
	// ProviderAdjustments adds PLB entries to some payments.
	ProviderAdjustments ProviderAdjustmentRates

	// RealTimeDelay holds a payer's real-time answers back this long (by
	// payer folder name), to try a client's timeout.
	RealTimeDelay map[string]time.Duration

	// MaxClaimsPer835, when above 0, caps the claim payments of one 835
	// file: a release of more for one payer, submitter and payee is sent
	// as several files, each its own payment (BPR, TRN), as payers split
	// a large day's payments. 0 sends each in one file.
	MaxClaimsPer835 int

	// PGP are the OpenPGP keys of the payers that encrypt, by payer folder
	// name: the payer's private key and the clearinghouse's public key
	// (pgp.Config's partner), the mirror of the clearinghouse's sftp.pgp.
	// Files received from the clearinghouse are decrypted (and, with Sign,
	// their signature checked) before they are read; a file that cannot be
	// is logged and answered with nothing. Responses are encrypted to the
	// clearinghouse (and signed).
	PGP map[string]*pgp.Keys

	// StatePath is the JSON state file. Default <root>/.paysim-state.json.
	StatePath string
	// Logger receives what the simulator does (never PHI beyond control
	// numbers). Default: discard.
	Logger *slog.Logger
	// Now is the clock for response times. Default time.Now.
	Now func() time.Time
}

// Rates are shares between 0 and 1. Zero means never.
type Rates struct {
	// Reject is the share of claims without data errors that the 277CA
	// rejects anyway (claims with bad data are always rejected).
	Reject float64
	// Deny is the share of accepted claims denied in the 835.
	Deny float64
	// Partial is the share of accepted claims paid in part: a line denied,
	// or the whole allowed amount applied to the deductible.
	Partial float64
	// DenialSignal scales Deny per claim by DenialFactor (missing prior
	// authorization, modifier 25, late filing, symptom diagnoses), so
	// denials carry a signal a model can learn. Off: every accepted claim
	// has the same chance.
	DenialSignal bool
}

// ProviderAdjustmentRates say how often a payment carries a PLB entry
// (X221 PLB): shares between 0 and 1, zero meaning never.
type ProviderAdjustmentRates struct {
	// Interest is the share of payments with prompt-pay interest (L6).
	Interest float64
	// Recovery is the share of payments that recover an earlier
	// overpayment (WO).
	Recovery float64
}

// PayerProfile is one simulated payer.
type PayerProfile struct {
	// ID is the payer's folder name and payer ID (837 Loop 2010BB NM109).
	ID   string
	Name string
	// InterchangeQualifier and InterchangeID are the ISA05/ISA06 of what the
	// payer sends (the ISA07/ISA08 of what it receives); ApplicationID is
	// its GS02. Empty values are taken from the interchange answered.
	InterchangeQualifier string
	InterchangeID        string
	ApplicationID        string
	// TaxID is the payer's EIN (9 digits), written as "1" and the EIN in
	// BPR10 and TRN03. Default 999999999.
	TaxID string
	// Address is the payer's address (835 Loop 1000A N3/N4). Default: a
	// fictitious one.
	Address Address
	// Phone is the EDI technical contact (835 PER*BL). Default 8005550100.
	Phone string
	// FeeSchedule prices claim lines. Default: DefaultFeeSchedule().
	FeeSchedule *FeeSchedule
	// TimelyFilingDays denies (CO-29) claims received this many days after
	// their first date of service. Zero: no limit.
	TimelyFilingDays int
}

// Address is a postal address.
type Address struct {
	Line1, City, State, PostalCode string
}

// FeeSchedule is a payer's allowed amounts: per unit by procedure code, and
// a percentage of the charge for codes not listed.
type FeeSchedule struct {
	// Allowed maps a CPT/HCPCS code to the allowed amount of one unit, in
	// cents.
	Allowed map[string]int64
	// DefaultPercent is the allowed share of the charge of codes not in
	// Allowed (and of lines without a procedure code), 1 to 100.
	DefaultPercent int64
}

// DefaultFeeSchedule is a small commercial fee schedule: office visits,
// common labs, an ECG, a chest X-ray and therapy codes; 65% of charge for
// the rest. The amounts are plausible round figures for tests, not any
// payer's rates.
func DefaultFeeSchedule() *FeeSchedule {
	return &FeeSchedule{
		Allowed: map[string]int64{
			"99202": 7500, "99203": 11500, "99204": 17000, "99205": 22500,
			"99211": 2500, "99212": 5800, "99213": 9500, "99214": 13500, "99215": 19000,
			"36415": 300, "80053": 1400, "85025": 1000, "83036": 1300, "81002": 350,
			"93000": 1700, "71046": 3200, "97110": 3000, "97140": 2800, "90834": 10500, "90837": 14500,
		},
		DefaultPercent: 65,
	}
}

// allowed prices units of a procedure charged at charge cents.
func (f *FeeSchedule) allowed(code string, units int64, charge int64) int64 {
	var a int64
	if per, ok := f.Allowed[code]; ok && code != "" {
		// units are thousandths (claim.Quantity).
		a = per * units / 1000
	} else {
		a = charge * f.DefaultPercent / 100
	}
	// A payer allows the lesser of its rate and the charge.
	return max(0, min(a, charge))
}

// CostSharing is a plan's patient responsibility.
type CostSharing struct {
	// CopayCents is charged on office visits (E/M codes 99202-99215).
	CopayCents int64 `json:"copayCents,omitempty"`
	// CoinsurancePercent is the patient's share of other allowed amounts.
	CoinsurancePercent int64 `json:"coinsurancePercent,omitempty"`
	// DeductibleRemainingCents is what is left of the deductible; some paid
	// claims apply part of it (PR-1).
	DeductibleRemainingCents int64 `json:"deductibleRemainingCents,omitempty"`
}

// ErrState wraps errors reading or writing the simulator's state file.
var ErrState = errors.New("paysim: state file")

// Simulator is the payer simulator: the SFTP server and the responders that
// answer what arrives in the payers' inbound folders.
type Simulator struct {
	cfg    Config
	srv    *Server
	log    *slog.Logger
	now    func() time.Time
	rates  rateBP
	roster *roster

	mu    sync.Mutex
	state *simState
	store *stateStore
}

// rateBP are the configured rates in basis points (hundredths of a
// percent), the unit decisions are drawn in.
type rateBP struct {
	reject, deny, partial, interest, recovery uint64
}

// NewSimulator validates cfg, creates the SFTP server and loads the state
// file. It does not listen; call Start.
func NewSimulator(cfg Config) (*Simulator, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PaymentMethod == "" {
		cfg.PaymentMethod = "CHK"
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sc := cfg.Server
	if sc.Logger == nil {
		sc.Logger = cfg.Logger
	}
	if sc.Now == nil {
		sc.Now = cfg.Now
	}
	for _, p := range cfg.Payers {
		if !slices.Contains(sc.Payers, p.ID) {
			sc.Payers = append(sc.Payers, p.ID)
		}
	}
	s := &Simulator{cfg: cfg, log: cfg.Logger, now: cfg.Now, roster: newRoster(slices.Clone(cfg.Roster))}
	s.rates = rateBP{
		reject: bp(cfg.Rates.Reject), deny: bp(cfg.Rates.Deny), partial: bp(cfg.Rates.Partial),
		interest: bp(cfg.ProviderAdjustments.Interest), recovery: bp(cfg.ProviderAdjustments.Recovery),
	}
	sc.OnArrival = s.onArrival
	srv, err := NewServer(sc)
	if err != nil {
		return nil, err
	}
	s.srv = srv
	if s.cfg.StatePath == "" {
		s.cfg.StatePath = filepath.Join(srv.Root(), ".paysim-state.json")
	}
	st, ss, err := loadState(s.cfg.StatePath)
	if err != nil {
		srv.Close()
		return nil, err
	}
	s.state, s.store = st, ss
	return s, nil
}

func bp(rate float64) uint64 { return uint64(math.Round(rate * 10000)) }

func (cfg *Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...)))
	}
	if cfg.Server.OnArrival != nil {
		bad("Server.OnArrival must be nil: the simulator answers arrivals")
	}
	for name, r := range map[string]float64{
		"Rates.Reject": cfg.Rates.Reject, "Rates.Deny": cfg.Rates.Deny, "Rates.Partial": cfg.Rates.Partial,
		"ProviderAdjustments.Interest": cfg.ProviderAdjustments.Interest, "ProviderAdjustments.Recovery": cfg.ProviderAdjustments.Recovery,
	} {
		if !(r >= 0 && r <= 1) {
			bad("%s is %v; it must be between 0 and 1", name, r)
		}
	}
	if cfg.Rates.Deny+cfg.Rates.Partial > 1 {
		bad("Rates.Deny and Rates.Partial add up to more than 1")
	}
	if cfg.AdjudicationDelay < 0 || cfg.AdjudicationJitter < 0 {
		bad("AdjudicationDelay and AdjudicationJitter must not be negative")
	}
	if cfg.PaymentMethod != "CHK" && cfg.PaymentMethod != "ACH" {
		bad("PaymentMethod %q must be CHK or ACH", cfg.PaymentMethod)
	}
	if cfg.RejectUnknownMembers && len(cfg.Roster) == 0 {
		bad("RejectUnknownMembers needs a roster")
	}
	if c := cfg.DefaultCostSharing; c.CopayCents < 0 || c.DeductibleRemainingCents < 0 || c.CoinsurancePercent < 0 || c.CoinsurancePercent > 100 {
		bad("DefaultCostSharing: amounts must not be negative and coinsurance must be 0-100%%")
	}
	seen := map[string]bool{}
	for i, p := range cfg.Payers {
		if err := checkPayerName(p.ID); err != nil {
			bad("payer profile %d: ID %q: %v", i+1, p.ID, err)
		}
		if seen[p.ID] {
			bad("payer %s has two profiles", p.ID)
		}
		seen[p.ID] = true
		if p.TaxID != "" && !isDigits(p.TaxID, 9) {
			bad("payer %s: TaxID must be 9 digits", p.ID)
		}
		if fs := p.FeeSchedule; fs != nil {
			if fs.DefaultPercent < 1 || fs.DefaultPercent > 100 {
				bad("payer %s: FeeSchedule.DefaultPercent %d must be 1-100", p.ID, fs.DefaultPercent)
			}
			for code, v := range fs.Allowed {
				if v < 0 {
					bad("payer %s: fee schedule amount of %s is negative", p.ID, code)
				}
			}
		}
		for _, v := range []string{p.Name, p.InterchangeID, p.ApplicationID, p.Address.Line1, p.Address.City} {
			if strings.ContainsAny(v, "*~^:|\n\r") {
				bad("payer %s: %q holds an X12 delimiter", p.ID, v)
			}
		}
	}
	if err := checkMembers(cfg.Roster); err != nil {
		errs = append(errs, fmt.Errorf("%w: %w", ErrInvalidConfig, err))
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Server returns the simulator's SFTP server.
func (s *Simulator) Server() *Server { return s.srv }

// Start answers files that arrived while the simulator was down (files in
// an inbound folder not yet answered), then starts the SFTP server.
func (s *Simulator) Start(ctx context.Context) error {
	if err := s.catchUp(ctx); err != nil {
		return err
	}
	return s.srv.Start(ctx)
}

// Close stops the server; the state is already on disk.
func (s *Simulator) Close() error { return s.srv.Close() }

// Pending returns how many adjudicated claims wait for their 835.
func (s *Simulator) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state.Pending)
}

// catchUp handles the unanswered files of every payer's inbound folder.
func (s *Simulator) catchUp(ctx context.Context) error {
	entries, err := os.ReadDir(s.srv.Root())
	if err != nil {
		return fmt.Errorf("paysim: reading root: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || checkPayerName(e.Name()) != nil {
			continue
		}
		payer := e.Name()
		files, err := os.ReadDir(s.srv.Dir(payer, Inbound))
		if err != nil {
			continue
		}
		for _, f := range files {
			if !f.Type().IsRegular() || temporaryName(f.Name()) {
				continue
			}
			content, err := os.ReadFile(filepath.Join(s.srv.Dir(payer, Inbound), f.Name()))
			if err != nil {
				return fmt.Errorf("paysim: reading %s/%s: %w", payer, f.Name(), err)
			}
			if _, err := s.HandleFile(ctx, payer, f.Name(), content); err != nil {
				return err
			}
		}
	}
	return nil
}

// onArrival is the server's OnArrival: it answers the file and logs what
// went wrong, since nobody waits for the result.
func (s *Simulator) onArrival(ctx context.Context, a Arrival) {
	content, err := os.ReadFile(a.Path)
	if err != nil {
		s.log.Error("paysim cannot read arrival", "payer", a.Payer, "name", a.Name, "err", err)
		return
	}
	names, err := s.HandleFile(ctx, a.Payer, a.Name, content)
	if err != nil {
		s.log.Error("paysim cannot answer", "payer", a.Payer, "name", a.Name, "err", err)
		return
	}
	s.log.Info("paysim answered", "payer", a.Payer, "name", a.Name, "responses", strings.Join(names, ","))
}

// HandleFile answers one file received in a payer's inbound folder and
// returns the names of the responses dropped in its outbound folder:
//
//   - an 837: a TA1 (<name>.ta1) for each interchange with envelope errors
//     and nothing more for it; else a 999 (<name>.999) for its functional
//     groups, then a 277CA (<name>.277ca) accepting or rejecting each claim
//     of the accepted transaction sets; accepted claims wait for ReleaseDue;
//   - a 270: TA1 as above, a 999 only when a set is rejected, and a 271
//     (<name>.271) for the inquiries of the accepted sets;
//   - a 276: TA1 and 999 as for a 270, and a 277 claim status response
//     (<name>.277, 005010X212) whose STC categories follow each claim's
//     state here: A2 received, P1 pending, F1 paid, F2 denied, the 277CA's
//     rejection, A4 not found.
//
// A file whose content was answered before (same payer and SHA-256) is not
// answered again: HandleFile returns no names. Input that is not X12 at all
// is logged and recorded as answered, with no response.
func (s *Simulator) HandleFile(ctx context.Context, payer, name string, content []byte) ([]string, error) {
	if err := checkPayerName(payer); err != nil {
		return nil, fmt.Errorf("paysim: payer %q: %w", payer, err)
	}
	if keys := s.cfg.PGP[payer]; keys != nil {
		var plain bytes.Buffer
		if err := keys.Decrypt(&plain, bytes.NewReader(content)); err != nil {
			s.log.Error("paysim file not decrypted; not answered", "payer", payer, "name", name, "err", err)
			return nil, nil
		}
		content = plain.Bytes()
	}
	sum := sha256.Sum256(content)
	key := payer + "/" + hex.EncodeToString(sum[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, done := s.state.Processed[key]; done {
		s.log.Info("paysim file already answered", "payer", payer, "name", name)
		return nil, nil
	}
	// Work on a copy of the state: it replaces the current one only once
	// every response is dropped and the state file is written, so a failure
	// half way leaves nothing reserved, and answering again after a crash
	// writes the same responses under the same names.
	st := s.state.clone()
	now := s.now()
	rc := &responder{sim: s, st: st, payer: payer, profile: s.profile(payer), name: name, now: now}
	out, err := rc.answer(ctx, content)
	if err != nil {
		return nil, err
	}
	st.Processed[key] = processedFile{Name: name, At: now.UTC()}
	var names []string
	for _, f := range out {
		if err := s.drop(payer, f.name, f.content); err != nil {
			return names, err
		}
		names = append(names, f.name)
	}
	if err := s.store.commit(s.state, st); err != nil {
		return names, err
	}
	s.state = st
	return names, nil
}

// drop leaves a response in the payer's outbound folder, encrypted to the
// clearinghouse (and signed) for a payer that encrypts.
func (s *Simulator) drop(payer, name string, content []byte) error {
	if keys := s.cfg.PGP[payer]; keys != nil {
		var enc bytes.Buffer
		if err := keys.Encrypt(&enc, bytes.NewReader(content), name); err != nil {
			return fmt.Errorf("paysim: %s for %s: %w", name, payer, err)
		}
		content = enc.Bytes()
	}
	return s.srv.Drop(payer, name, content)
}

// responseFile is one file to drop.
type responseFile struct {
	payer   string // set for 835 files only
	name    string
	content []byte
}

// profile returns the payer's profile: the configured one, or one made from
// the registry, or a bare one (identities then come from the input).
func (s *Simulator) profile(payer string) PayerProfile {
	var p PayerProfile
	found := false
	for _, c := range s.cfg.Payers {
		if c.ID == payer {
			p, found = c, true
			break
		}
	}
	if !found {
		p.ID = payer
		if s.cfg.Registry != nil {
			if rp, ok := s.cfg.Registry.Get(payer); ok {
				p.Name = strings.ToUpper(rp.Name)
				p.InterchangeQualifier = rp.Envelope.ReceiverQualifier
				p.InterchangeID = rp.Envelope.ReceiverID
				p.ApplicationID = rp.Envelope.GSReceiver
				p.TimelyFilingDays = rp.TimelyFilingDays
			}
		}
	}
	if p.Name == "" {
		p.Name = strings.ToUpper(payer)
	}
	if p.TaxID == "" {
		p.TaxID = "999999999"
	}
	if p.Address.Line1 == "" {
		p.Address = Address{Line1: "PO BOX 1000", City: "HARRISBURG", State: "PA", PostalCode: "171050000"}
	}
	if p.Phone == "" {
		p.Phone = "8005550100"
	}
	if p.FeeSchedule == nil {
		p.FeeSchedule = DefaultFeeSchedule()
	}
	return p
}

// replyEnvelope addresses a response to the sender of interchange ic, from
// the payer, with the next control number of the payer's counter.
func (rc *responder) replyEnvelope(ic *edi.InterchangeReport) (edi.ISAHeader, edi.GSHeader) {
	n := rc.st.nextControl(rc.payer)
	isa := edi.ISAHeader{
		SenderQualifier:   orDefault(rc.profile.InterchangeQualifier, ic.ReceiverQualifier),
		SenderID:          orDefault(rc.profile.InterchangeID, ic.ReceiverID),
		ReceiverQualifier: ic.SenderQualifier,
		ReceiverID:        ic.SenderID,
		Time:              rc.now,
		ControlNumber:     n,
		Usage:             ic.Usage,
	}
	if isa.Usage != "T" {
		isa.Usage = "P"
	}
	if !validQualifier(isa.SenderQualifier) {
		isa.SenderQualifier = "ZZ"
	}
	if !validQualifier(isa.ReceiverQualifier) {
		isa.ReceiverQualifier = "ZZ"
	}
	gs := edi.GSHeader{
		SenderCode:    orDefault(rc.profile.ApplicationID, isa.SenderID),
		ReceiverCode:  isa.ReceiverID,
		Time:          rc.now,
		ControlNumber: n,
	}
	if len(ic.Groups) > 0 {
		if rc.profile.ApplicationID == "" && ic.Groups[0].ReceiverCode != "" {
			gs.SenderCode = ic.Groups[0].ReceiverCode
		}
		if ic.Groups[0].SenderCode != "" {
			gs.ReceiverCode = ic.Groups[0].SenderCode
		}
	}
	return isa, gs
}

// validQualifier reports whether q is an ISA05/ISA07 interchange ID
// qualifier the 005010 guides use.
func validQualifier(q string) bool {
	switch q {
	case "01", "14", "20", "27", "28", "29", "30", "33", "ZZ":
		return true
	}
	return false
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// responseName is the name of a response to the input name: the input's
// name and the response's extension, so responses to different inputs never
// collide.
func responseName(input, ext string) string {
	return input + "." + ext
}

// concat joins interchanges into one file.
func concat(parts [][]byte) []byte { return bytes.Join(parts, nil) }
