package sftptest

import (
	"io"
	"net"
	"sync"
	"testing"
)

// Cut says after how many bytes in each direction the proxy drops a
// connection; 0 means never.
type Cut struct {
	ClientToServer int64
	ServerToClient int64
	// Stall, instead of dropping the connection at the limit, stops
	// forwarding and swallows what arrives until a side closes: a peer that
	// hangs rather than disconnects.
	Stall bool
}

// Proxy forwards TCP connections to a target. The i-th accepted connection
// is cut per the i-th Cut given to NewProxy (later ones, or all after
// SetCuts(nil), are never cut), which simulates a network drop in the
// middle of a transfer.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cuts  []Cut
	count int
	open  map[net.Conn]bool

	wg sync.WaitGroup
}

// NewProxy starts a proxy on 127.0.0.1 to target. It stops at test cleanup.
func NewProxy(t testing.TB, target string, cuts ...Cut) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, cuts: cuts, open: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(p.Close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Port is the proxy's port.
func (p *Proxy) Port() int { return p.ln.Addr().(*net.TCPAddr).Port }

// Connections returns how many connections the proxy accepted.
func (p *Proxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// SetCuts replaces the cuts for the connections accepted from now on.
func (p *Proxy) SetCuts(cuts ...Cut) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cuts = cuts
}

// Close stops the proxy and drops every connection.
func (p *Proxy) Close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.open {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		var cut Cut
		if len(p.cuts) > 0 {
			cut, p.cuts = p.cuts[0], p.cuts[1:]
		}
		p.count++
		p.open[client] = true
		p.mu.Unlock()
		p.wg.Go(func() { p.serve(client, cut) })
	}
}

func (p *Proxy) serve(client net.Conn, cut Cut) {
	defer func() {
		client.Close()
		p.mu.Lock()
		delete(p.open, client)
		p.mu.Unlock()
	}()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.open[server] = true
	p.mu.Unlock()
	defer func() {
		server.Close()
		p.mu.Lock()
		delete(p.open, server)
		p.mu.Unlock()
	}()

	var once sync.Once
	done := make(chan struct{})
	stop := func() {
		once.Do(func() {
			client.Close()
			server.Close()
			close(done)
		})
	}
	var wg sync.WaitGroup
	wg.Go(func() { pipe(server, client, cut.ClientToServer, cut.Stall); stop() })
	wg.Go(func() { pipe(client, server, cut.ServerToClient, cut.Stall); stop() })
	<-done
	wg.Wait()
}

// pipe copies src to dst, at most limit bytes when limit > 0; with stall,
// what comes after the limit is swallowed until src closes.
func pipe(dst, src net.Conn, limit int64, stall bool) {
	if limit <= 0 {
		io.Copy(dst, src)
		return
	}
	n, err := io.Copy(dst, io.LimitReader(src, limit))
	if err != nil || n < limit || !stall {
		return
	}
	io.Copy(io.Discard, src)
}
