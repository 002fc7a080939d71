package worker

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/store"
)

// FuzzInboundIntake feeds the pipeline's file intake (the type sniffed
// when a file is recorded, and the full inspection before it is applied)
// arbitrary bytes: it must not panic, and a file it passes must name a
// transaction the pipeline applies; one it sets aside carries an error
// naming the file. The seeds are the committed corpus
// (testdata/fuzz/FuzzInboundIntake) and the hostile corpus's payer files.
func FuzzInboundIntake(f *testing.F) {
	for _, dir := range []string{"835", "999", "277ca", "271", "ta1", "junk"} {
		paths, _ := filepath.Glob(filepath.Join("..", "testdata", "hostile", dir, "*"))
		for _, p := range paths {
			if strings.HasSuffix(p, ".expect.json") {
				continue
			}
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	p := &Pipeline{log: slog.New(slog.DiscardHandler)}
	f.Fuzz(func(t *testing.T, content []byte) {
		switch fileType(content) {
		case "", store.AckTA1, store.Ack999, store.Ack277CA, store.Ack277, "835", "271":
		default:
			t.Fatalf("fileType %q", fileType(content))
		}
		_ = isaReceiver(content)
		kind, qerr, err := p.inspectContent(store.InboundFile{ID: 1, ClinicID: 1, FileName: "in.x12"},
			func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil })
		if err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		if qerr != nil {
			if qerr.err == nil || qerr.reason == "" {
				t.Fatalf("set aside without a reason or error: %+v", qerr)
			}
			return
		}
		switch kind {
		case kindAck, kind835, kindStatus, kind271:
		default:
			t.Fatalf("passed as kind %q", kind)
		}
	})
}
