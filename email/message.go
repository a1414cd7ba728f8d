package email

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// ErrInvalid is returned for a message or configuration this package
// refuses to send; sending it again cannot succeed.
var ErrInvalid = errors.New("email: invalid message")

// Kind is the kind of event a message tells of.
type Kind string

// The kinds of event. The first five are mandatory: they ask the recipient
// to act or tell of a release they may already have acted on, so they cannot
// be unsubscribed from.
const (
	ReleaseAddressed Kind = "release.addressed"
	ConsentRequested Kind = "consent.requested"
	ConsentReminder  Kind = "consent.reminder"
	ConsentRefused   Kind = "consent.refused"
	ReleaseWithdrawn Kind = "release.withdrawn"
	ReleasePublished Kind = "release.published"
	FeedbackReceipt  Kind = "feedback.receipt"
	FeedbackSighting Kind = "feedback.sighting"
)

const (
	maxIDLen   = 128
	maxNameLen = 200
	maxURLLen  = 2000
)

// Mandatory reports whether k cannot be unsubscribed from.
func (k Kind) Mandatory() bool {
	switch k {
	case ReleaseAddressed, ConsentRequested, ConsentReminder, ConsentRefused, ReleaseWithdrawn:
		return true
	}
	return false
}

// Message is one notification to one recipient. It deliberately has no
// field for a title, advice, object name or any other content: whatever is
// not here cannot end up in an e-mail.
type Message struct {
	ID          string // the delivery's stable id: letters, digits, '.', '_', '-'; the Message-ID's local part
	To          string // the recipient's address, bare (user@domain)
	Name        string // the recipient's display name; may be empty
	Lang        string // "en" or "nl"; empty means "en"
	Kind        Kind   // what happened
	Link        string // absolute https URL into Mosaic
	Unsubscribe string // absolute https URL; only for kinds that are not mandatory
}

// Build returns m as an RFC 5322 message with CRLF line endings, from from
// (whose name is the cell's name) and dated date.
func Build(from *mail.Address, m Message, date time.Time) ([]byte, error) {
	if err := m.check(); err != nil {
		return nil, err
	}
	if from == nil || hasControl(from.Name) || hasControl(from.Address) {
		return nil, fmt.Errorf("%w: from address", ErrInvalid)
	}
	_, domain, ok := strings.Cut(from.Address, "@")
	if !ok || domain == "" || strings.ContainsAny(domain, "<>@ ") {
		return nil, fmt.Errorf("%w: from address has no domain", ErrInvalid)
	}
	t := texts[lang(m.Lang)]
	cell := from.Name
	if cell == "" {
		cell = "Mosaic"
	}
	var h header
	h.add("Date", date.Format(time.RFC1123Z))
	h.add("From", from.String())
	// Address.String encodes a non-ASCII name with mime.QEncoding, or with
	// BEncoding when the name holds characters an encoded word may not
	// hold in a phrase (RFC 2047, 5.3), and quotes an ASCII one.
	h.add("To", (&mail.Address{Name: m.Name, Address: m.To}).String())
	h.add("Subject", mime.QEncoding.Encode("utf-8", fmt.Sprintf(t.subject, cell, t.kinds[m.Kind].subject)))
	h.add("Message-ID", "<"+m.ID+"@"+domain+">")
	h.add("MIME-Version", "1.0")
	h.add("Content-Type", "text/plain; charset=utf-8")
	h.add("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: no out-of-office replies to a notification.
	h.add("Auto-Submitted", "auto-generated")
	if m.Unsubscribe != "" {
		h.add("List-Unsubscribe", "<"+m.Unsubscribe+">")
	}
	if h.err != nil {
		return nil, h.err
	}

	body := fmt.Sprintf(t.body, cell, t.kinds[m.Kind].body, m.Link)
	if m.Unsubscribe != "" {
		body += fmt.Sprintf(t.unsubscribe, m.Unsubscribe)
	}
	var b bytes.Buffer
	b.Write(h.buf.Bytes())
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b) // writes "\n" as CRLF
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// check refuses a message whose fields could break out of their header or
// are not what the templates expect.
func (m Message) check() error {
	bad := func(field, why string) error { return fmt.Errorf("%w: %s %s", ErrInvalid, field, why) }
	if m.ID == "" || len(m.ID) > maxIDLen {
		return bad("ID", "must be 1 to 128 characters")
	}
	for _, r := range m.ID {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return bad("ID", "may hold only letters, digits, '.', '_' and '-'")
		}
	}
	if hasControl(m.To) {
		return bad("To", "holds a control character")
	}
	for i := 0; i < len(m.To); i++ {
		if m.To[i] >= 0x80 {
			// It would need SMTPUTF8, which this package does not speak.
			return bad("To", "must be ASCII")
		}
	}
	if a, err := mail.ParseAddress(m.To); err != nil || a.Name != "" || a.Address != m.To || !strings.Contains(m.To, "@") {
		return bad("To", "is not a bare address")
	}
	if hasControl(m.Name) {
		return bad("Name", "holds a control character")
	}
	if len(m.Name) > maxNameLen {
		return bad("Name", "is too long")
	}
	if _, ok := texts[lang(m.Lang)]; !ok {
		return bad("Lang", "must be en or nl")
	}
	if _, ok := texts["en"].kinds[m.Kind]; !ok {
		return bad("Kind", fmt.Sprintf("%q is not a known kind", m.Kind))
	}
	if err := checkURL(m.Link); err != nil {
		return bad("Link", err.Error())
	}
	if m.Unsubscribe != "" {
		if m.Kind.Mandatory() {
			return bad("Unsubscribe", fmt.Sprintf("is not allowed for the mandatory kind %s", m.Kind))
		}
		if err := checkURL(m.Unsubscribe); err != nil {
			return bad("Unsubscribe", err.Error())
		}
	}
	return nil
}

// checkURL accepts an absolute https URL of printable ASCII that can stand
// between angle brackets in a header.
func checkURL(s string) error {
	if s == "" || len(s) > maxURLLen {
		return errors.New("must be an https URL of at most 2000 characters")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '<' || c == '>' || c == '"' {
			return errors.New("must be percent-encoded printable ASCII")
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return errors.New("must be an absolute https URL without user info")
	}
	return nil
}

// lang maps the empty language to English.
func lang(l string) string {
	if l == "" {
		return "en"
	}
	return l
}

// hasControl reports whether s holds a control character (CR and LF
// among them) or is not valid UTF-8.
func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

// header collects header fields, refusing a value with a line break even
// though every value was checked before: the last line of defence.
type header struct {
	buf bytes.Buffer
	err error
}

func (h *header) add(name, value string) {
	if strings.ContainsAny(value, "\r\n") || hasControl(value) {
		h.err = fmt.Errorf("%w: header %s holds a control character", ErrInvalid, name)
		return
	}
	h.buf.WriteString(name + ": " + value + "\r\n")
}
