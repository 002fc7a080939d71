package guide

// The 276 and 277 of 005010X212 (Health Care Claim Status Request and
// Response), written by hand: pyx12 has no 5010 276 map, and its X212 277
// map refuses valid files. The tables cover the envelope, the HL hierarchy
// (2000A information source 20, 2000B information receiver 21, 2000C
// service provider 19, 2000D subscriber 22, 2000E dependent 23), the claim
// status tracking loops (2200D/E) and service lines (2210D/E in the 276,
// 2220D/E in the 277) with the segments Clearhouse needs to match a status
// to a claim; they are Partial, so what they do not list is not an error,
// and a maximum use the tables do not state (0) is not checked. Checked
// against the 276 and 277 files in fixtures/x12/samples.

var x212Source = "hand-written from 005010X212; checked against fixtures/x12/samples/276 and 277"

// statusLevels is the X212 hierarchy down to the subscriber and dependent
// loops, which claim builds.
// In a 276 every level down to the subscriber is required; a 277 may stop
// at any level (a response that rejects the request at the information
// receiver or provider level has no levels below it).
func statusLevels(claim func(sub string, entity string) Node, request bool) []Node {
	dmgFirst := request
	below := Situational
	if request {
		below = Required
	}
	level := func(id, name, entity string, sub string) []Node {
		var nodes []Node
		if dmgFirst {
			// 276 2000D and 2000E: DMG at the HL level, before the name.
			nodes = append(nodes, dmg(name+" Demographic Information"))
		}
		nodes = append(nodes, loop("2100"+sub, name+" Name", Required, 1, nm1(name+" Name", Required, entity)), claim(sub, name))
		return nodes
	}
	hl4 := func(name, level string, u Usage) Node {
		return seg("HL", name, Required, 1,
			el("HL01", "628", Required),
			el("HL02", "734", Required),
			el("HL03", "735", Required, level),
			el("HL04", "736", u, "0", "1"))
	}
	dependent := append([]Node{hl4("Dependent Level", "23", Situational)}, level("2000E", "Dependent", "QC", "E")...)
	subscriber := append(append([]Node{hl4("Subscriber Level", "22", Required)}, level("2000D", "Subscriber", "IL", "D")...),
		loop("2000E", "Dependent Level", Situational, 0, dependent...))
	return []Node{
		loop("2000A", "Information Source Level", Required, 0,
			hl("Information Source Level", "20", NotUsed),
			loop("2100A", "Payer Name", Required, 1,
				nm1("Payer Name", Required, "PR"),
				seg("PER", "Payer Contact Information", Situational, 0)),
			loop("2000B", "Information Receiver Level", Required, 0,
				hl("Information Receiver Level", "21", Required),
				loop("2100B", "Information Receiver Name", Required, 1, nm1("Information Receiver Name", Required, "41")),
				levelStatus(request, "2200B", "Information Receiver"),
				loop("2000C", "Service Provider Level", below, 0,
					hl("Service Provider Level", "19", Required),
					loop("2100C", "Provider Name", Required, 1, nm1("Provider Name", Required, "1P")),
					levelStatus(request, "2200C", "Provider of Service"),
					loop("2000D", "Subscriber Level", below, 0, subscriber...)))),
	}
}

// levelStatus is the 277's status of a whole level (2200B information
// receiver, 2200C provider of service): a trace number and its status,
// sent when the payer answers the request at that level. A 276 has none
// (an empty loop, never entered).
func levelStatus(request bool, id, who string) Node {
	if request {
		return loop(id, who+" Trace Identifier", NotUsed, 0)
	}
	return loop(id, who+" Trace Identifier", Situational, 0,
		seg("TRN", who+" Trace Identifier", Required, 1, el("TRN01", "481", Required), el("TRN02", "127", Required)),
		stc(who+" Status Information", Required),
		seg("REF", who+" Additional Identification", Situational, 0, el("REF01", "128", Required), el("REF02", "127", Required)))
}

