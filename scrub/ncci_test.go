package scrub

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/codes"
)

func ncciScrubber(t testing.TB) *Scrubber {
	t.Helper()
	sets, err := codes.LoadEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Codes: sets})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pairwiseNCCI is the reference the grouped NCCI edits are checked
// against: every pair of lines tried, O(n^2). A column 2 line draws one
// finding per column 1 code billed on its date, naming the first line of
// that code it is not payable with; MUE limits apply per line (MAI 1) or
// per code and date, at the code's first line of the date.
func pairwiseNCCI(sets *codes.Sets, c *claim.Claim, dosFrom codes.Day) []string {
	ptp, mue := sets.PTP(codes.Practitioner), sets.MUE(codes.Practitioner)
	day := func(l *claim.ServiceLine) codes.Day {
		if l.ServiceDate.IsZero() {
			return dosFrom
		}
		return dayOf(l.ServiceDate)
	}
	type hit struct{ i, j int }
	var hits []hit
	for j := range c.Lines {
		b := &c.Lines[j]
		if b.ProcedureCode == "" {
			continue
		}
		tried := map[string]bool{}
		for i := range c.Lines {
			a := &c.Lines[i]
			if i == j || a.ProcedureCode == "" || a.ServiceDate != b.ServiceDate || tried[a.ProcedureCode] {
				continue
			}
			tried[a.ProcedureCode] = true
			e, ok := ptp.Lookup(a.ProcedureCode, b.ProcedureCode, day(a))
			if !ok {
				continue
			}
			for i2 := i; i2 < len(c.Lines); i2++ {
				a2 := &c.Lines[i2]
				if i2 == j || a2.ProcedureCode != a.ProcedureCode || a2.ServiceDate != b.ServiceDate {
					continue
				}
				if e.Modifier == codes.ModifierAllowed && (hasNCCIModifier(a2) || hasNCCIModifier(b)) {
					continue
				}
				hits = append(hits, hit{i2, j})
				break
			}
		}
	}
	slices.SortFunc(hits, func(x, y hit) int { return cmp.Or(cmp.Compare(x.i, y.i), cmp.Compare(x.j, y.j)) })
	var out []string
	for _, h := range hits {
		a, b := &c.Lines[h.i], &c.Lines[h.j]
		out = append(out, fmt.Sprintf("NCCI-PTP line %d: %s (line %d) with %s (line %d)", h.j+1, b.ProcedureCode, h.j+1, a.ProcedureCode, h.i+1))
	}
	for i := range c.Lines {
		l := &c.Lines[i]
		lim, ok := mue.Lookup(l.ProcedureCode)
		if !ok {
			continue
		}
		units := l.Units
		if lim.Adjudicate != codes.MUELine {
			first := true
			for j := 0; j < i; j++ {
				if c.Lines[j].ProcedureCode == l.ProcedureCode && c.Lines[j].ServiceDate == l.ServiceDate {
					first = false
				}
			}
			if !first {
				continue
			}
			for j := i + 1; j < len(c.Lines); j++ {
				if c.Lines[j].ProcedureCode == l.ProcedureCode && c.Lines[j].ServiceDate == l.ServiceDate {
					units += c.Lines[j].Units
				}
			}
		}
		if units > claim.Units(int64(lim.Units)) {
			out = append(out, fmt.Sprintf("MUE line %d: %s billed %s units", i+1, l.ProcedureCode, units))
		}
	}
	return out
}

// gotNCCI lists the NCCI findings in the reference's words.
func gotNCCI(fs []Finding, c *claim.Claim) []string {
	var out []string
	for _, f := range fs {
		switch f.RuleID {
		case "NCCI-PTP":
			var c2, c1 string
			var l2, l1 int
			if _, err := fmt.Sscanf(f.Message, "NCCI procedure-to-procedure edit: %s (line %d) is not payable with %s (line %d)", &c2, &l2, &c1, &l1); err != nil {
				out = append(out, "unreadable: "+f.Message)
				continue
			}
			out = append(out, fmt.Sprintf("NCCI-PTP line %d: %s (line %d) with %s (line %d)", f.Location.Line, c2, l2, c1, l1))
		case "MUE":
			l := &c.Lines[f.Location.Line-1]
			var code, units string
			if _, err := fmt.Sscanf(f.Message, "units exceed the medically unlikely edit: %s billed %s units", &code, &units); err != nil {
				out = append(out, "unreadable: "+f.Message)
				continue
			}
			out = append(out, fmt.Sprintf("MUE line %d: %s billed %s units", f.Location.Line, l.ProcedureCode, units))
		}
	}
	return out
}

