// Package session defines the web UI's sign-in sessions: what a session is
// and what a store must keep of it. The sessions are package web's, which
// signs people in and out; the stores implement Store (package sqlstore),
// and the conformance suite (package storetest) checks that they do so
// alike. It lives apart from package web so that a store can implement it
// without depending on the UI.
package session

import (
	"context"
	"time"

	"mosaic"
)

// Session is a signed-in browser.
type Session struct {
	User    string
	CSRF    string // the token every form of the session carries
	Created time.Time
	Expires time.Time
	// PreviousVisit is when the user signed in before this session, zero
	// on a first sign-in; SinceSeq is the storage position then, for
	// "new since your last visit".
	PreviousVisit time.Time
	SinceSeq      int64
}

// Store keeps sessions.
type Store interface {
	// CreateSession stores a session for user under the SHA-256 hash of its
	// secret, valid until expires, with the token forms must carry (csrf).
	// It remembers the sign-in as the user's last visit and returns the
	// session with the visit before it. The audit entry a (the sign-in) is
	// appended in the same transaction. CodeNotFound (user).
	CreateSession(ctx context.Context, hash [32]byte, user, csrf string, expires time.Time, a mosaic.AuditEntry) (Session, error)
	// Session returns an unexpired session of an enabled user and that
	// user's viewer. CodeUnauth otherwise.
	Session(ctx context.Context, hash [32]byte, now time.Time) (Session, mosaic.Viewer, error)
	// DeleteSession ends a session and appends a (the sign-out). Ending a
	// session that does not exist is no error: the user is signed out
	// either way.
	DeleteSession(ctx context.Context, hash [32]byte, a mosaic.AuditEntry) error
}
