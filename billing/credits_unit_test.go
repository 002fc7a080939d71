package billing

import (
	"testing"

	"github.com/clearhouse/clearhouse/store"
)

func TestCreditCause(t *testing.T) {
	orig := int64(7)
	pay := func(id, paid int64, doc string) store.ClaimPayment {
		return store.ClaimPayment{ID: id, StatusCode: "1", PaidCents: paid, Document: []byte(doc)}
	}
	tests := []struct {
		name           string
		claim          store.Claim
		open, origOpen []store.ClaimPayment
		want           string
	}{
		{"paid twice", store.Claim{Document: []byte(`{}`)}, []store.ClaimPayment{pay(1, 100, `{}`), pay(2, 100, `{}`)}, nil, CreditDuplicate},
		{"replacement paid on top of the original", store.Claim{OriginalClaimID: &orig, FrequencyCode: "7", Document: []byte(`{}`)},
			[]store.ClaimPayment{pay(3, 19275, `{}`)}, []store.ClaimPayment{pay(1, 28500, `{}`)}, CreditReplacement},
		{"replacement of a denied claim", store.Claim{OriginalClaimID: &orig, FrequencyCode: "7", Document: []byte(`{}`)},
			[]store.ClaimPayment{pay(3, 19275, `{}`)}, []store.ClaimPayment{pay(1, 0, `{}`)}, CreditReplacement},
		{"secondary paid past the prior payer", store.Claim{Document: []byte(`{}`)},
			[]store.ClaimPayment{pay(1, 12000, `{"priorPayerCents":15500}`)}, nil, CreditSecondaryOverpaid},
		{"secondary by its document", store.Claim{Document: []byte(`{"otherPayers":[{"payer":{"id":"KHP01"}}]}`)},
			[]store.ClaimPayment{pay(1, 12000, `{}`)}, nil, CreditSecondaryOverpaid},
		{"anything else", store.Claim{Document: []byte(`{}`)}, []store.ClaimPayment{pay(1, 100, `{}`)}, nil, CreditOverpayment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := creditCause(tt.claim, tt.open, tt.origOpen); got != tt.want {
				t.Errorf("cause %s, want %s", got, tt.want)
			}
		})
	}
}
