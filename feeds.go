package mosaic

import (
	"context"
	"net"
	"net/url"
	"strings"
	"time"
)

// Feeds keeps the remote TAXII 2.1 collections Mosaic polls and how far it
// has read each (package feed). Creating and deleting a feed appends its
// audit entry in the same transaction.
type Feeds interface {
	// CreateFeed stores f (its State is ignored: a new feed starts with
	// nothing read and is due at once) and sets f.ID and f.Created.
	// CodeConflict if the name is taken, CodeNotFound if the local user
	// does not exist, CodeInvalid for a bad feed.
	CreateFeed(ctx context.Context, f *Feed, a AuditEntry) error
	// Feed returns the feed with name. CodeNotFound.
	Feed(ctx context.Context, name string) (Feed, error)
	// Feeds lists every feed by name.
	Feeds(ctx context.Context) ([]Feed, error)
	// DeleteFeed removes a feed and its state; what it imported stays.
	// CodeNotFound.
	DeleteFeed(ctx context.Context, name string, a AuditEntry) error
	// SaveFeedState replaces the state of the feed with id, except that
	// AddedAfter never moves back in time: when the stored position is
	// later (another process polling the same feed got further), it stays.
	// CodeNotFound when the feed is gone (removed while it was being
	// polled).
	SaveFeedState(ctx context.Context, id int64, st FeedState) error
}

// Feed is a remote TAXII 2.1 collection whose objects Mosaic imports on a
// schedule, as contributions of a local user's organisation under the
// envelope configured here. The remote secret itself is never stored: only
// the path of the file that holds it, so that it stays out of the database,
// its backups and every listing.
type Feed struct {
	ID   int64
	Name string
	// URL is the remote API root, ending in a slash, such as
	// https://taxii.example.org/taxii2/api/.
	URL string
	// Collection is the remote collection's id.
	Collection string
	// User is the local user the objects are imported as; its organisation
	// becomes their originator.
	User string
	// RemoteUser is the user name for HTTP Basic; empty means the secret
	// is sent as a Bearer token.
	RemoteUser string
	// TokenFile is the path of the file holding the remote API token or
	// password.
	TokenFile string
	// The envelope of what the feed imports, as EnvelopeDefaults: nil
	// fields take the defaults of the local user's organisation.
	Audience   *Audience
	ORCON      *bool
	LegalBasis *string
	ReviewBy   *string // YYYY-MM-DD
	// Interval is the time between polls when all goes well.
	Interval time.Duration
	Created  time.Time
	State    FeedState
}

// FeedState is how far a feed has read and how its polls went.
type FeedState struct {
	// AddedAfter is the added_after of the next request: the
	// X-TAXII-Date-Added-Last of the last page whose objects are stored,
	// or one microsecond before it when the server said there was more
	// (the page may have ended inside an upload, whose objects share one
	// date_added). Empty before the first page.
	AddedAfter string
	LastPoll   time.Time // when the last poll started; zero before the first
	// LastSuccess is when a poll last read the collection to its end.
	LastSuccess time.Time
	// LastError is why the last poll failed, empty when it did not.
	LastError string
	// Failures counts polls that failed in a row; it sets the backoff.
	Failures int
	// NextPoll is when the feed is due.
	NextPoll time.Time
	// Imported counts the records stored from the feed (new objects and
	// new versions), Unchanged the objects that were already stored.
	Imported, Unchanged int64
	// Rejected counts remote objects refused as invalid or conflicting;
	// LastRejection says which were refused last, and why.
	Rejected      int64
	LastRejection string
}

// Defaults are the envelope defaults of what the feed imports.
func (f Feed) Defaults() EnvelopeDefaults {
	return EnvelopeDefaults{Audience: f.Audience, ORCON: f.ORCON, LegalBasis: f.LegalBasis, ReviewBy: f.ReviewBy}
}

// MinFeedInterval is the shortest poll interval a feed may have: more often
// would be unkind to the remote server.
const MinFeedInterval = time.Minute

// Validate checks a feed's fields before it is stored. CodeInvalid.
func (f Feed) Validate() error {
	if !ValidName(f.Name) {
		return Errorf(CodeInvalid, "feed name %q: use 2 to 63 lower-case letters, digits and hyphens, starting with a letter", f.Name)
	}
	if err := CheckFeedURL(f.URL); err != nil {
		return err
	}
	if f.Collection == "" || strings.ContainsAny(f.Collection, "/?#") || len(f.Collection) > 256 {
		return Errorf(CodeInvalid, "collection %q is not a TAXII collection id", f.Collection)
	}
	if f.User == "" {
		return Errorf(CodeInvalid, "a feed needs a local user to import as")
	}
	if f.TokenFile == "" && f.RemoteUser != "" {
		return Errorf(CodeInvalid, "a remote user needs a token file with its password or token")
	}
	if f.Interval < MinFeedInterval {
		return Errorf(CodeInvalid, "poll interval %s is shorter than the minimum of %s", f.Interval, MinFeedInterval)
	}
	if f.ReviewBy != nil {
		if _, err := ParseDate(*f.ReviewBy); err != nil {
			return err
		}
	}
	return nil
}

// CheckFeedURL checks a remote API root URL: absolute, ending in a slash,
// without credentials, query or fragment, and HTTPS unless the host is a
// loopback address (the remote secret must not cross a network in clear).
// CodeInvalid.
func CheckFeedURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return Errorf(CodeInvalid, "URL %q is not an absolute http(s) URL of a TAXII API root", s)
	}
	if u.User != nil {
		return Errorf(CodeInvalid, "URL %q holds credentials; give the remote user with --remote-user and the secret in a token file", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || !strings.HasSuffix(u.Path, "/") {
		return Errorf(CodeInvalid, "URL %q: an API root URL has no query or fragment and ends with a slash (TAXII §3.1)", s)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return Errorf(CodeInvalid, "URL %q: use https; plain http is accepted only on the loopback interface", s)
	}
	return nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
