package worklist_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/clearhouse/clearhouse/clock"
	"github.com/clearhouse/clearhouse/report/reporttest"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/worklist"
)

// Example lists a clinic's open denials with their suggested actions, then
// writes off the one that is past timely filing.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "worklist-example")
	defer os.RemoveAll(dir)
	clock := clock.New(reporttest.End)
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "w.db"), Now: clock.Now})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		fmt.Println(err)
		return
	}
	seed, err := reporttest.Seed(ctx, st, clock)
	if err != nil {
		fmt.Println(err)
		return
	}
	svc, _ := worklist.New(worklist.Config{Store: st, Now: clock.Now})
	items, _ := svc.List(ctx, worklist.Filter{Kinds: []string{store.WorkDenial}, Sort: "-" + worklist.SortAmount})
	for _, it := range items {
		fmt.Printf("%s %s %d days: %s\n", it.PatientControlNumber, it.PayerCode, it.AgeDays, it.Action)
	}
	res, err := svc.WriteOff(ctx, worklist.WriteOffParams{ClaimID: seed.Claims[7].ID, Reason: "timely filing", Actor: "sam"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("wrote off %d cents, resolved %d item(s)\n", res.AmountCents, len(res.ResolvedItems))
	// Output:
	// E102 KHP01 12 days: correct and resubmit
	// E107 MCRJX 7 days: write off
	// wrote off 18000 cents, resolved 1 item(s)
}
