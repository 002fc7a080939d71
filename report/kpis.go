package report

import (
	"cmp"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/clearhouse/clearhouse/billing"
	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x835"
	"github.com/clearhouse/clearhouse/store"
)

// Ratio is an exact rate: Num of Den.
type Ratio struct {
	Num, Den int64
}

// Percent is the ratio as a percentage with one decimal, rounded half up
// ("83.3"), or "-" when Den is zero.
func (r Ratio) Percent() string {
	if r.Den == 0 {
		return "-"
	}
	return tenths(r.Num*1000, r.Den)
}

// MarshalJSON writes {"numerator":n,"denominator":d,"percent":"12.5"}
// (percent null when the denominator is zero).
func (r Ratio) MarshalJSON() ([]byte, error) {
	var pct *string
	if r.Den != 0 {
		p := r.Percent()
		pct = &p
	}
	return json.Marshal(struct {
		Num     int64   `json:"numerator"`
		Den     int64   `json:"denominator"`
		Percent *string `json:"percent"`
	}{r.Num, r.Den, pct})
}

// tenths formats num/den (num already scaled by ten) with one decimal,
// rounded half away from zero.
func tenths(num, den int64) string {
	neg := (num < 0) != (den < 0)
	if num < 0 {
		num = -num
	}
	if den < 0 {
		den = -den
	}
	q := (2*num + den) / (2 * den)
	s := strconv.FormatInt(q/10, 10) + "." + strconv.FormatInt(q%10, 10)
	if neg && q != 0 {
		s = "-" + s
	}
	return s
}

// divRound is a/b rounded half up, for cents (0 when b is zero).
func divRound(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	return (2*a + b) / (2 * b)
}

// Tenths is a quantity in tenths (days in A/R: 521 is 52.1 days).
type Tenths int64

func (t Tenths) String() string { return tenths(int64(t), 1) }

// MarshalJSON writes the quantity as a decimal string ("52.1").
func (t Tenths) MarshalJSON() ([]byte, error) { return json.Marshal(t.String()) }

// claimInPeriod: a claim belongs to the period whose dates hold its first
// date of service (Loop 2300 DTP*472 / the lines' earliest).
func (d *Dataset) claimInPeriod(c store.Claim) bool { return d.contains(c.ServiceDateFrom) }

// scrubbed reports whether a claim has been through the scrubber: it has a
// scrub-failure item, or its status is one only a scrubbed claim reaches.
// A voided claim counts when it was sent (it has an interchange).
func (d *Dataset) scrubbed(c store.Claim) bool {
	if d.ScrubFailed[c.ID] {
		return true
	}
	switch c.Status {
	case claim.StatusDraft:
		return false
	case claim.StatusVoided:
		return c.InterchangeID != nil
	}
	return true
}

func isReversal(cp store.ClaimPayment) bool { return cp.StatusCode == x835.StatusReversal }

