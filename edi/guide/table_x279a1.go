package guide

// The 270 and 271 of 005010X279A1 (Health Care Eligibility Benefit Inquiry
// and Response), written by hand: pyx12 has no 5010 map for them. The
// tables cover the envelope, the HL hierarchy (2000A information source,
// 2000B information receiver, 2000C subscriber, 2000D dependent) and the
// segments and elements Clearhouse writes (edi/x270 Encode) and reads
// (edi/x270 Decode); they are Partial, so what they do not list is not an
// error. Each entry cites its place in the guide as "loop segment" and the
// usage rule it enforces; the loop layout agrees with pyx12's 004010X092A1
// maps (the guide's previous version) where X279A1 did not change it, and
// was checked against the 270 and 271 files in fixtures/x12/samples.

var x279A1Source = "hand-written from 005010X279A1; checked against fixtures/x12/samples/270 and 271"

// hl is an HL segment of X279A1: HL01 required, HL02 not used at the
// information source level (2000A, the root of the hierarchy) and required
// below it, HL03 the level code, HL04 required (0 or 1: no children or
// children follow).
func hl(name, level string, parent Usage) Node {
	return seg("HL", name, Required, 1,
		el("HL01", "628", Required),
		el("HL02", "734", parent),
		el("HL03", "735", Required, level),
		el("HL04", "736", Required, "0", "1"))
}

// nm1 is a name segment: NM101 (entity) and NM102 (1 person, 2 non-person)
// required in every X279A1 NM1.
func nm1(name string, u Usage, entities ...string) Node {
	return seg("NM1", name, u, 1,
		el("NM101", "98", Required, entities...),
		el("NM102", "1065", Required, "1", "2"),
		el("NM103", "1035", Situational),
		el("NM104", "1036", Situational),
		el("NM105", "1037", Situational),
		el("NM106", "1038", Situational),
		el("NM107", "1039", Situational),
		el("NM108", "66", Situational),
		el("NM109", "67", Situational))
}

// refSeg: REF01 qualifier and REF02 identification required (X279A1 REF in
// 2100B, 2100C, 2100D, 2110C/D).
func refSeg(name string, maxUse int) Node {
	return seg("REF", name, Situational, maxUse,
		el("REF01", "128", Required),
		el("REF02", "127", Required),
		el("REF03", "352", Situational))
}

// n3, n4: address; N301 and N401 required when the segment is sent.
func n3(name string) Node {
	return seg("N3", name, Situational, 1, el("N301", "166", Required), el("N302", "166", Situational))
}

func n4(name string) Node {
	return seg("N4", name, Situational, 1,
		el("N401", "19", Required),
		el("N402", "156", Situational),
		el("N403", "116", Situational),
		el("N404", "26", Situational))
}

// dmg: DMG01 D8 and DMG02 the birth date (2100C/2100D DMG).
func dmg(name string) Node {
	return seg("DMG", name, Situational, 1,
		el("DMG01", "1250", Required, "D8"),
		el("DMG02", "1251", Required),
		el("DMG03", "1068", Situational))
}

// ins: INS01 Y at the subscriber level (2100C), N at the dependent level
// (2100D); INS02 the relationship code.
func ins(name, insured string) Node {
	return seg("INS", name, Situational, 1,
		el("INS01", "1073", Required, insured),
		el("INS02", "1069", Required))
}

// dtp: DTP01 qualifier, DTP02 D8 or RD8, DTP03 the date or range.
func dtp(name string, maxUse int) Node {
	return seg("DTP", name, Situational, maxUse,
		el("DTP01", "374", Required),
		el("DTP02", "1250", Required, "D8", "RD8"),
		el("DTP03", "1251", Required))
}

// trn: the trace number (2000C/2000D TRN): TRN01 1 (current transaction
// trace numbers) in a 270, 1 or 2 (referenced) in a 271; TRN02 and TRN03
// required.
func trn(name string, maxUse int, types ...string) Node {
	return seg("TRN", name, Situational, maxUse,
		el("TRN01", "481", Required, types...),
		el("TRN02", "127", Required),
		el("TRN03", "509", Required),
		el("TRN04", "127", Situational))
}

func prv(name string) Node {
	return seg("PRV", name, Situational, 1,
		el("PRV01", "1221", Required),
		el("PRV02", "128", Situational),
		el("PRV03", "127", Situational))
}

func per(name string) Node {
	return seg("PER", name, Situational, 3,
		el("PER01", "366", Required, "IC"),
		el("PER02", "93", Situational),
		el("PER03", "365", Situational),
		el("PER04", "364", Situational),
		el("PER05", "365", Situational),
		el("PER06", "364", Situational),
		el("PER07", "365", Situational),
		el("PER08", "364", Situational))
}

