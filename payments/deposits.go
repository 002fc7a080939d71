package payments

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/clearhouse/clearhouse/money"
	"github.com/clearhouse/clearhouse/store"
)

// ErrDepositFile: a bank statement cannot be read.
var ErrDepositFile = errors.New("payments: bad deposit file")

// DepositFileError locates a problem in a bank statement: the file, line
// and field (1-based; 0 when the problem is the whole line or file).
type DepositFileError struct {
	File  string
	Line  int
	Field int
	Err   error
}

func (e *DepositFileError) Error() string {
	if e.Field > 0 {
		return fmt.Sprintf("%s:%d: field %d: %v", e.File, e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *DepositFileError) Unwrap() error { return e.Err }

func fileErr(file string, line, field int, format string, args ...any) error {
	return &DepositFileError{File: file, Line: line, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrDepositFile}, args...)...)}
}

// maxDepositLine caps a statement line.
const maxDepositLine = 64 << 10

// ParseDeposits reads the credits of a bank statement: BAI2 (it starts
// with a 01 file header record) or CSV with a header row naming at least
// date, amount and reference columns (trace and description optional).
// Debits (BAI2 type codes 400 and up, negative CSV amounts) are left out.
func ParseDeposits(name string, data []byte) ([]store.BankDeposit, error) {
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n\ufeff"), []byte("01,")) {
		return parseBAI2(name, data)
	}
	return parseDepositCSV(name, data)
}

func parseAmount(s string) (int64, error) {
	s = strings.TrimSpace(strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(s), "$"), ",", ""))
	c, err := money.Parse(s)
	return int64(c), err
}

func parseDepositCSV(name string, data []byte) ([]store.BankDeposit, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if err == io.EOF {
		return nil, fileErr(name, 1, 0, "empty file")
	}
	if err != nil {
		return nil, &DepositFileError{File: name, Line: 1, Err: fmt.Errorf("%w: %v", ErrDepositFile, err)}
	}
	col := map[string]int{}
	for i, h := range head {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "date", "deposit_date", "posted", "posting date":
			col["date"] = i
		case "amount", "credit":
			col["amount"] = i
		case "reference", "bank_reference", "bank reference":
			col["reference"] = i
		case "trace", "trace_number", "trace number", "customer reference":
			col["trace"] = i
		case "description", "memo":
			col["description"] = i
		}
	}
	for _, need := range []string{"date", "amount", "reference"} {
		if _, ok := col[need]; !ok {
			return nil, fileErr(name, 1, 0, "header has no %s column", need)
		}
	}
	get := func(rec []string, k string) string {
		i, ok := col[k]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var out []store.BankDeposit
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &DepositFileError{File: name, Line: pe.Line, Field: pe.Column, Err: fmt.Errorf("%w: %v", ErrDepositFile, pe.Err)}
			}
			return nil, &DepositFileError{File: name, Err: fmt.Errorf("%w: %v", ErrDepositFile, err)}
		}
		if len(rec) == 0 || (len(rec) == 1 && rec[0] == "") {
			continue
		}
		// FieldPos panics on a field index the record lacks (a fuzzed
		// file found it with FieldPos(0) before the length check).
		line, _ := r.FieldPos(0)
		d, err := time.Parse(time.DateOnly, get(rec, "date"))
		if err != nil {
			if d, err = time.Parse("01/02/2006", get(rec, "date")); err != nil {
				return nil, fileErr(name, line, col["date"]+1, "date %q is not YYYY-MM-DD or MM/DD/YYYY", get(rec, "date"))
			}
		}
		amt, err := parseAmount(get(rec, "amount"))
		if err != nil {
			return nil, fileErr(name, line, col["amount"]+1, "amount %q: %v", get(rec, "amount"), err)
		}
		ref := get(rec, "reference")
		if ref == "" {
			return nil, fileErr(name, line, col["reference"]+1, "no bank reference")
		}
		if amt <= 0 {
			continue
		}
		out = append(out, store.BankDeposit{DepositedOn: d, AmountCents: amt, BankReference: ref, TraceNumber: get(rec, "trace"),
			Description: get(rec, "description"), SourceFile: name})
	}
}

