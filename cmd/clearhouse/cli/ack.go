package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x277"
	"github.com/clearhouse/clearhouse/edi/x999"
	"github.com/clearhouse/clearhouse/money"
)

// newAckCmd builds "clearhouse ack": 999, TA1 and 277CA acknowledgments.
func newAckCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ack",
		Short: "Read acknowledgments: TA1, 999 and 277CA",
	}
	cmd.AddCommand(newAckDecodeCmd(env))
	return cmd
}

// ackKind finds what an acknowledgment file holds from its first TA1 or ST
// segment: "999" (with or without TA1), "TA1" or "277".
func ackKind(data []byte, name string) (string, error) {
	r := edi.NewReader(bytes.NewReader(data))
	r.File = name
	for {
		s, err := r.Next()
		if err == io.EOF {
			return "", &edi.Error{Pos: edi.Position{File: name}, Err: edi.ErrEnvelope, Msg: "no TA1 or transaction set found"}
		}
		if err != nil {
			return "", err
		}
		switch {
		case s.Is("TA1"):
			return "TA1", nil
		case s.Is("ST"):
			switch id := s.String(1); id {
			case "277":
				if s.String(3) == x277.StatusVersion {
					p := r.Position()
					p.Element = 3
					return "", &edi.Error{Pos: p, Err: edi.ErrImplementation,
						Msg: "a 277 claim status response (005010X212), not a 277CA: read it with \"clearhouse status decode\""}
				}
				return id, nil
			case "999":
				return id, nil
			default:
				p := r.Position()
				p.Element = 1
				return "", &edi.Error{Pos: p, Err: edi.ErrImplementation, Msg: fmt.Sprintf("transaction set %s is not an acknowledgment (999 or 277CA)", id)}
			}
		}
	}
}

type ackView struct {
	TA1s   []x999.TA1                     `json:"ta1,omitempty"`
	Groups []x999.FunctionalGroupResponse `json:"999,omitempty"`
	Claims []claimAckView                 `json:"277ca,omitempty"`
	Totals []totalsView                   `json:"277ca_totals,omitempty"`
	Errors []errorView                    `json:"errors,omitempty"`
}

type claimAckView struct {
	PatientControlNumber    string   `json:"patient_control_number"`
	Accepted                bool     `json:"accepted"`
	Statuses                []string `json:"statuses"`
	Charge                  string   `json:"charge"`
	PayerClaimControlNumber string   `json:"payer_claim_control_number,omitempty"`
	ClearinghouseTrace      string   `json:"clearinghouse_trace,omitempty"`
	Patient                 string   `json:"patient"`
	BillingProvider         string   `json:"billing_provider"`
	ServiceFrom             string   `json:"service_from,omitempty"`
	ServiceTo               string   `json:"service_to,omitempty"`
	Messages                []string `json:"messages,omitempty"`
}

type totalsView struct {
	Level            string `json:"level"`
	Name             string `json:"name"`
	Trace            string `json:"trace"`
	AcceptedQuantity int64  `json:"accepted_quantity"`
	RejectedQuantity int64  `json:"rejected_quantity"`
	AcceptedAmount   string `json:"accepted_amount"`
	RejectedAmount   string `json:"rejected_amount"`
}

func statusCodes(ss []x277.Status) (codes, msgs []string) {
	for _, s := range ss {
		for _, c := range s.Codes {
			codes = append(codes, strings.TrimRight(c.Category+":"+c.Code+":"+c.Entity, ":"))
		}
		if s.Message != "" {
			msgs = append(msgs, s.Message)
		}
	}
	return codes, msgs
}

func view277(acks []*x277.Acknowledgment, v *ackView) {
	for _, a := range acks {
		for _, s := range a.Sources {
			for _, r := range s.Receivers {
				t := r.Totals
				v.Totals = append(v.Totals, totalsView{"receiver", r.Name.Last, r.TraceNumber, t.AcceptedQuantity, t.RejectedQuantity,
					money.Cents(t.AcceptedAmountCents).String(), money.Cents(t.RejectedAmountCents).String()})
				for _, p := range r.Providers {
					t := p.Totals
					v.Totals = append(v.Totals, totalsView{"provider", p.Name.Last, p.TraceNumber, t.AcceptedQuantity, t.RejectedQuantity,
						money.Cents(t.AcceptedAmountCents).String(), money.Cents(t.RejectedAmountCents).String()})
				}
			}
		}
		a.Claims(func(p *x277.BillingProvider, c *x277.ClaimStatus) {
			codes, msgs := statusCodes(c.Statuses)
			v.Claims = append(v.Claims, claimAckView{
				PatientControlNumber: c.PatientControlNumber, Accepted: c.Accepted(), Statuses: codes, Charge: money.Cents(c.ChargeCents()).String(),
				PayerClaimControlNumber: c.PayerClaimControlNumber, ClearinghouseTrace: c.ClearinghouseTrace,
				Patient: personName(c.Patient.Last, c.Patient.First), BillingProvider: strings.TrimSpace(p.Name.Last + " " + p.Name.ID),
				ServiceFrom: day(c.ServiceFrom), ServiceTo: day(c.ServiceTo), Messages: msgs,
			})
		})
		for _, e := range a.Errors {
			v.Errors = append(v.Errors, viewError(e))
		}
	}
}

