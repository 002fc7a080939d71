package scheduling

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/store"
)

// Eligibility is the benefits document ApplyEligibilityResponse keeps in a
// coverage's Benefits: the essentials of the latest 271 answer (Loop
// 2000C/2000D), cost sharing in cents and basis points.
type Eligibility struct {
	Status string `json:"status"`
	// TraceNumber is the inquiry's TRN02 the answer echoed.
	TraceNumber   string `json:"trace_number"`
	InboundFileID int64  `json:"inbound_file_id,omitempty"`
	// ServiceDate is the inquiry's date of service, YYYY-MM-DD.
	ServiceDate string `json:"service_date,omitempty"`
	// AnsweredAt is the 271's BHT04/BHT05 creation time.
	AnsweredAt    time.Time `json:"answered_at"`
	Plan          string    `json:"plan,omitempty"`
	GroupNumber   string    `json:"group_number,omitempty"`
	GroupName     string    `json:"group_name,omitempty"`
	CoverageBegin string    `json:"coverage_begin,omitempty"`
	CoverageEnd   string    `json:"coverage_end,omitempty"`
	// Services are the individual (EB02 IND or none) cost-sharing benefits
	// by service type and network.
	Services []ServiceCostSharing `json:"services,omitempty"`
	// Errors are the AAA rejections of the answer.
	Errors   []RejectReason `json:"errors,omitempty"`
	Messages []string       `json:"messages,omitempty"`
}

// ServiceCostSharing is one service type's cost sharing in one network
// (Loop 2110C/2110D EB with EB01 A, B, C, G).
type ServiceCostSharing struct {
	// ServiceType is EB03, empty for plan-wide benefits.
	ServiceType string `json:"service_type"`
	// Network is EB12: Y in network, N out of network, W either, empty
	// when unsaid.
	Network string `json:"network,omitempty"`
	// CopayCents is EB01 B's EB07.
	CopayCents *int64 `json:"copay_cents,omitempty"`
	// CoinsuranceBasisPoints is EB01 A's EB08 (2000 is 20%).
	CoinsuranceBasisPoints *int64 `json:"coinsurance_basis_points,omitempty"`
	// DeductibleCents is EB01 C for a plan period (EB06 other than 29);
	// DeductibleRemainingCents is EB01 C with EB06 29 (remaining).
	DeductibleCents          *int64 `json:"deductible_cents,omitempty"`
	DeductibleRemainingCents *int64 `json:"deductible_remaining_cents,omitempty"`
	// OutOfPocketCents and OutOfPocketRemainingCents are EB01 G likewise.
	OutOfPocketCents          *int64 `json:"out_of_pocket_cents,omitempty"`
	OutOfPocketRemainingCents *int64 `json:"out_of_pocket_remaining_cents,omitempty"`
	AuthorizationRequired     bool   `json:"authorization_required,omitempty"`
	NonCovered                bool   `json:"non_covered,omitempty"`
}

// RejectReason is an AAA segment of a 271.
type RejectReason struct {
	Loop     string `json:"loop"`
	Reason   string `json:"reason"`
	FollowUp string `json:"follow_up"`
}

