package email

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

const (
	from        = "Joint Cell <mosaic@cell.example>"
	secretTitle = "OPERATION-NIGHTJAR-TLP-RED"
	secretBody  = "advice: block 203.0.113.77"
)

// notification stands for what the notification worker holds: more than an
// e-mail may carry. toMessage is the only way from it to a Message.
type notification struct {
	DeliveryID string
	Email      string
	Name       string
	Language   string
	Kind       Kind
	Title      string // TLP:AMBER or above; must never reach an e-mail
	Advice     string
	ObjectName string
	URL        string
	Unsub      string
}

func toMessage(n notification) Message {
	return Message{ID: n.DeliveryID, To: n.Email, Name: n.Name, Lang: n.Language,
		Kind: n.Kind, Link: n.URL, Unsubscribe: n.Unsub}
}

func secretNotification(lang string, kind Kind) notification {
	n := notification{
		DeliveryID: "dlv-0001.a_b",
		Email:      "ann@org.example",
		Name:       "Ann Jansen",
		Language:   lang,
		Kind:       kind,
		Title:      secretTitle,
		Advice:     secretBody,
		ObjectName: "indicator--" + secretTitle,
		URL:        "https://mosaic.cell.example/releases/0b3c?from=mail",
	}
	if !kind.Mandatory() {
		n.Unsub = "https://mosaic.cell.example/settings/notifications/unsubscribe?t=abc%2Fdef"
	}
	return n
}

// read parses a received message and decodes its subject and body.
func read(t *testing.T, raw []byte) (msg *mail.Message, subject, body string) {
	t.Helper()
	if i := bytes.IndexByte(bytes.ReplaceAll(raw, []byte("\r\n"), nil), '\n'); i >= 0 {
		t.Errorf("bare LF in the message")
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\r")) {
		t.Errorf("bare CR in the message")
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Content-Transfer-Encoding"); got != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding %q", got)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg, subject, string(b)
}

func newSender(t *testing.T, cfg Config) *Sender {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// Plain SMTP on loopback, in English, for a kind one can unsubscribe from.
func TestPlainLoopback(t *testing.T) {
	be := &backend{}
	addr := serve(t, "none", be, newPKI(t))
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSNone})
	n := secretNotification("en", ReleasePublished)
	if err := s.Send(ctx(t), toMessage(n)); err != nil {
		t.Fatal(err)
	}
	d := only(t, be)
	if d.tls || d.from != "mosaic@cell.example" || d.to != "ann@org.example" {
		t.Errorf("envelope %q -> %q, tls %v", d.from, d.to, d.tls)
	}
	if be.authCalls != 0 {
		t.Error("AUTH without a user")
	}
	msg, subject, body := read(t, d.data)
	h := msg.Header
	if got := h.Get("Message-ID"); got != "<dlv-0001.a_b@cell.example>" {
		t.Errorf("Message-ID %q, want the delivery id", got)
	}
	if a, err := h.AddressList("To"); err != nil || len(a) != 1 || a[0].Address != n.Email || a[0].Name != n.Name {
		t.Errorf("To %q: %v %v", h.Get("To"), a, err)
	}
	if a, err := h.AddressList("From"); err != nil || len(a) != 1 || a[0].Address != "mosaic@cell.example" || a[0].Name != "Joint Cell" {
		t.Errorf("From %q: %v %v", h.Get("From"), a, err)
	}
	if d, err := h.Date(); err != nil || time.Since(d) > time.Minute {
		t.Errorf("Date %q: %v", h.Get("Date"), err)
	}
	for k, want := range map[string]string{
		"MIME-Version":     "1.0",
		"Content-Type":     "text/plain; charset=utf-8",
		"List-Unsubscribe": "<" + n.Unsub + ">",
		"Auto-Submitted":   "auto-generated",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s %q, want %q", k, got, want)
		}
	}
	if subject != "[Joint Cell] A release was published" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Joint Cell has a notification for you in Mosaic: a release has been published.", n.URL, n.Unsub, "To stop e-mails of this kind"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	noSecrets(t, d.data)
}

// noSecrets checks that nothing of the notification's content is in raw,
// in any encoding it could be in.
func noSecrets(t *testing.T, raw []byte) {
	t.Helper()
	flat := strings.ReplaceAll(string(raw), "=\r\n", "") // undo soft line breaks
	for _, s := range []string{secretTitle, secretBody, "NIGHTJAR", "203.0.113.77"} {
		if strings.Contains(flat, s) {
			t.Errorf("the message holds %q", s)
		}
	}
}

