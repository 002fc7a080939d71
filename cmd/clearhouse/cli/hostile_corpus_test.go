package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// The hostile-input corpus (issue 14) lives in the repository's
// testdata/hostile: one folder per transaction, each case a damaged file and
// its expected outcome (NAME.expect.json). The cases are made here from
// committed good files, so the corpus can be made again:
//
//	go test ./cmd/clearhouse/cli -run '^TestHostileCorpusCurrent$' -update
//
// TestHostileCorpusCurrent fails when the committed corpus and this
// generator disagree; TestHostileCorpus (hostile_test.go) runs the readers
// on the committed files.
const hostileDir = "../../../testdata/hostile"

// hostileExpect is a case's expected outcome, as NAME.expect.json.
type hostileExpect struct {
	Transaction string `json:"transaction"`
	Damage      string `json:"damage"`
	What        string `json:"what"`
	// Exit is the exit status of the transaction's own readers (claims
	// decode and claims scrub for an 837, remit decode for an 835, ...)
	// and of edi validate. Every other reader exits 1 or 2.
	Exit int `json:"exit"`
	// ValidateExit is edi validate's status at its default level (the
	// guide, SNIP type 2): balancing is the readers' check (type 3).
	ValidateExit int `json:"validate_exit"`
	// InspectExit is edi inspect's status: it checks envelopes only.
	InspectExit int `json:"inspect_exit"`
	// Where are what the errors must say (segment positions, segment IDs,
	// elements; "a|b" is either), beside the file's name, which every
	// error names.
	Where []string `json:"where,omitempty"`
	// Pipeline is what the pipeline does with the file when a payer
	// sends it (absent: a payer does not send this transaction).
	Pipeline *hostilePipeline `json:"pipeline,omitempty"`
}

// hostilePipeline is a case's expected outcome in the pipeline.
type hostilePipeline struct {
	// State is the inbound file's state once applied: quarantined, held
	// or processed.
	State string `json:"state"`
	// Items is how many worklist items the file raises.
	Items int `json:"items"`
	// Posted is what reaches the ledger: "nothing" for every case of the
	// corpus (its files name claims the test's practice never billed, or
	// are damaged).
	Posted string `json:"posted"`
	// Finding, when set, is a known gap between the outcome above (what
	// should happen) and what the pipeline does.
	Finding string `json:"finding,omitempty"`
}

// hostileCase is one generated case.
type hostileCase struct {
	dir, name string // transaction folder and file name
	content   []byte
	expect    hostileExpect
}

// x12Doc is a good file cut into segments, to damage.
type x12Doc struct {
	segs    []string
	newline bool // segments end with "~\n"
}

func parseDoc(t testing.TB, path string) x12Doc {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err) // a committed golden
	}
	var d x12Doc
	d.newline = bytes.Contains(raw, []byte("~\n"))
	for _, s := range strings.Split(string(raw), "~") {
		s = strings.Trim(s, "\r\n")
		if s != "" {
			d.segs = append(d.segs, s)
		}
	}
	return d
}

func (d x12Doc) clone() x12Doc {
	return x12Doc{segs: slices.Clone(d.segs), newline: d.newline}
}

func (d x12Doc) bytes() []byte {
	sep := "~"
	if d.newline {
		sep = "~\n"
	}
	return []byte(strings.Join(d.segs, sep) + sep)
}

// find is the index of the first segment starting with prefix.
func (d x12Doc) find(t testing.TB, prefix string) int {
	t.Helper()
	for i, s := range d.segs {
		if strings.HasPrefix(s, prefix) {
			return i
		}
	}
	t.Fatalf("no segment %q", prefix)
	return -1
}

// at is the position an error names: "segment N" counts from the ISA.
func at(i int) string { return fmt.Sprintf("segment %d", i+1) }

// hostileSources are the good files the cases are made from.
var hostileSources = map[string]string{
	"837p":  "../../../edi/x837/testdata/golden/batch-grouped.x12",
	"837i":  "../../../edi/x837/testdata/golden/institutional-outpatient.x12",
	"835":   "../../../edi/x835/testdata/golden/professional_and_institutional.x12",
	"270":   "../../../edi/x270/testdata/golden/request_batch.x12",
	"271":   "../../../edi/x270/testdata/golden/eligibility_active.x12",
	"277ca": "../../../edi/x277/testdata/golden/accepted_and_rejected.x12",
	"999":   "../../../edi/x999/testdata/golden/999-rejected.x12",
}

