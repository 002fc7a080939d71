package worker

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearhouse/clearhouse/filestore"
	"github.com/clearhouse/clearhouse/keyring"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/sqlitestore"
	"github.com/clearhouse/clearhouse/transport"
)

// recordingPipeline is a pipeline that only records inbound files, on a
// SQLite store whose file store has the given limit and an encryption key.
func recordingPipeline(t *testing.T, maxSize int64) (*Pipeline, store.Store, *filestore.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	k, _, err := keyring.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filestore.Open(filestore.Config{Dir: filepath.Join(dir, "files"), MaxSize: maxSize, Keys: &keyring.Ring{Primary: k}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlitestore.Open(ctx, sqlitestore.Config{Path: filepath.Join(dir, "c.db"), Files: files})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateClinic(ctx, store.CreateClinicParams{Name: "Big Files", NPI: "1234567893", TaxID: "123456789", SubmitterID: "BIG"}); err != nil {
		t.Fatal(err)
	}
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := &Pipeline{cfg: Config{Store: st, Now: time.Now, ClinicFor: (&clinicResolver{st: st}).clinicFor},
		log: slog.New(slog.DiscardHandler), metrics: m}
	return p, st, files
}

// writeLarge835 writes an 835-shaped file of about size bytes to the inbox.
func writeLarge835(t *testing.T, dir string, size int64) string {
	t.Helper()
	path := filepath.Join(dir, "big.835")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("ISA*00*          *00*          *ZZ*KEYSTONEHP     *ZZ*BIG            *260330*1200*^*00501*000000072*0*P*:~" +
		"GS*HP*KHP*BIG*20260330*1200*72*X*005010X221A1~ST*835*0001~")
	claim := "CLP*PCN000001*1*165*100*45*12*ICN0001~CAS*CO*45*20~NM1*QC*1*DOE*JANE****MI*W123456789~SVC*HC:99213*165*100**1~DTM*472*20260301~"
	var n int64
	for n < size {
		k, _ := w.WriteString(claim)
		n += int64(k)
	}
	w.WriteString("SE*1*0001~GE*1*72~IEA*1*000000072~")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRecordInboundMemoryBounded records a 64 MiB inbound file: it is
// streamed from the inbox into the (encrypted) file store and read back,
// with the heap in use growing by far less than the file's size; the inbox
// copy is gone afterwards.
func TestRecordInboundMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	const size = 64 << 20
	p, st, _ := recordingPipeline(t, filestore.DefaultMaxSize)
	inbox := t.TempDir()
	path := writeLarge835(t, inbox, size)

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	ctx := context.Background()
	seen, err := p.RecordInbound(ctx, transport.InboundFile{PayerID: "KHP01", RemoteName: "big.835", LocalPath: path})
	if err != nil || seen {
		t.Fatalf("RecordInbound: seen %v, %v", seen, err)
	}
	files, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: 1})
	if err != nil || len(files) != 1 {
		t.Fatalf("inbound files %d %v", len(files), err)
	}
	body, err := st.OpenContent(ctx, files[0].ContentID)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(body)
	var n int64
	for {
		line, err := r.ReadSlice('~')
		n += int64(len(line))
		if err != nil {
			break
		}
	}
	body.Close()
	close(stop)
	wg.Wait()
	if n != files[0].SizeBytes || files[0].FileType != "835" {
		t.Fatalf("read back %d of %d bytes, type %q", n, files[0].SizeBytes, files[0].FileType)
	}
	grew := int64(peak) - int64(base.HeapInuse)
	t.Logf("heap in use grew by %d KiB recording and reading a %d MiB inbound file", grew>>10, size>>20)
	if grew > 24<<20 {
		t.Errorf("heap in use grew by %d MiB recording a %d MiB file", grew>>20, size>>20)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the inbox copy is still there: %v", err)
	}
}

// TestRecordInboundRefusesOversize: a file over the file store's limit is
// refused with an error naming the file and the limit, nothing recorded
// and the inbox copy kept (the transport leaves the file on the server).
func TestRecordInboundRefusesOversize(t *testing.T) {
	p, st, files := recordingPipeline(t, 1<<20)
	path := writeLarge835(t, t.TempDir(), 2<<20)
	_, err := p.RecordInbound(context.Background(), transport.InboundFile{PayerID: "KHP01", RemoteName: "big.835", LocalPath: path})
	if !errors.Is(err, filestore.ErrTooLarge) || !strings.Contains(err.Error(), "big.835") || !strings.Contains(err.Error(), "1048576 bytes") {
		t.Fatalf("oversize file: %v", err)
	}
	rows, _ := st.ListInboundFiles(context.Background(), store.ListInboundFilesParams{ClinicID: 1})
	n := 0
	files.Walk(func(filestore.Info, error) error { n++; return nil })
	if len(rows) != 0 || n != 0 {
		t.Fatalf("after a refused file: %d rows, %d stored files", len(rows), n)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("inbox copy: %v", err)
	}
}
