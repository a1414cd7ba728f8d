package feed

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mosaic"
	"mosaic/policy"
)

// CheckLocal checks what a feed needs on this side before it is added, so
// that a mistake shows now rather than as a failing poll: the local user
// exists, is enabled and may contribute; the legal basis is configured;
// the review date is not past; the audience's compartments are the user's.
//
// legalBases are the configured legal bases (the content service's).
func CheckLocal(ctx context.Context, store Store, legalBases []string, f mosaic.Feed, now time.Time) error {
	v, err := viewer(ctx, store, f.User)
	if err != nil {
		return err
	}
	if f.LegalBasis != nil && !slices.Contains(legalBases, *f.LegalBasis) {
		return mosaic.Errorf(mosaic.CodeInvalid, "legal basis %q is not one of %s", *f.LegalBasis, strings.Join(legalBases, ", "))
	}
	if f.ReviewBy != nil {
		d, err := mosaic.ParseDate(*f.ReviewBy)
		if err != nil {
			return err
		}
		y, m, day := now.UTC().Date()
		if d.Before(time.Date(y, m, day, 0, 0, 0, 0, time.UTC)) {
			return mosaic.Errorf(mosaic.CodeInvalid, "review date %s is in the past", *f.ReviewBy)
		}
	}
	if f.Audience != nil {
		ms, err := store.Memberships(ctx, v)
		if err != nil {
			return err
		}
		if err := policy.MayShareWith(v, *f.Audience, ms); err != nil {
			return err
		}
	}
	return nil
}

// Resolve finds the remote collection that f.Collection names, by id or,
// failing that, by title, and checks that it can be read: the collection
// says can_read, and a request for one object is answered. It returns the
// collection, whose ID is what the feed should keep.
func Resolve(ctx context.Context, c *Client, auth Auth, apiRoot, collection string) (Collection, error) {
	coll, err := c.Collection(ctx, auth, apiRoot, collection)
	var re *RemoteError
	if errors.As(err, &re) && (re.Status == 404 || re.Status == 400) {
		// Not an id this server knows: perhaps a title.
		cs, lerr := c.Collections(ctx, auth, apiRoot)
		if lerr != nil {
			return Collection{}, lerr
		}
		coll, err = byTitle(cs, collection)
		if err != nil {
			return Collection{}, err
		}
	} else if err != nil {
		return Collection{}, err
	}
	if coll.ID == "" {
		return Collection{}, fmt.Errorf("the server describes collection %q without an id", collection)
	}
	if !coll.CanRead {
		return Collection{}, fmt.Errorf("collection %s (%s) cannot be read by this remote user (can_read is false)", coll.ID, clean(coll.Title))
	}
	if _, err := c.Objects(ctx, auth, ObjectsRequest{APIRoot: apiRoot, Collection: coll.ID, Limit: 1}); err != nil {
		return Collection{}, fmt.Errorf("reading collection %s: %w", coll.ID, err)
	}
	return coll, nil
}

// byTitle picks the one collection with title, exactly or else ignoring
// case.
func byTitle(cs []Collection, title string) (Collection, error) {
	for _, eq := range []func(a, b string) bool{func(a, b string) bool { return a == b }, strings.EqualFold} {
		var found []Collection
		for _, c := range cs {
			if eq(c.Title, title) {
				found = append(found, c)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 0:
			continue
		}
		return Collection{}, fmt.Errorf("%d collections are titled %q; give the id of one", len(found), title)
	}
	titles := make([]string, 0, len(cs))
	for _, c := range cs {
		titles = append(titles, fmt.Sprintf("%q (%s)", clean(c.Title), c.ID))
	}
	if len(titles) == 0 {
		return Collection{}, fmt.Errorf("no collection %q: the remote user sees no collections", title)
	}
	return Collection{}, fmt.Errorf("no collection with id or title %q; the remote user sees %s", title, strings.Join(titles, ", "))
}
