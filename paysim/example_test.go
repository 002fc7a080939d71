package paysim_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/clearhouse/clearhouse/fixtures"
	"github.com/clearhouse/clearhouse/paysim"
)

// A payer simulator answers an 837 batch with a 999 and a 277CA, then pays
// the accepted claims in an 835 once they are due. The clock is simulated.
func ExampleSimulator() {
	root, err := os.MkdirTemp("", "paysim-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	reg, err := fixtures.Payers()
	if err != nil {
		panic(err)
	}
	now := time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC)
	sim, err := paysim.NewSimulator(paysim.Config{
		Server:            paysim.ServerConfig{Root: root, Users: []paysim.User{{Name: "clearhouse", Password: "secret", Payer: "KHP01"}}},
		Registry:          reg,
		Seed:              1,
		Rates:             paysim.Rates{Deny: 0.25},
		AdjudicationDelay: 24 * time.Hour,
		Now:               func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	defer sim.Close()

	batch, err := os.ReadFile("../edi/x837/testdata/golden/batch-grouped.x12")
	if err != nil {
		panic(err)
	}
	// Over SFTP, Start serves the folders and answers what is uploaded;
	// HandleFile answers a file directly.
	names, err := sim.HandleFile(context.Background(), "KHP01", "batch-1.x12", batch)
	if err != nil {
		panic(err)
	}
	fmt.Println(names, sim.Pending(), "claims pending")

	files, err := sim.ReleaseDue(context.Background(), now.Add(25*time.Hour))
	if err != nil {
		panic(err)
	}
	fmt.Println(files, "835 file,", sim.Pending(), "claims pending")
	// Output:
	// [batch-1.x12.999 batch-1.x12.277ca] 4 claims pending
	// 1 835 file, 0 claims pending
}
