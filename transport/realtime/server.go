package realtime

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Answer answers one checked request envelope: the response's payload type
// and payload, or an error. An *EnvelopeError answers with its code; any
// other error with ErrorServer and a message that does not echo the payload.
type Answer func(ctx context.Context, req Envelope) (payloadType string, payload []byte, err error)

// Authenticate reports whether the request's UserName and Password may send
// to its ReceiverID.
type Authenticate func(ctx context.Context, req Envelope) bool

// Handler serves CORE real-time requests: it reads and checks the envelope,
// authenticates the sender, calls answer and writes the response envelope
// (ErrorCode Success, or the code of what went wrong; HTTP 401 for a
// refused sender, 400 for a broken envelope, 200 otherwise).
func Handler(auth Authenticate, answer Answer, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "POST a CORE envelope", http.StatusMethodNotAllowed)
			return
		}
		req, err := Read(r.Body, r.Header.Get("Content-Type"), true)
		resp := Envelope{PayloadType: req.PayloadType, ProcessingMode: ProcessingModeRealTime, PayloadID: req.PayloadID,
			SenderID: req.ReceiverID, ReceiverID: req.SenderID, RuleVersion: RuleVersion, ErrorCode: ErrorSuccess}
		status := http.StatusOK
		var ee *EnvelopeError
		switch {
		case errors.As(err, &ee):
			resp.ErrorCode, resp.ErrorMessage, status = ee.Code, ee.Error(), http.StatusBadRequest
			if ee.Code == ErrorUnauthorized {
				status = http.StatusUnauthorized
			}
		case err != nil:
			resp.ErrorCode, resp.ErrorMessage, status = ErrorServer, "the envelope could not be read", http.StatusBadRequest
		case !auth(r.Context(), req):
			resp.ErrorCode, resp.ErrorMessage, status = ErrorUnauthorized, "user name or password refused", http.StatusUnauthorized
		default:
			pt, payload, err := answer(r.Context(), req)
			switch {
			case errors.As(err, &ee):
				resp.ErrorCode, resp.ErrorMessage = ee.Code, ee.Error()
			case err != nil:
				resp.ErrorCode, resp.ErrorMessage = ErrorServer, "the request could not be processed"
			default:
				resp.PayloadType, resp.Payload = pt, payload
			}
		}
		if resp.PayloadID == "" {
			resp.PayloadID = NewPayloadID()
		}
		if resp.PayloadType == "" {
			resp.PayloadType = "CoreEnvelopeError"
		}
		if resp.SenderID == "" {
			resp.SenderID = "UNKNOWN"
		}
		if resp.ReceiverID == "" {
			resp.ReceiverID = "UNKNOWN"
		}
		resp.TimeStamp = now()
		body, ct, err := resp.Bytes()
		if err != nil {
			http.Error(w, "response not written", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}
