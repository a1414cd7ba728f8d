package email

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strconv"
	"strings"
)

// TLS modes of [Config.TLS].
const (
	TLSNone     = "none"     // plain text; only to a loopback address
	TLSStartTLS = "starttls" // upgraded with STARTTLS, which must be offered
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// Config is the SMTP part of Mosaic's configuration.
type Config struct {
	Addr         string // smtp_addr: host:port of the server
	From         string // smtp_from: "Cell name <address>"; the name is the cell's name in messages
	TLS          string // smtp_tls: none, starttls or tls
	User         string // smtp_user: AUTH PLAIN user; empty for no AUTH
	PasswordFile string // smtp_password_file: file of mode 0600 holding the password

	// RootCAs verifies the server's certificate; nil means the system's
	// roots. Tests and a cell with its own CA set it.
	RootCAs *x509.CertPool
}

// Check reports the first problem with c, naming the setting.
func (c Config) Check() error {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" || hasControl(c.Addr) {
		return fmt.Errorf("email: smtp_addr %q: want host:port", c.Addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("email: smtp_addr %q: port must be 1-65535", c.Addr)
	}
	if _, err := c.from(); err != nil {
		return err
	}
	switch c.TLS {
	case TLSStartTLS, TLSImplicit:
	case TLSNone:
		if !isLoopback(host) {
			return fmt.Errorf("email: smtp_tls none is allowed only to a loopback address, not %q", host)
		}
	default:
		return fmt.Errorf("email: smtp_tls %q: want none, starttls or tls", c.TLS)
	}
	if hasControl(c.User) {
		return errors.New("email: smtp_user holds a control character")
	}
	switch {
	case c.User != "" && c.PasswordFile == "":
		return errors.New("email: smtp_user is set but smtp_password_file is not")
	case c.User == "" && c.PasswordFile != "":
		return errors.New("email: smtp_password_file is set but smtp_user is not")
	case c.User != "" && c.TLS == TLSNone:
		// The password would cross the wire in the clear.
		return errors.New("email: smtp_user needs smtp_tls starttls or tls, not none")
	}
	return nil
}

// from parses c.From, which must be one address, optionally with a name.
func (c Config) from() (*mail.Address, error) {
	if hasControl(c.From) {
		return nil, errors.New("email: smtp_from holds a control character")
	}
	a, err := mail.ParseAddress(c.From)
	if err != nil {
		return nil, fmt.Errorf("email: smtp_from %q: %v", c.From, err)
	}
	if _, _, ok := strings.Cut(a.Address, "@"); !ok || hasControl(a.Name) {
		return nil, fmt.Errorf("email: smtp_from %q: want name <user@domain>", c.From)
	}
	return a, nil
}

// isLoopback reports whether host is localhost or a loopback IP address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
