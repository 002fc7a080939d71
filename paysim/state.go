package paysim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/clearhouse/clearhouse/edi/x835"
)

// stateVersion is the state file's format version.
const stateVersion = 1

// simState is what the simulator keeps across restarts: its control number
// counters, the files it answered and the claims waiting for their 835.
type simState struct {
	Version int `json:"version"`
	// Counters are per payer.
	Counters map[string]*payerCounters `json:"counters"`
	// Processed maps "<payer>/<sha256 of the content>" to the file answered.
	Processed map[string]processedFile `json:"processed"`
	// Pending are adjudicated claims in order of adjudication.
	Pending []pendingClaim `json:"pending"`
	// Claims maps "<payer>/<patient control number>" to where the claim
	// stands, for 276 inquiries.
	Claims map[string]claimRecord `json:"claims,omitempty"`
}

type payerCounters struct {
	// Control is the last ISA13 (and GS06) used.
	Control int64 `json:"control"`
	// Payment is the last payment (check or EFT) number used.
	Payment int64 `json:"payment"`
}

type processedFile struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// pendingClaim is an adjudicated claim waiting to be paid: the 835 claim
// payment (Loop 2100) and where its payment goes.
type pendingClaim struct {
	Payer string    `json:"payer"`
	Due   time.Time `json:"due"`
	// Reply addresses the 835: the submitter's ISA07/ISA08, GS03, usage.
	Reply replyAddress `json:"reply"`
	Payee payee        `json:"payee"`
	// Seq orders claims of the same due time by adjudication.
	Seq   int64             `json:"seq"`
	Claim x835.ClaimPayment `json:"claim"`
}

type replyAddress struct {
	// Sender is the payer's side: ISA05/ISA06 and GS02.
	SenderQualifier string `json:"senderQualifier"`
	SenderID        string `json:"senderId"`
	SenderCode      string `json:"senderCode"`
	// Receiver is the submitter's side: ISA07/ISA08 and GS03.
	ReceiverQualifier string `json:"receiverQualifier"`
	ReceiverID        string `json:"receiverId"`
	ReceiverCode      string `json:"receiverCode"`
	Usage             string `json:"usage"`
}

// payee is the billing provider a payment goes to (835 Loop 1000B).
type payee struct {
	Name    string  `json:"name"`
	NPI     string  `json:"npi"`
	TaxID   string  `json:"taxId,omitempty"`
	Address Address `json:"address"`
}

func newState() *simState {
	return &simState{Version: stateVersion, Counters: map[string]*payerCounters{}, Processed: map[string]processedFile{}}
}

// loadState reads the state file, or starts a new state when it does not
// exist.
func loadState(path string) (*simState, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newState(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrState, path, err)
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("%w: %s: version %d, want %d", ErrState, path, st.Version, stateVersion)
	}
	if st.Counters == nil {
		st.Counters = map[string]*payerCounters{}
	}
	if st.Processed == nil {
		st.Processed = map[string]processedFile{}
	}
	return st, nil
}

// clone returns a copy that can be changed without touching s.
func (s *simState) clone() *simState {
	c := &simState{Version: s.Version, Counters: make(map[string]*payerCounters, len(s.Counters)),
		Processed: maps.Clone(s.Processed), Pending: slices.Clone(s.Pending), Claims: maps.Clone(s.Claims)}
	for k, v := range s.Counters {
		cp := *v
		c.Counters[k] = &cp
	}
	return c
}

func (s *simState) counters(payer string) *payerCounters {
	c := s.Counters[payer]
	if c == nil {
		c = &payerCounters{}
		s.Counters[payer] = c
	}
	return c
}

// nextControl returns the payer's next interchange control number (ISA13,
// 1 to 999999999, wrapping).
func (s *simState) nextControl(payer string) int64 {
	c := s.counters(payer)
	c.Control = c.Control%999999999 + 1
	return c.Control
}

// nextPayment returns the payer's next payment number.
func (s *simState) nextPayment(payer string) int64 {
	c := s.counters(payer)
	c.Payment++
	return c.Payment
}

// save writes the state atomically: a temporary file in the same
// directory, synced, then renamed over the old one.
func (s *simState) save(path string) error {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