// STARTTLS with AUTH PLAIN, in Dutch, to a recipient with a name that
// needs encoding.
func TestStartTLSAuthDutch(t *testing.T) {
	pki := newPKI(t)
	be := &backend{}
	addr := serve(t, "starttls", be, pki)
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSStartTLS, User: testUser,
		PasswordFile: passwordFile(t, 0o600), RootCAs: pki.roots})
	n := secretNotification("nl", ConsentRequested)
	n.Name = "Jan-Ülle de Vries, \"CERT\""
	if err := s.Send(ctx(t), toMessage(n)); err != nil {
		t.Fatal(err)
	}
	if be.authUser != testUser || be.authPass != testPassword {
		t.Errorf("server saw AUTH %q/%q", be.authUser, be.authPass)
	}
	d := only(t, be)
	if !d.tls {
		t.Error("the message was not sent over TLS")
	}
	msg, subject, body := read(t, d.data)
	if a, err := msg.Header.AddressList("To"); err != nil || len(a) != 1 || a[0].Name != n.Name {
		t.Errorf("To %q: %v %v", msg.Header.Get("To"), a, err)
	}
	if subject != "[Joint Cell] Uw toestemming wordt gevraagd" {
		t.Errorf("subject %q", subject)
	}
	if !strings.Contains(body, "Joint Cell heeft een melding voor u in Mosaic: uw toestemming wordt gevraagd voor een release.") ||
		!strings.Contains(body, n.URL) {
		t.Errorf("body:\n%s", body)
	}
	if msg.Header.Get("List-Unsubscribe") != "" || strings.Contains(body, "niet meer te ontvangen") {
		t.Error("a mandatory kind has an unsubscribe link")
	}
	noSecrets(t, d.data)
}

// Implicit TLS, as on port 465.
func TestImplicitTLS(t *testing.T) {
	pki := newPKI(t)
	be := &backend{}
	addr := serve(t, "tls", be, pki)
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSImplicit, User: testUser,
		PasswordFile: passwordFile(t, 0o400), RootCAs: pki.roots})
	if err := s.Send(ctx(t), toMessage(secretNotification("en", FeedbackSighting))); err != nil {
		t.Fatal(err)
	}
	if d := only(t, be); !d.tls {
		t.Error("the message was not sent over TLS")
	}
	if be.authPass != testPassword {
		t.Error("no AUTH")
	}
}

// A server whose certificate is not from a trusted CA gets nothing.
func TestUntrustedServer(t *testing.T) {
	be := &backend{}
	addr := serve(t, "tls", be, newPKI(t))
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSImplicit, RootCAs: newPKI(t).roots})
	err := s.Send(ctx(t), toMessage(secretNotification("en", ReleaseAddressed)))
	if err == nil || Permanent(err) {
		t.Errorf("untrusted server: %v (permanent %v)", err, Permanent(err))
	}
	if be.mails != 0 {
		t.Error("the server got a MAIL FROM")
	}
}

// The client never sends the password without TLS: starttls fails when the
// server does not offer it (rather than going on in the clear), none with
// a user is refused by Check, and the AUTH mechanism itself refuses a
// connection that is not encrypted.
func TestNoAuthWithoutTLS(t *testing.T) {
	be := &backend{}
	addr := serve(t, "none", be, newPKI(t))
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSStartTLS, User: testUser,
		PasswordFile: passwordFile(t, 0o600)})
	err := s.Send(ctx(t), toMessage(secretNotification("en", ReleaseAddressed)))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Errorf("starttls to a server without it: %v", err)
	}
	if be.authCalls != 0 || be.mails != 0 {
		t.Errorf("server saw %d AUTH and %d MAIL", be.authCalls, be.mails)
	}

	_, err = New(Config{Addr: addr, From: from, TLS: TLSNone, User: testUser, PasswordFile: passwordFile(t, 0o600)})
	if err == nil || !strings.Contains(err.Error(), "smtp_user") {
		t.Errorf("none with a user: %v", err)
	}

	if _, _, err := (plainAuth{testUser, testPassword}).Start(&smtp.ServerInfo{Name: "127.0.0.1", Auth: []string{"PLAIN"}}); !errors.Is(err, errNoTLS) {
		t.Errorf("AUTH PLAIN without TLS: %v", err)
	}
}

// Wrong credentials are a permanent failure, and the password is in no
// error.
func TestBadPassword(t *testing.T) {
	pki := newPKI(t)
	be := &backend{}
	addr := serve(t, "starttls", be, pki)
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSStartTLS, User: "someone-else",
		PasswordFile: passwordFile(t, 0o600), RootCAs: pki.roots})
	err := s.Send(ctx(t), toMessage(secretNotification("en", ReleaseAddressed)))
	if err == nil || !Permanent(err) {
		t.Errorf("bad credentials: %v (permanent %v)", err, Permanent(err))
	}
	if err != nil && strings.Contains(err.Error(), testPassword) {
		t.Errorf("the error holds the password: %v", err)
	}
}

