package billing

// DenialAction is what billing staff should do about an adjustment reason.
type DenialAction struct {
	// Action is a short verb phrase: correct and resubmit, appeal, write
	// off, bill the patient, ...
	Action string `json:"action"`
	// Note explains the reason in a billing office's words.
	Note string `json:"note"`
}

// carcActions maps claim adjustment reason codes (CARC, code list 139, as
// published by X12) to the usual next step. The group code (CO, OA, PI)
// does not change the step, except PR, which always bills the patient.
var carcActions = map[string]DenialAction{
	"4":   {"correct and resubmit", "procedure modifier inconsistent or missing: fix the modifier"},
	"11":  {"correct and resubmit", "diagnosis inconsistent with the procedure: review the coding"},
	"16":  {"correct and resubmit", "claim lacks information: see the remark codes for what is missing"},
	"18":  {"verify, no resubmission", "exact duplicate: check the original claim's status"},
	"22":  {"bill the primary payer", "another payer may be primary: verify coordination of benefits"},
	"27":  {"verify eligibility", "services after coverage ended: bill the patient or the new payer"},
	"29":  {"write off", "timely filing limit passed: write off unless proof of timely filing exists"},
	"31":  {"correct and resubmit", "patient not identified as insured: verify the member ID"},
	"50":  {"appeal with records", "not medically necessary: appeal with the medical records"},
	"96":  {"bill the patient or write off", "non-covered charge: bill the patient if a waiver (ABN) is on file, else write off"},
	"97":  {"review the NCCI pair", "bundled into another service: add a distinct-service modifier if supported, else write off"},
	"109": {"bill the correct payer", "not covered by this payer or contractor"},
	"151": {"appeal with documentation", "the frequency or units are not supported by the information given"},
	"167": {"correct and resubmit", "diagnosis not covered: review the coding"},
	"170": {"bill the patient or write off", "payment denied for this provider type"},
	"197": {"obtain authorization", "precertification or authorization absent: obtain it and resubmit, or appeal"},
	"204": {"bill the patient or write off", "service not covered under the patient's benefit plan"},
	"236": {"review the NCCI pair", "procedure or modifier combination not compatible (NCCI)"},
}

var patientActions = map[string]DenialAction{
	"1": {"bill the patient", "deductible amount"},
	"2": {"bill the patient", "coinsurance amount"},
	"3": {"bill the patient", "co-payment amount"},
}

// ActionFor returns the suggested action for a CAS group and reason code.
func ActionFor(group, reason string) DenialAction {
	if group == "PR" {
		if a, ok := patientActions[reason]; ok {
			return a
		}
		return DenialAction{"bill the patient", "patient responsibility"}
	}
	if a, ok := carcActions[reason]; ok {
		return a
	}
	return DenialAction{"review and resubmit or appeal", "see the reason and remark codes and the payer's policy"}
}
