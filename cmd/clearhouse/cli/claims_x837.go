package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/edi/x837"
)

// addClaimsX837Cmds adds `claims encode` and `claims decode` to the claims
// command.
func addClaimsX837Cmds(parent *cobra.Command, env *Env) {
	parent.AddCommand(newClaimsEncodeCmd(env), newClaimsDecodeCmd(env))
}

// readClaimsJSON reads one claim or an array of claims in the claim
// model's JSON form; "-" is standard input.
func readClaimsJSON(env *Env, name string) ([]claim.Claim, error) {
	data, err := readCapped(env, name)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimSpace(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var claims []claim.Claim
	if len(data) > 0 && data[0] == '[' {
		err = dec.Decode(&claims)
	} else {
		var c claim.Claim
		err = dec.Decode(&c)
		claims = []claim.Claim{c}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return claims, nil
}

func newClaimsEncodeCmd(env *Env) *cobra.Command {
	var (
		format, output, at, usage string
		e                         x837.Envelope
		control                   int64
	)
	c := &cobra.Command{
		Use:   "encode --format 837p|837i CLAIMS.json",
		Short: "Write claims (JSON, one or an array) as an 837P or 837I interchange",
		Long: "Write claims in the claim model's JSON form as an 837P (005010X222A1) or 837I (005010X223A2)\n" +
			"interchange, to standard output or --out FILE. Claims without a kind take the format's; a claim of\n" +
			"the other kind is an error. Every claim is checked against the guide first: on any problem\n" +
			"nothing is written and each problem is listed with its claim, loop, segment and element.\n" +
			"The receiver (1000B) defaults to the first claim's payer.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			var kind claim.Kind
			switch strings.ToLower(format) {
			case "837p":
				kind = claim.Professional
			case "837i":
				kind = claim.Institutional
			default:
				return exitf(2, "--format %q: want 837p or 837i", format)
			}
			claims, err := readClaimsJSON(env, args[0])
			if err != nil {
				return exitf(2, "%v", err)
			}
			if len(claims) == 0 {
				return exitf(2, "%s: no claims", args[0])
			}
			for i := range claims {
				if claims[i].Kind == "" {
					claims[i].Kind = kind
				}
				if claims[i].Kind != kind {
					return exitf(2, "claim %q is an %s, not an %s", claims[i].PatientControlNumber, claims[i].Kind, kind)
				}
			}
			e.Time = time.Now()
			if at != "" {
				t, err := time.Parse(time.RFC3339, at)
				if err != nil {
					return exitf(2, "--time: %v", err)
				}
				e.Time = t
			}
			e.Usage = usage
			if e.ReceiverName == "" {
				e.ReceiverName = claims[0].Payer.Name
			}
			if e.ReceiverID == "" {
				e.ReceiverID = claims[0].Payer.ID
			}
			if e.SenderID == "" {
				e.SenderID = e.SubmitterID
			}
			if e.InterchangeReceiverID == "" {
				e.InterchangeReceiverID = e.ReceiverID
			}
			e.Controls = x837.ControlNumbers{Interchange: control, Group: control, Set: control}

			// Check every claim before writing, so a bad batch leaves no
			// partial output behind.
			var buf bytes.Buffer
			enc := x837.NewEncoder(&buf, e)
			var problems []string
			for i := range claims {
				if err := enc.Encode(&claims[i]); err != nil {
					var ce *x837.ClaimError
					if !errors.As(err, &ce) {
						return exitf(2, "%v", err)
					}
					problems = append(problems, err.Error())
				}
			}
			if err := enc.Close(); err != nil {
				return exitf(2, "%v", err)
			}
			if len(problems) > 0 {
				return exitf(1, "%d of %d claims cannot be encoded:\n%s", len(problems), len(claims), strings.Join(problems, "\n"))
			}
			if output == "" || output == "-" {
				_, err = env.Stdout.Write(buf.Bytes())
				return err
			}
			return os.WriteFile(output, buf.Bytes(), 0o644)
		},
	}
	f := c.Flags()
	f.StringVar(&format, "format", "", "837p or 837i (required)")
	f.StringVar(&output, "out", "", "write to FILE instead of standard output")
	// -o and --output named the file before -o meant the output format
	// everywhere; both stay, hidden, for old scripts.
	f.StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	_ = f.MarkHidden("output")
	f.StringVar(&at, "time", "", "creation time, RFC 3339 (default now)")
	f.StringVar(&usage, "usage", "T", "ISA15: T test or P production")
	f.Int64Var(&control, "control-number", 1, "first ISA13, GS06 and ST02 control number")
	f.StringVar(&e.SubmitterName, "submitter-name", "", "1000A submitter name (required)")
	f.StringVar(&e.SubmitterID, "submitter-id", "", "1000A submitter ID (required)")
	f.StringVar(&e.ContactName, "contact-name", "", "1000A PER contact name (required)")
	f.StringVar(&e.ContactPhone, "contact-phone", "", "1000A PER telephone (this or --contact-email)")
	f.StringVar(&e.ContactEmail, "contact-email", "", "1000A PER email")
	f.StringVar(&e.ReceiverName, "receiver-name", "", "1000B receiver name (default the payer's)")
	f.StringVar(&e.ReceiverID, "receiver-id", "", "1000B receiver ID (default the payer ID)")
	f.StringVar(&e.SenderQualifier, "sender-qualifier", "ZZ", "ISA05")
	f.StringVar(&e.SenderID, "sender-id", "", "ISA06 (default the submitter ID)")
	f.StringVar(&e.ReceiverQualifier, "isa-receiver-qualifier", "ZZ", "ISA07")
	f.StringVar(&e.InterchangeReceiverID, "isa-receiver-id", "", "ISA08 (default the receiver ID)")
	f.IntVar(&e.MaxClaimsPerSet, "max-claims-per-set", x837.DefaultMaxClaimsPerSet, "claims per transaction set")
	f.IntVar(&e.MaxClaimsPerInterchange, "max-claims-per-interchange", 0, "claims per interchange (0: no limit)")
	f.BoolVar(&e.LineBreaks, "line-breaks", false, "write a line feed after each segment")
	_ = c.MarkFlagRequired("format")
	maxInputFlag(c, env)
	return c
}

// decodedClaim is one claim of `claims decode` output with where it came
// from.
type decodedClaim struct {
	Interchange int64        `json:"interchange"`
	Group       int64        `json:"group"`
	Set         int64        `json:"set"`
	Claim       *claim.Claim `json:"claim"`
}

func newClaimsDecodeCmd(env *Env) *cobra.Command {
	var withEnvelope bool
	c := &cobra.Command{
		Use:   "decode FILE",
		Short: "Read an 837P or 837I file and write its claims as JSON",
		Long: "Read the claims of an 837P or 837I file (\"-\" for standard input) and write them as a JSON array\n" +
			"in the claim model's JSON form. Claims that cannot be read are left out; their errors, with file,\n" +
			"control numbers, segment and element, go to standard error and the exit status is 1. The file is\n" +
			"first checked against its implementation guide (as edi validate --level 2): a segment the decoder\n" +
			"skipped, a broken HL hierarchy or envelope is listed the same way, with exit status 1. Exit\n" +
			"status 2: the file cannot be read or is not X12.",
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			in, err := openChecked(env, args[0])
			if err != nil {
				return err
			}
			defer in.close()
			r, err := in.reader()
			if err != nil {
				return err
			}
			d := x837.NewDecoder(r)
			d.File = in.file
			claims := []*claim.Claim{}
			var placed []decodedClaim
			for d.Next() {
				claims = append(claims, d.Claim())
				ctl := d.Envelope().Controls
				placed = append(placed, decodedClaim{ctl.Interchange, ctl.Group, ctl.Set, d.Claim()})
			}
			var out []byte
			if withEnvelope {
				if placed == nil {
					placed = []decodedClaim{}
				}
				out, err = json.MarshalIndent(placed, "", "  ")
			} else {
				out, err = json.MarshalIndent(claims, "", "  ")
			}
			if err != nil {
				return err
			}
			out = append(out, '\n')
			if _, err := env.Stdout.Write(out); err != nil {
				return err
			}
			if err := d.Err(); err != nil {
				var list *edi.ErrorList
				n := 1
				if errors.As(err, &list) {
					n = list.Len()
				}
				return in.finish(env.Stderr, exitf(1, "%s: %d errors:\n%v", in.file, n, err))
			}
			return in.finish(env.Stderr, nil)
		},
	}
	c.Flags().BoolVar(&withEnvelope, "with-envelope", false, "wrap each claim with its ISA13, GS06 and ST02 control numbers")
	maxInputFlag(c, env)
	return c
}
