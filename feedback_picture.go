package mosaic

import (
	"context"
	"time"
)

// FeedbackScope is whose feedback on which published releases a viewer
// reads in the situational picture and its live stream, as
// policy.FeedbackScopeOf decides; the store applies it in its queries.
type FeedbackScope struct {
	// Drafter reads every recipient's feedback on the releases this
	// organisation drafted; "" reads none of them.
	Drafter string
	// Others reads, on every other release, the feedback of the
	// recipient organisations Filter selects. Without it, only the
	// drafter's own releases count.
	Others bool
	Filter FeedbackFilter
}

// SectorFeedback is what the stakeholder organisations of one sector did
// with the releases delivered to them in the last 30 days, counted over
// (release, organisation) pairs: an organisation in two sectors counts in
// both.
type SectorFeedback struct {
	Sector string
	// Deliveries are the releases published in the last 30 days that
	// reached an organisation of the sector, once per organisation.
	Deliveries int64
	// Acknowledged holds those with any receipt of the organisation;
	// Applied those whose newest receipt says applied.
	Acknowledged int64
	Applied      int64
	// Sightings are the sightings its organisations reported in the last
	// 30 days.
	Sightings int64
}

// RecipientFeedback is one recipient organisation of a release: when it
// received the release, first read it, and what it reported.
type RecipientFeedback struct {
	Org       string
	Delivered time.Time
	Read      time.Time     // zero: not read yet
	Status    ReceiptStatus // its newest receipt; "" for none
	StatusAt  time.Time
	Sightings int64
}

// ReleaseFeedback is one published release of the picture with its
// recipients, by organisation name.
type ReleaseFeedback struct {
	ID         string
	Title      string
	TLP        TLP
	Published  time.Time
	Withdrawn  time.Time
	Recipients []RecipientFeedback
}

// FeedbackPicture is the feedback part of the situational picture as of
// a moment.
type FeedbackPicture struct {
	// Drafted says that the scope's drafter has published a release at
	// all: a drafter without one, and no reader of others', reads no
	// feedback (policy.MayReadFeedbackPicture).
	Drafted bool
	// Published counts the releases published in the last 24 hours, 7
	// days and 30 days whose feedback the scope reads.
	Published PictureCount
	// Sectors is by sector name; only sectors with a delivery or a
	// sighting are present.
	Sectors []SectorFeedback
	// Releases are the newest PictureReleases published in the last 30
	// days, newest first.
	Releases []ReleaseFeedback
}

// PictureReleases is how many releases the picture shows recipient by
// recipient.
const PictureReleases = 20

// The kinds of feedback event.
const (
	FeedbackReceipt  = "receipt"
	FeedbackSighting = "sighting"
)

// FeedbackEvent says that a recipient organisation reported on a release:
// what the live stream sends, and nothing of what was reported.
type FeedbackEvent struct {
	Release string    `json:"release"`
	Org     string    `json:"org"`
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`
}

// FeedbackPosition is where a stream of feedback events stands: the last
// receipt and the last sighting it passed.
type FeedbackPosition struct {
	Receipt, Sighting int64
}

// FeedbackPictures keeps what the picture shows of recipients' feedback.
// The scope passed in is the viewer's (policy.FeedbackScopeOf); what it
// does not reach is neither counted nor named.
type FeedbackPictures interface {
	// FeedbackPicture returns the picture's feedback part as of now.
	FeedbackPicture(ctx context.Context, sc FeedbackScope, now time.Time) (FeedbackPicture, error)
	// NoteRead records that org, or user when the release reached the
	// user by name, read published release id at at, unless it had read
	// it before: only the first read is kept.
	NoteRead(ctx context.Context, id, org, user string, at time.Time) error
	// FeedbackAfter returns up to limit feedback events sc reads that
	// were recorded after the position, oldest first, and the position to
	// ask after next (past what sc does not read too). Sightings reported
	// together are one event.
	FeedbackAfter(ctx context.Context, sc FeedbackScope, after FeedbackPosition, limit int) ([]FeedbackEvent, FeedbackPosition, error)
	// LastFeedback is the position of the newest feedback: where a stream
	// that starts now begins.
	LastFeedback(ctx context.Context) (FeedbackPosition, error)
	// FeedbackVersion changes whenever what a picture counts does: a
	// publication, a withdrawal, a receipt, a sighting, a first read.
	FeedbackVersion(ctx context.Context) (string, error)
}
