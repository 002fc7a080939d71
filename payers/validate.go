package payers

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path"
	"strings"
)

// Sentinel errors; every FieldError wraps one of them.
var (
	ErrMissing   = errors.New("required")
	ErrInvalid   = errors.New("invalid")
	ErrDuplicate = errors.New("duplicate")
	// ErrSyntax wraps YAML that cannot be read.
	ErrSyntax = errors.New("payers: bad payer file")
)

// FieldError is a problem with one field of a payer definition.
type FieldError struct {
	File string
	// Line is the 1-based line of the field in File (0 when unknown).
	Line int
	// Field is the YAML path, such as "sftp.port".
	Field string
	Value string
	Err   error
}

func (e *FieldError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

// ISA identification code qualifiers (ISA05/ISA07) of X12 005010.
var isaQualifiers = map[string]bool{
	"01": true, "14": true, "20": true, "27": true, "28": true, "29": true,
	"30": true, "33": true, "ZZ": true,
}

// Claim filing indicator codes (SBR09) of 005010X222A1/X223A2.
var filingIndicators = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "16": true, "17": true,
	"AM": true, "BL": true, "CH": true, "CI": true, "DS": true, "FI": true, "HM": true,
	"LM": true, "MA": true, "MB": true, "MC": true, "OF": true, "TV": true, "VA": true,
	"WC": true, "ZZ": true,
}

// maxClaimsPerTransaction is the 837 implementation guides' recommended
// limit of 5000 CLM segments per transaction set.
const maxClaimsPerTransaction = 5000

// Validate checks the definition and returns every problem found, each a
// *FieldError, joined.
func (p *Payer) Validate() error {
	errs := p.validate()
	if len(errs) == 0 {
		return nil
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		all[i] = e
	}
	return errors.Join(all...)
}

