package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// AuditTimeLayout is how an audit event's time enters its hash: UTC with
// microseconds, the precision both databases keep.
const AuditTimeLayout = "2006-01-02T15:04:05.000000Z"

// AuditHash returns the hex SHA-256 of an event's canonical fields: a
// version tag, then PrevHash, ClinicID, Actor, Action, EntityType, EntityID,
// At and Details, each written as its byte length, a colon and its bytes, so
// no field can bleed into the next. Seq is left out: an event's place in the
// chain is fixed by PrevHash.
func AuditHash(e AuditEvent) string {
	h := sha256.New()
	var buf []byte
	field := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		h.Write(buf)
		h.Write([]byte(s))
	}
	field("clearhouse.audit.v1")
	field(e.PrevHash)
	field(strconv.FormatInt(e.ClinicID, 10))
	field(e.Actor)
	field(e.Action)
	field(e.EntityType)
	field(e.EntityID)
	field(e.At.UTC().Format(AuditTimeLayout))
	field(string(e.Details))
	return hex.EncodeToString(h.Sum(nil))
}

// Kinds of audit chain damage.
const (
	AuditAltered  = "altered"
	AuditInserted = "inserted"
	AuditDeleted  = "deleted"
)

// AuditProblem is the first damage found in a chain.
type AuditProblem struct {
	// Seq is the event altered or inserted, or the sequence number where a
	// deleted event is missing.
	Seq    int64
	Kind   string
	Detail string
}

func (p *AuditProblem) String() string {
	return fmt.Sprintf("event %d %s: %s", p.Seq, p.Kind, p.Detail)
}

// AuditVerification is the outcome of verifying one clinic's chain.
type AuditVerification struct {
	ClinicID int64
	// Events is how many stored events were read.
	Events int64
	// Problem is the first damage found, nil when the chain is intact.
	Problem *AuditProblem
}

// OK reports whether the chain is intact.
func (v AuditVerification) OK() bool { return v.Problem == nil }

// AuditHead is what the store keeps of a chain's end beside the events, so
// deleting the newest events is detected too.
type AuditHead struct {
	LastSeq  int64
	LastHash string
}

// VerifyAuditEvents checks events (ordered by Seq, as stored) against their
// hashes, their links and head, and reports the first damage.
func VerifyAuditEvents(clinicID int64, events []AuditEvent, head AuditHead) AuditVerification {
	v := AuditVerification{ClinicID: clinicID, Events: int64(len(events))}
	fail := func(seq int64, kind, format string, args ...any) AuditVerification {
		v.Problem = &AuditProblem{Seq: seq, Kind: kind, Detail: fmt.Sprintf(format, args...)}
		return v
	}
	expected, prev := int64(1), ""
	for i, e := range events {
		switch {
		case e.Seq > head.LastSeq:
			return fail(e.Seq, AuditInserted, "beyond the chain head (last sequence %d)", head.LastSeq)
		case e.Seq > expected:
			return fail(expected, AuditDeleted, "sequence jumps from %d to %d", expected-1, e.Seq)
		case e.Seq < expected:
			return fail(e.Seq, AuditInserted, "sequence number repeats")
		}
		valid := AuditHash(e) == e.Hash
		if e.PrevHash != prev {
			// Does it link to an older event? Then those between were inserted.
			for j := i - 2; j >= 0; j-- {
				if events[j].Hash == e.PrevHash {
					return fail(events[j+1].Seq, AuditInserted, "event %d links to event %d", e.Seq, events[j].Seq)
				}
			}
			if !valid {
				return fail(e.Seq, AuditAltered, "hash and link to the previous event do not match")
			}
			return fail(e.Seq, AuditDeleted, "the event before it is missing (link does not match event %d)", e.Seq-1)
		}
		if !valid {
			if i+1 < len(events) && events[i+1].PrevHash == prev {
				return fail(e.Seq, AuditInserted, "the next event links past it")
			}
			return fail(e.Seq, AuditAltered, "stored hash does not match its fields")
		}
		prev, expected = e.Hash, e.Seq+1
	}
	if head.LastSeq >= expected {
		return fail(expected, AuditDeleted, "chain head is at %d but events end at %d", head.LastSeq, expected-1)
	}
	if head.LastHash != prev {
		return fail(head.LastSeq, AuditAltered, "last event does not match the chain head")
	}
	return v
}

// TruncateTime returns t in UTC with microsecond precision, as stored.
func TruncateTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// TruncateDate returns t's calendar date (in UTC) at midnight UTC.
func TruncateDate(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