// A password file others may read is refused, naming the file but not
// showing its content.
func TestPasswordFileMode(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		path := passwordFile(t, mode)
		_, err := New(Config{Addr: "127.0.0.1:25", From: from, TLS: TLSStartTLS, User: testUser, PasswordFile: path})
		if err == nil {
			t.Errorf("mode %04o accepted", mode)
			continue
		}
		if !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), testPassword) {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
	_, err := New(Config{Addr: "127.0.0.1:25", From: from, TLS: TLSStartTLS, User: testUser, PasswordFile: "/nonexistent/smtp-password"})
	if err == nil {
		t.Error("a missing password file accepted")
	}
}

// A 5xx reply is permanent; a 4xx reply or a network failure is not.
func TestPermanent(t *testing.T) {
	for _, tc := range []struct {
		code      int
		permanent bool
	}{{550, true}, {553, true}, {451, false}, {421, false}} {
		be := &backend{rcptErr: &gosmtp.SMTPError{Code: tc.code, EnhancedCode: gosmtp.EnhancedCode{tc.code / 100, 1, 1}, Message: "no"}}
		addr := serve(t, "none", be, newPKI(t))
		s := newSender(t, Config{Addr: addr, From: from, TLS: TLSNone})
		err := s.Send(ctx(t), toMessage(secretNotification("en", ReleaseAddressed)))
		if err == nil || Permanent(err) != tc.permanent {
			t.Errorf("%d: %v, permanent %v, want %v", tc.code, err, Permanent(err), tc.permanent)
		}
	}

	// Nobody listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSNone})
	if err := s.Send(ctx(t), toMessage(secretNotification("en", ReleaseAddressed))); err == nil || Permanent(err) {
		t.Errorf("connection refused: %v, permanent %v", err, Permanent(err))
	}
}

// A server that never answers holds the sender no longer than its context.
func TestContextDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // silent until the test ends
		}
	}()
	s := newSender(t, Config{Addr: l.Addr().String(), From: from, TLS: TLSNone})
	c, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(c, toMessage(secretNotification("en", ReleaseAddressed)))
	if !errors.Is(err, context.DeadlineExceeded) || Permanent(err) {
		t.Errorf("silent server: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v", d)
	}
}