// parseBAI2 reads BAI2 (Cash Management Balance Reporting Specification,
// version 2): 01 file header, 02 group header (as-of date in field 4,
// YYMMDD), 03 account identifier, 16 transaction detail (type code, amount
// in cents, funds type and its fields, bank reference, customer reference,
// text), 88 continuations, 49/98/99 trailers. Records end with "/". A
// credit's trace is the reassociation trace in its text ("TRN*1*trace*"),
// else its customer reference.
func parseBAI2(name string, data []byte) ([]store.BankDeposit, error) {
	type rec struct {
		line   int
		fields []string
	}
	var recs []rec
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxDepositLine)
	line := 0
	for sc.Scan() {
		line++
		t := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if t == "" {
			continue
		}
		t = strings.TrimSuffix(t, "/")
		f := strings.Split(t, ",")
		if f[0] == "88" && len(recs) > 0 {
			last := &recs[len(recs)-1]
			last.fields = append(last.fields, f[1:]...)
			continue
		}
		recs = append(recs, rec{line: line, fields: f})
	}
	if err := sc.Err(); err != nil {
		return nil, &DepositFileError{File: name, Line: line + 1, Err: fmt.Errorf("%w: %v", ErrDepositFile, err)}
	}
	if len(recs) == 0 || recs[0].fields[0] != "01" {
		return nil, fileErr(name, 1, 0, "no 01 file header")
	}
	var out []store.BankDeposit
	var asOf time.Time
	seen := map[string]int{}
	for _, r := range recs {
		f := r.fields
		switch f[0] {
		case "01", "03", "49", "98", "99":
		case "02":
			if len(f) < 5 {
				return nil, fileErr(name, r.line, 0, "02 group header has %d fields, want at least 5", len(f))
			}
			d, err := time.Parse("060102", f[4])
			if err != nil {
				return nil, fileErr(name, r.line, 5, "as-of date %q is not YYMMDD", f[4])
			}
			asOf = d
		case "16":
			if asOf.IsZero() {
				return nil, fileErr(name, r.line, 0, "16 transaction detail before a 02 group header")
			}
			if len(f) < 4 {
				return nil, fileErr(name, r.line, 0, "16 transaction detail has %d fields, want at least 4", len(f))
			}
			code, err := strconv.Atoi(f[1])
			if err != nil || code < 100 || code > 999 {
				return nil, fileErr(name, r.line, 2, "type code %q is not three digits", f[1])
			}
			amt, err := strconv.ParseInt(f[2], 10, 64)
			if err != nil || amt < 0 {
				return nil, fileErr(name, r.line, 3, "amount %q is not whole cents", f[2])
			}
			i := 4 // after the funds type
			switch f[3] {
			case "", "0", "1", "2", "Z":
			case "V":
				i += 2
			case "S":
				i += 3
			case "D":
				if len(f) < 5 {
					return nil, fileErr(name, r.line, 5, "funds type D without a distribution count")
				}
				n, err := strconv.Atoi(f[4])
				if err != nil || n < 0 || n > 100 {
					return nil, fileErr(name, r.line, 5, "distribution count %q", f[4])
				}
				i += 1 + 2*n
			default:
				return nil, fileErr(name, r.line, 4, "funds type %q is not 0, 1, 2, V, S, D or Z", f[3])
			}
			field := func(k int) string {
				if k < len(f) {
					return strings.TrimSpace(f[k])
				}
				return ""
			}
			bankRef, custRef := field(i), field(i+1)
			text := ""
			if i+2 < len(f) {
				text = strings.TrimSpace(strings.Join(f[i+2:], ","))
			}
			if code >= 400 || amt == 0 {
				continue // a debit, or nothing deposited
			}
			trace := custRef
			if k := strings.Index(text, "TRN*1*"); k >= 0 {
				rest := text[k+len("TRN*1*"):]
				if e := strings.IndexAny(rest, "*\\~ "); e >= 0 {
					rest = rest[:e]
				}
				trace = rest
			}
			if bankRef == "" {
				bankRef = fmt.Sprintf("%s:%d", asOf.Format("20060102"), r.line)
			}
			if n := seen[bankRef]; n > 0 {
				bankRef = fmt.Sprintf("%s#%d", bankRef, n)
			}
			seen[bankRef]++
			out = append(out, store.BankDeposit{DepositedOn: asOf, AmountCents: amt, BankReference: bankRef, TraceNumber: trace,
				Description: text, SourceFile: name})
		default:
			return nil, fileErr(name, r.line, 1, "record type %q is not BAI2", f[0])
		}
	}
	return out, nil
}

// Worklist kinds of deposit reconciliation.
const (
	// WorkUnmatchedDeposit: a bank credit no 835 accounts for.
	WorkUnmatchedDeposit = "unmatched_deposit"
	// WorkUnmatchedRemittance: an 835 payment whose money has not reached
	// the bank.
	WorkUnmatchedRemittance = "unmatched_remittance"
)

// ImportResult says what ImportDeposits added.
type ImportResult struct {
	Read     int
	Imported []store.BankDeposit
}

// ImportDeposits reads a bank statement and stores its credits; a credit
// already on file (same bank reference) is skipped.
func (s *Service) ImportDeposits(ctx context.Context, clinicID int64, name string, data []byte) (ImportResult, error) {
	deps, err := ParseDeposits(name, data)
	if err != nil {
		return ImportResult{}, err
	}
	res := ImportResult{Read: len(deps)}
	err = s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		got, err := tx.InsertBankDeposits(ctx, store.InsertBankDepositsParams{Deposits: deps})
		if err != nil {
			return err
		}
		res.Imported = got
		var total int64
		for _, d := range got {
			total += d.AmountCents
		}
		return s.audit(ctx, tx, "", AuditDeposit, 0, map[string]any{"file": name, "read": len(deps), "imported": len(got), "amount_cents": total})
	})
	return res, err
}

