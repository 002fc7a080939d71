package guide_test

import (
	"fmt"
	"strings"

	"github.com/clearhouse/clearhouse/edi/guide"
)

// Validate checks an 837P against 005010X222A1; each error names its
// loop, segment and element as the guide does, with the 999 code that
// reports it.
func ExampleValidate() {
	x12 := file837P(edit(claim837P, 10, "SBR*X*18*******CI", false))
	rep, err := guide.Validate(strings.NewReader(x12), guide.Options{File: "claims.x12"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range rep.AllErrors() {
		fmt.Printf("%s [IK403 %s]\n", e, e.Code)
	}
	// Output:
	// claims.x12, ISA13 000000001, GS06 1, ST02 0001, segment 14 (set position 12), loop 2000B, SBR01: implementation guide violation: SBR01 Payer Responsibility Sequence Number Code "X" is not a code this guide allows here (A, B, C, D, E, F, G, H, P, S, T, U) [IK403 7]
}
