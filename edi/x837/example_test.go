package x837_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/clearhouse/clearhouse/claim"
	"github.com/clearhouse/clearhouse/edi/x837"
)

func exampleEnvelope() x837.Envelope {
	return x837.Envelope{
		SubmitterName: "CLEARHOUSE BILLING", SubmitterID: "CLH0001", ContactName: "EDI DESK", ContactPhone: "2155550100",
		ReceiverName: "KEYSTONE HEALTH PLAN", ReceiverID: "KHP01",
		SenderID: "CLEARHOUSE", InterchangeReceiverID: "KHP01",
		Usage: "T", Time: time.Date(2026, 11, 3, 10, 30, 0, 0, time.UTC),
		Controls: x837.ControlNumbers{Interchange: 41, Group: 41, Set: 1},
	}
}

func ExampleEncodeBatch() {
	data, err := os.ReadFile("testdata/claims/office-visit-single-line.json")
	if err != nil {
		panic(err)
	}
	var c claim.Claim
	if err := json.Unmarshal(data, &c); err != nil {
		panic(err)
	}
	var out bytes.Buffer
	placements, err := x837.EncodeBatch(&out, exampleEnvelope(), []claim.Claim{c})
	if err != nil {
		panic(err)
	}
	for _, p := range placements {
		fmt.Printf("%s: ISA13 %d, GS06 %d, ST02 %04d\n", p.PatientControlNumber, p.Interchange, p.Group, p.Set)
	}
	// Output:
	// PCN0001: ISA13 41, GS06 41, ST02 0001
}

func ExampleDecoder() {
	f, err := os.Open("testdata/golden/batch-grouped.x12")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	d := x837.NewDecoder(f)
	d.File = "batch-grouped.x12"
	for d.Next() {
		c := d.Claim()
		last, first := c.PatientName()
		fmt.Printf("%s %s %s, %s: %d lines, %d cents (ST02 %d)\n", c.Kind, c.PatientControlNumber, last, first,
			len(c.Lines), c.TotalChargeCents, d.Envelope().Controls.Set)
	}
	if err := d.Err(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 837P PCN0101 SAMPLE, PAT: 1 lines, 12500 cents (ST02 1)
	// 837P PCN0102 SAMPLE, PAT: 1 lines, 18000 cents (ST02 1)
	// 837P PCN0103 SAMPLE, LILY: 1 lines, 15000 cents (ST02 1)
	// 837P PCN0104 SAMPLE, LILY: 1 lines, 15000 cents (ST02 1)
}
