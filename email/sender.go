package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strings"
	"time"

	"mosaic/secretfile"
)

// DefaultTimeout bounds a delivery whose context has no deadline, so a
// server that stops answering cannot hold a worker for ever.
const DefaultTimeout = time.Minute

// Sender delivers messages to one SMTP server. It is safe for concurrent
// use; each Send opens its own connection.
type Sender struct {
	cfg      Config
	from     *mail.Address
	host     string
	password string
	hello    string
}

// New checks cfg and reads the password file, which must be a regular file
// of mode 0600 or stricter owned by the user Mosaic runs as.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	from, _ := cfg.from()
	host, _, _ := net.SplitHostPort(cfg.Addr)
	s := &Sender{cfg: cfg, from: from, host: host, hello: "localhost"}
	if cfg.PasswordFile != "" {
		b, err := secretfile.Read(cfg.PasswordFile)
		if err != nil {
			// secretfile's errors name the file and its mode, never its content.
			return nil, fmt.Errorf("email: smtp_password_file: %w", err)
		}
		s.password = strings.TrimRight(string(b), "\r\n")
		if s.password == "" {
			return nil, fmt.Errorf("email: smtp_password_file %s is empty", cfg.PasswordFile)
		}
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") && !hasControl(h) {
		s.hello = h
	}
	return s, nil
}

// Send delivers m, dated now. A nil error means the server accepted the
// message; otherwise [Permanent] tells whether to try again later.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := Build(s.from, m, time.Now())
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	if err := s.deliver(ctx, deadline, m.To, msg); err != nil {
		// The connection's deadline may fire a moment before the
		// context's timer does.
		if ctx.Err() != nil {
			return fmt.Errorf("email: %w (%v)", ctx.Err(), err)
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("email: %w (%v)", context.DeadlineExceeded, err)
		}
		return err
	}
	return nil
}

func (s *Sender) deliver(ctx context.Context, deadline time.Time, to string, msg []byte) error {
	tlsConfig := &tls.Config{ServerName: s.host, RootCAs: s.cfg.RootCAs, MinVersion: tls.VersionTLS12}

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("email: dial %s: %w", s.cfg.Addr, err)
	}
	defer conn.Close()
	// net/smtp knows no context: the deadline bounds every read and write,
	// and a cancelled context moves it to the past to unblock them.
	conn.SetDeadline(deadline)
	raw := conn
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if s.cfg.TLS == TLSImplicit {
		tc := tls.Client(conn, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("email: TLS with %s: %w", s.cfg.Addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		return fmt.Errorf("email: greeting from %s: %w", s.cfg.Addr, err)
	}
	defer c.Close()
	if err := c.Hello(s.hello); err != nil {
		return fmt.Errorf("email: EHLO: %w", err)
	}
	if s.cfg.TLS == TLSStartTLS {
		// Never fall back to plain text: the offer is easy to strip.
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("email: %s does not offer STARTTLS", s.cfg.Addr)
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return fmt.Errorf("email: STARTTLS: %w", err)
		}
	}
	if s.cfg.User != "" {
		if err := c.Auth(plainAuth{s.cfg.User, s.password}); err != nil {
			return fmt.Errorf("email: AUTH as %s: %w", s.cfg.User, err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("email: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("email: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("email: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("email: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: message not accepted: %w", err)
	}
	// The message is accepted; a failed QUIT changes nothing.
	c.Quit()
	return nil
}

// errNoTLS refuses AUTH over a connection that is not encrypted.
var errNoTLS = errors.New("email: refusing AUTH over a connection without TLS")

// plainAuth is AUTH PLAIN that refuses to send the password without TLS.
// net/smtp's PlainAuth sends it in the clear to localhost, which a
// misconfigured local relay (or a test) would then see.
type plainAuth struct{ user, password string }

func (a plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS {
		return "", nil, errNoTLS
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("email: unexpected AUTH PLAIN challenge")
	}
	return nil, nil
}

// Permanent reports whether err cannot go away by trying again: the server
// replied 5xx, or the message was refused before it was sent. A 4xx reply,
// a network error or a timeout is temporary.
func Permanent(err error) bool {
	if errors.Is(err, ErrInvalid) {
		return true
	}
	var te *textproto.Error
	return errors.As(err, &te) && te.Code >= 500 && te.Code <= 599
}