// KPIs are the headline numbers of a period.
type KPIs struct {
	From string `json:"from"`
	To   string `json:"to"`
	// CleanClaimRate: claims with a date of service in the period whose
	// first scrub passed (they never had a scrub-failure item) / claims
	// with a date of service in the period that were scrubbed.
	CleanClaimRate Ratio `json:"cleanClaimRate"`
	// FirstPassAcceptance: claims with a date of service in the period whose
	// first 277CA acknowledgment accepted them into adjudication (STC
	// category A1/A2) / such claims with any 277CA acknowledgment.
	FirstPassAcceptance Ratio `json:"firstPassAcceptance"`
	// DenialRate: denied claim payments / adjudicated claim payments, over
	// the 835 claim payments (Loop 2100 CLP, reversals aside) of
	// remittances dated in the period. Denied is billing's rule
	// (claim.Adjudication.Denied): CLP02 4, or nothing paid and nothing
	// left to the patient for a reason other than a contractual reduction.
	DenialRate Ratio `json:"denialRate"`
	// ChargesCents are gross charges posted in the period (revenue
	// credited, net of charge corrections).
	ChargesCents int64 `json:"chargesCents"`
	// InsuranceARCents and PatientARCents are the A/R balances at the end
	// of the period; ARCents is their sum. Insurance A/R counts what payers
	// denied and nobody has written off, appealed or corrected yet (ledger
	// account billing.AccountDeniedAR): it is still owed. DeniedARCents is
	// that part of InsuranceARCents.
	InsuranceARCents int64 `json:"insuranceArCents"`
	DeniedARCents    int64 `json:"deniedArCents"`
	PatientARCents   int64 `json:"patientArCents"`
	ARCents          int64 `json:"arCents"`
	// CreditBalances counts, at the end of the period, the claims whose
	// insurance A/R is below zero and the patient accounts paid past what
	// the patient owes with nothing left pending with payers (billing's
	// ClaimCredit and PatientCredit: the balances credit_balance worklist
	// items name); CreditBalanceCents is what they hold, positive.
	CreditBalances     int64 `json:"creditBalances"`
	CreditBalanceCents int64 `json:"creditBalanceCents"`
	// DaysInAR: A/R at the end of the period (denied A/R included) /
	// average daily charges over the period (charges / days in the
	// period), in tenths of a day; zero when nothing was charged.
	DaysInAR Tenths `json:"daysInAr"`
	// Collections are cash received in the period (ledger account cash,
	// refunds and recoupments netted): from payers (835 payments, matched
	// or not) and from patients.
	CollectionsCents          int64 `json:"collectionsCents"`
	InsuranceCollectionsCents int64 `json:"insuranceCollectionsCents"`
	PatientCollectionsCents   int64 `json:"patientCollectionsCents"`
	// Visits are encounters with a date of service in the period.
	Visits int64 `json:"visits"`
	// RevenuePerVisitCents: collections in the period / visits in the
	// period, rounded half up to the cent.
	RevenuePerVisitCents int64 `json:"revenuePerVisitCents"`
	// NoShowRate: appointments starting in the period marked no-show /
	// (completed or checked in + no-shows). Cancelled and still booked
	// appointments are left out.
	NoShowRate Ratio `json:"noShowRate"`
}

// ComputeKPIs computes the KPIs of a dataset.
func ComputeKPIs(d *Dataset) KPIs {
	k := KPIs{From: d.From.Format(time.DateOnly), To: d.To.Format(time.DateOnly)}
	for _, c := range d.Claims {
		if !d.claimInPeriod(c) {
			continue
		}
		if d.scrubbed(c) {
			k.CleanClaimRate.Den++
			if !d.ScrubFailed[c.ID] {
				k.CleanClaimRate.Num++
			}
		}
		if a, ok := d.First277CA[c.ID]; ok {
			k.FirstPassAcceptance.Den++
			if a.Accepted {
				k.FirstPassAcceptance.Num++
			}
		}
	}
	for _, p := range d.Payments {
		if isReversal(p.ClaimPayment) {
			continue
		}
		k.DenialRate.Den++
		if p.Adjudication().Denied() {
			k.DenialRate.Num++
		}
	}
	for _, e := range d.AREntries {
		switch e.Account {
		case billing.AccountDeniedAR:
			k.DeniedARCents += e.AmountCents
			k.InsuranceARCents += e.AmountCents
		case billing.AccountInsuranceAR:
			k.InsuranceARCents += e.AmountCents
		default:
			k.PatientARCents += e.AmountCents
		}
	}
	k.ARCents = k.InsuranceARCents + k.PatientARCents
	k.CreditBalances, k.CreditBalanceCents = creditBalances(d)
	for _, e := range d.PeriodEntries {
		switch e.Account {
		case billing.AccountRevenue:
			k.ChargesCents -= e.AmountCents
		case billing.AccountCash:
			if e.RemittanceID != nil {
				k.InsuranceCollectionsCents += e.AmountCents
			} else {
				k.PatientCollectionsCents += e.AmountCents
			}
		}
	}
	k.CollectionsCents = k.InsuranceCollectionsCents + k.PatientCollectionsCents
	if k.ChargesCents > 0 {
		k.DaysInAR = Tenths(divRound(k.ARCents*d.Days()*10, k.ChargesCents))
	}
	k.Visits = int64(len(d.Encounters))
	k.RevenuePerVisitCents = divRound(k.CollectionsCents, k.Visits)
	ns := ComputeNoShows(d)
	k.NoShowRate = ns.Total.Rate
	return k
}

