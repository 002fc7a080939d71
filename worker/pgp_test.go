package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"

	"github.com/clearhouse/clearhouse/payers"
	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/store"
	"github.com/clearhouse/clearhouse/store/storetest"
	"github.com/clearhouse/clearhouse/transport/pgp"
	"github.com/clearhouse/clearhouse/worker"
)

// pgpKeyPair generates a key pair and writes its public and private halves
// to dir.
func pgpKeyPair(t *testing.T, dir, name string) (pub, priv string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "test", name+"@example.com", nil)
	must(t, err)
	var pb, sb bytes.Buffer
	must(t, e.Serialize(&pb))
	must(t, e.SerializePrivateWithoutSigning(&sb, nil))
	pub, priv = filepath.Join(dir, name+".pub"), filepath.Join(dir, name+".key")
	must(t, os.WriteFile(pub, pb.Bytes(), 0o644))
	must(t, os.WriteFile(priv, sb.Bytes(), 0o600))
	return pub, priv
}

// TestPGPRoundTrip runs the pipeline against a payer that encrypts and
// signs, over the simulator's real SFTP server: the 837s reach the payer
// encrypted and signed, the payer's 999, 277CA and 835 come back encrypted
// and signed and are decrypted, checked and applied, and every claim ends
// paid, denied or rejected. Then a response signed with another key, and
// one encrypted to another key, are each quarantined with a pgp error and
// a quarantined_file worklist item.
func TestPGPRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		keyDir := t.TempDir()
		chPub, chPriv := pgpKeyPair(t, keyDir, "clearhouse")
		payPub, payPriv := pgpKeyPair(t, keyDir, "payer")
		otherPub, otherPriv := pgpKeyPair(t, keyDir, "other")
		load := func(cfg pgp.Config) *pgp.Keys {
			t.Helper()
			k, err := pgp.Load(cfg)
			must(t, err)
			return k
		}
		payerKeys := load(pgp.Config{PartnerPublicKeyFile: chPub, PrivateKeyFile: payPriv, Sign: true})
		sim := simulator(t, t.TempDir(), 23, func(c *paysim.Config) { c.PGP = map[string]*pgp.Keys{"KHP01": payerKeys} })
		svc, p := newPipeline(t, st, targetOf(sim), pipelineOptions{inbox: t.TempDir(),
			pgp: &payers.PGP{PublicKeyFile: payPub, PrivateKeyFile: chPriv, Sign: true}})
		pr := newPractice(t, st, 3)
		const visits = 6
		importVisits(t, svc, pr, visits)
		runQueue(t, st, p)
		_, err := st.InsertJob(ctx, worker.NightlyAllArgs{}, nil)
		must(t, err)
		drive(t, st, sim, pr.clinic.ID, visits, 60*time.Second)

		// What crossed the wire was encrypted both ways.
		for _, folder := range []paysim.Folder{paysim.Inbound, paysim.Archive} {
			dir := sim.Server().Dir("KHP01", folder)
			entries, err := os.ReadDir(dir)
			must(t, err)
			n := 0
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") {
					continue
				}
				n++
				raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
				must(t, err)
				if bytes.Contains(raw, []byte("ISA*")) {
					t.Errorf("%s/%s travelled in the clear", folder, e.Name())
				}
			}
			if n == 0 {
				t.Errorf("no files in the payer's %s folder", folder)
			}
		}
		// What was recorded is the X12, and every claim reached its end.
		files, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: pr.clinic.ID})
		must(t, err)
		for _, f := range files {
			full, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: f.ID})
			must(t, err)
			if !bytes.HasPrefix(storetest.Content(t, st, full.ContentID), []byte("ISA")) || f.State != store.InboundProcessed {
				t.Errorf("inbound %s: %s, not recorded as X12 and processed", f.FileName, f.State)
			}
		}
		if n := len(allClaims(t, st, pr.clinic.ID, finalStatuses...)); n != visits {
			t.Fatalf("%d of %d claims final", n, visits)
		}

		// A forger (our public key, its own private key) and a payer that
		// encrypted to the wrong key.
		forger := load(pgp.Config{PartnerPublicKeyFile: chPub, PrivateKeyFile: otherPriv, Sign: true})
		wrongKey := load(pgp.Config{PartnerPublicKeyFile: otherPub, PrivateKeyFile: payPriv, Sign: true})
		body := storetest.Content(t, st, func() string {
			f, err := st.GetInboundFile(ctx, store.Ref{ClinicID: pr.clinic.ID, ID: files[0].ID})
			must(t, err)
			return f.ContentID
		}())
		for name, k := range map[string]*pgp.Keys{"forged.999": forger, "wrongkey.999": wrongKey} {
			var enc bytes.Buffer
			must(t, k.Encrypt(&enc, bytes.NewReader(body), name))
			must(t, sim.Server().Drop("KHP01", name, enc.Bytes()))
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			bad, err := st.ListInboundFiles(ctx, store.ListInboundFilesParams{ClinicID: pr.clinic.ID, States: []string{store.InboundQuarantined}})
			must(t, err)
			if len(bad) == 2 {
				for _, f := range bad {
					if f.QuarantineReason != worker.ReasonPGP {
						t.Errorf("%s quarantined for %q: %s", f.FileName, f.QuarantineReason, f.Error)
					}
					want := "signature"
					if f.FileName == "wrongkey.999" {
						want = "cannot be decrypted"
					}
					if !strings.Contains(f.Error, want) || !strings.Contains(f.Error, f.FileName) {
						t.Errorf("%s: error %q lacks %q", f.FileName, f.Error, want)
					}
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("quarantined %d files, want the 2 bad ones", len(bad))
			}
			_, err = st.InsertJob(ctx, worker.PollInboundArgs{Payer: "KHP01"}, nil)
			must(t, err)
			time.Sleep(100 * time.Millisecond)
		}
		items, err := st.ListWorklistItems(ctx, store.ListWorklistItemsParams{ClinicID: pr.clinic.ID, Kinds: []string{store.WorkQuarantinedFile}})
		must(t, err)
		if len(items) != 2 {
			t.Fatalf("%d quarantined_file items, want 2", len(items))
		}
		var d worker.QuarantineDetails
		must(t, json.Unmarshal(items[0].Details, &d))
		if d.Reason != worker.ReasonPGP || !strings.Contains(d.Action, "sftp.pgp") {
			t.Errorf("item details %+v", d)
		}
	})
}
