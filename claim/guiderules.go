package claim

import "strconv"

// The guide rules loop by loop, as the 837 encoder checked them: checks of
// the claim model that keep it from being written as a valid 837P or 837I.

// isDigits reports whether s is n ASCII digits.
func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < n; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// The code sets every claim is checked against, as switches: the compiler
// compares with constants inline instead of looping over a slice.

// payerResponsibilityOK: SBR01 (1138 payer responsibility sequence).
func payerResponsibilityOK(v string) bool {
	switch v {
	case "P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U":
		return true
	}
	return false
}

// genderOK: DMG03.
func genderOK(v string) bool { return v == "F" || v == "M" || v == "U" }

// relationshipOK: PAT01 individual relationship codes of 005010X222A1.
func relationshipOK(v string) bool {
	switch v {
	case "01", "19", "20", "21", "39", "40", "53", "G8":
		return true
	}
	return false
}

// frequencyOK: CLM05-3, one digit 1 to 9.
func frequencyOK(v string) bool { return len(v) == 1 && v[0] >= '1' && v[0] <= '9' }

// assignmentOK: CLM07.
func assignmentOK(v string) bool { return v == "A" || v == "B" || v == "C" }

// releaseOK: CLM09 and OI06.
func releaseOK(v string) bool { return v == "I" || v == "Y" }

// taxIDTypeOK: REF01 of 2010AA, EI or SY.
func taxIDTypeOK(v string) bool { return v == "EI" || v == "SY" }

// adjustmentGroupOK: CAS01 claim adjustment group codes.
func adjustmentGroupOK(v string) bool {
	switch v {
	case "CO", "CR", "OA", "PI", "PR":
		return true
	}
	return false
}