// creditBalances counts the credit balances at the end of the period and
// sums them.
func creditBalances(d *Dataset) (int64, int64) {
	claims := map[int64]int64{}
	type account struct{ patientAR, cash, insuranceAR int64 }
	patients := map[int64]*account{}
	acct := func(e store.LedgerEntry) *account {
		pid := derefID(e.PatientID)
		if pid == 0 {
			if c, ok := d.Claims[derefID(e.ClaimID)]; ok {
				pid = c.PatientID
			}
		}
		a := patients[pid]
		if a == nil {
			a = &account{}
			patients[pid] = a
		}
		return a
	}
	for _, e := range d.AREntries {
		if e.Account == billing.AccountInsuranceAR {
			if e.ClaimID != nil {
				claims[*e.ClaimID] += e.AmountCents
			}
			if e.PatientID != nil {
				acct(e).insuranceAR += e.AmountCents
			}
			continue
		}
		if e.PatientID != nil {
			acct(e).patientAR += e.AmountCents
		}
	}
	for _, e := range d.CreditEntries {
		if e.PatientID != nil {
			acct(e).cash += e.AmountCents
		}
	}
	var n, cents int64
	for _, ar := range claims {
		if c := billing.ClaimCredit(ar); c > 0 {
			n++
			cents += c
		}
	}
	for _, a := range patients {
		if c := billing.PatientCredit(a.patientAR, a.cash, a.insuranceAR); c > 0 {
			n++
			cents += c
		}
	}
	return n, cents
}

// Aging buckets, by age in days: 0-30, 31-60, 61-90, 91-120, over 120.
var AgingBuckets = [5]string{"0-30", "31-60", "61-90", "91-120", "over 120"}

func bucket(age int) int {
	switch {
	case age <= 30:
		return 0
	case age <= 60:
		return 1
	case age <= 90:
		return 2
	case age <= 120:
		return 3
	}
	return 4
}

// AgingRow is one line of the aging report.
type AgingRow struct {
	// Kind is "insurance" (Payer names the payer) or "patient".
	Kind      string `json:"kind"`
	Payer     string `json:"payer,omitempty"`
	PayerName string `json:"payerName,omitempty"`
	// BucketCents are the balances by age, in AgingBuckets order.
	BucketCents [5]int64 `json:"bucketCents"`
	TotalCents  int64    `json:"totalCents"`
	// DeniedCents is the part of TotalCents the payer denied and that is
	// still open (billing.AccountDeniedAR): aged with its claim, shown
	// apart.
	DeniedCents int64 `json:"deniedCents"`
	// CreditCents are credit (negative) balances, kept out of the buckets.
	CreditCents int64 `json:"creditCents,omitempty"`
}

// Aging is A/R aging as of the period's last date. Insurance A/R, denied
// A/R included (still owed), is aged per claim by its first date of service; patient A/R per patient, each
// responsibility transferred to the patient aged by its claim's date of
// service, with the patient's payments and write-offs applied to the oldest
// first.
type Aging struct {
	AsOf      string     `json:"asOf"`
	Insurance []AgingRow `json:"insurance"`
	Patient   AgingRow   `json:"patient"`
	Total     AgingRow   `json:"total"`
}