// TestNCCIMatchesPairwise: on random claims of up to 40 lines over two
// dates, with the sample tables' codes, repeated codes and NCCI-associated
// modifiers, the grouped edits find what trying every pair of lines finds.
func TestNCCIMatchesPairwise(t *testing.T) {
	s := ncciScrubber(t)
	procs := []string{"20610", "99213", "99214", "93000", "93005", "93010", "97530", "97140", "97124",
		"36415", "36416", "96372", "99211", "G0439", "80053", "80048", "11055", "11056", "81002", ""}
	mods := [][]string{nil, nil, {"25"}, {"59"}, {"QW"}, {"XS", "76"}}
	dates := []claim.Date{claim.NewDate(2026, 2, 16), claim.NewDate(2026, 2, 17), {}}
	rng := rand.New(rand.NewPCG(14, 8))
	for n := range 400 {
		c := &claim.Claim{Kind: claim.Professional, PatientControlNumber: "PCN"}
		nl := 1 + rng.IntN(40)
		ncodes := 2 + rng.IntN(len(procs)-1)
		for range nl {
			c.Lines = append(c.Lines, claim.ServiceLine{
				ProcedureCode: procs[rng.IntN(ncodes)],
				Modifiers:     mods[rng.IntN(len(mods))],
				Units:         claim.Units(int64(1 + rng.IntN(3))),
				ServiceDate:   dates[rng.IntN(len(dates))],
			})
		}
		from, _ := c.ServiceSpan()
		dosFrom := dayOf(from)
		if from.IsZero() {
			dosFrom = 0
		}
		k := &checker{s: s, c: c, prof: s.common, dosFrom: dosFrom}
		k.ncci()
		got, want := gotNCCI(k.out, c), pairwiseNCCI(s.codes, c, dosFrom)
		if !slices.Equal(got, want) {
			t.Fatalf("claim %d (%d lines %+v):\ngot  %q\nwant %q", n, nl, c.Lines, got, want)
		}
	}
}

// TestNCCIGrowsLinearly: the NCCI pairs looked up grow with the lines of a
// claim, not with its pairs of lines, for a claim repeating a few codes on
// one date and for one billing many distinct codes on one date (issue 14,
// item 8). It counts lookups, not time.
func TestNCCIGrowsLinearly(t *testing.T) {
	s := ncciScrubber(t)
	date := claim.NewDate(2026, 2, 16)
	shapes := map[string]func(i int) string{
		"few codes repeated": func(i int) string {
			return [...]string{"20610", "99213", "99214", "36415", "93000", "93010", "G0439", "97110"}[i%8]
		},
		"distinct codes": func(i int) string {
			if i%50 == 0 {
				return "20610"
			}
			return fmt.Sprintf("%05d", 10000+i)
		},
	}
	for name, code := range shapes {
		t.Run(name, func(t *testing.T) {
			count := func(n int) (lookups, findings int) {
				c := &claim.Claim{Kind: claim.Professional}
				for i := range n {
					c.Lines = append(c.Lines, claim.ServiceLine{ProcedureCode: code(i), Units: claim.Units(1), ServiceDate: date})
				}
				k := &checker{s: s, c: c, prof: s.common, dosFrom: dayOf(date)}
				k.ncci()
				return k.ptpLookups, len(k.out)
			}
			const n = 2000
			l1, f1 := count(n)
			l4, f4 := count(4 * n)
			if l1 == 0 {
				t.Fatalf("no lookups at %d lines", n)
			}
			if l4 > 4*l1+16 || f4 > 4*f1+16 {
				t.Errorf("%d lines: %d lookups, %d findings; %d lines: %d lookups, %d findings (want at most 4 times)", n, l1, f1, 4*n, l4, f4)
			}
			t.Logf("%d lines: %d lookups, %d findings; %d lines: %d lookups, %d findings", n, l1, f1, 4*n, l4, f4)
		})
	}
}