// hostileTA1 is a TA1-only interchange rejecting ISA13 000000101.
const hostileTA1 = "ISA*00*          *00*          *ZZ*PAYERSIM       *ZZ*CLEARHOUSE     *260115*0930*^*00501*000000102*0*T*:~\n" +
	"TA1*000000101*260115*0930*R*022~\nIEA*0*000000102~\n"

// hostileBase is the good file a transaction's cases are made from. The
// 837P golden's second claim carries R05, a header code the scrubber
// rejects; R509 makes it clean, so that any exit status 1 comes from the
// damage.
func hostileBase(t testing.TB, tx string) x12Doc {
	d := parseDoc(t, hostileSources[tx])
	if tx == "837p" {
		i := d.find(t, "HI*ABK:J069*ABF:R05")
		d.segs[i] = "HI*ABK:J069*ABF:R509"
	}
	return d
}

// pipelineTransactions are what a payer sends back.
var pipelineTransactions = map[string]bool{"835": true, "999": true, "277ca": true, "271": true, "ta1": true, "junk": true}

// generateHostile makes every case of the corpus.
func generateHostile(t testing.TB) []hostileCase {
	t.Helper()
	var out []hostileCase
	add := func(dir, name, damage, what string, content []byte, exit, inspect int, where ...string) *hostileExpect {
		ext := ".x12"
		if dir == "junk" {
			ext = ".bin"
		}
		out = append(out, hostileCase{dir: dir, name: damage + "-" + name + ext, content: content,
			expect: hostileExpect{Transaction: dir, Damage: damage, What: what, Exit: exit, ValidateExit: exit, InspectExit: inspect, Where: where}})
		return &out[len(out)-1].expect
	}
	for _, tx := range []string{"837p", "837i", "835", "270", "271", "277ca", "999"} {
		base := hostileBase(t, tx)
		x := func(fn func(d *x12Doc)) []byte {
			d := base.clone()
			fn(&d)
			return d.bytes()
		}
		n := len(base.segs)
		iea, ge := n-1, n-2
		se := base.find(t, "SE*")
		st := base.find(t, "ST*")
		gs := base.find(t, "GS*")

		// Envelope damage.
		add(tx, "no-iea", "envelope", "the file ends after GE: no IEA", x(func(d *x12Doc) { d.segs = d.segs[:iea] }), 1, 1, "IEA")
		add(tx, "isa-only", "envelope", "the ISA alone", x(func(d *x12Doc) { d.segs = d.segs[:1] }), 1, 1)
		add(tx, "isa-105", "envelope", "ISA06 one character short: an ISA of 105 characters",
			x(func(d *x12Doc) { d.segs[0] = shortenISA06(d.segs[0], -1) }), 1, 1, at(0), "ISA06")
		add(tx, "isa-107", "envelope", "ISA06 one character long: an ISA of 107 characters",
			x(func(d *x12Doc) { d.segs[0] = shortenISA06(d.segs[0], 1) }), 1, 1, at(0), "ISA06")
		add(tx, "no-se", "envelope", "the first transaction set has no SE",
			x(func(d *x12Doc) { d.segs = slices.Delete(d.segs, se, se+1) }), 1, 1, "SE")
		add(tx, "no-ge", "envelope", "the group has no GE", x(func(d *x12Doc) { d.segs = slices.Delete(d.segs, ge, ge+1) }), 1, 1, "GE")
		add(tx, "ge-control", "envelope", "GE02 does not match GS06",
			x(func(d *x12Doc) { d.segs[ge] = setElement(d.segs[ge], 2, "77") }), 1, 1, at(ge), "GE02")
		add(tx, "iea-control", "envelope", "IEA02 does not match ISA13",
			x(func(d *x12Doc) { d.segs[iea] = setElement(d.segs[iea], 2, "000000777") }), 1, 1, at(iea), "IEA02")
		add(tx, "truncated", "envelope", "the file cut in the middle of a segment",
			func() []byte { b := base.bytes(); return b[:len(b)/2] }(), 1, 1)

		// Counts.
		add(tx, "se-count", "counts", "SE01 one more than the segments counted",
			x(func(d *x12Doc) { d.segs[se] = setElement(d.segs[se], 1, fmt.Sprint(se-st+2)) }), 1, 1, at(se), "SE01")
		add(tx, "ge-count", "counts", "GE01 counts a set that is not there",
			x(func(d *x12Doc) { d.segs[ge] = setElement(d.segs[ge], 1, "9") }), 1, 1, at(ge), "GE01")
		add(tx, "iea-count", "counts", "IEA01 counts a group that is not there",
			x(func(d *x12Doc) { d.segs[iea] = setElement(d.segs[iea], 1, "3") }), 1, 1, at(iea), "IEA01")

		// Separators.
		add(tx, "body-pipes", "separators", "from the ST on, elements are separated by | instead of *",
			x(func(d *x12Doc) {
				for i := st + 1; i < se; i++ {
					d.segs[i] = strings.ReplaceAll(d.segs[i], "*", "|")
				}
			}), 1, 1, at(st+1))
		add(tx, "component-is-element", "separators", "ISA16, the component separator, is the element separator",
			x(func(d *x12Doc) { d.segs[0] = d.segs[0][:len(d.segs[0])-1] + "*" }), 2, 2)
		add(tx, "terminator-newline", "separators", "the segment terminator switches from ~ to a newline after the GS",
			[]byte(strings.Join(base.segs[:gs+1], "~")+"~"+strings.Join(base.segs[gs+1:], "\n")+"\n"), 1, 1)

		// Encodings.
		nameSeg := "NM1*"
		if tx == "999" {
			nameSeg = "AK2*"
		}
		name := base.find(t, nameSeg)
		add(tx, "nul", "encodings", "a NUL byte inside a name",
			x(func(d *x12Doc) { d.segs[name] = strings.Replace(d.segs[name], "*", "*\x00", 3) }), 1, 1, at(name), "0x00")
		add(tx, "esc", "encodings", "an ESC sequence inside a name",
			x(func(d *x12Doc) { d.segs[name] = strings.Replace(d.segs[name], "*", "*\x1b[31m", 3) }), 1, 1, at(name), "0x1B")
		add(tx, "utf16", "encodings", "the whole file in UTF-16LE with a byte-order mark", utf16LE(base.bytes()), 2, 2)
		add(tx, "lowercase-ids", "encodings", "segment IDs in lower case after the ST",
			x(func(d *x12Doc) { d.segs[st+1] = strings.ToLower(d.segs[st+1][:3]) + d.segs[st+1][3:] }), 1, 1, at(st+1))

		// Sizes (the large inputs are made at test time: TestHostileSizes).
		add(tx, "long-element", "sizes", "a name of 5,000 characters",
			x(func(d *x12Doc) { d.segs[name] = setElement(d.segs[name], 3, strings.Repeat("A", 5000)) }), 1, 0, at(name))
		add(tx, "extra-elements", "sizes", "200 extra elements after the ST's first segment",
			x(func(d *x12Doc) { d.segs[st+1] += strings.Repeat("*X", 200) }), 1, 0, at(st+1))

		// Out of order and unknown segments.
		add(tx, "swapped", "out-of-order", "the ST's first two segments after the ST swapped",
			x(func(d *x12Doc) { d.segs[st+1], d.segs[st+2] = d.segs[st+2], d.segs[st+1] }), 1, 0, at(st+1)+"|"+at(st+2))
		add(tx, "gs-before-isa", "out-of-order", "the GS before the ISA",
			x(func(d *x12Doc) { d.segs[0], d.segs[gs] = d.segs[gs], d.segs[0] }), 2, 2)
		add(tx, "unknown-segment", "unknown-references", "a segment ZZZ the guide does not know",
			x(func(d *x12Doc) { d.segs = slices.Insert(d.segs, st+2, "ZZZ*1") }), 1, 1, at(st+2), "ZZZ")

		// Duplicates and replays.
		add(tx, "twice", "duplicates", "the same interchange twice in one file: ISA13 repeated",
			append(base.bytes(), base.bytes()...), 1, 1, "already used")
		add(tx, "set-twice", "duplicates", "the first transaction set repeated with the same ST02",
			x(func(d *x12Doc) {
				set := slices.Clone(d.segs[st : se+1])
				d.segs = slices.Insert(d.segs, se+1, set...)
				d.segs[len(d.segs)-2] = setElement(d.segs[len(d.segs)-2], 1, fmt.Sprint(countSets(d.segs)))
			}), 1, 1, "ST02")
		replay := add(tx, "new-control-numbers", "replays", "the file sent again under new ISA13, GS06 (and TRN02 for an 835): valid X12",
			x(func(d *x12Doc) { replayDoc(d) }), 0, 0)
		_ = replay
	}
	hostileTransactionCases(t, add)
	hostileTA1Cases(add)
	hostileJunkCases(add)
	for i := range out {
		c := &out[i]
		if pipelineTransactions[c.dir] {
			c.expect.Pipeline = pipelineOutcome(c)
		}
	}
	return out
}