func oneOf(v string, set ...string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

// address checks an N3/N4 pair; the billing provider's ZIP (billing true)
// has a rule of its own (billingAddress).
func (k *guideChecker) address(a *Address, loop, what string, billing bool) {
	if a == nil {
		k.put(loop, "N3", "", what+" address is required")
		return
	}
	k.requiredIn(a.Line1, loop, "N3", "N301", what, "address line")
	k.requiredIn(a.City, loop, "N4", "N401", what, "city")
	if a.Country == "" {
		k.requiredIn(a.State, loop, "N4", "N402", what, "state")
		if !billing && !isDigits(a.PostalCode, 5) && !isDigits(a.PostalCode, 9) {
			k.put(loop, "N4", "N403", what+" ZIP code must be 5 or 9 digits, got "+strconv.Quote(a.PostalCode))
		}
	}
}

// providerExtras reports the provider fields the loop has no segment for:
// only the billing provider has an address and tax ID, and only some loops a
// taxonomy (PRV).
func (k *guideChecker) providerExtras(p *Provider, loop, what string, taxonomyOK bool) {
	if p.Address != nil {
		k.put(loop, "N3", "", what+" address is not sent in this loop")
	}
	if p.TaxID != "" || p.TaxIDType != "" {
		k.put(loop, "REF", "", what+" tax ID is not sent in this loop")
	}
	if p.Taxonomy != "" && !taxonomyOK {
		k.put(loop, "PRV", "", what+" taxonomy is not sent in this loop")
	}
}

func (k *guideChecker) providerName(p *Provider, loop, what string, personOnly, npiRequired bool) {
	if p.IsPerson() {
		k.requiredIn(p.LastName, loop, "NM1", "NM103", what, "last name")
	} else if personOnly {
		k.put(loop, "NM1", "NM102", what+" must be a person (NM102 1), not an organization")
	}
	// A sent NPI's check digit is GuideNPI's (npis).
	if p.NPI == "" && npiRequired {
		k.put(loop, "NM1", "NM109", what+" NPI is required")
	}
}

// run checks the claim loop by loop, each check under its guide rule.
func (k *guideChecker) run() {
	c := k.c
	prof := c.Kind == Professional
	inst := c.Kind == Institutional
	if !prof && !inst {
		k.add(GuideKind, Location{"ST", "ST", "ST03", 0}, "claim kind must be 837P or 837I, got "+strconv.Quote(string(c.Kind)))
		return
	}

	// 2010AA billing provider.
	k.rule = GuideBillingProvider
	bp := &c.BillingProvider
	k.providerName(bp, "2010AA", "billing provider", false, true)
	k.address(bp.Address, "2010AA", "billing provider", true)
	k.billingAddress()
	if bp.TaxID == "" {
		k.put("2010AA", "REF", "REF02", "billing provider tax ID (EIN or SSN) is required")
	} else if !isDigits(bp.TaxID, 9) {
		k.put("2010AA", "REF", "REF02", "billing provider tax ID must be 9 digits without a dash")
	}
	if !taxIDTypeOK(bp.TaxIDType) {
		k.put("2010AA", "REF", "REF01", "billing provider tax ID type must be EI or SY, got "+strconv.Quote(bp.TaxIDType))
	}
	if c.PayToAddress != nil {
		k.address(c.PayToAddress, "2010AB", "pay-to", false)
	}

	// 2000B/2010BA subscriber and 2010BB payer.
	k.rule = GuideSubscriber
	s := &c.Subscriber
	if !payerResponsibilityOK(s.PayerResponsibility) {
		k.put("2000B", "SBR", "SBR01", "payer responsibility must be P, S, T, A-H or U, got "+strconv.Quote(s.PayerResponsibility))
	}
	k.required(s.ClaimFilingIndicator, "2000B", "SBR", "SBR09", "claim filing indicator")
	k.rule = GuideSubscriberName
	k.required(s.LastName, "2010BA", "NM1", "NM103", "subscriber last name")
	k.required(s.MemberID, "2010BA", "NM1", "NM109", "subscriber member ID")
	k.rule = GuidePatient
	if c.Patient == nil {
		k.address(s.Address, "2010BA", "subscriber (the patient)", false)
		if s.BirthDate.IsZero() {
			k.put("2010BA", "DMG", "DMG02", "subscriber birth date is required when the subscriber is the patient")
		}
		if !genderOK(s.Gender) {
			k.put("2010BA", "DMG", "DMG03", "subscriber gender must be F, M or U")
		}
	}
	k.rule = GuidePayer
	k.required(c.Payer.Name, "2010BB", "NM1", "NM103", "payer name")
	k.required(c.Payer.ID, "2010BB", "NM1", "NM109", "payer ID")
	if c.Payer.Address != nil {
		k.address(c.Payer.Address, "2010BB", "payer", false)
	}

	// 2000C/2010CA patient.
	k.rule = GuidePatient
	if p := c.Patient; p != nil {
		if !relationshipOK(p.Relationship) {
			k.put("2000C", "PAT", "PAT01", "patient relationship must be 01, 19, 20, 21, 39, 40, 53 or G8, got "+strconv.Quote(p.Relationship))
		}
		k.required(p.LastName, "2010CA", "NM1", "NM103", "patient last name")
		k.address(p.Address, "2010CA", "patient", false)
		if p.BirthDate.IsZero() {
			k.put("2010CA", "DMG", "DMG02", "patient birth date is required")
		}
		if !genderOK(p.Gender) {
			k.put("2010CA", "DMG", "DMG03", "patient gender must be F, M or U")
		}
	}

	// 2300 claim.
	k.controlNumber()
	k.rule = GuideClaim
	if c.TotalChargeCents < 0 {
		k.put("2300", "CLM", "CLM02", "total charge must not be negative")
	}
	k.totalCharge()
	if !frequencyOK(c.FrequencyCode) {
		k.add(GuideFrequency, Location{"2300", "CLM", "CLM05-3", 0}, "claim frequency code must be one digit, got "+strconv.Quote(c.FrequencyCode))
	}
	k.replacement()
	k.rule = GuideClaim
	if !assignmentOK(c.AssignmentParticipation) {
		k.put("2300", "CLM", "CLM07", "assignment participation must be A, B or C")
	}
	if !releaseOK(c.ReleaseOfInformation) {
		k.put("2300", "CLM", "CLM09", "release of information must be I or Y")
	}
	for _, h := range []struct {
		v    string
		name string
	}{{c.AdmissionHour, "admission hour"}, {c.DischargeHour, "discharge hour"}} {
		if h.v != "" && !isDigits(h.v, 4) {
			k.put("2300", "DTP", "DTP03", h.name+" must be HHMM")
		}
	}
	if prof {
		k.professional()
	} else {
		k.institutional()
	}

	// 2310 providers.
	k.rule = GuideProvider
	type prov struct {
		p          *Provider
		loop, what string
		person     bool
		taxonomy   bool
	}
	var provs [4]prov
	if prof {
		provs = [4]prov{{c.Referring, "2310A", "referring provider", true, false}, {c.Rendering, "2310B", "rendering provider", false, true},
			{c.Supervising, "2310D", "supervising provider", true, false}}
	} else {
		provs = [4]prov{{c.Attending, "2310A", "attending provider", true, true}, {c.Operating, "2310B", "operating physician", true, false},
			{c.Rendering, "2310D", "rendering provider", true, false}, {c.Referring, "2310F", "referring provider", true, false}}
	}
	for _, p := range provs {
		if p.p != nil {
			k.providerExtras(p.p, p.loop, p.what, p.taxonomy)
			k.providerName(p.p, p.loop, p.what, p.person, false)
		}
	}
	if f := c.ServiceFacility; f != nil {
		loop := "2310C"
		if inst {
			loop = "2310E"
		}
		k.required(f.Name, loop, "NM1", "NM103", "service facility name")
		k.address(&f.Address, loop, "service facility", false)
	}

	k.npis()

	// 2320/2330 other payers.
	k.rule = GuideOtherPayer
	if len(c.OtherPayers) > 10 {
		k.put("2320", "SBR", "SBR01", "at most 10 other payers (Loop 2320 repeats 10 times)")
	}
	for i := range c.OtherPayers {
		o := &c.OtherPayers[i]
		if !payerResponsibilityOK(o.PayerResponsibility) {
			k.put("2320", "SBR", "SBR01", "other payer responsibility must be P, S, T, A-H or U")
		}
		if o.PayerResponsibility == s.PayerResponsibility {
			k.put("2320", "SBR", "SBR01", "other payer responsibility must differ from the claim's payer ("+s.PayerResponsibility+")")
		}
		k.required(o.Relationship, "2320", "SBR", "SBR02", "other subscriber relationship")
		k.required(o.ClaimFilingIndicator, "2320", "SBR", "SBR09", "other payer claim filing indicator")
		if !releaseOK(o.ReleaseOfInformation) {
			k.put("2320", "OI", "OI06", "other payer release of information must be I or Y")
		}
		k.adjustments(o.Adjustments, "2320")
		k.required(o.SubscriberLastName, "2330A", "NM1", "NM103", "other subscriber last name")
		k.required(o.SubscriberMemberID, "2330A", "NM1", "NM109", "other subscriber member ID")
		k.required(o.Payer.Name, "2330B", "NM1", "NM103", "other payer name")
		k.required(o.Payer.ID, "2330B", "NM1", "NM109", "other payer ID")
		if o.Payer.Address != nil {
			k.address(o.Payer.Address, "2330B", "other payer", false)
		}
		if otherPayerIndex(c.OtherPayers[:i], o.Payer.ID) >= 0 {
			k.put("2330B", "NM1", "NM109", "other payer ID "+strconv.Quote(o.Payer.ID)+" appears twice")
		}
	}

	// 2400 lines.
	k.lineCount()
	for i := range c.Lines {
		k.serviceLine(i)
	}
}

func (k *guideChecker) professional() {
	c := k.c
	const kind = Professional
	k.rule = GuidePlaceOfService
	k.required(c.PlaceOfService, "2300", "CLM", "CLM05-1", "place of service")
	k.rule = GuideNotUsed
	k.notUsed(c.FacilityType != "", "2300", "CLM", "CLM05-1", "facility type (type of bill)", kind)
	k.rule = GuideClaim
	if len(c.RelatedCauses) > 3 {
		k.put("2300", "CLM", "CLM11", "at most three related causes")
	}
	for _, rc := range c.RelatedCauses {
		if !oneOf(rc, "AA", "EM", "OA") {
			k.put("2300", "CLM", "CLM11", "related cause must be AA, EM or OA, got "+strconv.Quote(rc))
		}
	}
	if c.AccidentState != "" && !oneOf("AA", c.RelatedCauses...) {
		k.put("2300", "CLM", "CLM11-4", "accident state is sent only for an auto accident (AA)")
	}
	if c.PatientSignatureSource != "" && c.PatientSignatureSource != "P" {
		k.put("2300", "CLM", "CLM10", "patient signature source must be P")
	}
	k.rule = GuideNotUsed
	k.notUsed(c.AdmissionHour != "", "2300", "DTP", "DTP03", "admission hour", kind)
	k.notUsed(c.DischargeHour != "", "2300", "DTP", "DTP03", "discharge hour", kind)
	k.notUsed(!c.StatementFrom.IsZero() || !c.StatementTo.IsZero(), "2300", "DTP", "DTP03", "statement period (DTP*434)", kind)
	k.notUsed(c.AdmissionType != "" || c.AdmissionSource != "" || c.PatientStatus != "", "2300", "CL1", "", "institutional claim codes (CL1)", kind)
	k.notUsed(len(c.Procedures) > 0, "2300", "HI", "", "ICD-10-PCS procedures", kind)
	k.notUsed(len(c.OccurrenceSpans) > 0, "2300", "HI", "", "occurrence spans", kind)
	k.notUsed(len(c.Occurrences) > 0, "2300", "HI", "", "occurrence codes", kind)
	k.notUsed(len(c.Values) > 0, "2300", "HI", "", "value codes", kind)
	k.notUsed(len(c.Conditions) > 0, "2300", "HI", "", "condition codes", kind)
	k.notUsed(c.Attending != nil, "2310A", "NM1", "", "attending provider", kind)
	k.notUsed(c.Operating != nil, "2310B", "NM1", "", "operating physician", kind)

	k.diagnosisCount()
	k.rule = GuideDiagnosis
	for i := range c.Diagnoses {
		d := &c.Diagnoses[i]
		if d.Code == "" {
			k.put("2300", "HI", "HI"+pad2(i+1)+"-2", "diagnosis code is required")
		}
		want := DiagnosisOther
		if i == 0 {
			want = DiagnosisPrincipal
		}
		if c.DiagnosisKindAt(i) != want {
			k.put("2300", "HI", "HI"+pad2(i+1)+"-1", "on a professional claim the first diagnosis is the principal (ABK) and the others are other (ABF)")
		}
		if d.PresentOnAdmission != "" {
			k.add(GuideNotUsed, Location{"2300", "HI", "HI" + pad2(i+1) + "-9", 0}, "present-on-admission indicator is not used on an "+string(kind))
		}
	}
}

// instDiagMax is the index of a diagnosis kind on an 837I (the order its HI
// segments are written in) and how many of it the claim holds; -1 for an
// unknown kind.
func instDiagMax(k DiagnosisKind) (index, max int) {
	switch k {
	case DiagnosisPrincipal:
		return 0, 1
	case DiagnosisAdmitting:
		return 1, 1
	case DiagnosisReason:
		return 2, 3
	case DiagnosisExternal:
		return 3, 12
	case DiagnosisOther:
		return 4, 24
	}
	return -1, 0
}

func (k *guideChecker) institutional() {
	c := k.c
	const kind = Institutional
	if !isDigits(c.FacilityType, 2) {
		k.add(GuidePlaceOfService, Location{"2300", "CLM", "CLM05-1", 0},
			"facility type (first two digits of the type of bill) is required, got "+strconv.Quote(c.FacilityType))
	}
	k.rule = GuideNotUsed
	k.notUsed(c.PlaceOfService != "", "2300", "CLM", "CLM05-1", "place of service", kind)
	k.notUsed(len(c.RelatedCauses) > 0 || c.AccidentState != "", "2300", "CLM", "CLM11", "related causes (use occurrence codes)", kind)
	k.notUsed(c.PatientSignatureSource != "", "2300", "CLM", "CLM10", "patient signature source", kind)
	k.notUsed(!c.OnsetDate.IsZero(), "2300", "DTP", "DTP03", "onset date (DTP*431)", kind)
	k.notUsed(!c.InitialTreatmentDate.IsZero(), "2300", "DTP", "DTP03", "initial treatment date (DTP*454)", kind)
	k.notUsed(!c.AccidentDate.IsZero(), "2300", "DTP", "DTP03", "accident date (DTP*439; use occurrence codes)", kind)
	k.notUsed(!c.DischargeDate.IsZero(), "2300", "DTP", "DTP03", "discharge date (the statement period ends at discharge)", kind)
	k.notUsed(c.Supervising != nil, "2310D", "NM1", "", "supervising provider", kind)
	if c.StatementFrom.IsZero() || c.StatementTo.IsZero() {
		k.add(GuideStatementPeriod, Location{"2300", "DTP", "DTP03", 0}, "statement from and to dates (DTP*434) are required")
	} else if c.StatementTo.Before(c.StatementFrom) {
		k.add(GuideDateOrder, Location{"2300", "DTP", "DTP03", 0}, "statement period ends before it starts")
	}
	k.rule = GuideClaim
	k.required(c.PatientStatus, "2300", "CL1", "CL103", "patient status")
	if c.AdmissionHour != "" && c.AdmissionDate.IsZero() {
		k.put("2300", "DTP", "DTP03", "admission hour without an admission date")
	}

	k.diagnosisCount()
	k.rule = GuideDiagnosis
	var count [5]int
	for i := range c.Diagnoses {
		d := &c.Diagnoses[i]
		kd := c.DiagnosisKindAt(i)
		k.required(d.Code, "2300", "HI", "HI01-2", "diagnosis code")
		j, max := instDiagMax(kd)
		if j < 0 {
			k.put("2300", "HI", "HI01-1", "unknown diagnosis kind "+strconv.Quote(string(kd)))
			continue
		}
		count[j]++
		if count[j] == max+1 {
			k.put("2300", "HI", "HI01-1", "at most "+strconv.Itoa(max)+" "+string(kd)+" diagnoses")
		}
		if d.PresentOnAdmission != "" && !oneOf(d.PresentOnAdmission, "Y", "N", "U", "W", "1") {
			k.put("2300", "HI", "HI01-9", "present-on-admission indicator must be Y, N, U, W or 1")
		}
	}
	if count[0] == 0 && len(c.Diagnoses) > 0 {
		k.put("2300", "HI", "HI01-1", "the principal diagnosis is required")
	}
	k.rule = GuideInstitutionalCodes
	principal := 0
	for i := range c.Procedures {
		p := &c.Procedures[i]
		k.required(p.Code, "2300", "HI", "HI01-2", "procedure code")
		if p.Date.IsZero() {
			k.put("2300", "HI", "HI01-4", "procedure date is required")
		}
		if p.Principal {
			principal++
		}
	}
	if len(c.Procedures) > 0 && principal != 1 {
		k.put("2300", "HI", "HI01-1", "exactly one procedure must be the principal procedure (BBR)")
	}
	if len(c.Procedures)-principal > 24 {
		k.put("2300", "HI", "", "at most 24 other procedures")
	}
	for _, n := range []struct {
		n    int
		what string
	}{{len(c.OccurrenceSpans), "occurrence spans"}, {len(c.Occurrences), "occurrence codes"}, {len(c.Values), "value codes"}, {len(c.Conditions), "condition codes"}} {
		if n.n > 24 {
			k.put("2300", "HI", "", "at most 24 "+n.what)
		}
	}
	for _, o := range c.OccurrenceSpans {
		if o.Code == "" || o.From.IsZero() || o.To.IsZero() {
			k.put("2300", "HI", "HI01", "occurrence span needs a code and from and to dates")
		}
	}
	for _, o := range c.Occurrences {
		if o.Code == "" || o.Date.IsZero() {
			k.put("2300", "HI", "HI01", "occurrence needs a code and a date")
		}
	}
	for _, v := range c.Values {
		k.required(v.Code, "2300", "HI", "HI01-2", "value code")
	}
	for _, cc := range c.Conditions {
		k.required(cc, "2300", "HI", "HI01-2", "condition code")
	}
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func (k *guideChecker) adjustments(adj []Adjustment, loop string) {
	for _, a := range adj {
		if !adjustmentGroupOK(a.Group) {
			k.put(loop, "CAS", "CAS01", "adjustment group must be CO, CR, OA, PI or PR, got "+strconv.Quote(a.Group))
		}
		k.required(a.Reason, loop, "CAS", "CAS02", "adjustment reason code")
	}
}

func otherPayerIndex(ops []OtherPayer, id string) int {
	for i := range ops {
		if ops[i].Payer.ID == id {
			return i
		}
	}
	return -1
}

func (k *guideChecker) serviceLine(i int) {
	c := k.c
	l := &c.Lines[i]
	k.line = i + 1
	defer func() { k.line = 0 }()
	const loop = "2400"
	prof := c.Kind == Professional
	seg, proc := "SV1", "SV101"
	if !prof {
		seg, proc = "SV2", "SV202"
	}
	k.rule = GuideLine
	if l.ChargeCents < 0 {
		k.put(loop, seg, "", "line charge must not be negative")
	}
	if l.Units <= 0 {
		k.put(loop, seg, "", "units must be positive")
	}
	if l.ProcedureCode == "" && (len(l.Modifiers) > 0 || l.ProcedureQualifier != "") {
		k.put(loop, seg, "", "modifiers or a procedure qualifier without a procedure code")
	}
	if len(l.Modifiers) > 4 {
		k.add(GuideModifierLimit, Location{loop, seg, proc + "-3", k.line},
			strconv.Itoa(len(l.Modifiers))+" procedure modifiers: a line holds at most 4")
	}
	if prof {
		k.required(l.ProcedureCode, loop, "SV1", "SV101-2", "procedure code")
		if !oneOf(l.UnitType, "UN", "MJ") {
			k.put(loop, "SV1", "SV103", "unit type must be UN or MJ, got "+strconv.Quote(l.UnitType))
		}
		if l.ServiceDate.IsZero() {
			k.put(loop, "DTP", "DTP03", "service date (DTP*472) is required")
		}
		k.rule = GuideNotUsed
		k.notUsed(l.RevenueCode != "", loop, "SV1", "", "revenue code", Professional)
		k.diagnosisPointers(l)
	} else {
		if !isDigits(l.RevenueCode, 4) {
			k.put(loop, "SV2", "SV201", "revenue code must be 4 digits, got "+strconv.Quote(l.RevenueCode))
		}
		if !oneOf(l.UnitType, "UN", "DA") {
			k.put(loop, "SV2", "SV204", "unit type must be UN or DA, got "+strconv.Quote(l.UnitType))
		}
		k.rule = GuideNotUsed
		k.notUsed(l.PlaceOfService != "", loop, "SV2", "", "line place of service", Institutional)
		k.notUsed(len(l.DiagnosisPointers) > 0, loop, "SV2", "", "diagnosis pointers", Institutional)
	}
	if !l.ServiceDateEnd.IsZero() {
		if l.ServiceDate.IsZero() {
			k.add(GuideLine, Location{loop, "DTP", "DTP03", k.line}, "service end date without a start date")
		} else if l.ServiceDateEnd.Before(l.ServiceDate) {
			k.add(GuideDateOrder, Location{loop, "DTP", "DTP03", k.line}, "service dates end before they start")
		}
	}
	k.rule = GuideDrug
	if d := l.Drug; d != nil {
		if !isDigits(d.NDC, 11) {
			k.put("2410", "LIN", "LIN03", "NDC must be 11 digits (5-4-2 without dashes), got "+strconv.Quote(d.NDC))
		}
		if d.Quantity <= 0 {
			k.put("2410", "CTP", "CTP04", "drug quantity must be positive")
		}
		if !oneOf(d.UnitType, "F2", "GR", "ME", "ML", "UN") {
			k.put("2410", "CTP", "CTP05-1", "drug unit must be F2, GR, ME, ML or UN, got "+strconv.Quote(d.UnitType))
		}
	}
	k.rule = GuideProvider
	if r := l.Rendering; r != nil {
		rl := "2420A"
		if !prof {
			rl = "2420C"
		}
		k.providerExtras(r, rl, "line rendering provider", prof)
		k.providerName(r, rl, "line rendering provider", !prof, false)
	}
	k.rule = GuideOtherPayer
	if len(l.Adjudications) > 15 {
		k.put("2430", "SVD", "SVD01", "at most 15 line adjudications (Loop 2430 repeats 15 times)")
	}
	for j := range l.Adjudications {
		a := &l.Adjudications[j]
		if otherPayerIndex(c.OtherPayers, a.PayerID) < 0 {
			k.put("2430", "SVD", "SVD01", "line adjudication payer "+strconv.Quote(a.PayerID)+" is not one of the claim's other payers (2330B)")
		}
		if prof {
			k.required(a.ProcedureCode, "2430", "SVD", "SVD03-2", "adjudicated procedure code")
		} else {
			// 837I SVD03 is situational and SVD04 (the revenue code)
			// required.
			k.required(a.RevenueCode, "2430", "SVD", "SVD04", "adjudicated revenue code")
		}
		if prof && a.RevenueCode != "" {
			k.add(GuideNotUsed, Location{"2430", "SVD", "SVD04", k.line}, "revenue code is not used on an "+string(Professional))
		}
		if a.Date.IsZero() {
			k.put("2430", "DTP", "DTP03", "line adjudication date (DTP*573) is required")
		}
		k.adjustments(a.Adjustments, "2430")
	}
}
