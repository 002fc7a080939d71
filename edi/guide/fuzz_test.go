package guide_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/clearhouse/clearhouse/edi/guide"
	"github.com/clearhouse/clearhouse/edi/x999"
)

// FuzzValidate feeds arbitrary bytes to the guide walk: it must not panic,
// every error must carry a position, and the 999 built from any report
// must be well-formed enough to validate itself without panicking. Seeds:
// testdata/fuzz/FuzzValidate and one real file per guide.
func FuzzValidate(f *testing.F) {
	for _, p := range []string{
		"837P/moov-io-x12__examples_example_5010_837p_sample.txt",
		"835/jdavisp3-TigerShark__tests_5010-835-example-1.txt",
		"277CA/imsweb-x12-parser__src_test_resources_277_5010_x12_277CA_rejected.txt",
		"999/imsweb-x12-parser__src_test_resources_837_5010_x12_999_rejected.txt",
		"837I/LinuxForHealth-x12__demo-file_demo.837i",
	} {
		data, err := os.ReadFile(filepath.Join(samples, p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(file837P(edit(claim837P, 9, "HL*3*3*22*0", false))))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := guide.Validate(bytes.NewReader(data), guide.Options{Level: guide.LevelCodeSets, MaxErrors: 50})
		if err != nil {
			return
		}
		for _, e := range rep.AllErrors() {
			if e.Pos.Segment == 0 && e.Pos.Offset == 0 && e.Pos.Interchange == "" {
				t.Errorf("error without a position: %v", e)
			}
		}
		for _, a := range x999.Generate(rep) {
			for _, r := range a.Responses {
				for _, s := range r.Sets {
					for _, sg := range s.Segments {
						if len(sg.Loop) > 4 || len(sg.Elements) > 99 {
							t.Errorf("IK3 %+v breaks 005010X231A1 limits", sg)
						}
					}
				}
			}
		}
	})
}
