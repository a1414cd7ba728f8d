package content

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"mosaic"
	"mosaic/policy"
)

// feedbackStore returns the store's feedback picture, or CodeNotFound
// when releases are off or the store keeps none.
func (s *Service) feedbackStore() (mosaic.FeedbackPictures, error) {
	if err := s.releasesOn(); err != nil {
		return nil, err
	}
	fp, ok := s.releases.(mosaic.FeedbackPictures)
	if !ok {
		return nil, mosaic.Errorf(mosaic.CodeNotFound, "this server keeps no feedback picture")
	}
	return fp, nil
}

// FeedbackOn reports whether the picture and the live stream carry
// recipients' feedback at all.
func (s *Service) FeedbackOn() bool {
	_, err := s.feedbackStore()
	return err == nil
}

// FeedbackPicture returns the feedback part of the situational picture as
// v may read it as of now: releases whose feedback v reads, what the
// stakeholders of each sector did with them, and each recipient of the
// newest. A viewer who reads no feedback is refused (CodeForbidden), and
// the refusal audited: the page then shows no such section.
func (s *Service) FeedbackPicture(ctx context.Context, v mosaic.Viewer, now time.Time, a Access) (mosaic.FeedbackPicture, error) {
	pic, err := s.feedbackPicture(ctx, v, now)
	if err != nil {
		return mosaic.FeedbackPicture{}, s.Refuse(v, a, err)
	}
	ids := make([]string, len(pic.Releases))
	for i, r := range pic.Releases {
		ids[i] = r.ID
	}
	if err := s.read(v, a, ids, mosaic.Allowed); err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	return pic, nil
}

func (s *Service) feedbackPicture(ctx context.Context, v mosaic.Viewer, now time.Time) (mosaic.FeedbackPicture, error) {
	fp, err := s.feedbackStore()
	if err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	sc, err := policy.FeedbackScopeOf(v, s.releaseCfg.FeedbackReaders, s.releaseCfg.FeedbackReadersFor)
	if err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	pic, err := s.pictures.get(ctx, fp, sc, now)
	if err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	if err := policy.MayReadFeedbackPicture(sc, pic.Drafted); err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	return pic, nil
}

// LastFeedback is where v's feedback events start when its stream starts
// now; ok is false when this server has no feedback to stream.
func (s *Service) LastFeedback(ctx context.Context) (p mosaic.FeedbackPosition, ok bool, err error) {
	fp, err := s.feedbackStore()
	if err != nil {
		return p, false, nil
	}
	p, err = fp.LastFeedback(ctx)
	return p, err == nil, err
}

// FeedbackAfter returns the feedback events after the position that v
// reads, and the position to ask after next. The releases they name are
// audited as read; a viewer who reads no feedback gets none, and its
// position moves on to the newest, so that a right gained later does not
// bring back what came before it.
func (s *Service) FeedbackAfter(ctx context.Context, v mosaic.Viewer, after mosaic.FeedbackPosition, limit int, a Access) ([]mosaic.FeedbackEvent, mosaic.FeedbackPosition, error) {
	fp, err := s.feedbackStore()
	if err != nil {
		return nil, after, err
	}
	sc, err := policy.FeedbackScopeOf(v, s.releaseCfg.FeedbackReaders, s.releaseCfg.FeedbackReadersFor)
	if err != nil {
		last, err := fp.LastFeedback(ctx)
		if err != nil {
			return nil, after, err
		}
		return nil, mosaic.FeedbackPosition{Receipt: max(after.Receipt, last.Receipt), Sighting: max(after.Sighting, last.Sighting)}, nil
	}
	es, next, err := fp.FeedbackAfter(ctx, sc, after, limit)
	if err != nil || len(es) == 0 {
		return nil, next, err
	}
	var ids []string
	seen := map[string]bool{}
	for _, e := range es {
		if !seen[e.Release] {
			seen[e.Release] = true
			ids = append(ids, e.Release)
		}
	}
	// Nothing is sent that the audit log cannot account for.
	if err := s.read(v, a, ids, mosaic.Allowed); err != nil {
		return nil, after, err
	}
	return es, next, nil
}

// noteRead notes v's first read of delivery d for the drafters' picture:
// its organisation's, or its own for a release that reached it by name.
// The note is best-effort, unlike the audit entry of the same read: the
// audit log accounts for what was shown and is the record of the read,
// while the note only tells the drafters that the advice arrived, and a
// recipient must not be kept from advice because the note could not be
// written. A failure is logged.
func (s *Service) noteRead(ctx context.Context, v mosaic.Viewer, d mosaic.Delivery) {
	sc := policy.ReleaseScopeOf(v)
	fp, ok := s.releases.(mosaic.FeedbackPictures)
	// A public release reaches no organisation by name: who read it,
	// signed in, is nobody's to know.
	if !ok || sc.Org == "" || d.Published.IsZero() || d.Recipient == string(mosaic.RecipientPublic) {
		return
	}
	user := ""
	if strings.HasPrefix(d.Recipient, string(mosaic.RecipientUser)+":") {
		user = sc.User
	}
	if err := fp.NoteRead(ctx, d.ID, sc.Org, user, s.clock.Now().UTC()); err != nil {
		s.releaseCfg.Log.Error("note a release's first read", slog.String("release", d.ID), slog.String("org", sc.Org), slog.Any("err", err))
	}
}

// pictureCache keeps the feedback pictures made, each for the scope it
// was made for, while nothing it counts has changed (the store's
// FeedbackVersion) and for the minute its windows were counted in. The
// picture's analysts and its live refreshes ask for the same picture many
// times between two changes; counting a month of deliveries on each view
// would cost every one of them (BENCHMARKS.md). What one scope reads is
// never answered to another: the scope is the key.
type pictureCache struct {
	mu      sync.Mutex
	entries map[string]mosaic.FeedbackPicture
}

// maxPictures bounds the pictures kept: one per scope in use, of which a
// cell has a few dozen.
const maxPictures = 256

func (c *pictureCache) get(ctx context.Context, fp mosaic.FeedbackPictures, sc mosaic.FeedbackScope, now time.Time) (mosaic.FeedbackPicture, error) {
	version, err := fp.FeedbackVersion(ctx)
	if err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	minute := now.UTC().Truncate(time.Minute)
	// Filter.Orgs nil (every organisation) and empty (none) differ.
	key := fmt.Sprintf("%s|%s|%t|%t|%q|%q|%s", version, sc.Drafter, sc.Others, sc.Filter.Orgs == nil, sc.Filter.Orgs, sc.Filter.Except, minute.Format(time.RFC3339))
	c.mu.Lock()
	pic, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return pic, nil
	}
	if pic, err = fp.FeedbackPicture(ctx, sc, now); err != nil {
		return mosaic.FeedbackPicture{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxPictures {
		c.entries = map[string]mosaic.FeedbackPicture{}
	}
	c.entries[key] = pic
	return pic, nil
}