// hostileTransactionCases are the damage classes that depend on the
// transaction: HL structure, amounts, dates, unknown references.
func hostileTransactionCases(t testing.TB, add func(dir, name, damage, what string, content []byte, exit, inspect int, where ...string) *hostileExpect) {
	t.Helper()
	for _, tx := range []string{"837p", "837i", "835", "270", "271", "277ca", "999"} {
		base := hostileBase(t, tx)
		edit := func(prefix string, fn func(s string) string) ([]byte, int) {
			d := base.clone()
			i := d.find(t, prefix)
			d.segs[i] = fn(d.segs[i])
			return d.bytes(), i
		}
		// HL structure.
		if tx != "835" && tx != "999" {
			b, i := edit("HL*2*", func(s string) string { return setElement(s, 2, "2") })
			add(tx, "parent-itself", "hl", "HL 2 names itself as its parent", b, 1, 0, at(i), "HL02")
			b, i = edit("HL*2*", func(s string) string { return setElement(s, 2, "9") })
			add(tx, "parent-missing", "hl", "HL 2 names a parent that does not exist", b, 1, 0, at(i), "HL02")
			b, i = edit("HL*1*", func(s string) string { return setElement(s, 3, "99") })
			add(tx, "level-code", "hl", "HL03 of the first level is not a level code", b, 1, 0, at(i), "HL03")
			b, i = edit("HL*2*", func(s string) string { return setElement(s, 1, "1") })
			add(tx, "id-repeated", "hl", "two HLs with ID 1", b, 1, 0, at(i), "HL01")
		}
		// Amounts.
		switch tx {
		case "837p", "837i":
			b, i := edit("CLM*", func(s string) string { return setElement(s, 2, "18O") })
			add(tx, "letter-o", "amounts", "CLM02 with the letter O for a zero", b, 1, 0, at(i), "CLM02")
			b, i = edit("CLM*", func(s string) string { return setElement(s, 2, "1,25") })
			add(tx, "decimal-comma", "amounts", "CLM02 with a decimal comma", b, 1, 0, at(i), "CLM02")
		case "835":
			b, i := edit("BPR*", func(s string) string { return setElement(s, 2, "99999999.99") })
			add(tx, "bpr-mismatch", "amounts", "BPR02 far above the claim payments; the file balances otherwise", b, 1, 0, "BPR02").ValidateExit = 0
			_ = i
			// A payer's lie that balances: the claim, its service line
			// and the BPR all carry the absurd amount.
			d := base.clone()
			d.segs[d.find(t, "BPR*I*262.5")] = setElement(d.segs[d.find(t, "BPR*I*262.5")], 2, "100000142.49")
			d.segs[d.find(t, "CLP*PCN1001")] = setElement(d.segs[d.find(t, "CLP*PCN1001")], 4, "99999999.99")
			d.segs[d.find(t, "SVC*HC:99213*150*120")] = "SVC*HC:99213*150*99999999.99**1"
			d.segs[d.find(t, "CAS*CO*45*30")] = "CAS*CO*45*-99999849.99"
			d.segs[d.find(t, "AMT*B6*120")] = "AMT*B6*99999999.99"
			// Its own checks: the same TRN02s as another corpus 835 would
			// make whichever the pipeline reads second a resend of the first.
			for i, s := range d.segs {
				if strings.HasPrefix(s, "TRN*1*") {
					d.segs[i] = strings.Replace(s, "TRN*1*", "TRN*1*LIE", 1)
				}
			}
			add(tx, "absurd-payment", "amounts", "CLP04 99,999,999.99 on a 150.00 claim, balanced by a negative CO-45 and a BPR to match", d.bytes(), 0, 0)
			b, i = edit("CLP*PCN1001", func(s string) string { return setElement(s, 4, "1E5") })
			add(tx, "exponent", "amounts", "CLP04 written with an exponent", b, 1, 0, at(i), "CLP04")
		case "271":
			b, i := edit("EB*C*IND*30***23*1500", func(s string) string { return setElement(s, 7, "15OO") })
			add(tx, "letter-o", "amounts", "EB07 with letters for zeros", b, 1, 0, at(i), "EB07")
		case "277ca":
			b, i := edit("STC*A2:20:PR", func(s string) string { return setElement(s, 4, "15O") })
			add(tx, "letter-o", "amounts", "STC04 with the letter O for a zero", b, 1, 0, at(i), "STC04")
		case "999":
			b, i := edit("AK9*", func(s string) string { return setElement(s, 2, "2X") })
			add(tx, "letter-in-count", "amounts", "AK902, the sets included, with a letter", b, 1, 0, at(i), "AK902")
		}
		// Dates.
		switch tx {
		case "837p", "837i", "270", "271", "277ca":
			b, i := edit("DTP*", func(s string) string { return setElement(s, 3, "20261301") })
			add(tx, "month-13", "dates", "a DTP date in month 13", b, 1, 0, at(i), "DTP03")
		case "835":
			b, i := edit("DTM*", func(s string) string { return setElement(s, 2, "20260230") })
			add(tx, "february-30", "dates", "a DTM date of February 30", b, 1, 0, at(i), "DTM02")
		}
		b, i := edit("GS*", func(s string) string { return setElement(s, 4, "20269999") })
		add(tx, "gs-date", "dates", "GS04 not a date", b, 1, 1, at(i), "GS04")
		// Unknown references: valid X12 naming what the receiver never sent.
		switch tx {
		case "835":
			d := base.clone()
			for i, s := range d.segs {
				d.segs[i] = strings.ReplaceAll(s, "PCN", "ZZZ")
			}
			add(tx, "unknown-claims", "unknown-references", "claim payments for patient control numbers never billed", d.bytes(), 0, 0)
		case "277ca":
			d := base.clone()
			for i, s := range d.segs {
				if strings.HasPrefix(s, "TRN*2*PCN") {
					d.segs[i] = strings.Replace(s, "PCN", "ZZZ", 1)
				}
			}
			add(tx, "unknown-claims", "unknown-references", "claim statuses for patient control numbers never billed", d.bytes(), 0, 0)
		case "999":
			b, i := edit("AK1*", func(s string) string { return setElement(s, 2, "987654") })
			add(tx, "unknown-group", "unknown-references", "AK102 names a group control number never sent", b, 0, 0)
			_ = i
			d := base.clone()
			k := d.find(t, "AK9*")
			d.segs = d.segs[:k]
			add(tx, "cut-before-ak9", "envelope", "the 999 cut before AK9 (no SE, GE, IEA)", d.bytes(), 1, 1, "AK9")
			b, i = edit("IK5*", func(s string) string { return setElement(s, 1, "Q") })
			add(tx, "ik5-q", "counts", "IK501 Q, not a code of the guide", b, 1, 0, at(i), "IK501")
			d = base.clone()
			k = d.find(t, "IK5*")
			d.segs = slices.Delete(d.segs, k, k+1)
			d.segs[d.find(t, "SE*")] = setElement(d.segs[d.find(t, "SE*")], 1, fmt.Sprint(d.find(t, "SE*")-d.find(t, "ST*")+1))
			add(tx, "no-ik5", "envelope", "an AK2 without its IK5", d.bytes(), 1, 0, "IK5")
		case "271":
			b, _ := edit("TRN*2*", func(s string) string { return setElement(s, 2, "NEVERASKED") })
			add(tx, "unknown-trace", "unknown-references", "a 271 answering a trace number never sent", b, 0, 0)
		}
	}
}