func newAckDecodeCmd(env *Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "decode FILE",
		Short: "Show what a TA1, 999 or 277CA acknowledged or rejected",
		Long: "Reads an acknowledgment and dispatches on what it holds: TA1 (interchange), 999\n" +
			"(implementation acknowledgment, per functional group and transaction set, with the\n" +
			"segment and element errors) or 277CA (per claim: accepted or rejected, status category,\n" +
			"status code and entity, payer claim control number; accepted and rejected totals).\n" +
			"The file is first checked against its implementation guide (as edi validate --level 2): a\n" +
			"truncated or invalid acknowledgment is listed on standard error with positions.\n" +
			"Exit status: 0 decoded, 1 when the file has decoding or guide errors (listed), 2 when it\n" +
			"cannot be read or is not X12. FILE - reads standard input.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if err := checkOutput(&format, formatTable, formatJSON); err != nil {
				return err
			}
			chk, err := openChecked(env, args[0])
			if err != nil {
				return err
			}
			defer chk.close()
			// The kind is sniffed first, then the right decoder reads the
			// same bytes.
			data, err := chk.bytes()
			if err != nil {
				return err
			}
			file := chk.file
			chk.noSetsOK = true // a TA1-only interchange
			kind, err := ackKind(data, file)
			if err != nil {
				// No TA1 or set at all is damage (1); another set is 2.
				return chk.finish(env.Stderr, &ExitError{Code: decodeExit(err), Err: err})
			}
			in := edi.NewReader(bytes.NewReader(data))
			in.File = file
			var v ackView
			switch kind {
			case "277":
				acks, err := x277.DecodeReader(in)
				if err != nil {
					return chk.finish(env.Stderr, &ExitError{Code: decodeExit(err), Err: err})
				}
				view277(acks, &v)
			default:
				f, err := x999.Decode(in)
				if err != nil {
					return chk.finish(env.Stderr, &ExitError{Code: decodeExit(err), Err: err})
				}
				v.TA1s, v.Groups = f.TA1s, f.Responses
				for _, e := range f.Errors {
					v.Errors = append(v.Errors, viewError(e))
				}
			}
			out := bufio.NewWriter(env.Stdout)
			defer out.Flush()
			if format == formatJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(v); err != nil {
					return err
				}
			} else {
				writeAckTable(out, &v)
			}
			out.Flush()
			if len(v.Errors) > 0 {
				return chk.finish(env.Stderr, &ExitError{Code: 1, Err: fmt.Errorf("%s: %s", file, plural(len(v.Errors), "decoding error", "decoding errors"))})
			}
			// A 999 cut before its AK9, or one its guide rejects, is not
			// read as accepted (issue 14).
			return chk.finish(env.Stderr, nil)
		},
	}
	outputFlag(cmd, &format, []string{formatTable, formatJSON}, "format")
	maxInputFlag(cmd, env)
	return cmd
}

func ackResult(accepted bool) string {
	if accepted {
		return "accepted"
	}
	return "rejected"
}

func writeAckTable(w io.Writer, v *ackView) {
	for _, t := range v.TA1s {
		fmt.Fprintf(w, "TA1 interchange %s (%s %s): %s (%s), note %s\n", t.ControlNumber, t.Date, t.Time, ackResult(t.Accepted()), t.Ack, t.NoteCode)
	}
	for _, g := range v.Groups {
		ack := g.Ack
		if ack == "" {
			ack = "no AK9: not acknowledged" // a 999 cut short (issue 14)
		}
		fmt.Fprintf(w, "999 %s for group %s %s (%s): %s, %d included, %d received, %d accepted", g.ControlNumber, g.FunctionalID,
			g.GroupControlNumber, g.Version, ack, g.Included, g.Received, g.Accepted)
		if len(g.Codes) > 0 {
			fmt.Fprintf(w, ", codes %s", strings.Join(g.Codes, " "))
		}
		fmt.Fprintln(w)
		for _, s := range g.Sets {
			fmt.Fprintf(w, "  %s %s (%s): %s (%s)", s.ID, s.ControlNumber, s.ImplRef, ackResult(s.Accepted()), s.Ack)
			if len(s.Codes) > 0 {
				fmt.Fprintf(w, ", codes %s", strings.Join(s.Codes, " "))
			}
			fmt.Fprintln(w)
			for _, e := range s.Segments {
				fmt.Fprintf(w, "    segment %s at %d", e.SegmentID, e.Position)
				if e.Loop != "" {
					fmt.Fprintf(w, " (loop %s)", e.Loop)
				}
				fmt.Fprintf(w, ": code %s\n", e.Code)
				for _, el := range e.Elements {
					fmt.Fprintf(w, "      element %d", el.Position)
					if el.Component > 0 {
						fmt.Fprintf(w, "-%d", el.Component)
					}
					fmt.Fprintf(w, ": code %s", el.Code)
					if el.Value != "" {
						fmt.Fprintf(w, ", value %q", el.Value)
					}
					fmt.Fprintln(w)
				}
			}
		}
	}
	if len(v.Totals) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "LEVEL\tNAME\tTRACE\tACCEPTED\tAMOUNT\tREJECTED\tAMOUNT")
		for _, t := range v.Totals {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\n", t.Level, t.Name, t.Trace, t.AcceptedQuantity, t.AcceptedAmount, t.RejectedQuantity, t.RejectedAmount)
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	if len(v.Claims) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PATIENT CONTROL #\tRESULT\tSTATUS\tCHARGE\tPAYER CLAIM #\tPATIENT\tSERVICE\tMESSAGE")
		for _, c := range v.Claims {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.PatientControlNumber, ackResult(c.Accepted), strings.Join(c.Statuses, " "),
				c.Charge, c.PayerClaimControlNumber, c.Patient, c.ServiceFrom, strings.Join(c.Messages, "; "))
		}
		tw.Flush()
	}
	for _, e := range v.Errors {
		fmt.Fprintf(w, "error: %s\n", e.Message)
	}
}
