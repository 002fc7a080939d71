package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/edi/x270"
	"github.com/clearhouse/clearhouse/money"
)

// newEligibilityCmd builds "clearhouse eligibility": 270/271 eligibility.
func newEligibilityCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eligibility",
		Short: "Check coverage in real time, run the nightly 270 batches, read 271 responses",
	}
	cmd.AddCommand(newEligibilityDecodeCmd(env), newEligibilityCheckCmd(env))
	addEligibilityRunCmds(cmd, env)
	return cmd
}

// Names of the codes a person reads in a benefits summary (X279 EB01 and
// EB06 code lists).
var (
	benefitNames = map[string]string{"A": "coinsurance", "B": "copay", "C": "deductible", "G": "out of pocket"}
	periodNames  = map[string]string{
		"6": "hour", "7": "day", "13": "24 hours", "21": "years", "22": "service year", "23": "calendar year",
		"24": "year to date", "25": "contract", "26": "episode", "27": "visit", "28": "outlier", "29": "remaining",
		"30": "exceeded", "31": "not exceeded", "32": "lifetime", "33": "lifetime remaining", "34": "month", "35": "week", "36": "admission",
	}
	networkNames = map[string]string{"Y": "in network", "N": "out of network", "W": "any network", "U": "network unknown"}
)

type benefitView struct {
	Benefit               string   `json:"benefit"`
	Code                  string   `json:"code"`
	CoverageLevel         string   `json:"coverage_level,omitempty"`
	ServiceTypes          []string `json:"service_types,omitempty"`
	InsuranceType         string   `json:"insurance_type,omitempty"`
	Plan                  string   `json:"plan,omitempty"`
	TimePeriod            string   `json:"time_period,omitempty"`
	Amount                string   `json:"amount,omitempty"`
	Percent               string   `json:"percent,omitempty"`
	Network               string   `json:"network,omitempty"`
	AuthorizationRequired string   `json:"authorization_required,omitempty"`
	Messages              []string `json:"messages,omitempty"`
	Entities              []string `json:"related_entities,omitempty"`
}

type requestErrorView struct {
	Loop     string `json:"loop"`
	Valid    string `json:"valid"`
	Reason   string `json:"reason"`
	FollowUp string `json:"follow_up"`
}

type summaryView struct {
	Trace          string             `json:"trace_number"`
	Subscriber     string             `json:"subscriber"`
	MemberID       string             `json:"member_id,omitempty"`
	Dependent      string             `json:"dependent,omitempty"`
	Coverage       string             `json:"coverage"`
	Plan           string             `json:"plan,omitempty"`
	Group          string             `json:"group,omitempty"`
	GroupName      string             `json:"group_name,omitempty"`
	CoverageBegin  string             `json:"coverage_begin,omitempty"`
	CoverageEnd    string             `json:"coverage_end,omitempty"`
	Benefits       []benefitView      `json:"benefits,omitempty"`
	OtherPayers    []string           `json:"other_payers,omitempty"`
	RequestErrors  []requestErrorView `json:"request_errors,omitempty"`
	DecodingErrors []errorView        `json:"decoding_errors,omitempty"`
}

func percent(bp int64) string {
	s := fmt.Sprintf("%d.%02d", bp/100, bp%100)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".") + "%"
}

func viewBenefit(b x270.Benefit) benefitView {
	v := benefitView{Benefit: benefitNames[b.Code], Code: b.Code, CoverageLevel: b.CoverageLevel, ServiceTypes: b.ServiceTypes,
		InsuranceType: b.InsuranceType, Plan: b.PlanDescription, TimePeriod: periodNames[b.TimePeriod], Network: networkNames[b.InPlanNetwork],
		AuthorizationRequired: b.AuthorizationRequired, Messages: b.Messages}
	if v.Benefit == "" {
		v.Benefit = "EB01 " + b.Code
	}
	if v.TimePeriod == "" && b.TimePeriod != "" {
		v.TimePeriod = "EB06 " + b.TimePeriod
	}
	if b.HasAmount {
		v.Amount = money.Cents(b.AmountCents).String()
	}
	if b.HasPercent {
		v.Percent = percent(b.PercentBasisPoints)
	}
	for _, e := range b.RelatedEntities {
		v.Entities = append(v.Entities, strings.TrimSpace(e.EntityCode+" "+personName(e.Last, e.First)+" "+e.ID))
	}
	return v
}

func viewSummary(s *x270.Summary) summaryView {
	v := summaryView{Trace: s.TraceNumber, Subscriber: personName(s.Subscriber.Last, s.Subscriber.First), MemberID: s.Subscriber.MemberID,
		Coverage: string(s.Coverage()), Plan: s.Plan()}
	if s.Dependent != nil {
		v.Dependent = personName(s.Dependent.Last, s.Dependent.First)
	}
	v.Group, v.GroupName = s.GroupNumber()
	b, e := s.CoverageDates()
	v.CoverageBegin, v.CoverageEnd = day(b), day(e)
	for _, b := range s.Benefits {
		v.Benefits = append(v.Benefits, viewBenefit(b))
	}
	for _, p := range s.OtherPayers() {
		v.OtherPayers = append(v.OtherPayers, strings.TrimSpace(p.Last+" "+p.ID))
	}
	for _, e := range s.Errors {
		v.RequestErrors = append(v.RequestErrors, requestErrorView(e))
	}
	return v
}

