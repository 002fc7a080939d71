package paysim

import (
	"bytes"
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
//
// It is kept as a snapshot (the state file) and a journal beside it
// (<state file>.journal): each answered file or release appends one line,
// its changes (a stateDelta), and syncs it, so the cost of a file is its
// own changes, not the whole state; when the journal outgrows the
// snapshot, a new snapshot replaces both.
type simState struct {
	Version int `json:"version"`
	// Seq is the last journal entry the snapshot holds.
	Seq int64 `json:"seq,omitempty"`
	// Counters are per payer.
	Counters map[string]*payerCounters `json:"counters"`
	// Processed maps "<payer>/<sha256 of the content>" to the file answered.
	Processed map[string]processedFile `json:"processed"`
	// Pending are adjudicated claims in order of adjudication.
	Pending []pendingClaim `json:"pending"`
	// Claims maps "<payer>/<patient control number>" to where the claim
	// stands, for 276 inquiries.
	Claims map[string]claimRecord `json:"claims,omitempty"`

	// Of a clone: the claims it changed and whether it replaced Pending
	// (otherwise it only appended to it).
	changed         map[string]bool
	pendingReplaced bool
}

// stateDelta is one journal entry: what one answered file or release
// changed.
type stateDelta struct {
	Seq       int64                     `json:"seq"`
	Counters  map[string]*payerCounters `json:"counters,omitempty"`
	Processed map[string]processedFile  `json:"processed,omitempty"`
	// Append are claims added to Pending; Pending, when set, replaces it.
	Append  []pendingClaim         `json:"append,omitempty"`
	Pending *[]pendingClaim        `json:"pending,omitempty"`
	Claims  map[string]claimRecord `json:"claims,omitempty"`
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

// journalPath is the journal beside the state file at path.
func journalPath(path string) string { return path + ".journal" }

// stateStore writes a simulator's state: its snapshot and journal.
type stateStore struct {
	path string
	// seq is the last journal entry written; journalSize and snapshotSize
	// the files' sizes, to know when to take a new snapshot.
	seq                       int64
	journalSize, snapshotSize int64
}

// loadState reads the state file and replays its journal, or starts a new
// state when there is none. A last journal line cut short (a crash while
// it was written) is dropped: its file was never answered.
func loadState(path string) (*simState, *stateStore, error) {
	ss := &stateStore{path: path}
	st := newState()
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, nil, fmt.Errorf("%w: %w", ErrState, err)
	default:
		if err := json.Unmarshal(b, st); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrState, path, err)
		}
		if st.Version != stateVersion {
			return nil, nil, fmt.Errorf("%w: %s: version %d, want %d", ErrState, path, st.Version, stateVersion)
		}
		ss.snapshotSize = int64(len(b))
	}
	if st.Counters == nil {
		st.Counters = map[string]*payerCounters{}
	}
	if st.Processed == nil {
		st.Processed = map[string]processedFile{}
	}
	ss.seq = st.Seq
	journal, err := os.ReadFile(journalPath(path))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	good := 0
	for rest := journal; len(rest) > 0; {
		line, next, complete := bytes.Cut(rest, []byte("\n"))
		var d stateDelta
		if err := json.Unmarshal(line, &d); err != nil || !complete {
			if len(next) > 0 || complete {
				return nil, nil, fmt.Errorf("%w: %s: entry at byte %d: %v", ErrState, journalPath(path), good, err)
			}
			// The last entry, cut short.
			if err := os.Truncate(journalPath(path), int64(good)); err != nil {
				return nil, nil, fmt.Errorf("%w: %w", ErrState, err)
			}
			break
		}
		good += len(line) + 1
		rest = next
		if d.Seq > ss.seq {
			st.apply(&d)
			ss.seq = d.Seq
		}
	}
	ss.journalSize = int64(good)
	return st, ss, nil
}

// apply replays a journal entry.
func (s *simState) apply(d *stateDelta) {
	maps.Copy(s.Counters, d.Counters)
	maps.Copy(s.Processed, d.Processed)
	if d.Pending != nil {
		s.Pending = *d.Pending
	}
	s.Pending = append(s.Pending, d.Append...)
	if len(d.Claims) > 0 && s.Claims == nil {
		s.Claims = make(map[string]claimRecord, len(d.Claims))
	}
	maps.Copy(s.Claims, d.Claims)
}

// clone returns a copy that can be changed without touching s. Its
// Pending shares s's array: the clone only appends to it (or replaces it,
// setting pendingReplaced), so what s holds is never written, and one
// clone at a time is worked (under the simulator's lock) or none of its
// appends is kept.
func (s *simState) clone() *simState {
	c := &simState{Version: s.Version, Seq: s.Seq, Counters: make(map[string]*payerCounters, len(s.Counters)),
		Processed: maps.Clone(s.Processed), Pending: s.Pending, Claims: maps.Clone(s.Claims), changed: map[string]bool{}}
	for k, v := range s.Counters {
		cp := *v
		c.Counters[k] = &cp
	}
	return c
}

// isolated is a clone whose Pending has an array of its own, for work done
// outside the simulator's lock.
func (s *simState) isolated() *simState {
	c := s.clone()
	c.Pending = slices.Clip(c.Pending)
	return c
}

// commit makes next, a changed clone of prev, the state on disk: one
// journal entry with what changed, synced, or a new snapshot when the
// journal has grown past the snapshot's size (and 1 MiB).
func (ss *stateStore) commit(prev, next *simState) error {
	d := stateDelta{Seq: ss.seq + 1, Counters: next.Counters}
	for k, v := range next.Processed {
		if _, ok := prev.Processed[k]; !ok {
			if d.Processed == nil {
				d.Processed = map[string]processedFile{}
			}
			d.Processed[k] = v
		}
	}
	if next.pendingReplaced {
		d.Pending = &next.Pending
	} else {
		d.Append = next.Pending[len(prev.Pending):]
	}
	for k := range next.changed {
		if d.Claims == nil {
			d.Claims = make(map[string]claimRecord, len(next.changed))
		}
		d.Claims[k] = next.Claims[k]
	}
	b, err := json.Marshal(&d)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	b = append(b, '\n')
	if ss.journalSize+int64(len(b)) > max(ss.snapshotSize, 1<<20) {
		next.Seq = d.Seq
		n, err := next.save(ss.path)
		if err != nil {
			next.Seq = prev.Seq
			return err
		}
		ss.seq, ss.snapshotSize = d.Seq, n
		// Entries the snapshot holds are skipped on replay, so a crash
		// before the journal is emptied loses nothing.
		if err := os.Truncate(journalPath(ss.path), 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %w", ErrState, err)
		}
		ss.journalSize = 0
		next.changed, next.pendingReplaced = nil, false
		return nil
	}
	f, err := os.OpenFile(journalPath(ss.path), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// A partial entry would be replayed as cut short; cut it now.
		os.Truncate(journalPath(ss.path), ss.journalSize)
		return fmt.Errorf("%w: %w", ErrState, err)
	}
	if ss.journalSize == 0 {
		syncDir(filepath.Dir(ss.path))
	}
	ss.seq = d.Seq
	ss.journalSize += int64(len(b))
	next.changed, next.pendingReplaced = nil, false
	return nil
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

// save writes the state as a snapshot atomically: a temporary file in the
// same directory, synced, then renamed over the old one. It returns the
// snapshot's size.
func (s *simState) save(path string) (int64, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrState, err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrState, err)
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
		return 0, fmt.Errorf("%w: %w", ErrState, err)
	}
	syncDir(dir)
	return int64(len(b)), nil
}

// syncDir syncs a directory, so a file created or renamed in it stays.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