// hostileTA1Cases damage a TA1-only interchange.
func hostileTA1Cases(add func(dir, name, damage, what string, content []byte, exit, inspect int, where ...string) *hostileExpect) {
	good := hostileTA1
	rep := func(old, new string) []byte { return []byte(strings.Replace(good, old, new, 1)) }
	add("ta1", "no-iea", "envelope", "the TA1 interchange without its IEA", rep("IEA*0*000000102~\n", ""), 1, 1, "IEA")
	add("ta1", "isa-only", "envelope", "the ISA alone", []byte(good[:strings.Index(good, "TA1*")]), 1, 1)
	add("ta1", "iea-count", "counts", "IEA01 counts a group a TA1 interchange does not have", rep("IEA*0*", "IEA*1*"), 1, 1, "IEA01")
	add("ta1", "ack-code", "counts", "TA104 X, not an acknowledgment code", rep("*R*022~", "*X*022~"), 1, 1, "TA104")
	add("ta1", "note-code", "counts", "TA105 999, not a note code", rep("*R*022~", "*R*999~"), 1, 1, "TA105")
	add("ta1", "bad-date", "dates", "TA102 not a date", rep("TA1*000000101*260115", "TA1*000000101*261345"), 1, 1, "TA102")
	add("ta1", "short-control", "envelope", "TA101 of 5 digits", rep("TA1*000000101*", "TA1*00101*"), 1, 1, "TA101")
	add("ta1", "twice", "duplicates", "the TA1 interchange twice: ISA13 repeated", []byte(good+good), 1, 1, "already used")
	add("ta1", "unknown-interchange", "unknown-references", "a TA1 naming an interchange never sent", rep("TA1*000000101*", "TA1*000987654*"), 0, 0)
	add("ta1", "new-control-number", "replays", "the TA1 sent again under a new ISA13", []byte(strings.ReplaceAll(good, "000000102", "000000103")), 0, 0)
	add("ta1", "nul", "encodings", "a NUL byte in TA105", rep("*R*022~", "*R*0\x0022~"), 1, 1, "TA105")
}

