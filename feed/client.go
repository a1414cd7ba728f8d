package feed

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

// MediaType is the TAXII 2.1 media type, sent in Accept.
const MediaType = "application/taxii+json;version=2.1"

// The headers that carry the date_added of a page's first and last object
// (TAXII §3.2).
const (
	HeaderDateAddedFirst = "X-TAXII-Date-Added-First"
	HeaderDateAddedLast  = "X-TAXII-Date-Added-Last"
)

// DefaultMaxBody is the largest answer a Client reads unless told
// otherwise: Mosaic's own request body limit.
const DefaultMaxBody = 32 << 20

// Client speaks TAXII 2.1 to remote servers.
type Client struct {
	// HTTP does the requests; its timeouts bound each one.
	HTTP *http.Client
	// MaxBody is the largest answer body read, in bytes; a larger answer
	// is an error, not a truncated page.
	MaxBody int64
	// Clock reads Retry-After dates.
	Clock mosaic.Clock
}

// NewClient returns a Client with timeouts fit for polling over a slow
// link: a stalled server fails the poll instead of holding it forever.
func NewClient(maxBody int64, clock mosaic.Clock) *Client {
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	if clock == nil {
		clock = mosaic.SystemClock{}
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	}
	return &Client{HTTP: &http.Client{Transport: tr, Timeout: 10 * time.Minute, CheckRedirect: checkRedirect}, MaxBody: maxBody, Clock: clock}
}

// checkRedirect follows a redirect only to the same scheme, host and port.
// The credentials go along with the request: over plain HTTP they would
// cross the network in clear, and net/http keeps the Authorization header
// on a redirect to a subdomain, which may be another party's server. A
// server that moved is better told to the operator, who checks the new URL
// and changes the feed.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("more than 5 redirects")
	}
	from, to := origin(via[0].URL), origin(req.URL)
	if from != to {
		return fmt.Errorf("refused a redirect from %s to %s: a feed follows redirects only on the same scheme, host and port; if the server moved, change the feed's URL", from, to)
	}
	return nil
}

// origin is a URL's scheme, host and port, with the scheme's default port
// written out, so that https://x and https://x:443 are the same.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// Auth is how a Client authenticates: HTTP Basic with User and Secret, or
// a Bearer token when User is empty, or nothing when both are.
type Auth struct {
	User, Secret string
}

func (a Auth) apply(r *http.Request) {
	switch {
	case a.User != "":
		r.SetBasicAuth(a.User, a.Secret)
	case a.Secret != "":
		r.Header.Set("Authorization", "Bearer "+a.Secret)
	}
}

// Collection is a remote collection resource (TAXII §5.2.1).
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// ObjectsRequest asks for one page of a collection's objects.
type ObjectsRequest struct {
	APIRoot    string // the API root URL, ending in a slash
	Collection string
	AddedAfter string // "" for everything
	Limit      int    // 0 for the server's default
	Next       string // from the previous page, with the same query
	// Version is match[version]: "all", "first", "last" or versions; ""
	// for the server's default, which TAXII makes the latest version of
	// each object only (§3.4.1).
	Version string
}

// Page is one page of objects (an envelope, TAXII §3.7) with the dates of
// its first and last object.
type Page struct {
	Objects        []json.RawMessage
	More           bool
	Next           string
	DateAddedFirst string
	DateAddedLast  string
}

// Objects gets one page of a collection's objects (TAXII §5.4).
func (c *Client) Objects(ctx context.Context, auth Auth, req ObjectsRequest) (Page, error) {
	q := url.Values{}
	if req.AddedAfter != "" {
		q.Set("added_after", req.AddedAfter)
	}
	if req.Limit > 0 {
		q.Set("limit", strconv.Itoa(req.Limit))
	}
	if req.Next != "" {
		q.Set("next", req.Next)
	}
	if req.Version != "" {
		q.Set("match[version]", req.Version)
	}
	u := collectionURL(req.APIRoot, req.Collection) + "objects/"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var env struct {
		More    bool              `json:"more"`
		Next    json.RawMessage   `json:"next"`
		Objects []json.RawMessage `json:"objects"`
	}
	h, err := c.get(ctx, auth, u, &env)
	if err != nil {
		return Page{}, err
	}
	p := Page{Objects: env.Objects, More: env.More, DateAddedFirst: h.Get(HeaderDateAddedFirst), DateAddedLast: h.Get(HeaderDateAddedLast)}
	// TAXII §3.7 makes next a string; some servers send a number.
	if len(env.Next) > 0 && string(env.Next) != "null" {
		var s string
		if json.Unmarshal(env.Next, &s) != nil {
			s = string(env.Next)
		}
		p.Next = s
	}
	for i, o := range p.Objects {
		if len(o) == 0 || o[0] != '{' {
			return Page{}, &ProtocolError{URL: u, Reason: fmt.Sprintf("objects[%d] is not a JSON object", i)}
		}
	}
	return p, nil
}

