package paysim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/transport/realtime"
)

// RealTimeHandler serves real-time 270 eligibility and 276 claim status
// requests over the CAQH CORE HTTP+MIME envelope (package
// transport/realtime): the envelope's ReceiverID names the payer (its
// folder name or payer ID); UserName and Password are checked against the
// SFTP users (a user confined to a payer may ask only that payer), with the
// same growing delay after failures. The answer is what the payer would put
// in its outbound folder for the same file (a 271 or 277, else the 999 or
// TA1 that rejects it), computed from the current state and not recorded:
// a real-time inquiry changes nothing. Config.RealTimeDelay holds a payer's
// answers back, to try a client's timeout.
func (s *Simulator) RealTimeHandler() http.Handler {
	return realtime.Handler(s.realTimeAuth, s.answerRealTime, s.now)
}

func (s *Simulator) realTimeAuth(ctx context.Context, req realtime.Envelope) bool {
	payer, ok := s.realTimePayer(req.ReceiverID)
	return ok && s.srv.checkHTTPPassword(ctx, req.UserName, req.Password, payer)
}

// realTimePayer finds the payer folder a ReceiverID names.
func (s *Simulator) realTimePayer(receiver string) (string, bool) {
	receiver = strings.TrimSpace(receiver)
	for _, p := range s.srv.cfg.Payers {
		if strings.EqualFold(p, receiver) || strings.EqualFold(s.profile(p).ID, receiver) {
			return p, true
		}
	}
	return "", false
}

func (s *Simulator) answerRealTime(ctx context.Context, req realtime.Envelope) (string, []byte, error) {
	var want, answerExt string
	switch req.PayloadType {
	case realtime.Payload270:
		want, answerExt = realtime.Payload271, "271"
	case realtime.Payload276:
		want, answerExt = realtime.Payload277, "277"
	default:
		return "", nil, &realtime.EnvelopeError{Code: realtime.ErrorPayloadTypeIncorrect, Field: "PayloadType",
			Msg: fmt.Sprintf("%q: this endpoint answers %s and %s", req.PayloadType, realtime.Payload270, realtime.Payload276)}
	}
	payer, _ := s.realTimePayer(req.ReceiverID)
	if d := s.cfg.RealTimeDelay[payer]; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
	}
	s.mu.Lock()
	st := s.state.isolated()
	s.mu.Unlock()
	name := "realtime-" + req.PayloadID
	rc := &responder{sim: s, st: st, payer: payer, profile: s.profile(payer), name: name, now: s.now()}
	out, err := rc.answer(ctx, req.Payload)
	if err != nil {
		return "", nil, err
	}
	byExt := map[string][]byte{}
	for _, f := range out {
		byExt[strings.TrimPrefix(f.name, name+".")] = f.content
	}
	switch {
	case byExt[answerExt] != nil:
		return want, byExt[answerExt], nil
	case byExt["999"] != nil:
		return realtime.Payload999, byExt["999"], nil
	case byExt["ta1"] != nil:
		return realtime.PayloadTA1, byExt["ta1"], nil
	}
	return "", nil, &realtime.EnvelopeError{Code: realtime.ErrorPayloadTypeIncorrect, Field: "Payload", Msg: "the payload is not an X12 interchange that can be answered"}
}
