package pgstore

import (
	"slices"
	"testing"
)

func TestUpkeepActions(t *testing.T) {
	for _, tc := range []struct {
		name             string
		table            upkeepTable
		vacuum, analyzed bool
	}{
		{name: "quiet", table: upkeepTable{live: 100_000, dead: 100, modified: 100}},
		{name: "small churn under the base", table: upkeepTable{live: 10, dead: 1_900, modified: 900}},
		{name: "dead rows over the live ones", table: upkeepTable{live: 100_000, dead: 102_001}, vacuum: true},
		{name: "dead rows under the live ones", table: upkeepTable{live: 100_000, dead: 101_999, modified: 5_000}},
		{name: "filled since its analyze", table: upkeepTable{live: 30_000, modified: 30_000}, analyzed: true},
		{name: "empty when analyzed, now filled", table: upkeepTable{live: 0, modified: 5_000}, analyzed: true},
		{name: "vacuum analyzes too", table: upkeepTable{live: 1_000, dead: 5_000, modified: 9_000}, vacuum: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.table.name = "t"
			vacuum, analyze := upkeepActions([]upkeepTable{tc.table})
			if got := slices.Contains(vacuum, "t"); got != tc.vacuum {
				t.Errorf("vacuum %v, want %v", got, tc.vacuum)
			}
			if got := slices.Contains(analyze, "t"); got != tc.analyzed {
				t.Errorf("analyze only %v, want %v", got, tc.analyzed)
			}
		})
	}
}