// hostileJunkCases are inputs that are not X12 at all.
func hostileJunkCases(add func(dir, name, damage, what string, content []byte, exit, inspect int, where ...string) *hostileExpect) {
	junk := func(name, damage, what string, content []byte) {
		add("junk", name, damage, what, content, 2, 2)
	}
	junk("empty", "sizes", "an empty file", nil)
	junk("whitespace", "sizes", "blank lines only", []byte("\n\n  \r\n\t\n"))
	junk("pdf", "encodings", "a PDF header", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"))
	junk("zip", "encodings", "a ZIP archive's first bytes", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00remit.835"))
	junk("html", "encodings", "an HTML error page where a file should be", []byte("<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>\n"))
	junk("json", "encodings", "a JSON document", []byte(`{"remittance":{"paid":"120.00"}}`+"\n"))
	junk("csv", "encodings", "a CSV export", []byte("claim,paid\nPCN1001,120.00\n"))
	junk("binary", "encodings", "bytes 0 to 255", func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	}())
	junk("isa-word", "envelope", "the letters ISA and nothing of an envelope", []byte("ISA\n"))
	junk("short-isa", "envelope", "an ISA cut at 50 characters", []byte("ISA*00*          *00*          *ZZ*PAYERSIM     "))
	junk("nul-bytes", "encodings", "4 KiB of NUL bytes", make([]byte, 4096))
}

// pipelineOutcome is what the pipeline does with a case a payer sent: a
// damaged file is quarantined with one item. Valid X12 is applied: an 835
// paying claims the practice never billed raises an item per claim
// payment and posts nothing; a BPR that does not add up holds the file;
// a 277CA or TA1 naming claims or an interchange never sent raises one
// item for the file; 999s and 271s naming what the practice never sent (a
// group, a payer it has not set up) are quarantined; a 277CA that breaks
// its guide is quarantined. Finding marks a known gap: the outcome
// given is what should happen, and the pipeline test reports the gap
// instead of failing.
func pipelineOutcome(c *hostileCase) *hostilePipeline {
	p := &hostilePipeline{State: "quarantined", Items: 1, Posted: "nothing"}
	x := &c.expect
	switch {
	case x.Transaction == "835" && x.Damage == "amounts" && strings.Contains(c.name, "bpr-mismatch"):
		p.State = "held"
	case x.Transaction == "835" && x.Exit == 0:
		p.State, p.Items = "processed", bytes.Count(c.content, []byte("CLP*"))
	case x.Transaction == "277ca" && x.Exit == 0:
		p.State = "processed"
	case x.Transaction == "ta1" && x.Exit == 0:
		p.State = "processed"
	}
	return p
}

// shortenISA06 makes ISA06 delta characters longer (or shorter).
func shortenISA06(isa string, delta int) string {
	f := strings.Split(isa, "*")
	if delta < 0 {
		f[6] = f[6][:len(f[6])+delta]
	} else {
		f[6] += strings.Repeat(" ", delta)
	}
	return strings.Join(f, "*")
}

// setElement sets element i (1-based) of a segment.
func setElement(seg string, i int, v string) string {
	f := strings.Split(seg, "*")
	for len(f) <= i {
		f = append(f, "")
	}
	f[i] = v
	return strings.Join(f, "*")
}

func countSets(segs []string) int {
	n := 0
	for _, s := range segs {
		if strings.HasPrefix(s, "ST*") {
			n++
		}
	}
	return n
}

// replayDoc gives a file new ISA13, GS06 and 835 TRN02 control numbers.
func replayDoc(d *x12Doc) {
	isa := strings.Split(d.segs[0], "*")
	old := isa[13]
	isa[13] = "000000913"
	d.segs[0] = strings.Join(isa, "*")
	var gs string
	for i, s := range d.segs {
		switch {
		case strings.HasPrefix(s, "GS*"):
			gs = strings.Split(s, "*")[6]
			d.segs[i] = setElement(s, 6, "913")
		case strings.HasPrefix(s, "GE*") && gs != "":
			d.segs[i] = setElement(s, 2, "913")
		case strings.HasPrefix(s, "IEA*"):
			d.segs[i] = strings.Replace(s, old, "000000913", 1)
		case strings.HasPrefix(s, "TRN*1*") && strings.HasPrefix(d.segs[1], "GS*HP"):
			d.segs[i] = setElement(s, 2, "RESENT-"+strings.Split(s, "*")[2])
		}
	}
}

// utf16LE encodes ASCII text as UTF-16LE with a byte-order mark.
func utf16LE(b []byte) []byte {
	out := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(string(b))) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

// TestHostileCorpusCurrent checks the committed corpus against the
// generator (-update writes it), and that the matrix stays whole.
func TestHostileCorpusCurrent(t *testing.T) {
	cases := generateHostile(t)
	if len(cases) < 100 {
		t.Errorf("%d cases, want at least 100", len(cases))
	}
	damages := map[string]bool{}
	txs := map[string]bool{}
	want := map[string][]byte{}
	for _, c := range cases {
		damages[c.expect.Damage] = true
		txs[c.dir] = true
		exp, err := json.MarshalIndent(c.expect, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(c.dir, c.name)
		if _, dup := want[base]; dup {
			t.Fatalf("case %s made twice", base)
		}
		want[base] = c.content
		want[strings.TrimSuffix(base, filepath.Ext(base))+".expect.json"] = append(exp, '\n')
	}
	for _, d := range []string{"envelope", "separators", "encodings", "sizes", "hl", "counts", "amounts", "dates", "duplicates", "replays", "out-of-order", "unknown-references"} {
		if !damages[d] {
			t.Errorf("no case of damage class %s", d)
		}
	}
	for _, tx := range []string{"837p", "837i", "835", "270", "271", "277ca", "999", "ta1", "junk"} {
		if !txs[tx] {
			t.Errorf("no case of transaction %s", tx)
		}
	}
	have := map[string][]byte{}
	_ = filepath.WalkDir(hostileDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "README.md" {
			return nil
		}
		rel, _ := filepath.Rel(hostileDir, path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		have[rel] = b
		return nil
	})
	if *update {
		for rel := range have {
			if _, ok := want[rel]; !ok {
				if err := os.Remove(filepath.Join(hostileDir, rel)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for rel, b := range want {
			if got, ok := have[rel]; ok && bytes.Equal(got, b) {
				continue
			}
			p := filepath.Join(hostileDir, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %d files of %d cases", len(want), len(cases))
		return
	}
	for rel, b := range want {
		if got, ok := have[rel]; !ok {
			t.Errorf("%s missing from %s (go test -run TestHostileCorpusCurrent -update)", rel, hostileDir)
		} else if !bytes.Equal(got, b) {
			t.Errorf("%s differs from the generator (go test -run TestHostileCorpusCurrent -update)", rel)
		}
	}
	for rel := range have {
		if _, ok := want[rel]; !ok {
			t.Errorf("%s is not made by the generator", rel)
		}
	}
}