// Nothing that reaches a header may break out of it.
func TestHeaderInjection(t *testing.T) {
	be := &backend{}
	addr := serve(t, "none", be, newPKI(t))
	s := newSender(t, Config{Addr: addr, From: from, TLS: TLSNone})
	good := toMessage(secretNotification("en", FeedbackReceipt))
	for name, edit := range map[string]func(*Message){
		"name CRLF":        func(m *Message) { m.Name = "Eve\r\nBcc: mallory@evil.example" },
		"name LF":          func(m *Message) { m.Name = "Eve\nBcc: mallory@evil.example" },
		"name CR":          func(m *Message) { m.Name = "Eve\rBcc: mallory@evil.example" },
		"name NUL":         func(m *Message) { m.Name = "Eve\x00" },
		"name NEL":         func(m *Message) { m.Name = "Eve\u0085Bcc: mallory@evil.example" },
		"name LS":          func(m *Message) { m.Name = "Eve\u2028Bcc: mallory@evil.example" },
		"name bad UTF-8":   func(m *Message) { m.Name = "Eve\xff" },
		"address CRLF":     func(m *Message) { m.To = "ann@org.example\r\nBcc: mallory@evil.example" },
		"address LF":       func(m *Message) { m.To = "ann@org.example\nBcc: mallory@evil.example" },
		"address list":     func(m *Message) { m.To = "ann@org.example, mallory@evil.example" },
		"address and name": func(m *Message) { m.To = "Mallory <mallory@evil.example>" },
		"address bracket":  func(m *Message) { m.To = "ann@org.example>" },
		"no address":       func(m *Message) { m.To = "" },
		"address UTF-8":    func(m *Message) { m.To = "ann@bücher.example" },
		"id CRLF":          func(m *Message) { m.ID = "x\r\nBcc: mallory@evil.example" },
		"id bracket":       func(m *Message) { m.ID = "x>y" },
		"id empty":         func(m *Message) { m.ID = "" },
		"link CRLF":        func(m *Message) { m.Link = "https://mosaic.cell.example/\r\nBcc: x@y" },
		"link http":        func(m *Message) { m.Link = "http://mosaic.cell.example/" },
		"link relative":    func(m *Message) { m.Link = "/releases/1" },
		"link user":        func(m *Message) { m.Link = "https://u:p@mosaic.cell.example/" },
		"unsub CRLF":       func(m *Message) { m.Unsubscribe = "https://mosaic.cell.example/u\r\nBcc: x@y" },
		"unsub bracket":    func(m *Message) { m.Unsubscribe = "https://mosaic.cell.example/u>, <mailto:x@y" },
		"unsub mandatory": func(m *Message) {
			m.Kind = ConsentRefused
			m.Unsubscribe = "https://mosaic.cell.example/u"
		},
		"kind":     func(m *Message) { m.Kind = "release.leaked" },
		"language": func(m *Message) { m.Lang = "de" },
	} {
		m := good
		edit(&m)
		err := s.Send(ctx(t), m)
		if err == nil || !Permanent(err) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if be.mails != 0 {
		t.Errorf("the server got %d MAIL FROM", be.mails)
	}
	if err := s.Send(ctx(t), good); err != nil {
		t.Errorf("the good message: %v", err)
	}

	for _, f := range []string{"Cell\r\nBcc: x@y <m@cell.example>", "m@cell.example\r\nBcc: x@y", "\"Cell\nBcc: x@y\" <m@cell.example>", "not an address"} {
		if err := (Config{Addr: addr, From: f, TLS: TLSNone}).Check(); err == nil || !strings.Contains(err.Error(), "smtp_from") {
			t.Errorf("From %q: %v", f, err)
		}
	}
}

// Every kind has a subject and a body in both languages, and they differ
// between the languages and between the kinds.
func TestTemplates(t *testing.T) {
	f, _ := mail.ParseAddress(from)
	seen := map[string]string{}
	for _, lang := range []string{"en", "nl"} {
		for _, kind := range []Kind{ReleaseAddressed, ConsentRequested, ConsentReminder, ConsentRefused,
			ReleasePublished, ReleaseWithdrawn, FeedbackReceipt, FeedbackSighting} {
			raw, err := Build(f, toMessage(secretNotification(lang, kind)), time.Now())
			if err != nil {
				t.Fatalf("%s %s: %v", lang, kind, err)
			}
			noSecrets(t, raw)
			_, subject, body := read(t, raw)
			if strings.Contains(subject+body, "%!") {
				t.Errorf("%s %s: a format error:\n%s\n%s", lang, kind, subject, body)
			}
			if other, ok := seen[subject]; ok {
				t.Errorf("%s %s has the subject of %s: %q", lang, kind, other, subject)
			}
			seen[subject] = lang + " " + string(kind)
		}
	}
	// No language means English.
	raw, err := Build(f, toMessage(secretNotification("", ReleaseAddressed)), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, subject, _ := read(t, raw); subject != "[Joint Cell] A release is addressed to you" {
		t.Errorf("no language: %q", subject)
	}
}

// Message cannot take a title or anything else of a notification's
// content: adding such a field must be a decision, made here.
func TestMessageFields(t *testing.T) {
	allowed := map[string]bool{"ID": true, "To": true, "Name": true, "Lang": true, "Kind": true, "Link": true, "Unsubscribe": true}
	typ := reflect.TypeFor[Message]()
	for i := range typ.NumField() {
		if f := typ.Field(i); !allowed[f.Name] {
			t.Errorf("Message has a field %s", f.Name)
		}
	}
}

func TestConfigCheck(t *testing.T) {
	ok := Config{Addr: "smtp.cell.example:587", From: from, TLS: TLSStartTLS}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		edit  func(*Config)
		field string
	}{
		{func(c *Config) { c.Addr = "smtp.cell.example" }, "smtp_addr"},
		{func(c *Config) { c.Addr = ":25" }, "smtp_addr"},
		{func(c *Config) { c.Addr = "smtp.cell.example:0" }, "smtp_addr"},
		{func(c *Config) { c.TLS = "" }, "smtp_tls"},
		{func(c *Config) { c.TLS = "ssl" }, "smtp_tls"},
		{func(c *Config) { c.TLS = TLSNone }, "smtp_tls"},
		{func(c *Config) { c.Addr = "10.0.0.1:25"; c.TLS = TLSNone }, "smtp_tls"},
		{func(c *Config) { c.From = "" }, "smtp_from"},
		{func(c *Config) { c.From = "a@b.example, c@d.example" }, "smtp_from"},
		{func(c *Config) { c.User = "u" }, "smtp_password_file"},
		{func(c *Config) { c.PasswordFile = "/p" }, "smtp_user"},
		{func(c *Config) { c.User = "u\r\n"; c.PasswordFile = "/p" }, "smtp_user"},
	} {
		c := ok
		tc.edit(&c)
		if err := c.Check(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: %v, want an error naming %s", c, err, tc.field)
		}
	}
	for _, addr := range []string{"127.0.0.1:25", "[::1]:25", "localhost:2525", "127.1.2.3:25"} {
		if err := (Config{Addr: addr, From: from, TLS: TLSNone}).Check(); err != nil {
			t.Errorf("none to %s: %v", addr, err)
		}
	}
}
