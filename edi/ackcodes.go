package edi

// The code values below are those of the ASC X12 data element dictionary
// (elements I17, I18, 620, 621, 715, 716, 717, 718) as the 999 guide
// 005010X231A1 and the TA1 segment use them.

// Level says at which level of an acknowledgment an error is reported, and so
// which code list its Code comes from.
type Level uint8

// Acknowledgment levels, from the interchange down to the data element.
const (
	// LevelNone marks an error no acknowledgment reports.
	LevelNone Level = iota
	// LevelInterchange errors go in a TA1; Code is a TA105 interchange note
	// code (X12 element I18).
	LevelInterchange
	// LevelGroup errors go in the 999 AK9; Code is an AK905 functional group
	// syntax error code (X12 element 716).
	LevelGroup
	// LevelSet errors go in the 999 IK5; Code is an IK502 transaction set
	// syntax error code (X12 element 718).
	LevelSet
	// LevelSegment errors go in a 999 IK3; Code is an IK304 segment syntax
	// error code (X12 element 620).
	LevelSegment
	// LevelElement errors go in a 999 IK4 under the IK3 of their segment;
	// Code is an IK403 data element syntax error code (X12 element 621).
	LevelElement
)

var levelNames = [...]string{"none", "interchange", "group", "set", "segment", "element"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// TA105 interchange note codes (X12 element I18, used by TA1 in 005010).
const (
	TA1NoError                = "000"
	TA1ControlNumberMismatch  = "001" // ISA13 and IEA02 differ
	TA1VersionNotSupported    = "003"
	TA1InvalidTerminator      = "004"
	TA1InvalidSenderQualifier = "005" // ISA05
	TA1InvalidSenderID        = "006" // ISA06
	TA1InvalidReceiverQual    = "007" // ISA07
	TA1InvalidReceiverID      = "008" // ISA08
	TA1InvalidAuthQualifier   = "010" // ISA01
	TA1InvalidAuthInfo        = "011" // ISA02
	TA1InvalidSecurityQual    = "012" // ISA03
	TA1InvalidSecurityInfo    = "013" // ISA04
	TA1InvalidDate            = "014" // ISA09
	TA1InvalidTime            = "015" // ISA10
	TA1InvalidStandardsID     = "016" // ISA11
	TA1InvalidVersion         = "017" // ISA12
	TA1InvalidControlNumber   = "018" // ISA13
	TA1InvalidAckRequested    = "019" // ISA14
	TA1InvalidUsage           = "020" // ISA15
	TA1InvalidGroupCount      = "021" // IEA01
	TA1InvalidControlStruct   = "022"
	TA1PrematureEnd           = "023"
	TA1InvalidContent         = "024" // such as an invalid GS segment
	TA1DuplicateControlNumber = "025"
	TA1InvalidElementSep      = "026"
	TA1InvalidComponentSep    = "027" // ISA16
)

// TA104 interchange acknowledgment codes (X12 element I17).
const (
	TA1Accepted           = "A"
	TA1AcceptedWithErrors = "E"
	TA1Rejected           = "R"
)

// AK905 functional group syntax error codes (X12 element 716, 005010).
const (
	AK9GroupNotSupported     = "1"
	AK9VersionNotSupported   = "2"
	AK9TrailerMissing        = "3"
	AK9ControlNumberMismatch = "4" // GS06 and GE02 differ
	AK9SetCountMismatch      = "5" // GE01
	AK9ControlNumberSyntax   = "6"
	AK9ControlNumberNotUniq  = "19"
)

// AK901 and IK501 acknowledgment codes (X12 elements 715 and 717).
const (
	AckAccepted           = "A"
	AckAcceptedWithErrors = "E"
	AckPartiallyAccepted  = "P" // AK901 only: at least one set was rejected
	AckRejected           = "R"
)

// IK502 transaction set syntax error codes (X12 element 718, 005010).
const (
	IK5NotSupported          = "1"
	IK5TrailerMissing        = "2"
	IK5ControlNumberMismatch = "3" // ST02 and SE02 differ
	IK5SegmentCountMismatch  = "4" // SE01
	IK5SegmentsInError       = "5"
	IK5InvalidSetID          = "6" // ST01
	IK5InvalidControlNumber  = "7" // ST02
	IK5NotInGroup            = "18"
	IK5InvalidImplRef        = "19" // ST03
	IK5ControlNumberNotUniq  = "23"
	IK5ImplSegmentsInError   = "I5"
	IK5ImplNotSupported      = "I6"
)

// IK304 segment syntax error codes (X12 element 620, 005010).
const (
	IK3UnrecognizedSegment = "1"
	IK3UnexpectedSegment   = "2"
	IK3RequiredMissing     = "3"
	IK3LoopOverMax         = "4"
	IK3SegmentOverMaxUse   = "5"
	IK3NotInSet            = "6"
	IK3OutOfSequence       = "7"
	IK3ElementErrors       = "8"
	IK3ImplNotUsed         = "I4" // implementation "not used" segment present
	IK3ImplDependentMiss   = "I6"
	IK3ImplLoopUnderMin    = "I7"
	IK3ImplSegmentUnderMin = "I8"
	IK3ImplDependentNotUse = "I9"
)

// IK403 data element syntax error codes (X12 element 621, 005010).
const (
	IK4RequiredMissing     = "1"
	IK4ConditionalMissing  = "2"
	IK4TooManyElements     = "3"
	IK4TooShort            = "4"
	IK4TooLong             = "5"
	IK4InvalidCharacter    = "6"
	IK4InvalidCode         = "7"
	IK4InvalidDate         = "8"
	IK4InvalidTime         = "9"
	IK4ExclusionViolated   = "10"
	IK4TooManyRepetitions  = "12"
	IK4TooManyComponents   = "13"
	IK4ImplCodeNotUsed     = "I6"  // code value not used in the implementation
	IK4ImplDependentMiss   = "I9"  // required by a situational rule, missing
	IK4ImplNotUsed         = "I10" // implementation "not used" element present
	IK4ImplTooFewReps      = "I11"
	IK4ImplPatternMismatch = "I12"
	IK4ImplDependentNotUse = "I13" // situationally "not used" element present
)
