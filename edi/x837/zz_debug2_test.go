package x837

import (
	"fmt"
	"os"
	"strings"
	"testing"

	moovfile "github.com/moov-io/x12/pkg/file"
	moov837p "github.com/moov-io/x12/rule_5010_837p"
)

func TestZZTry(t *testing.T) {
	data, _ := os.ReadFile(os.Getenv("TRY"))
	segs := strings.Split(strings.TrimSpace(strings.ReplaceAll(string(data), "\n", "")), "~")
	segs = segs[:len(segs)-1]
	var b strings.Builder
	n := 0
	for _, s := range segs {
		if strings.HasPrefix(s, "SE*") {
			s = fmt.Sprintf("SE*%d*0001", n+1)
		}
		if strings.HasPrefix(s, "ST*") || n > 0 {
			n++
		}
		b.WriteString(s + "~")
	}
	ic := moovfile.NewInterchange(&moov837p.InterchangeRule)
	_, err := ic.Parse(b.String(), ":")
	fmt.Println("parse:", err)
	if err == nil {
		fmt.Println("validate:", ic.Validate(nil))
	}
}
