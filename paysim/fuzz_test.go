package paysim

import (
	"bytes"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/edi"
)

// FuzzAnswer feeds arbitrary files to the responders: none may panic, and
// every response they write must pass envelope and syntax validation.
func FuzzAnswer(f *testing.F) {
	f.Add(encode837(f, 41, loadClaims(f, "office-visit-single-line", "institutional-outpatient")))
	f.Add(encode270(f))
	f.Add(encode276(f, 51, simClock, loadClaims(f, "office-visit-single-line", "dependent-patient")))
	f.Add(bytes.Replace(encode837(f, 7, loadClaims(f, "office-visit-single-line")), []byte("IEA*1*000000007"), []byte("IEA*1*000000008"), 1))
	s := newTestSim(f, "", func(c *Config) { c.Rates = Rates{Reject: 0.3, Deny: 0.3, Partial: 0.3} })
	f.Fuzz(func(t *testing.T, in []byte) {
		st := newState()
		rc := &responder{sim: s, st: st, payer: simPayer, profile: s.profile(simPayer), name: "fuzz.x12", now: simClock}
		var out []responseFile
		var err error
		done := make(chan struct{})
		go func() { out, err = rc.answer(t.Context(), in); close(done) }()
		select {
		case <-done:
		case <-time.After(3 * time.Second):
			t.Fatalf("answer hangs on %q", in)
		}
		if err != nil {
			return
		}
		for _, r := range out {
			rep, err := edi.Validate(bytes.NewReader(r.content), edi.ValidateOpts{File: r.name})
			if err != nil || !rep.Clean() {
				t.Fatalf("%s is not valid: %v %v\n%s", r.name, err, rep.Err(), r.content)
			}
		}
		if len(st.Pending) > 0 {
			f, err := s.write835(st, st.Pending, simClock)
			if err != nil {
				t.Fatalf("835: %v", err)
			}
			if rep, err := edi.Validate(bytes.NewReader(f.content), edi.ValidateOpts{}); err != nil || !rep.Clean() {
				t.Fatalf("835 is not valid: %v %v", err, rep.Err())
			}
		}
	})
}
