// Command clearhouse is the Clearhouse X12 EDI clearinghouse engine.
package main

import (
	"os"

	"github.com/clearhouse/clearhouse/cmd/clearhouse/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