// aaa: request validation (271 2000A, 2100A, 2100B, 2100C, 2100D, 2110C/D
// AAA): AAA01 Y or N, AAA02 not used, AAA03 the reject reason, AAA04 the
// follow-up action code.
func aaa(name string) Node {
	return seg("AAA", name, Situational, 9,
		el("AAA01", "1073", Required, "N", "Y"),
		el("AAA02", "559", NotUsed),
		el("AAA03", "901", Required),
		el("AAA04", "889", Required))
}

func st(set string) Node {
	return seg("ST", "Transaction Set Header", Required, 1,
		el("ST01", "143", Required, set),
		el("ST02", "329", Required),
		el("ST03", "1705", Required, "005010X279A1"))
}

func se() Node {
	return seg("SE", "Transaction Set Trailer", Required, 1, el("SE01", "96", Required), el("SE02", "329", Required))
}

// bht: BHT01 0022 (information source, receiver, subscriber, dependent);
// BHT02 the purpose: 01 cancellation or 13 request in a 270, 06
// confirmation or 11 response in a 271; BHT04 and BHT05 the creation date
// and time.
func bht(purposes ...string) Node {
	return seg("BHT", "Beginning of Hierarchical Transaction", Required, 1,
		el("BHT01", "1005", Required, "0022"),
		el("BHT02", "353", Required, purposes...),
		el("BHT03", "127", Situational),
		el("BHT04", "373", Required),
		el("BHT05", "337", Required),
		el("BHT06", "640", Situational))
}

// The 270, registered at init.
var _ = handGuide(&Guide{ // the 270
	Set: "270", Ref: "005010X279A1", Name: "Health Care Eligibility Benefit Inquiry", FunctionalID: "HS",
	Source: x279A1Source, Partial: true,
	Root: &Loop{Name: "Transaction Set Header", Usage: Required, Children: []Node{
		st("270"),
		bht("01", "13"),
		loop("2000A", "Information Source Level", Required, 0,
			hl("Information Source Level", "20", NotUsed),
			loop("2100A", "Information Source Name", Required, 1,
				nm1("Information Source Name", Required, "2B", "36", "GP", "P5", "PR")),
			loop("2000B", "Information Receiver Level", Required, 0,
				hl("Information Receiver Level", "21", Required),
				loop("2100B", "Information Receiver Name", Required, 1,
					nm1("Information Receiver Name", Required, "1P", "2B", "36", "80", "FA", "GP", "P5", "PR"),
					refSeg("Information Receiver Additional Identification", 9),
					n3("Information Receiver Address"),
					n4("Information Receiver City, State, ZIP Code"),
					prv("Information Receiver Provider Information")),
				loop("2000C", "Subscriber Level", Required, 0,
					hl("Subscriber Level", "22", Required),
					trn("Subscriber Trace Number", 2, "1"),
					loop("2100C", "Subscriber Name", Required, 1,
						nm1("Subscriber Name", Required, "IL"),
						refSeg("Subscriber Additional Identification", 9),
						n3("Subscriber Address"),
						n4("Subscriber City, State, ZIP Code"),
						prv("Provider Information"),
						dmg("Subscriber Demographic Information"),
						ins("Subscriber Relationship", "Y"),
						seg("HI", "Subscriber Health Care Diagnosis Code", Situational, 1),
						dtp("Subscriber Date", 2),
						loop("2110C", "Subscriber Eligibility or Benefit Inquiry", Situational, 99,
							seg("EQ", "Subscriber Eligibility or Benefit Inquiry", Situational, 1,
								rep(el("EQ01", "1365", Situational), 99)),
							seg("AMT", "Subscriber Spend Down Amount", Situational, 2,
								el("AMT01", "522", Required), el("AMT02", "782", Required)),
							seg("III", "Subscriber Eligibility or Benefit Additional Inquiry Information", Situational, 10),
							refSeg("Subscriber Additional Information", 1),
							dtp("Subscriber Eligibility/Benefit Date", 1))),
					loop("2000D", "Dependent Level", Situational, 0,
						hl("Dependent Level", "23", Required),
						trn("Dependent Trace Number", 2, "1"),
						loop("2100D", "Dependent Name", Required, 1,
							nm1("Dependent Name", Required, "03"),
							refSeg("Dependent Additional Identification", 9),
							n3("Dependent Address"),
							n4("Dependent City, State, ZIP Code"),
							prv("Provider Information"),
							dmg("Dependent Demographic Information"),
							ins("Dependent Relationship", "N"),
							seg("HI", "Dependent Health Care Diagnosis Code", Situational, 1),
							dtp("Dependent Date", 2),
							loop("2110D", "Dependent Eligibility or Benefit Inquiry", Situational, 99,
								seg("EQ", "Dependent Eligibility or Benefit Inquiry", Situational, 1,
									rep(el("EQ01", "1365", Situational), 99)),
								seg("III", "Dependent Eligibility or Benefit Additional Inquiry Information", Situational, 10),
								refSeg("Dependent Additional Information", 1),
								dtp("Dependent Eligibility/Benefit Date", 1))))))),
		se(),
	}},
})