// ComputeAging computes A/R aging.
func ComputeAging(d *Dataset) Aging {
	ag := Aging{AsOf: d.To.Format(time.DateOnly), Patient: AgingRow{Kind: "patient"}, Total: AgingRow{Kind: "total"}}
	ins := map[int64]int64{}    // claim -> insurance balance, denied included
	denied := map[int64]int64{} // claim -> denied balance
	type debit struct {
		day    time.Time
		amount int64
	}
	debits := map[int64][]debit{} // patient -> responsibility transfers
	credits := map[int64]int64{}  // patient -> payments and write-offs
	for _, e := range d.AREntries {
		switch e.Account {
		case billing.AccountDeniedAR:
			denied[derefID(e.ClaimID)] += e.AmountCents
			fallthrough
		case billing.AccountInsuranceAR:
			ins[derefID(e.ClaimID)] += e.AmountCents
			continue
		}
		pid := derefID(e.PatientID)
		if e.AmountCents < 0 {
			credits[pid] -= e.AmountCents
			continue
		}
		day := e.EffectiveDate
		if c, ok := d.Claims[derefID(e.ClaimID)]; ok && !c.ServiceDateFrom.IsZero() {
			day = c.ServiceDateFrom
		}
		debits[pid] = append(debits[pid], debit{day, e.AmountCents})
	}
	byPayer := map[int64]*AgingRow{}
	for claimID, bal := range ins {
		if bal == 0 {
			continue
		}
		c := d.Claims[claimID]
		row := byPayer[c.PayerID]
		if row == nil {
			py := d.Payers[c.PayerID]
			row = &AgingRow{Kind: "insurance", Payer: py.PayerID, PayerName: py.Name}
			byPayer[c.PayerID] = row
		}
		if bal < 0 {
			row.CreditCents += bal
			continue
		}
		row.BucketCents[bucket(ageDays(c.ServiceDateFrom, d.To))] += bal
		row.DeniedCents += min(max(denied[claimID], 0), bal)
	}
	for _, row := range byPayer {
		row.total()
		ag.Insurance = append(ag.Insurance, *row)
	}
	slices.SortFunc(ag.Insurance, func(a, b AgingRow) int { return cmp.Compare(a.Payer, b.Payer) })
	for pid, ds := range debits {
		slices.SortStableFunc(ds, func(a, b debit) int { return a.day.Compare(b.day) })
		left := credits[pid]
		for _, db := range ds {
			applied := min(left, db.amount)
			left -= applied
			if rest := db.amount - applied; rest > 0 {
				ag.Patient.BucketCents[bucket(ageDays(db.day, d.To))] += rest
			}
		}
		ag.Patient.CreditCents -= left
		delete(credits, pid)
	}
	for _, c := range credits { // patients with credits and no debits
		ag.Patient.CreditCents -= c
	}
	ag.Patient.total()
	for _, row := range append(slices.Clone(ag.Insurance), ag.Patient) {
		for i, v := range row.BucketCents {
			ag.Total.BucketCents[i] += v
		}
		ag.Total.CreditCents += row.CreditCents
		ag.Total.DeniedCents += row.DeniedCents
	}
	ag.Total.total()
	return ag
}

func (r *AgingRow) total() {
	r.TotalCents = 0
	for _, v := range r.BucketCents {
		r.TotalCents += v
	}
}

func ageDays(day, asOf time.Time) int {
	if asOf.Before(day) {
		return 0
	}
	return int(asOf.Sub(day) / (24 * time.Hour))
}

// DenialPayerRow is one payer's denial rate.
type DenialPayerRow struct {
	Payer     string `json:"payer"`
	PayerName string `json:"payerName"`
	// Rate is denied / adjudicated claim payments of the payer.
	Rate        Ratio `json:"rate"`
	DeniedCents int64 `json:"deniedCents"`
}

// DenialReasonRow is one CAS group and reason (CARC) among denials.
type DenialReasonRow struct {
	Group  string `json:"group"`
	Reason string `json:"reason"`
	// Rate is denied claim payments citing the reason / all adjudicated
	// claim payments.
	Rate        Ratio  `json:"rate"`
	AmountCents int64  `json:"amountCents"`
	Action      string `json:"action"`
}

// Denials is the denial report: the rate overall, by payer and by reason.
// A denied claim payment's reasons are its CAS adjustments other than
// patient responsibility (PR) and contractual reductions (CARC 45, ...);
// when it has none, all of them. Each reason counts once per payment.
type Denials struct {
	From     string            `json:"from"`
	To       string            `json:"to"`
	Total    Ratio             `json:"total"`
	ByPayer  []DenialPayerRow  `json:"byPayer"`
	ByReason []DenialReasonRow `json:"byReason"`
}