func (p *Payer) validate() []*FieldError {
	var errs []*FieldError
	bad := func(field, value string, err error, format string, args ...any) {
		if format != "" {
			err = fmt.Errorf("%w: %s", err, fmt.Sprintf(format, args...))
		}
		errs = append(errs, &FieldError{File: p.File, Field: field, Value: value, Err: err})
	}
	required := func(field, value string) bool {
		if strings.TrimSpace(value) == "" {
			bad(field, "", ErrMissing, "")
			return false
		}
		return true
	}
	if required("id", p.ID) && !isIDChars(p.ID, 2, 80) {
		bad("id", p.ID, ErrInvalid, "want 2 to 80 letters, digits or dashes (Loop 2010BB NM109)")
	}
	if required("name", p.Name) && len(p.Name) > 60 {
		bad("name", p.Name, ErrInvalid, "longer than 60 characters (NM103)")
	}
	if len(p.Transactions) == 0 {
		bad("transactions", "", ErrMissing, "list at least one of 270, 837P, 837I, 835, 277CA, 276")
	}
	seen := map[Transaction]bool{}
	for i, t := range p.Transactions {
		field := fmt.Sprintf("transactions[%d]", i)
		switch {
		case !isKnownTransaction(t):
			bad(field, string(t), ErrInvalid, "want one of 270, 837P, 837I, 835, 277CA, 276")
		case seen[t]:
			bad(field, string(t), ErrDuplicate, "")
		}
		seen[t] = true
	}
	for clinic, st := range p.Enrollment.Clinics {
		switch st {
		case Enrolled, Pending, NotEnrolled, Denied:
		default:
			bad("enrollment.clinics."+clinic, string(st), ErrInvalid, "want enrolled, pending, not_enrolled or denied")
		}
	}
	s := p.SFTP
	required("sftp.host", s.Host)
	if s.Port < 1 || s.Port > 65535 {
		bad("sftp.port", fmt.Sprint(s.Port), ErrInvalid, "want 1 to 65535")
	}
	required("sftp.user", s.User)
	if required("sftp.host_key_fingerprint", s.HostKeyFingerprint) && !validFingerprint(s.HostKeyFingerprint) {
		bad("sftp.host_key_fingerprint", s.HostKeyFingerprint, ErrInvalid, `want "SHA256:" and 43 characters of unpadded base64, as ssh-keygen -l prints`)
	}
	for _, f := range []struct{ name, v string }{{"sftp.outbound_path", s.OutboundPath}, {"sftp.inbound_path", s.InboundPath}} {
		if required(f.name, f.v) && (!path.IsAbs(f.v) || path.Clean(f.v) != strings.TrimSuffix(f.v, "/") && f.v != "/") {
			bad(f.name, f.v, ErrInvalid, "want a clean absolute path")
		}
	}
	if s.PasswordEnv != "" && s.PrivateKeyFile != "" {
		bad("sftp.password_env", s.PasswordEnv, ErrInvalid, "give password_env or private_key_file, not both")
	}
	if s.OutboundPath != "" && s.OutboundPath == s.InboundPath {
		bad("sftp.inbound_path", s.InboundPath, ErrInvalid, "same as outbound_path")
	}
	e := p.Envelope
	for _, q := range []struct{ name, v string }{{"envelope.sender_qualifier", e.SenderQualifier}, {"envelope.receiver_qualifier", e.ReceiverQualifier}} {
		if required(q.name, q.v) && !isaQualifiers[q.v] {
			bad(q.name, q.v, ErrInvalid, "want an ISA qualifier: 01, 14, 20, 27, 28, 29, 30, 33 or ZZ")
		}
	}
	for _, id := range []struct{ name, v string }{{"envelope.sender_id", e.SenderID}, {"envelope.receiver_id", e.ReceiverID}} {
		if required(id.name, id.v) && !isX12Text(id.v, 1, 15) {
			bad(id.name, id.v, ErrInvalid, "want 1 to 15 characters without delimiters (ISA06/ISA08)")
		}
	}
	for _, g := range []struct{ name, v string }{{"envelope.gs_sender", e.GSSender}, {"envelope.gs_receiver", e.GSReceiver}} {
		if required(g.name, g.v) && !isX12Text(g.v, 2, 15) {
			bad(g.name, g.v, ErrInvalid, "want 2 to 15 characters without delimiters (GS02/GS03)")
		}
	}
	if required("file_naming", p.FileNaming) {
		if err := checkPattern(p.FileNaming); err != nil {
			bad("file_naming", p.FileNaming, ErrInvalid, "%v", err)
		}
	}
	switch p.Usage {
	case Test, Production:
	case "":
		bad("usage", "", ErrMissing, "T (test) or P (production)")
	default:
		bad("usage", string(p.Usage), ErrInvalid, "want T (test) or P (production)")
	}
	if required("claim_filing_indicator", p.ClaimFilingIndicator) && !filingIndicators[p.ClaimFilingIndicator] {
		bad("claim_filing_indicator", p.ClaimFilingIndicator, ErrInvalid, "not an SBR09 claim filing indicator code")
	}
	if p.TimelyFilingDays < 1 || p.TimelyFilingDays > 3650 {
		bad("timely_filing_days", fmt.Sprint(p.TimelyFilingDays), ErrInvalid, "want 1 to 3650 days")
	}
	if p.MaxClaimsPerFile < 1 || p.MaxClaimsPerFile > maxClaimsPerTransaction {
		bad("max_claims_per_file", fmt.Sprint(p.MaxClaimsPerFile), ErrInvalid, "want 1 to %d (837 guides: at most 5000 claims per transaction set)", maxClaimsPerTransaction)
	}
	if p.StatusInquiryDays < 0 || p.StatusInquiryDays > 3650 {
		bad("status_inquiry_days", fmt.Sprint(p.StatusInquiryDays), ErrInvalid, "want 1 to 3650 days, or leave it out for %d", DefaultStatusInquiryDays)
	}
	if g := p.SFTP.PGP; g != nil {
		required("sftp.pgp.public_key_file", g.PublicKeyFile)
		required("sftp.pgp.private_key_file", g.PrivateKeyFile)
	}
	if rt := p.RealTime; rt != (RealTime{}) {
		if required("realtime.url", rt.URL) {
			if err := checkRealTimeURL(rt.URL); err != nil {
				bad("realtime.url", rt.URL, ErrInvalid, "%v", err)
			}
		}
		required("realtime.user", rt.User)
		required("realtime.password_env", rt.PasswordEnv)
		if rt.TimeoutSeconds < 0 || rt.TimeoutSeconds > 300 {
			bad("realtime.timeout_seconds", fmt.Sprint(rt.TimeoutSeconds), ErrInvalid, "want 1 to 300 seconds, or leave it out for 20")
		}
	}
	return errs
}

// checkRealTimeURL accepts https URLs, and http ones on a loopback address
// only (the password travels in the request body).
func checkRealTimeURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("want an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
			return nil
		}
		return errors.New("http is allowed on a loopback address only; use https")
	}
	return fmt.Errorf("scheme %q: want https", u.Scheme)
}

func isKnownTransaction(t Transaction) bool {
	for _, k := range knownTransactions {
		if k == t {
			return true
		}
	}
	return false
}

func isIDChars(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '-') {
			return false
		}
	}
	return true
}

// isX12Text reports whether s fits an X12 identifier element: printable
// ASCII without the usual delimiters.
func isX12Text(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || strings.IndexByte("*~:^|>", c) >= 0 {
			return false
		}
	}
	return true
}

func validFingerprint(s string) bool {
	b64, ok := strings.CutPrefix(s, "SHA256:")
	if !ok || len(b64) != 43 {
		return false
	}
	raw, err := base64.RawStdEncoding.DecodeString(b64)
	return err == nil && len(raw) == 32
}

func checkPattern(p string) error {
	rest := p
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return errors.New("unclosed {")
		}
		ph := rest[i : i+j+1]
		known := false
		for _, k := range fileNamePlaceholders {
			if ph == k {
				known = true
			}
		}
		if !known {
			return fmt.Errorf("unknown placeholder %s (want %s)", ph, strings.Join(fileNamePlaceholders, ", "))
		}
		rest = rest[i+j+1:]
	}
	if strings.ContainsAny(p, `/\`) {
		return errors.New("a file name, not a path")
	}
	if !strings.Contains(p, "{control}") && !strings.Contains(p, "{time}") {
		return errors.New("needs {control} or {time} so that names are unique")
	}
	return nil
}
