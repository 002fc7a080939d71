package worker

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/edi"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/store/storetest"
)

// TestInspectAppliesTheGuide: intake checks every file against its
// implementation guide; guide errors quarantine an 835 or a 277CA but not
// a 999, and a real payer's 835 without ST03 passes.
func TestInspectAppliesTheGuide(t *testing.T) {
	const samples = "../fixtures/x12/samples/"
	st := storetest.OpenSQLite(t, storetest.Options{})
	files := st.(*sqlitestore.Store).Files()
	p := &Pipeline{log: slog.New(slog.DiscardHandler), cfg: Config{Store: st}}
	tests := []struct {
		name, file string
		kind       string
		reason     string // quarantine reason, "" when applied
		errText    string
	}{
		{"real 835 without ST03", "835/jdavisp3-TigerShark__tests_5010-835-example-1.txt", kind835, "", ""},
		{"835 missing BPR16", "835/LinuxForHealth-x12__src_tests_resources_835_005010X221A1_secondary-payment.835", "", ReasonSyntax, "BPR16 Check Issue or EFT Effective Date is required"},
		{"277CA off its guide", "277CA/imsweb-x12-parser__src_test_resources_277_5010_x12_277CA_rejected.txt", "", ReasonSyntax, "STC Billing Provider Status Information is missing"},
		{"999", "999/imsweb-x12-parser__src_test_resources_837_5010_x12_999_rejected.txt", kindAck, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			content, err := os.ReadFile(samples + tc.file)
			if err != nil {
				t.Fatal(err)
			}
			info, err := files.PutBytes(context.Background(), content)
			if err != nil {
				t.Fatal(err)
			}
			kind, qerr, err := p.inspect(context.Background(), store.InboundFile{FileName: tc.file, ContentID: info.ID})
			if err != nil {
				t.Fatal(err)
			}
			if tc.reason == "" {
				if qerr != nil {
					t.Fatalf("quarantined: %s %v", qerr.reason, qerr.err)
				}
				if kind != tc.kind {
					t.Fatalf("kind %q, want %q", kind, tc.kind)
				}
				return
			}
			if qerr == nil || qerr.reason != tc.reason {
				t.Fatalf("kind %q, quarantine %+v, want reason %s", kind, qerr, tc.reason)
			}
			var ee *edi.Error
			if !errors.As(qerr.err, &ee) || ee.Pos.SegmentID == "" || !strings.Contains(qerr.err.Error(), tc.errText) {
				t.Errorf("error %v lacks a position or %q", qerr.err, tc.errText)
			}
		})
	}
}
