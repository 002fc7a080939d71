// Package realtime exchanges one X12 transaction with a trading partner
// while the caller waits, over the CAQH CORE connectivity rule's HTTP+MIME
// message envelope (CORE Connectivity Rule vC2.2.0, section 4: an HTTP POST
// of a multipart/form-data body whose parts are the envelope's metadata
// fields and the X12 payload; the answer comes back in the same form).
//
// The client (Client.Exchange) is what Clearhouse uses for real-time 270/271
// eligibility; the server side (Handler) is what the payer simulator serves.
// Both check the envelope's fields, its payload length and SHA-1 checksum.
package realtime

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"strconv"
	"strings"
	"time"
)

// Envelope field values of the CORE rule (vC2.2.0 section 4.4, Table of
// CORE Envelope Metadata).
const (
	// ProcessingModeRealTime is the only mode this package speaks.
	ProcessingModeRealTime = "RealTime"
	// RuleVersion is the CORERuleVersion sent.
	RuleVersion = "2.2.0"

	// Payload types of the 005010 eligibility and claim status pairs and of
	// the acknowledgments a receiver answers with when it cannot process
	// the request's payload.
	Payload270 = "X12_270_Request_005010X279A1"
	Payload271 = "X12_271_Response_005010X279A1"
	Payload276 = "X12_276_Request_005010X212"
	Payload277 = "X12_277_Response_005010X212"
	Payload999 = "X12_999_Response_005010X231A1"
	PayloadTA1 = "X12_TA1_Response_00501X231A1"

	// ErrorCode values: Success, and those this package sends or reads.
	ErrorSuccess              = "Success"
	ErrorPayloadTypeIncorrect = "PayloadTypeIncorrect"
	ErrorProcessingMode       = "ProcessingModeIncorrect"
	ErrorPayloadIDRequired    = "PayloadIDRequired"
	ErrorChecksumMismatch     = "ChecksumMismatch"
	ErrorVersionMismatch      = "VersionMismatch"
	ErrorUnauthorized         = "UnAuthorized"
	ErrorReceiverUnknown      = "ReceiverIDRequired"
	ErrorSenderRequired       = "SenderIDRequired"
	ErrorTimeStampRequired    = "TimeStampRequired"
	ErrorPayloadLength        = "PayloadLengthMismatch"
	ErrorServer               = "Receiver.Error"
)

// TimeStampLayout is the xsd:dateTime form of TimeStamp, in UTC.
const TimeStampLayout = "2006-01-02T15:04:05Z"

// MaxPayload bounds the payload read from either side: a real-time
// transaction carries one patient's request or answer.
const MaxPayload = 4 << 20

// Envelope is one CORE message: a request (with UserName and Password) or
// a response (with ErrorCode and ErrorMessage).
type Envelope struct {
	PayloadType    string
	ProcessingMode string
	PayloadID      string
	TimeStamp      time.Time
	SenderID       string
	ReceiverID     string
	RuleVersion    string
	UserName       string
	Password       string
	ErrorCode      string
	ErrorMessage   string
	Payload        []byte
}

// String describes e without its password or payload (which carry secrets
// and PHI).
func (e Envelope) String() string {
	s := fmt.Sprintf("%s %s from %s to %s (%d bytes)", e.PayloadType, e.PayloadID, e.SenderID, e.ReceiverID, len(e.Payload))
	if e.ErrorCode != "" && e.ErrorCode != ErrorSuccess {
		s += " error " + e.ErrorCode
	}
	return s
}

// NewPayloadID returns a random RFC 4122 version 4 UUID in hexadecimal
// notation. (The rule describes a time-and-node UUID; a random one is as
// unique and reveals nothing about the host.)
func NewPayloadID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Checksum is the envelope's Checksum of a payload: SHA-1, hexadecimal.
func Checksum(payload []byte) string {
	sum := sha1.Sum(payload)
	return hex.EncodeToString(sum[:])
}

// EnvelopeError is an envelope that breaks the rule; Code is the ErrorCode
// to answer it with.
type EnvelopeError struct {
	Code  string
	Field string
	Msg   string
}

func (e *EnvelopeError) Error() string {
	if e.Field != "" {
		return "CORE envelope: " + e.Field + ": " + e.Msg
	}
	return "CORE envelope: " + e.Msg
}

// ErrEnvelope is wrapped by every *EnvelopeError.
var ErrEnvelope = errors.New("CORE envelope")

func (e *EnvelopeError) Unwrap() error { return ErrEnvelope }

// fields in the order they are written.
var fieldOrder = []string{"PayloadType", "ProcessingMode", "PayloadID", "PayloadLength", "TimeStamp", "UserName", "Password",
	"SenderID", "ReceiverID", "CORERuleVersion", "Checksum", "ErrorCode", "ErrorMessage"}

// Write writes e as a multipart/form-data body to w and returns its content
// type. Empty optional fields are left out; PayloadLength and Checksum are
// computed.
func (e Envelope) Write(w io.Writer) (contentType string, err error) {
	mw := multipart.NewWriter(w)
	values := map[string]string{
		"PayloadType": e.PayloadType, "ProcessingMode": e.ProcessingMode, "PayloadID": e.PayloadID,
		"TimeStamp": e.TimeStamp.UTC().Format(TimeStampLayout), "UserName": e.UserName, "Password": e.Password,
		"SenderID": e.SenderID, "ReceiverID": e.ReceiverID, "CORERuleVersion": e.RuleVersion,
		"ErrorCode": e.ErrorCode, "ErrorMessage": e.ErrorMessage,
	}
	if e.Payload != nil {
		values["PayloadLength"] = strconv.Itoa(len(e.Payload))
		values["Checksum"] = Checksum(e.Payload)
	}
	for _, name := range fieldOrder {
		v := values[name]
		if v == "" {
			continue
		}
		if err := mw.WriteField(name, v); err != nil {
			return "", err
		}
	}
	if e.Payload != nil {
		pw, err := mw.CreateFormField("Payload")
		if err != nil {
			return "", err
		}
		if _, err := pw.Write(e.Payload); err != nil {
			return "", err
		}
	}
	if err := mw.Close(); err != nil {
		return "", err
	}
	return mw.FormDataContentType(), nil
}