func newEligibilityDecodeCmd(env *Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "decode FILE",
		Short: "Summarize the benefits of a 271, one summary per inquiry",
		Long: "Reads a 271 and prints, per inquiry (matched by its TRN trace number), the coverage status,\n" +
			"plan, group and dates, then copay, coinsurance, deductible and out-of-pocket by service type\n" +
			"with their time period and network, authorization requirements, messages, other payers and\n" +
			"request errors (AAA). The file is first checked against its implementation guide (as edi\n" +
			"validate --level 2); what the check finds goes to standard error with its position.\n" +
			"Exit status: 0 decoded, 1 when the file has decoding or guide errors (listed),\n" +
			"2 when it cannot be read as a 271. FILE - reads standard input.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkOutput(&format, formatTable, formatJSON); err != nil {
				return err
			}
			in, err := openChecked(env, args[0])
			if err != nil {
				return err
			}
			defer in.close()
			r, err := in.ediReader()
			if err != nil {
				return err
			}
			resps, err := x270.DecodeResponsesReader(r)
			if err != nil {
				return in.finish(env.Stderr, &ExitError{Code: decodeExit(err), Err: err})
			}
			out := bufio.NewWriter(env.Stdout)
			defer out.Flush()
			nErrs := 0
			if format == formatJSON {
				var views []summaryView
				for _, resp := range resps {
					nErrs += len(resp.Errors)
					if len(resp.Summaries) == 0 {
						// A request rejected whole (2100A or 2100B AAA).
						sv := summaryView{Coverage: string(x270.CoverageUnknown)}
						for _, e := range append(resp.SourceErrors, resp.ReceiverErrors...) {
							sv.RequestErrors = append(sv.RequestErrors, requestErrorView(e))
						}
						views = append(views, sv)
					}
					for i := range resp.Summaries {
						sv := viewSummary(&resp.Summaries[i])
						if i == 0 {
							for _, e := range resp.Errors {
								sv.DecodingErrors = append(sv.DecodingErrors, viewError(e))
							}
						}
						views = append(views, sv)
					}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(views); err != nil {
					return err
				}
			} else {
				for _, resp := range resps {
					nErrs += len(resp.Errors)
					writeEligibilityTable(out, resp)
				}
			}
			out.Flush()
			if nErrs > 0 {
				return in.finish(env.Stderr, &ExitError{Code: 1, Err: fmt.Errorf("%s: %s", in.file, plural(nErrs, "decoding error", "decoding errors"))})
			}
			return in.finish(env.Stderr, nil)
		},
	}
	outputFlag(cmd, &format, []string{formatTable, formatJSON}, "format")
	maxInputFlag(cmd, env)
	return cmd
}

func writeEligibilityTable(w io.Writer, resp *x270.Response) {
	fmt.Fprintf(w, "271 %s from %s to %s (%s)\n", resp.ControlNumber, resp.Source.Last, resp.Receiver.Last, resp.ReferenceID)
	for _, e := range append(resp.SourceErrors, resp.ReceiverErrors...) {
		fmt.Fprintf(w, "  request rejected at %s: reason %s, follow-up %s\n", e.Loop, e.Reason, e.FollowUp)
	}
	for i := range resp.Summaries {
		v := viewSummary(&resp.Summaries[i])
		patient := v.Subscriber
		if v.Dependent != "" {
			patient = v.Dependent + " (dependent of " + v.Subscriber + ")"
		}
		fmt.Fprintf(w, "\ntrace %s: %s, member %s: %s\n", v.Trace, patient, v.MemberID, strings.ToUpper(v.Coverage))
		if v.Plan != "" || v.Group != "" {
			fmt.Fprintf(w, "  plan %s, group %s %s\n", v.Plan, v.Group, v.GroupName)
		}
		if v.CoverageBegin != "" || v.CoverageEnd != "" {
			fmt.Fprintf(w, "  coverage %s to %s\n", v.CoverageBegin, v.CoverageEnd)
		}
		s := &resp.Summaries[i]
		if bt := s.ByServiceType(); len(bt) > 0 {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "  SERVICE\tBENEFIT\tAMOUNT\tPERIOD\tNETWORK\tLEVEL\tAUTH")
			for _, sb := range bt {
				st := sb.ServiceType
				if st == "" {
					st = "(plan)"
				}
				for _, group := range [][]x270.Benefit{sb.Copay, sb.Coinsurance, sb.Deductible, sb.OutOfPocket} {
					for _, b := range group {
						bv := viewBenefit(b)
						amt := bv.Amount
						if amt == "" {
							amt = bv.Percent
						}
						fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", st, bv.Benefit, amt, bv.TimePeriod, bv.Network, b.CoverageLevel, b.AuthorizationRequired)
					}
				}
				if sb.NonCovered {
					fmt.Fprintf(tw, "  %s\tnot covered\t\t\t\t\t\n", st)
				}
				if sb.AuthorizationRequired {
					fmt.Fprintf(tw, "  %s\tauthorization required\t\t\t\t\tY\n", st)
				}
			}
			tw.Flush()
		}
		for _, p := range v.OtherPayers {
			fmt.Fprintf(w, "  other payer: %s\n", p)
		}
		for _, m := range s.Messages() {
			fmt.Fprintf(w, "  message: %s\n", m)
		}
		for _, e := range v.RequestErrors {
			fmt.Fprintf(w, "  request error at %s: valid %s, reason %s, follow-up %s\n", e.Loop, e.Valid, e.Reason, e.FollowUp)
		}
	}
	for _, e := range resp.Errors {
		fmt.Fprintf(w, "  error: %v\n", e)
	}
	fmt.Fprintln(w)
}