// ComputeDenials computes the denial report.
func ComputeDenials(d *Dataset) Denials {
	out := Denials{From: d.From.Format(time.DateOnly), To: d.To.Format(time.DateOnly)}
	payers := map[int64]*DenialPayerRow{}
	reasons := map[[2]string]*DenialReasonRow{}
	for _, p := range d.Payments {
		if isReversal(p.ClaimPayment) {
			continue
		}
		row := payers[p.PayerID]
		if row == nil {
			py := d.Payers[p.PayerID]
			row = &DenialPayerRow{Payer: py.PayerID, PayerName: py.Name}
			payers[p.PayerID] = row
		}
		row.Rate.Den++
		out.Total.Den++
		if !p.Adjudication().Denied() {
			continue
		}
		row.Rate.Num++
		out.Total.Num++
		row.DeniedCents += p.ChargeCents
		var adjs []store.ClaimAdjustment
		for _, a := range p.Adjustments {
			if a.GroupCode != "PR" && !claim.ContractualCARC(a.ReasonCode) {
				adjs = append(adjs, a)
			}
		}
		if len(adjs) == 0 {
			adjs = p.Adjustments
		}
		seen := map[[2]string]bool{}
		for _, a := range adjs {
			key := [2]string{a.GroupCode, a.ReasonCode}
			r := reasons[key]
			if r == nil {
				r = &DenialReasonRow{Group: a.GroupCode, Reason: a.ReasonCode, Action: billing.ActionFor(a.GroupCode, a.ReasonCode).Action}
				reasons[key] = r
			}
			r.AmountCents += a.AmountCents
			if !seen[key] {
				seen[key] = true
				r.Rate.Num++
			}
		}
	}
	for _, r := range payers {
		out.ByPayer = append(out.ByPayer, *r)
	}
	slices.SortFunc(out.ByPayer, func(a, b DenialPayerRow) int { return cmp.Compare(a.Payer, b.Payer) })
	for _, r := range reasons {
		r.Rate.Den = out.Total.Den
		out.ByReason = append(out.ByReason, *r)
	}
	slices.SortFunc(out.ByReason, func(a, b DenialReasonRow) int {
		return cmp.Or(cmp.Compare(b.Rate.Num, a.Rate.Num), cmp.Compare(b.AmountCents, a.AmountCents), cmp.Compare(a.Group, b.Group),
			cmpReason(a.Reason, b.Reason))
	})
	return out
}

// cmpReason orders CARCs numerically where they are numbers.
func cmpReason(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	if errA == nil && errB == nil {
		return cmp.Compare(x, y)
	}
	return cmp.Compare(a, b)
}

// PayerRow is one payer's performance in the period.
type PayerRow struct {
	Payer     string `json:"payer"`
	PayerName string `json:"payerName"`
	// Claims and ChargesCents are the payer's claims with a date of
	// service in the period (replacements and voids included) and their
	// total charges.
	Claims       int64 `json:"claims"`
	ChargesCents int64 `json:"chargesCents"`
	// CleanClaimRate, FirstPassAcceptance and DenialRate are defined as in
	// KPIs, over the payer's claims and claim payments.
	CleanClaimRate      Ratio `json:"cleanClaimRate"`
	FirstPassAcceptance Ratio `json:"firstPassAcceptance"`
	DenialRate          Ratio `json:"denialRate"`
	// PaidCents is what the payer paid on claim payments dated in the
	// period (CLP04, reversals netted).
	PaidCents int64 `json:"paidCents"`
	// InsuranceARCents is the payer's claims' A/R at the end of the
	// period, denied A/R included; DeniedARCents is that part of it.
	InsuranceARCents int64 `json:"insuranceArCents"`
	DeniedARCents    int64 `json:"deniedArCents"`
}

