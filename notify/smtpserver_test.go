package notify_test

import (
	"io"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// mailbox is an in-process SMTP server (go-smtp) that keeps what it
// receives. Recipients starting "bounce" are refused for good (550 5.1.1),
// recipients starting "busy" are refused once for now (451 4.3.0).
type mailbox struct {
	Addr string
	Port int

	mu       sync.Mutex
	messages []received
	busySeen map[string]bool
}

type received struct {
	From string
	To   []string
	Data string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{busySeen: map[string]bool{}}
	srv := smtp.NewServer(mb)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.Addr = "127.0.0.1"
	mb.Port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return mb
}

// Messages returns what was received so far.
func (mb *mailbox) Messages() []received {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]received(nil), mb.messages...)
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{mb: mb}, nil }

type session struct {
	mb   *mailbox
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "bounce"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	case strings.HasPrefix(to, "busy"):
		s.mb.mu.Lock()
		seen := s.mb.busySeen[to]
		s.mb.busySeen[to] = true
		s.mb.mu.Unlock()
		if !seen {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mb.mu.Lock()
	defer s.mb.mu.Unlock()
	s.mb.messages = append(s.mb.messages, received{From: s.from, To: s.to, Data: string(b)})
	return nil
}

// Text is the message's headers and its body, decoded from
// quoted-printable when so encoded.
func (r received) Text() string {
	m, err := mail.ReadMessage(strings.NewReader(r.Data))
	if err != nil {
		return r.Data
	}
	var body []byte
	if m.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body, err = io.ReadAll(quotedprintable.NewReader(m.Body))
	} else {
		body, err = io.ReadAll(m.Body)
	}
	if err != nil {
		return r.Data
	}
	var b strings.Builder
	for k, vs := range m.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	b.WriteString("\n")
	b.Write(body)
	return b.String()
}