// eligibilityOf sums up a 271 answer.
func eligibilityOf(sum *x270.Summary, trn TraceNumber, answered time.Time, inboundFileID int64) Eligibility {
	e := Eligibility{Status: string(sum.Coverage()), TraceNumber: sum.TraceNumber, InboundFileID: inboundFileID,
		ServiceDate: trn.ServiceDate.Format(time.DateOnly), AnsweredAt: answered.UTC(), Plan: sum.Plan(), Messages: sum.Messages()}
	e.GroupNumber, e.GroupName = sum.GroupNumber()
	if b, end := sum.CoverageDates(); !b.IsZero() || !end.IsZero() {
		e.CoverageBegin, e.CoverageEnd = isoDate(b), isoDate(end)
	}
	for _, r := range sum.Errors {
		e.Errors = append(e.Errors, RejectReason{Loop: r.Loop, Reason: r.Reason, FollowUp: r.FollowUp})
	}
	for _, sb := range sum.ByServiceType() {
		byNet := map[string]*ServiceCostSharing{}
		var order []string
		entry := func(network string) *ServiceCostSharing {
			if c, ok := byNet[network]; ok {
				return c
			}
			c := &ServiceCostSharing{ServiceType: sb.ServiceType, Network: network, AuthorizationRequired: sb.AuthorizationRequired, NonCovered: sb.NonCovered}
			byNet[network] = c
			order = append(order, network)
			return c
		}
		individual := func(b x270.Benefit) bool { return b.CoverageLevel == "" || b.CoverageLevel == "IND" }
		for _, b := range sb.Copay {
			if individual(b) && b.HasAmount {
				setFirst(&entry(b.InPlanNetwork).CopayCents, b.AmountCents)
			}
		}
		for _, b := range sb.Coinsurance {
			if individual(b) && b.HasPercent {
				setFirst(&entry(b.InPlanNetwork).CoinsuranceBasisPoints, b.PercentBasisPoints)
			}
		}
		for _, b := range sb.Deductible {
			if individual(b) && b.HasAmount {
				c := entry(b.InPlanNetwork)
				if b.TimePeriod == "29" {
					setFirst(&c.DeductibleRemainingCents, b.AmountCents)
				} else {
					setFirst(&c.DeductibleCents, b.AmountCents)
				}
			}
		}
		for _, b := range sb.OutOfPocket {
			if individual(b) && b.HasAmount {
				c := entry(b.InPlanNetwork)
				if b.TimePeriod == "29" {
					setFirst(&c.OutOfPocketRemainingCents, b.AmountCents)
				} else {
					setFirst(&c.OutOfPocketCents, b.AmountCents)
				}
			}
		}
		if len(order) == 0 && (sb.AuthorizationRequired || sb.NonCovered) {
			entry("")
		}
		for _, n := range order {
			e.Services = append(e.Services, *byNet[n])
		}
	}
	return e
}

func setFirst(p **int64, v int64) {
	if *p == nil {
		*p = &v
	}
}

func isoDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Responsibility is what a patient is expected to pay at a visit, from the
// coverage's latest 271: the copay and coinsurance of the visit's service
// type and the deductible and out-of-pocket amounts still to meet.
type Responsibility struct {
	CoverageID int64
	// Status is the coverage's eligibility: active, inactive or unknown.
	Status    string
	CheckedAt *time.Time
	Plan      string
	// ServiceType is the service type asked for.
	ServiceType string
	// Copay and coinsurance: Has* say whether the payer sent them.
	CopayCents             int64
	HasCopay               bool
	CoinsuranceBasisPoints int64
	HasCoinsurance         bool
	// DeductibleRemainingCents is what is left of the individual
	// deductible (EB06 29).
	DeductibleRemainingCents  int64
	HasDeductibleRemaining    bool
	OutOfPocketRemainingCents int64
	HasOutOfPocketRemaining   bool
	AuthorizationRequired     bool
	NonCovered                bool
	// Notes warn the front desk: unverified or inactive coverage, AAA
	// rejections, the service type the amounts were taken from.
	Notes []string
}

