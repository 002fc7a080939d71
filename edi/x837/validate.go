package x837

import "github.com/clearhouse/clearhouse/claim"

// validate returns every problem that keeps c from being written as a valid
// 837 of its kind: the claim's guide rules (claim.CheckGuideRules), which
// the scrubber runs too, in the same words and at the same locations.
func validate(c *claim.Claim) []FieldError {
	fs := claim.CheckGuideRules(c)
	if len(fs) == 0 {
		return nil
	}
	out := make([]FieldError, len(fs))
	for i, f := range fs {
		out[i] = FieldError{Location: f.Location, Msg: f.Message, Balance: f.Rule == claim.GuideTotalCharge}
	}
	return out
}
