package demo

import "testing"

// TestComparePolicies: on the committed behaviour model, the no-show
// model learns the simulated attendance, and the predictive policy has
// fewer no-shows than fixed-time reminders over the same weeks.
func TestComparePolicies(t *testing.T) {
	d, err := Generate(1, 400, 200)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ComparePolicies(d, 52, 39, DefaultBehaviour)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", c)
	if c.NoShowModel.AUC < 0.65 || c.NoShowPredictive >= c.NoShowFixed || c.Appointments < 200 {
		t.Fatalf("comparison %+v", c)
	}
	again, _ := ComparePolicies(d, 52, 39, DefaultBehaviour)
	if again.NoShowFixed != c.NoShowFixed || again.NoShowPredictive != c.NoShowPredictive || again.NoShowModel.AUC != c.NoShowModel.AUC {
		t.Fatal("not deterministic")
	}
}