// ComputePayers computes the payer report, one row per payer with activity.
func ComputePayers(d *Dataset) []PayerRow {
	rows := map[int64]*PayerRow{}
	row := func(id int64) *PayerRow {
		r := rows[id]
		if r == nil {
			py := d.Payers[id]
			r = &PayerRow{Payer: py.PayerID, PayerName: py.Name}
			rows[id] = r
		}
		return r
	}
	for _, c := range d.Claims {
		if !d.claimInPeriod(c) {
			continue
		}
		r := row(c.PayerID)
		r.Claims++
		r.ChargesCents += c.TotalChargeCents
		if d.scrubbed(c) {
			r.CleanClaimRate.Den++
			if !d.ScrubFailed[c.ID] {
				r.CleanClaimRate.Num++
			}
		}
		if a, ok := d.First277CA[c.ID]; ok {
			r.FirstPassAcceptance.Den++
			if a.Accepted {
				r.FirstPassAcceptance.Num++
			}
		}
	}
	for _, p := range d.Payments {
		r := row(p.PayerID)
		r.PaidCents += p.PaidCents
		if isReversal(p.ClaimPayment) {
			continue
		}
		r.DenialRate.Den++
		if p.Adjudication().Denied() {
			r.DenialRate.Num++
		}
	}
	for _, e := range d.AREntries {
		if e.Account != billing.AccountInsuranceAR && e.Account != billing.AccountDeniedAR {
			continue
		}
		if c, ok := d.Claims[derefID(e.ClaimID)]; ok {
			r := row(c.PayerID)
			r.InsuranceARCents += e.AmountCents
			if e.Account == billing.AccountDeniedAR {
				r.DeniedARCents += e.AmountCents
			}
		}
	}
	var out []PayerRow
	for _, r := range rows {
		if r.Claims == 0 && r.DenialRate.Den == 0 && r.InsuranceARCents == 0 && r.PaidCents == 0 {
			continue
		}
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b PayerRow) int { return cmp.Compare(a.Payer, b.Payer) })
	return out
}

// NoShowRow counts one provider's appointments starting in the period.
type NoShowRow struct {
	ProviderID int64  `json:"providerId,omitempty"`
	Provider   string `json:"provider"`
	// Kept are completed or checked-in appointments.
	Kept      int64 `json:"kept"`
	NoShows   int64 `json:"noShows"`
	Cancelled int64 `json:"cancelled"`
	Booked    int64 `json:"booked"`
	// Rate is no-shows / (kept + no-shows).
	Rate Ratio `json:"rate"`
}

// NoShows is the no-show report by provider.
type NoShows struct {
	From       string      `json:"from"`
	To         string      `json:"to"`
	ByProvider []NoShowRow `json:"byProvider"`
	Total      NoShowRow   `json:"total"`
}

// ComputeNoShows computes the no-show report.
func ComputeNoShows(d *Dataset) NoShows {
	out := NoShows{From: d.From.Format(time.DateOnly), To: d.To.Format(time.DateOnly), Total: NoShowRow{Provider: "total"}}
	rows := map[int64]*NoShowRow{}
	for _, a := range d.Appointments {
		r := rows[a.ProviderID]
		if r == nil {
			pr := d.Providers[a.ProviderID]
			name := pr.LastName
			if pr.FirstName != "" {
				name += ", " + pr.FirstName
			}
			if name == "" {
				name = pr.OrganizationName
			}
			r = &NoShowRow{ProviderID: a.ProviderID, Provider: name}
			rows[a.ProviderID] = r
		}
		for _, x := range []*NoShowRow{r, &out.Total} {
			switch a.Status {
			case store.AppointmentCompleted, store.AppointmentCheckedIn:
				x.Kept++
			case store.AppointmentNoShow:
				x.NoShows++
			case store.AppointmentCancelled:
				x.Cancelled++
			default:
				x.Booked++
			}
		}
	}
	for _, r := range rows {
		out.ByProvider = append(out.ByProvider, *r)
	}
	slices.SortFunc(out.ByProvider, func(a, b NoShowRow) int { return cmp.Compare(a.ProviderID, b.ProviderID) })
	for i := range out.ByProvider {
		r := &out.ByProvider[i]
		r.Rate = Ratio{r.NoShows, r.Kept + r.NoShows}
	}
	out.Total.Rate = Ratio{out.Total.NoShows, out.Total.Kept + out.Total.NoShows}
	return out
}
