package payments_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/clearhouse/clearhouse/payments"
)

// stripeServer speaks the two Stripe endpoints the processor uses
// (POST /v1/payment_intents and POST /v1/refunds) as Stripe documents them:
// form-encoded requests with a bearer key and an Idempotency-Key header,
// JSON objects back, card errors as 402 with an error object. stripe-mock,
// Stripe's own test server, is not served by the module proxy here.
type stripeServer struct {
	mu       sync.Mutex
	requests []string
	keys     map[string]string
}

func (s *stripeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("Authorization") != "Bearer sk_test_123" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}`)
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	idem := r.Header.Get("Idempotency-Key")
	if prev, ok := s.keys[idem]; ok && idem != "" {
		fmt.Fprint(w, prev)
		return
	}
	s.requests = append(s.requests, r.Method+" "+r.URL.Path+" "+r.PostForm.Encode())
	var body string
	switch r.URL.Path {
	case "/v1/payment_intents":
		if r.PostForm.Get("payment_method") == "pm_card_chargeDeclined" {
			w.WriteHeader(http.StatusPaymentRequired)
			fmt.Fprint(w, `{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}}`)
			return
		}
		body = fmt.Sprintf(`{"id":"pi_%d","object":"payment_intent","amount":%s,"currency":"usd","status":"succeeded",
			"latest_charge":{"id":"ch_1","object":"charge","payment_method_details":{"type":"card","card":{"brand":"visa","last4":"4242"}}}}`,
			len(s.requests), r.PostForm.Get("amount"))
	case "/v1/refunds":
		body = fmt.Sprintf(`{"id":"re_%d","object":"refund","amount":%s,"payment_intent":%q,"status":"succeeded"}`,
			len(s.requests), r.PostForm.Get("amount"), r.PostForm.Get("payment_intent"))
	default:
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":{"type":"invalid_request_error","message":"Unrecognized request URL"}}`)
		return
	}
	s.keys[idem] = body
	fmt.Fprint(w, body)
}

func TestStripe(t *testing.T) {
	srv := &stripeServer{keys: map[string]string{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	proc, err := payments.NewStripe(payments.StripeConfig{SecretKey: "sk_test_123", URL: ts.URL, HTTPClient: ts.Client()})
	must(t, err)
	ctx := context.Background()
	c, err := proc.Charge(ctx, payments.ChargeRequest{AmountCents: 2500, PaymentMethodToken: "pm_card_visa", IdempotencyKey: "k1", Description: "patient payment"})
	must(t, err)
	if c.ID != "pi_1" || c.CardBrand != "visa" || c.CardLast4 != "4242" || c.Processor != "stripe" {
		t.Fatalf("charge %+v", c)
	}
	// A retry with the same key charges once.
	again, err := proc.Charge(ctx, payments.ChargeRequest{AmountCents: 2500, PaymentMethodToken: "pm_card_visa", IdempotencyKey: "k1"})
	must(t, err)
	if again.ID != c.ID || len(srv.requests) != 1 {
		t.Fatalf("retry charged again: %+v, %d requests", again, len(srv.requests))
	}
	for _, want := range []string{"amount=2500", "confirm=true", "currency=usd", "payment_method=pm_card_visa", "expand%5B0%5D=latest_charge"} {
		if !strings.Contains(srv.requests[0], want) {
			t.Errorf("request %q lacks %s", srv.requests[0], want)
		}
	}
	// A card on file is charged off-session with its customer.
	_, err = proc.Charge(ctx, payments.ChargeRequest{AmountCents: 5000, PaymentMethodToken: "pm_card_visa", CustomerToken: "cus_1", IdempotencyKey: "k2"})
	must(t, err)
	if r := srv.requests[1]; !strings.Contains(r, "customer=cus_1") || !strings.Contains(r, "off_session=true") {
		t.Errorf("plan charge %q", r)
	}
	rf, err := proc.Refund(ctx, payments.RefundRequest{PaymentID: c.ID, AmountCents: 1000, IdempotencyKey: "r1"})
	must(t, err)
	if rf.ID == "" || !strings.Contains(srv.requests[2], "payment_intent=pi_1") || !strings.Contains(srv.requests[2], "amount=1000") {
		t.Fatalf("refund %+v %q", rf, srv.requests[2])
	}
	_, err = proc.Charge(ctx, payments.ChargeRequest{AmountCents: 100, PaymentMethodToken: "pm_card_chargeDeclined", IdempotencyKey: "k3"})
	if !errors.Is(err, payments.ErrDeclined) || !strings.Contains(err.Error(), "card_declined") {
		t.Fatalf("declined: %v", err)
	}
	bad, err := payments.NewStripe(payments.StripeConfig{SecretKey: "sk_test_wrong", URL: ts.URL, HTTPClient: ts.Client()})
	must(t, err)
	_, err = bad.Charge(ctx, payments.ChargeRequest{AmountCents: 100, PaymentMethodToken: "pm_card_visa", IdempotencyKey: "k4"})
	if err == nil || strings.Contains(err.Error(), "sk_test_wrong") {
		t.Fatalf("bad key: %v", err)
	}
}