// benefits is loop 2110C or 2110D of a 271: EB with its HSD, REF, DTP,
// AAA and MSG, the 2115 additional information loop, and the 2120 benefit
// related entity loop between LS and LE (LS01 and LE01 2120).
func benefits(id, who string) Node {
	sub := id[len(id)-1:]
	return loop("2110"+sub, who+" Eligibility or Benefit Information", Situational, 0,
		seg("EB", who+" Eligibility or Benefit Information", Required, 1,
			el("EB01", "1390", Required),
			el("EB02", "1207", Situational),
			rep(el("EB03", "1365", Situational), 99),
			el("EB04", "1336", Situational),
			el("EB05", "1204", Situational),
			el("EB06", "615", Situational),
			el("EB07", "782", Situational),
			el("EB08", "954", Situational),
			el("EB09", "673", Situational),
			el("EB10", "380", Situational),
			el("EB11", "1073", Situational, "N", "U", "Y"),
			el("EB12", "1073", Situational, "N", "U", "W", "Y")),
		seg("HSD", "Health Care Services Delivery", Situational, 9),
		refSeg(who+" Additional Identification", 9),
		dtp(who+" Eligibility/Benefit Date", 20),
		aaa(who+" Request Validation"),
		seg("MSG", "Message Text", Situational, 10, el("MSG01", "933", Required)),
		loop("2115"+sub, who+" Eligibility or Benefit Additional Information", Situational, 10,
			seg("III", who+" Eligibility or Benefit Additional Information", Required, 1)),
		seg("LS", "Loop Header", Situational, 1, el("LS01", "447", Required, "2120")),
		loop("2120"+sub, who+" Benefit Related Entity Name", Situational, 23,
			nm1(who+" Benefit Related Entity Name", Required),
			n3(who+" Benefit Related Entity Address"),
			n4(who+" Benefit Related Entity City, State, ZIP Code"),
			per(who+" Benefit Related Entity Contact Information"),
			prv(who+" Benefit Related Provider Information")),
		seg("LE", "Loop Trailer", Situational, 1, el("LE01", "447", Required, "2120")))
}

// person is loop 2100C or 2100D of a 271.
func person(id, who, entity, insured string) Node {
	return loop(id, who+" Name", Required, 1,
		nm1(who+" Name", Required, entity),
		refSeg(who+" Additional Identification", 9),
		n3(who+" Address"),
		n4(who+" City, State, ZIP Code"),
		aaa(who+" Request Validation"),
		prv("Provider Information"),
		dmg(who+" Demographic Information"),
		ins(who+" Relationship", insured),
		seg("HI", who+" Health Care Diagnosis Code", Situational, 1),
		dtp(who+" Date", 9),
		seg("MPI", who+" Military Personnel Information", Situational, 1),
		benefits(id, who))
}

// The 271, registered at init.
var _ = handGuide(&Guide{ // the 271
	Set: "271", Ref: "005010X279A1", Name: "Health Care Eligibility Benefit Response", FunctionalID: "HB",
	Source: x279A1Source, Partial: true,
	Root: &Loop{Name: "Transaction Set Header", Usage: Required, Children: []Node{
		st("271"),
		bht("06", "11"),
		loop("2000A", "Information Source Level", Required, 0,
			hl("Information Source Level", "20", NotUsed),
			aaa("Request Validation"),
			loop("2100A", "Information Source Name", Required, 1,
				nm1("Information Source Name", Required, "2B", "36", "GP", "P5", "PR"),
				per("Information Source Contact Information"),
				aaa("Request Validation")),
			loop("2000B", "Information Receiver Level", Situational, 0,
				hl("Information Receiver Level", "21", Required),
				loop("2100B", "Information Receiver Name", Required, 1,
					nm1("Information Receiver Name", Required, "1P", "2B", "36", "80", "FA", "GP", "P5", "PR"),
					refSeg("Information Receiver Additional Identification", 9),
					aaa("Information Receiver Request Validation"),
					prv("Information Receiver Provider Information")),
				loop("2000C", "Subscriber Level", Situational, 0,
					hl("Subscriber Level", "22", Required),
					trn("Subscriber Trace Number", 3, "1", "2"),
					person("2100C", "Subscriber", "IL", "Y"),
					loop("2000D", "Dependent Level", Situational, 0,
						hl("Dependent Level", "23", Required),
						trn("Dependent Trace Number", 3, "1", "2"),
						person("2100D", "Dependent", "03", "N"))))),
		se(),
	}},
})
