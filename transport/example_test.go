package transport_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"

	"github.com/clearhouse/clearhouse/paysim"
	"github.com/clearhouse/clearhouse/transport"
	"golang.org/x/crypto/ssh"
)

// recordOnce is the smallest InboundRecorder: a map in memory. The store
// implements the real one.
type recordOnce map[string]bool

func (r recordOnce) RecordInbound(_ context.Context, f transport.InboundFile) (bool, error) {
	key := f.PayerID + "/" + f.RemoteName + "/" + f.SHA256
	seen := r[key]
	r[key] = true
	return seen, nil
}

// Upload a claim batch to a payer and poll its response, here against the
// payer simulator on a loopback port.
func Example() {
	ctx := context.Background()
	root, _ := os.MkdirTemp("", "paysim")
	defer os.RemoveAll(root)
	inbox, _ := os.MkdirTemp("", "inbox")
	defer os.RemoveAll(inbox)

	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ := ssh.NewSignerFromKey(hostPriv)
	sim, err := paysim.NewServer(paysim.ServerConfig{
		Root:    root,
		HostKey: hostKey,
		Users:   []paysim.User{{Name: "clinic42", Password: "s3cret", Payer: "ACME"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := sim.Start(ctx); err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()

	client, err := transport.New(transport.Endpoint{
		PayerID:     "ACME",
		Host:        "127.0.0.1",
		Port:        sim.Addr().(*net.TCPAddr).Port,
		User:        "clinic42",
		Auth:        transport.Auth{PasswordEnv: "ACME_SFTP_PASSWORD"},
		HostKey:     transport.HostKeyPin{Fingerprint: ssh.FingerprintSHA256(sim.HostKey())},
		UploadDir:   "/inbound",
		DownloadDir: "/outbound",
		ArchiveDir:  "/archive",
	}, transport.Options{
		Recorder: recordOnce{},
		InboxDir: inbox,
		Getenv:   func(string) string { return "s3cret" },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	up, err := client.Upload(ctx, "claims-0001.x12", bytes.NewReader([]byte("ISA*00*...~IEA*1*000000001~")))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("uploaded %s, %d bytes\n", up.RemotePath, up.Size)

	sim.Drop("ACME", "ack-0001.999", []byte("ISA*00*...~"))
	files, err := client.Poll(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		fmt.Printf("received %s, %d bytes\n", f.RemoteName, f.Size)
	}
	// Output:
	// uploaded /inbound/claims-0001.x12, 27 bytes
	// received ack-0001.999, 11 bytes
}
