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
	"github.com/clearhouse/clearhouse/money"
)

// newStatusCmd builds "clearhouse status": 277 claim status responses
// (005010X212).
func newStatusCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Read 277 claim status responses (the answers to 276 inquiries)",
	}
	cmd.AddCommand(newStatusDecodeCmd(env))
	return cmd
}

type statusClaimView struct {
	PatientControlNumber    string   `json:"patient_control_number"`
	Trace                   string   `json:"trace"`
	Standing                string   `json:"standing"`
	Statuses                []string `json:"statuses"`
	Charge                  string   `json:"charge"`
	Paid                    string   `json:"paid,omitempty"`
	Adjudicated             string   `json:"adjudicated,omitempty"`
	PayerClaimControlNumber string   `json:"payer_claim_control_number,omitempty"`
	Patient                 string   `json:"patient"`
	ServiceFrom             string   `json:"service_from,omitempty"`
	ServiceTo               string   `json:"service_to,omitempty"`
}

type statusView struct {
	Claims []statusClaimView `json:"claims"`
	// Receivers are statuses given for a whole inquiry (2200B) or
	// provider (2200C), such as E0 when the payer could not answer.
	Levels []string    `json:"level_statuses,omitempty"`
	Errors []errorView `json:"errors,omitempty"`
}

func viewStatus(resps []*x277.StatusResponse) statusView {
	v := statusView{Claims: []statusClaimView{}}
	for _, r := range resps {
		for _, s := range r.Sources {
			for _, rc := range s.Receivers {
				if codes, _ := statusCodes(rc.Statuses); len(codes) > 0 {
					v.Levels = append(v.Levels, "receiver "+rc.TraceNumber+" "+strings.Join(codes, ","))
				}
				for _, p := range rc.Providers {
					if codes, _ := statusCodes(p.Statuses); len(codes) > 0 {
						v.Levels = append(v.Levels, "provider "+p.Name.ID+" "+strings.Join(codes, ","))
					}
				}
			}
		}
		r.Claims(func(sub *x277.StatusSubscriber, dep *x277.StatusDependent, c *x277.StatusClaim) {
			patient := sub.Name
			if dep != nil {
				patient = dep.Name
			}
			codes, _ := statusCodes(c.Statuses)
			cv := statusClaimView{PatientControlNumber: c.PatientControlNumber, Trace: c.TraceNumber,
				Standing: string(x277.StandingOf(c.Category())), Statuses: codes, PayerClaimControlNumber: c.PayerClaimControlNumber,
				Patient: personName(patient.Last, patient.First), ServiceFrom: day(c.ServiceFrom), ServiceTo: day(c.ServiceTo)}
			if len(c.Statuses) > 0 {
				st := c.Statuses[0]
				cv.Charge = money.Cents(st.AmountCents).String()
				if strings.HasPrefix(c.Category(), "F") {
					cv.Paid = money.Cents(st.PaidCents).String()
				}
				cv.Adjudicated = day(st.AdjudicatedDate)
			}
			v.Claims = append(v.Claims, cv)
		})
		for _, e := range r.Errors {
			v.Errors = append(v.Errors, viewError(e))
		}
	}
	return v
}

// sniffStatus checks from the first ST that a file holds 277 claim status
// responses, and names the command for a 277CA.
func sniffStatus(data []byte, name string) error {
	r := edi.NewReader(bytes.NewReader(data))
	r.File = name
	for {
		s, err := r.Next()
		if err == io.EOF {
			return &edi.Error{Pos: edi.Position{File: name}, Err: edi.ErrEnvelope, Msg: "no transaction set found"}
		}
		if err != nil {
			return err
		}
		if !s.Is("ST") {
			continue
		}
		p := r.Position()
		switch {
		case s.String(1) != "277":
			p.Element = 1
			return &edi.Error{Pos: p, Err: edi.ErrImplementation, Msg: fmt.Sprintf("transaction set %s is not a 277 claim status response", s.Element(1))}
		case s.String(3) == x277.Version:
			p.Element = 3
			return &edi.Error{Pos: p, Err: edi.ErrImplementation, Msg: "a 277CA (005010X214), not a claim status response: read it with \"clearhouse ack decode\""}
		}
		return nil
	}
}

func newStatusDecodeCmd(env *Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "decode FILE",
		Short: "Show where each claim of a 277 claim status response stands",
		Long: "Reads a 277 claim status response (005010X212) and lists each claim: its standing\n" +
			"(received, pending, paid, denied, rejected, not_found, finalized, error), the STC\n" +
			"category, status and entity codes, charge and payment, the payer's claim control\n" +
			"number. The file is first checked against its implementation guide (as edi validate\n" +
			"--level 2); what the check finds goes to standard error with its position.\n" +
			"Exit status: 0 decoded, 1 when the file has decoding or guide errors (listed), 2 when it\n" +
			"cannot be read. FILE - reads standard input.",
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
			data, err := chk.bytes()
			if err != nil {
				return err
			}
			file := chk.file
			if err := sniffStatus(data, file); err != nil {
				// No set at all is damage (1); another set is 2.
				return chk.finish(env.Stderr, &ExitError{Code: decodeExit(err), Err: err})
			}
			in := edi.NewReader(bytes.NewReader(data))
			in.File = file
			resps, err := x277.DecodeStatusReader(in)
			if err != nil {
				return chk.finish(env.Stderr, &ExitError{Code: decodeExit(err), Err: err})
			}
			v := viewStatus(resps)
			out := bufio.NewWriter(env.Stdout)
			defer out.Flush()
			if format == formatJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(v); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CLAIM\tSTANDING\tSTATUS\tCHARGE\tPAID\tPAYER ICN\tPATIENT\tSERVICE")
				for _, c := range v.Claims {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.PatientControlNumber, c.Standing, strings.Join(c.Statuses, ","),
						c.Charge, c.Paid, c.PayerClaimControlNumber, c.Patient, c.ServiceFrom)
				}
				tw.Flush()
				for _, l := range v.Levels {
					fmt.Fprintln(out, "status:", l)
				}
				for _, e := range v.Errors {
					fmt.Fprintf(out, "error: %s segment %d: %s\n", e.Position, e.Segment, e.Message)
				}
			}
			out.Flush()
			if len(v.Errors) > 0 {
				return chk.finish(env.Stderr, &ExitError{Code: 1, Err: fmt.Errorf("%s: %s", file, plural(len(v.Errors), "decoding error", "decoding errors"))})
			}
			return chk.finish(env.Stderr, nil)
		},
	}
	outputFlag(cmd, &format, []string{formatTable, formatJSON}, "format")
	maxInputFlag(cmd, env)
	return cmd
}