// The 276 (registered at init): 2200D/E TRN01 1 (current transaction trace
// number), REF, AMT T3 (total claim charge), DTP 472 (service dates); the
// 2210 service line loop starts with SVC.
var _ = handGuide(&Guide{ // the 276
	Set: "276", Ref: "005010X212", Name: "Health Care Claim Status Request", FunctionalID: "HR",
	Source: x212Source, Partial: true,
	Root: &Loop{Name: "Transaction Set Header", Usage: Required, Children: append(append([]Node{
		st212("276"),
		bht212("13"),
	}, statusLevels(func(sub, who string) Node {
		return loop("2200"+sub, "Claim Status Tracking Number", Situational, 0,
			trn212("1"),
			seg("REF", "Claim Identification", Situational, 0, el("REF01", "128", Required), el("REF02", "127", Required)),
			seg("AMT", "Claim Submitted Charges", Situational, 1, el("AMT01", "522", Required, "T3"), el("AMT02", "782", Required)),
			seg("DTP", "Claim Service Date", Situational, 1,
				el("DTP01", "374", Required, "472"), el("DTP02", "1250", Required, "D8", "RD8"), el("DTP03", "1251", Required)),
			loop("2210"+sub, "Service Line Information", Situational, 0,
				seg("SVC", "Service Line Information", Required, 1),
				seg("REF", "Service Line Item Identification", Situational, 1, el("REF01", "128", Required), el("REF02", "127", Required)),
				seg("DTP", "Service Line Date", Situational, 1,
					el("DTP01", "374", Required, "472"), el("DTP02", "1250", Required, "D8", "RD8"), el("DTP03", "1251", Required))))
	}, true)...), se()),
	},
})

// stc is a status segment: STC01 the health care claim status composite
// (C043: category code and status code required, entity identifier and
// code list qualifier situational).
func stc(name string, u Usage) Node {
	return seg("STC", name, u, 0,
		Element{Ref: "STC01", DataElement: "C043", Name: "Health Care Claim Status", Usage: Required, Components: []Element{
			el("STC01-01", "1271", Required),
			el("STC01-02", "1271", Required),
			el("STC01-03", "98", Situational),
			el("STC01-04", "1270", Situational),
		}},
		el("STC02", "373", Situational))
}

// The 277 (registered at init): 2200D/E TRN01 2 (referenced transaction trace
// number), STC required, REF, DTP; the 2220 service line loop starts with
// SVC and carries its own STC.
var _ = handGuide(&Guide{ // the 277
	Set: "277", Ref: "005010X212", Name: "Health Care Claim Status Response", FunctionalID: "HN",
	Source: x212Source, Partial: true,
	Root: &Loop{Name: "Transaction Set Header", Usage: Required, Children: append(append([]Node{
		st212("277"),
		bht212("08"),
	}, statusLevels(func(sub, who string) Node {
		return loop("2200"+sub, "Claim Status Tracking Number", Situational, 0,
			trn212("2"),
			stc("Claim Level Status Information", Required),
			seg("REF", "Claim Identification", Situational, 0, el("REF01", "128", Required), el("REF02", "127", Required)),
			seg("DTP", "Claim Service Date", Situational, 0,
				el("DTP01", "374", Required, "472"), el("DTP02", "1250", Required, "D8", "RD8"), el("DTP03", "1251", Required)),
			loop("2220"+sub, "Service Line Information", Situational, 0,
				seg("SVC", "Service Line Information", Required, 1),
				stc("Service Line Status Information", Situational),
				seg("REF", "Service Line Item Identification", Situational, 0, el("REF01", "128", Required), el("REF02", "127", Required)),
				seg("DTP", "Service Line Date", Situational, 0,
					el("DTP01", "374", Required, "472"), el("DTP02", "1250", Required, "D8", "RD8"), el("DTP03", "1251", Required))))
	}, false)...), se()),
	},
})

func st212(set string) Node {
	return seg("ST", "Transaction Set Header", Required, 1,
		el("ST01", "143", Required, set),
		el("ST02", "329", Required),
		el("ST03", "1705", Required, "005010X212"))
}

// bht212: BHT01 0010 (information source, receiver, provider, subscriber,
// dependent), BHT02 13 (request) in a 276 and 08 (status) in a 277.
func bht212(purpose string) Node {
	return seg("BHT", "Beginning of Hierarchical Transaction", Required, 1,
		el("BHT01", "1005", Required, "0010"),
		el("BHT02", "353", Required, purpose),
		el("BHT03", "127", Situational),
		el("BHT04", "373", Required),
		el("BHT05", "337", Situational),
		el("BHT06", "640", Situational))
}

// trn212: the claim status tracking number (2200D/E TRN): TRN01 1 in a
// 276, 2 in the 277 that echoes it; TRN02 the trace number. A subscriber
// with dependents has no 2200D, so the loop is situational.
func trn212(traceType string) Node {
	return seg("TRN", "Claim Status Tracking Number", Required, 1,
		el("TRN01", "481", Required, traceType),
		el("TRN02", "127", Required))
}