// ResponsibilityOf reads the expected patient responsibility for a visit of
// service type st from the coverage's Benefits (an Eligibility document).
// Each amount comes from the first of st, "30" (health benefit plan
// coverage) and plan-wide benefits that carries it, in network (EB12 Y)
// before either network (W) before unsaid; out-of-network amounts are not
// used.
func ResponsibilityOf(c store.Coverage, st string) (Responsibility, error) {
	r := Responsibility{CoverageID: c.ID, Status: c.EligibilityStatus, CheckedAt: c.EligibilityChecked, ServiceType: st}
	var e Eligibility
	if len(c.Benefits) > 0 {
		if err := json.Unmarshal(c.Benefits, &e); err != nil {
			return r, fmt.Errorf("coverage %d: benefits document: %w", c.ID, err)
		}
	}
	r.Plan = e.Plan
	switch {
	case c.EligibilityChecked == nil:
		r.Notes = append(r.Notes, "eligibility not verified: no 271 on file")
	case c.EligibilityStatus == store.EligibilityInactive:
		r.Notes = append(r.Notes, "coverage inactive at the last check: verify insurance or collect as self-pay")
	case c.EligibilityStatus == store.EligibilityUnknown:
		r.Notes = append(r.Notes, "coverage unknown at the last check: verify insurance")
	}
	for _, x := range e.Errors {
		r.Notes = append(r.Notes, fmt.Sprintf("payer rejected the inquiry (AAA %s, follow-up %s): %s", x.Reason, x.FollowUp, RejectReasonText(x.Reason)))
	}
	chain := []string{st, DefaultServiceType, ""}
	pick := func(get func(*ServiceCostSharing) *int64) (int64, string, bool) {
		for _, t := range chain {
			for _, net := range []string{"Y", "W", ""} {
				for i := range e.Services {
					sc := &e.Services[i]
					if sc.ServiceType == t && sc.Network == net {
						if v := get(sc); v != nil {
							return *v, t, true
						}
					}
				}
			}
		}
		return 0, "", false
	}
	var from string
	r.CopayCents, from, r.HasCopay = pick(func(s *ServiceCostSharing) *int64 { return s.CopayCents })
	if r.HasCopay && from != st {
		r.Notes = append(r.Notes, fmt.Sprintf("copay taken from service type %q", from))
	}
	r.CoinsuranceBasisPoints, from, r.HasCoinsurance = pick(func(s *ServiceCostSharing) *int64 { return s.CoinsuranceBasisPoints })
	if r.HasCoinsurance && from != st {
		r.Notes = append(r.Notes, fmt.Sprintf("coinsurance taken from service type %q", from))
	}
	r.DeductibleRemainingCents, _, r.HasDeductibleRemaining = pick(func(s *ServiceCostSharing) *int64 { return s.DeductibleRemainingCents })
	r.OutOfPocketRemainingCents, _, r.HasOutOfPocketRemaining = pick(func(s *ServiceCostSharing) *int64 { return s.OutOfPocketRemainingCents })
	for _, sc := range e.Services {
		if sc.ServiceType == st && sc.Network != "N" {
			r.AuthorizationRequired = r.AuthorizationRequired || sc.AuthorizationRequired
			r.NonCovered = r.NonCovered || sc.NonCovered
		}
	}
	return r, nil
}

// RejectReasonText names common AAA03 reject reason codes of 005010X279A1
// (element 901).
func RejectReasonText(code string) string {
	switch code {
	case "04":
		return "authorized quantity exceeded"
	case "15":
		return "required application data missing"
	case "41":
		return "authorization/access restrictions"
	case "42":
		return "unable to respond at current time"
	case "43":
		return "invalid/missing provider identification"
	case "44":
		return "invalid/missing provider name"
	case "45":
		return "invalid/missing provider specialty"
	case "47":
		return "invalid/missing provider state"
	case "48":
		return "invalid/missing referring provider identification number"
	case "49":
		return "provider is not primary care physician"
	case "51":
		return "provider not on file"
	case "52":
		return "service dates not within provider plan enrollment"
	case "56":
		return "inappropriate date"
	case "57":
		return "invalid/missing date(s) of service"
	case "58":
		return "invalid/missing date-of-birth"
	case "60":
		return "date of birth follows date(s) of service"
	case "61":
		return "date of death precedes date(s) of service"
	case "62":
		return "date of service not within allowable inquiry period"
	case "63":
		return "date of service in future"
	case "64":
		return "invalid/missing patient ID"
	case "65":
		return "invalid/missing patient name"
	case "66":
		return "invalid/missing patient gender code"
	case "67":
		return "patient not found"
	case "68":
		return "duplicate patient ID number"
	case "71":
		return "patient birth date does not match that for the patient on the database"
	case "72":
		return "invalid/missing subscriber/insured ID"
	case "73":
		return "invalid/missing subscriber/insured name"
	case "74":
		return "invalid/missing subscriber/insured gender code"
	case "75":
		return "subscriber/insured not found"
	case "76":
		return "duplicate subscriber/insured ID number"
	case "78":
		return "subscriber/insured not in group/plan identified"
	case "79":
		return "invalid participant identification"
	case "80":
		return "no response received - transaction terminated"
	case "97":
		return "invalid or missing provider address"
	case "T4":
		return "payer name or identifier missing"
	}
	return "reject reason " + code
}

// FollowUpText names AAA04 follow-up action codes (element 889).
func FollowUpText(code string) string {
	switch code {
	case "C":
		return "please correct and resubmit"
	case "N":
		return "resubmission not allowed"
	case "P":
		return "please resubmit original transaction"
	case "R":
		return "resubmission allowed"
	case "S":
		return "do not resubmit; inquiry initiated to a third party"
	case "W":
		return "please wait 30 days and resubmit"
	case "X":
		return "please wait 10 days and resubmit"
	case "Y":
		return "do not resubmit; the payer will respond"
	}
	return "follow-up " + code
}