// MatchResult says what MatchDeposits did.
type MatchResult struct {
	Matched              int
	UnmatchedDeposits    int
	UnmatchedRemittances int
}

// normTrace compares traces without spaces, case or leading zeros.
func normTrace(s string) string {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	return strings.TrimLeft(s, "0")
}

// MatchDeposits matches unmatched bank deposits to 835 remittances by trace
// number (TRN02 against the deposit's trace) and amount (BPR02), each
// remittance to one deposit. Deposits left over and remittances with money
// (BPR02 above zero) whose payment date (BPR16) is at least graceDays old and
// that no deposit matches become worklist items. It reads three lists, writes
// the matches in bulk and adds the items, in one transaction.
func (s *Service) MatchDeposits(ctx context.Context, clinicID int64, graceDays int) (MatchResult, error) {
	var res MatchResult
	today := s.today()
	err := s.st.InTx(ctx, clinicID, func(tx store.Tx) error {
		all, err := tx.ListBankDeposits(ctx, store.ListBankDepositsParams{})
		if err != nil {
			return err
		}
		rems, err := tx.ListRemittances(ctx, store.ListRemittancesParams{})
		if err != nil {
			return err
		}
		taken := map[int64]bool{}
		for _, d := range all {
			if d.RemittanceID != nil {
				taken[*d.RemittanceID] = true
			}
		}
		type key struct {
			trace string
			cents int64
		}
		open := map[key][]store.Remittance{}
		byTrace := map[string][]store.Remittance{}
		for _, r := range rems {
			if taken[r.ID] || r.PaymentCents <= 0 {
				continue
			}
			open[key{normTrace(r.TraceNumber), r.PaymentCents}] = append(open[key{normTrace(r.TraceNumber), r.PaymentCents}], r)
			byTrace[normTrace(r.TraceNumber)] = append(byTrace[normTrace(r.TraceNumber)], r)
		}
		var matches []store.DepositMatch
		var leftover []store.BankDeposit
		for _, d := range all {
			if d.RemittanceID != nil {
				continue
			}
			k := key{normTrace(d.TraceNumber), d.AmountCents}
			if rs := open[k]; d.TraceNumber != "" && len(rs) > 0 {
				matches = append(matches, store.DepositMatch{DepositID: d.ID, RemittanceID: rs[0].ID})
				taken[rs[0].ID] = true
				open[k] = rs[1:]
				continue
			}
			leftover = append(leftover, d)
		}
		if err := tx.MatchBankDeposits(ctx, store.MatchBankDepositsParams{Matches: matches}); err != nil {
			return err
		}
		res.Matched = len(matches)
		for _, d := range leftover {
			detail := "no 835 payment has this trace number"
			for _, r := range byTrace[normTrace(d.TraceNumber)] {
				if !taken[r.ID] {
					detail = fmt.Sprintf("835 trace %s pays %s, the bank credited %s", r.TraceNumber, money.Cents(r.PaymentCents), money.Cents(d.AmountCents))
				}
			}
			if _, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkUnmatchedDeposit, Priority: 2,
				AmountCents: d.AmountCents, Title: fmt.Sprintf("Deposit %s of %s on %s: %s", d.BankReference, money.Cents(d.AmountCents),
					d.DepositedOn.Format(time.DateOnly), detail), DedupeKey: fmt.Sprintf("deposit:%d", d.ID)}); err != nil {
				return err
			}
			res.UnmatchedDeposits++
		}
		for _, r := range rems {
			if taken[r.ID] || r.PaymentCents <= 0 || r.PaymentDate.IsZero() || today.Sub(r.PaymentDate) < time.Duration(graceDays)*24*time.Hour {
				continue
			}
			if _, _, err := tx.CreateWorklistItem(ctx, store.CreateWorklistItemParams{Kind: WorkUnmatchedRemittance, Priority: 2, PayerID: r.PayerID,
				AmountCents: r.PaymentCents, Title: fmt.Sprintf("835 trace %s of %s paid %s: no bank deposit matches", r.TraceNumber,
					money.Cents(r.PaymentCents), r.PaymentDate.Format(time.DateOnly)), DedupeKey: fmt.Sprintf("remittance-deposit:%d", r.ID)}); err != nil {
				return err
			}
			res.UnmatchedRemittances++
		}
		return s.audit(ctx, tx, "", AuditMatch, 0, map[string]any{"matched": res.Matched, "unmatched_deposits": res.UnmatchedDeposits,
			"unmatched_remittances": res.UnmatchedRemittances})
	})
	return res, err
}

// Deposits lists bank deposits.
func (s *Service) Deposits(ctx context.Context, clinicID int64, unmatched bool) ([]store.BankDeposit, error) {
	return s.st.ListBankDeposits(ctx, store.ListBankDepositsParams{ClinicID: clinicID, Unmatched: unmatched})
}
