package store_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/store"
)

func chain(n int) []store.AuditEvent {
	var events []store.AuditEvent
	prev := ""
	for i := range n {
		e := store.AuditEvent{ClinicID: 7, Seq: int64(i + 1), Actor: "kim", Action: "claim.update", EntityType: "claim",
			EntityID: "42", At: time.Date(2025, 3, 4, 9, 0, i, 123456000, time.UTC), Details: json.RawMessage(`{"n":1}`), PrevHash: prev}
		e.Hash = store.AuditHash(e)
		prev = e.Hash
		events = append(events, e)
	}
	return events
}

func TestAuditHashGolden(t *testing.T) {
	// A change to the canonical form breaks every stored chain: this hash
	// must never change.
	e := chain(1)[0]
	// sha256 of 19:clearhouse.audit.v10:1:73:kim12:claim.update5:claim2:4227:2025-03-04T09:00:00.123456Z7:{"n":1}
	const want = "0a00f75bc87577a6a207f1e6253266e6bed2d307c20f517fa8f62c8c45f1da37"
	if got := store.AuditHash(e); got != want {
		t.Fatalf("AuditHash = %s, want %s", got, want)
	}
	// Field boundaries matter: moving a byte between fields changes the hash.
	a, b := e, e
	a.Actor, a.Action = "kimc", "laim.update"
	b.Actor, b.Action = "kim", "claim.update"
	if store.AuditHash(a) == store.AuditHash(b) {
		t.Fatal("fields bleed into each other")
	}
	// Time zone does not matter, sub-microsecond precision is not stored.
	c := e
	c.At = e.At.In(time.FixedZone("EST", -5*3600))
	if store.AuditHash(c) != store.AuditHash(e) {
		t.Fatal("hash depends on the time zone")
	}
}

func TestVerifyAuditEvents(t *testing.T) {
	head := func(es []store.AuditEvent) store.AuditHead {
		if len(es) == 0 {
			return store.AuditHead{}
		}
		return store.AuditHead{LastSeq: es[len(es)-1].Seq, LastHash: es[len(es)-1].Hash}
	}
	tests := []struct {
		name string
		mod  func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead)
		seq  int64
		kind string
	}{
		{"intact", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) { return es, head(es) }, 0, ""},
		{"empty", func([]store.AuditEvent) ([]store.AuditEvent, store.AuditHead) { return nil, store.AuditHead{} }, 0, ""},
		{"altered", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			h := head(es)
			es[2].Details = json.RawMessage(`{"n":2}`)
			return es, h
		}, 3, store.AuditAltered},
		{"altered and rehashed", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			h := head(es)
			es[1].Actor = "mallory"
			es[1].Hash = store.AuditHash(es[1])
			return es, h
		}, 3, store.AuditDeleted},
		{"deleted", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			return append(es[:1:1], es[2:]...), head(es)
		}, 2, store.AuditDeleted},
		{"deleted tail", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			return es[:4], head(es)
		}, 5, store.AuditDeleted},
		{"deleted everything", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			return nil, head(es)
		}, 1, store.AuditDeleted},
		{"tail replaced", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			h := head(es)
			es[4].Actor = "mallory"
			es[4].Hash = store.AuditHash(es[4])
			return es, h
		}, 5, store.AuditAltered},
		{"inserted", func(es []store.AuditEvent) ([]store.AuditEvent, store.AuditHead) {
			forged := store.AuditEvent{ClinicID: 7, Seq: 2, Actor: "mallory", Action: "x", PrevHash: es[0].Hash}
			forged.Hash = store.AuditHash(forged)
			out := []store.AuditEvent{es[0], forged}
			for _, e := range es[1:] {
				e.Seq++
				out = append(out, e)
			}
			return out, head(out)
		}, 2, store.AuditInserted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, h := tt.mod(chain(5))
			v := store.VerifyAuditEvents(7, es, h)
			if tt.kind == "" {
				if !v.OK() {
					t.Fatalf("intact chain: %v", v.Problem)
				}
				return
			}
			if v.OK() || v.Problem.Seq != tt.seq || v.Problem.Kind != tt.kind {
				t.Fatalf("problem %v, want event %d %s", v.Problem, tt.seq, tt.kind)
			}
		})
	}
}