// Read reads a multipart/form-data envelope of content type contentType
// from r, at most MaxPayload bytes of payload, and checks its fields:
// PayloadType, ProcessingMode RealTime, PayloadID, TimeStamp, SenderID,
// ReceiverID and CORERuleVersion present, PayloadLength and Checksum (when
// given) matching the payload. A request (request true) must carry UserName
// and Password; a response must carry ErrorCode. The first broken rule is
// returned as an *EnvelopeError, with what was read so far.
func Read(r io.Reader, contentType string, request bool) (Envelope, error) {
	var e Envelope
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.HasPrefix(mt, "multipart/") || params["boundary"] == "" {
		return e, &EnvelopeError{Code: ErrorPayloadTypeIncorrect, Msg: fmt.Sprintf("content type %q is not multipart/form-data with a boundary", contentType)}
	}
	mr := multipart.NewReader(io.LimitReader(r, MaxPayload+64<<10), params["boundary"])
	fields := map[string]string{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return e, &EnvelopeError{Code: ErrorPayloadTypeIncorrect, Msg: "multipart body: " + err.Error()}
		}
		name := p.FormName()
		limit := int64(1024)
		if name == "Payload" {
			limit = MaxPayload
		}
		b, err := io.ReadAll(io.LimitReader(p, limit+1))
		if err != nil {
			return e, &EnvelopeError{Code: ErrorPayloadTypeIncorrect, Field: name, Msg: err.Error()}
		}
		if int64(len(b)) > limit {
			return e, &EnvelopeError{Code: ErrorPayloadLength, Field: name, Msg: fmt.Sprintf("longer than %d bytes", limit)}
		}
		if _, dup := fields[name]; dup || (name == "Payload" && e.Payload != nil) {
			return e, &EnvelopeError{Code: ErrorPayloadTypeIncorrect, Field: name, Msg: "given twice"}
		}
		if name == "Payload" {
			e.Payload = b
			continue
		}
		fields[name] = string(b)
	}
	e.PayloadType, e.ProcessingMode, e.PayloadID = fields["PayloadType"], fields["ProcessingMode"], fields["PayloadID"]
	e.SenderID, e.ReceiverID, e.RuleVersion = fields["SenderID"], fields["ReceiverID"], fields["CORERuleVersion"]
	e.UserName, e.Password = fields["UserName"], fields["Password"]
	e.ErrorCode, e.ErrorMessage = fields["ErrorCode"], fields["ErrorMessage"]
	missing := func(field, code string) error {
		return &EnvelopeError{Code: code, Field: field, Msg: "required"}
	}
	switch {
	case e.PayloadType == "":
		return e, missing("PayloadType", ErrorPayloadTypeIncorrect)
	case e.ProcessingMode != ProcessingModeRealTime:
		return e, &EnvelopeError{Code: ErrorProcessingMode, Field: "ProcessingMode", Msg: fmt.Sprintf("%q is not %s", e.ProcessingMode, ProcessingModeRealTime)}
	case e.PayloadID == "":
		return e, missing("PayloadID", ErrorPayloadIDRequired)
	case fields["TimeStamp"] == "":
		return e, missing("TimeStamp", ErrorTimeStampRequired)
	case e.SenderID == "":
		return e, missing("SenderID", ErrorSenderRequired)
	case e.ReceiverID == "":
		return e, missing("ReceiverID", ErrorReceiverUnknown)
	case e.RuleVersion == "":
		return e, missing("CORERuleVersion", ErrorVersionMismatch)
	}
	ts, err := time.Parse(time.RFC3339, fields["TimeStamp"])
	if err != nil {
		return e, &EnvelopeError{Code: ErrorTimeStampRequired, Field: "TimeStamp", Msg: fmt.Sprintf("%q is not an xsd:dateTime", fields["TimeStamp"])}
	}
	e.TimeStamp = ts
	if request && (e.UserName == "" || e.Password == "") {
		return e, &EnvelopeError{Code: ErrorUnauthorized, Field: "UserName", Msg: "UserName and Password are required"}
	}
	if !request && e.ErrorCode == "" {
		return e, missing("ErrorCode", ErrorServer)
	}
	if n, ok := fields["PayloadLength"]; ok {
		if l, err := strconv.Atoi(n); err != nil || l != len(e.Payload) {
			return e, &EnvelopeError{Code: ErrorPayloadLength, Field: "PayloadLength", Msg: fmt.Sprintf("%q, but the payload has %d bytes", n, len(e.Payload))}
		}
	}
	if c, ok := fields["Checksum"]; ok && !strings.EqualFold(c, Checksum(e.Payload)) {
		return e, &EnvelopeError{Code: ErrorChecksumMismatch, Field: "Checksum", Msg: "does not match the payload's SHA-1"}
	}
	return e, nil
}

// Bytes writes e to a buffer.
func (e Envelope) Bytes() ([]byte, string, error) {
	var buf bytes.Buffer
	ct, err := e.Write(&buf)
	return buf.Bytes(), ct, err
}
