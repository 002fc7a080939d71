package cli

import "github.com/spf13/cobra"

// newClaimsCmd is the parent of the claim commands: encode and decode 837s,
// scrub, and the billing team's corrections.
func newClaimsCmd(env *Env) *cobra.Command {
	c := &cobra.Command{
		Use:   "claims",
		Short: "Encode, decode, scrub and correct claims",
	}
	addClaimsScrubCmd(c, env)
	addClaimsX837Cmds(c, env)
	addClaimsActionCmds(c, env)
	addClaimsCreditCmds(c, env)
	c.AddCommand(newClaimsStatusCmd(env))
	addClaimsShowCmd(c, env)
	return c
}