// Collections lists the collections of an API root (TAXII §5.1).
func (c *Client) Collections(ctx context.Context, auth Auth, apiRoot string) ([]Collection, error) {
	var out struct {
		Collections []Collection `json:"collections"`
	}
	if _, err := c.get(ctx, auth, apiRoot+"collections/", &out); err != nil {
		return nil, err
	}
	return out.Collections, nil
}

// Collection gets one collection (TAXII §5.2).
func (c *Client) Collection(ctx context.Context, auth Auth, apiRoot, id string) (Collection, error) {
	var out Collection
	_, err := c.get(ctx, auth, collectionURL(apiRoot, id), &out)
	return out, err
}

func collectionURL(apiRoot, id string) string {
	return apiRoot + "collections/" + url.PathEscape(id) + "/"
}

// get GETs a TAXII resource and decodes it into out.
func (c *Client) get(ctx context.Context, auth Auth, u string, out any) (http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &ProtocolError{URL: u, Reason: err.Error()}
	}
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", "Mosaic-feed/1")
	auth.apply(req)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ProtocolError{URL: u, Reason: transportReason(err)}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, c.remoteError(u, resp)
	}
	if err := checkMediaType(resp.Header.Get("Content-Type")); err != nil {
		return nil, &ProtocolError{URL: u, Reason: err.Error()}
	}
	if resp.ContentLength > c.MaxBody {
		return nil, &ProtocolError{URL: u, Reason: fmt.Sprintf("the answer is %d bytes long, more than the limit of %d bytes", resp.ContentLength, c.MaxBody), TooLarge: true}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &ProtocolError{URL: u, Reason: "reading the answer: " + transportReason(err)}
	}
	if int64(len(body)) > c.MaxBody {
		return nil, &ProtocolError{URL: u, Reason: fmt.Sprintf("the answer is longer than the limit of %d bytes", c.MaxBody), TooLarge: true}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return nil, &ProtocolError{URL: u, Reason: "the answer is not the TAXII resource expected: " + jsonReason(err)}
	}
	return resp.Header, nil
}

// checkMediaType accepts TAXII 2.1's media type, without a version (the
// latest) or with 2.1, and plain JSON, which some servers send; anything
// else, such as the HTML of a sign-in page, is not a TAXII answer.
func checkMediaType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
		return fmt.Errorf("the answer's Content-Type %q is not a TAXII media type", ct)
	case mt == "application/taxii+json":
		if v := params["version"]; v != "" && v != "2.1" {
			return fmt.Errorf("the server answers in TAXII %s, not 2.1", v)
		}
		return nil
	case mt == "application/json":
		return nil
	}
	return fmt.Errorf("the answer is %s, not %s: is the URL a TAXII 2.1 API root?", mt, MediaType)
}

func transportReason(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "the server did not answer in time"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s is %s, not %s", te.Field, te.Value, te.Type)
	}
	return err.Error()
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// remoteError reads an error answer: a TAXII error message (§3.6.1) when
// the server sends one, the status alone otherwise.
func (c *Client) remoteError(u string, resp *http.Response) *RemoteError {
	e := &RemoteError{URL: u, Status: resp.StatusCode}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		e.RetryAfter = retryAfter(ra, c.Clock.Now())
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var msg struct {
		Title       string `json:"title"`
		Description string `json:"description"`
		ErrorCode   string `json:"error_code"`
	}
	if json.Unmarshal(body, &msg) == nil {
		e.Title, e.Description, e.ErrorCode = clean(msg.Title), clean(msg.Description), clean(msg.ErrorCode)
	}
	return e
}

// retryAfter reads Retry-After, in seconds or as an HTTP date (RFC 9110
// §10.2.3); what it cannot read counts as nothing said.
func retryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(min(n, maxRetryAfterSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfterSeconds*time.Second)
	}
	return 0
}

// maxRetryAfterSeconds caps what a server can ask for: a day, after which
// the feed tries again whatever it was told.
const maxRetryAfterSeconds = 24 * 60 * 60

// clean makes remote text safe to log, store and show: printable, on one
// line, and short.
func clean(s string) string {
	const maxLen = 500
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxLen {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == 0xfffd:
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}
