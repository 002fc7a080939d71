package payments_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clearhouse/clearhouse/payments"
	"github.com/clearhouse/clearhouse/store"
)

func TestParseDeposits(t *testing.T) {
	tests := []struct {
		file  string
		want  []store.BankDeposit
		trace []string
	}{
		{"testdata/deposits.bai", []store.BankDeposit{
			{DepositedOn: day(2026, 3, 2), AmountCents: 192750, BankReference: "BR1001", TraceNumber: "EFT0000001"},
			{DepositedOn: day(2026, 3, 2), AmountCents: 50000, BankReference: "BR1002", TraceNumber: "EFT0000002"},
			{DepositedOn: day(2026, 3, 2), AmountCents: 33300, BankReference: "BR1004", TraceNumber: "LOCKBOX77"},
		}, nil},
		{"testdata/deposits.csv", []store.BankDeposit{
			{DepositedOn: day(2026, 3, 2), AmountCents: 192750, BankReference: "BR2001", TraceNumber: "EFT0000001"},
			{DepositedOn: day(2026, 3, 3), AmountCents: 50000, BankReference: "BR2002", TraceNumber: "EFT0000002"},
			{DepositedOn: day(2026, 3, 4), AmountCents: 7700, BankReference: "BR2004", TraceNumber: "NOSUCHTRACE"},
		}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(tt.file)
			must(t, err)
			got, err := payments.ParseDeposits(tt.file, data)
			must(t, err)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d deposits, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				g := got[i]
				if !g.DepositedOn.Equal(w.DepositedOn) || g.AmountCents != w.AmountCents || g.BankReference != w.BankReference || g.TraceNumber != w.TraceNumber {
					t.Errorf("deposit %d = %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

func TestParseDepositsErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"no header", "", "x:1: "},
		{"csv missing column", "date,amount\n", "x:1: payments: bad deposit file: header has no reference column"},
		{"csv bad amount", "date,amount,reference\n2026-01-01,12.345,R\n", "x:2: field 2: "},
		{"csv bad date", "date,amount,reference\n2026-13-01,1.00,R\n", "x:2: field 1: "},
		{"bai2 bad type code", "01,B,C,260302,0800,1,,,2/\n02,C,B,1,260302,,USD,2/\n16,ABC,1,0,R,T/\n", "x:3: field 2: "},
		{"bai2 detail before group", "01,B,C,260302,0800,1,,,2/\n16,165,1,0,R,T/\n", "x:2: "},
		{"bai2 bad funds type", "01,B,C,260302,0800,1,,,2/\n02,C,B,1,260302,,USD,2/\n16,165,1,Q,R,T/\n", "x:3: field 4: "},
		{"bai2 unknown record", "01,B,C,260302,0800,1,,,2/\n77,1/\n", "x:2: field 1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := payments.ParseDeposits("x", []byte(tt.data))
			if !errors.Is(err, payments.ErrDepositFile) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func FuzzParseDeposits(f *testing.F) {
	for _, name := range []string{"testdata/deposits.bai", "testdata/deposits.csv"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		deps, err := payments.ParseDeposits("fuzz", data)
		if err != nil {
			if !errors.Is(err, payments.ErrDepositFile) {
				t.Fatalf("error does not wrap ErrDepositFile: %v", err)
			}
			return
		}
		for _, d := range deps {
			if d.AmountCents <= 0 || d.BankReference == "" || d.DepositedOn.IsZero() {
				t.Fatalf("bad deposit %+v", d)
			}
		}
	})
}

func TestMatchDeposits(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		w := newWorld(t, st)
		svc := payments.New(st, payments.Options{Now: clock})
		for _, r := range []struct {
			trace string
			cents int64
			date  time.Time
		}{
			{"EFT0000001", 192750, day(2026, 3, 1)},
			{"EFT0000002", 60000, day(2026, 3, 1)}, // the bank credited 500.00
			{"EFT0000003", 12345, day(2026, 2, 1)}, // never deposited
			{"EFT0000004", 0, day(2026, 2, 1)},     // nothing paid: nothing to deposit
		} {
			_, _, err := st.CreateRemittance(w.ctx, store.CreateRemittanceParams{ClinicID: w.clinic.ID, PayerIdentifier: "1512345678",
				TraceNumber: r.trace, PaymentMethod: "ACH", PaymentCents: r.cents, PaymentDate: r.date})
			must(t, err)
		}
		data, err := os.ReadFile("testdata/deposits.csv")
		must(t, err)
		imp, err := svc.ImportDeposits(w.ctx, w.clinic.ID, "deposits.csv", data)
		must(t, err)
		if imp.Read != 3 || len(imp.Imported) != 3 {
			t.Fatalf("import %+v", imp)
		}
		again, err := svc.ImportDeposits(w.ctx, w.clinic.ID, "deposits.csv", data)
		must(t, err)
		if len(again.Imported) != 0 {
			t.Fatalf("second import added %d", len(again.Imported))
		}
		res, err := svc.MatchDeposits(w.ctx, w.clinic.ID, 0)
		must(t, err)
		if res.Matched != 1 || res.UnmatchedDeposits != 2 || res.UnmatchedRemittances != 2 {
			t.Fatalf("match %+v", res)
		}
		items, err := st.ListWorklistItems(w.ctx, store.ListWorklistItemsParams{ClinicID: w.clinic.ID,
			Kinds: []string{payments.WorkUnmatchedDeposit, payments.WorkUnmatchedRemittance}})
		must(t, err)
		if len(items) != 4 || !strings.Contains(items[0].Title, "835 trace EFT0000002 pays 600.00, the bank credited 500.00") {
			for _, it := range items {
				t.Log(it.Kind, it.Title)
			}
			t.Fatalf("%d items", len(items))
		}
		// Matching again changes nothing and adds no item.
		res, err = svc.MatchDeposits(w.ctx, w.clinic.ID, 0)
		must(t, err)
		items2, err := st.ListWorklistItems(w.ctx, store.ListWorklistItemsParams{ClinicID: w.clinic.ID,
			Kinds: []string{payments.WorkUnmatchedDeposit, payments.WorkUnmatchedRemittance}})
		must(t, err)
		if res.Matched != 0 || len(items2) != 4 {
			t.Fatalf("rematch %+v, %d items", res, len(items2))
		}
		unmatched, err := svc.Deposits(w.ctx, w.clinic.ID, true)
		must(t, err)
		if len(unmatched) != 2 {
			t.Fatalf("unmatched deposits %d", len(unmatched))
		}
	})
}
