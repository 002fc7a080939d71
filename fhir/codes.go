package fhir

import (
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Code systems and identifier systems Clearhouse reads and writes (R4
// terminology; the US ones as US Core and CARIN Blue Button name them).
const (
	SystemNPI        = "http://hl7.org/fhir/sid/us-npi"
	SystemICD10CM    = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemICD10      = "http://hl7.org/fhir/sid/icd-10"
	SystemCPT        = "http://www.ama-assn.org/go/cpt"
	SystemHCPCS      = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
	SystemTaxonomy   = "http://nucc.org/provider-taxonomy"
	SystemPOS        = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
	SystemV2_0203    = "http://terminology.hl7.org/CodeSystem/v2-0203"
	SystemSubscriber = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
	SystemCARC       = "https://x12.org/codes/claim-adjustment-reason-codes"
	SystemRARC       = "https://x12.org/codes/remittance-advice-remark-codes"
	SystemClaimStat  = "https://x12.org/codes/claim-status-codes"
	// SystemPCN identifies a claim by its patient control number (CLM01).
	SystemPCN = "urn:clearhouse:patient-control-number"
	// SystemMRN identifies a patient by the clinic's medical record number.
	SystemMRN = "urn:clearhouse:mrn"
)

func str(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

func ptr[T any](v T) *T { return &v }

// code returns the first code of cc in one of systems (any system when
// none is given).
func code(cc *fhir.CodeableConcept, systems ...string) string {
	if cc == nil {
		return ""
	}
	for _, c := range cc.Coding {
		if len(systems) == 0 {
			if s := str(c.Code); s != "" {
				return s
			}
			continue
		}
		for _, sys := range systems {
			if str(c.System) == sys && str(c.Code) != "" {
				return str(c.Code)
			}
		}
	}
	return ""
}

// identifier returns the value of the first identifier in system, or of
// type typ (a v2-0203 code) when system is empty.
func identifier(ids []fhir.Identifier, system, typ string) string {
	for _, id := range ids {
		if system != "" && str(id.System) == system && str(id.Value) != "" {
			return str(id.Value)
		}
		if typ != "" && code(id.Type, SystemV2_0203) == typ && str(id.Value) != "" {
			return str(id.Value)
		}
	}
	return ""
}

// name picks the official name, else the usual one, else the first.
func name(ns []fhir.HumanName) (first, last string) {
	if len(ns) == 0 {
		return "", ""
	}
	pick := ns[0]
	for _, want := range []fhir.NameUse{fhir.NameUseOfficial, fhir.NameUseUsual} {
		found := false
		for _, n := range ns {
			if n.Use != nil && *n.Use == want {
				pick, found = n, true
				break
			}
		}
		if found {
			break
		}
	}
	if len(pick.Given) > 0 {
		first = strings.TrimSpace(pick.Given[0])
	}
	return first, str(pick.Family)
}

// parseDate reads a FHIR date or dateTime and returns its calendar date as
// written (the local date of a dateTime with an offset), at midnight UTC.
func parseDate(s string) (time.Time, bool) {
	if len(s) < 10 {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	return t, err == nil
}

// parseInstant reads a FHIR dateTime or instant with its offset.
func parseInstant(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if t, ok := parseDate(s); ok {
		return t, true
	}
	return time.Time{}, false
}

// normRef turns a reference into "Type/id": a relative reference as is, an
// absolute one by its last two segments (without _history), a urn:uuid
// through the bundle's fullUrls.
func normRef(r *fhir.Reference, fullURLs map[string]string) string {
	if r == nil {
		return ""
	}
	s := str(r.Reference)
	if s == "" {
		return ""
	}
	if strings.HasPrefix(s, "urn:") {
		return fullURLs[s]
	}
	if to, ok := fullURLs[s]; ok {
		return to
	}
	if i := strings.Index(s, "/_history/"); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(strings.TrimRight(s, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

func refType(ref string) string {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[:i]
	}
	return ""
}
