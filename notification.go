package mosaic

import (
	"context"
	"time"
)

// NotificationKind says what a notification tells of. Its text never
// carries content: the kind of event and a link into Mosaic.
type NotificationKind string

// The kinds of notification.
const (
	// NotifyReleaseAddressed tells a recipient's users that a release
	// reached them.
	NotifyReleaseAddressed NotificationKind = "release.addressed"
)

// NotificationState is where a notification is in its delivery.
type NotificationState string

// The states of a notification: pending until a worker delivered it
// (sent), or gave up on it (dead, shown to admins).
const (
	NotificationPending NotificationState = "pending"
	NotificationSent    NotificationState = "sent"
	NotificationDead    NotificationState = "dead"
)

// Notification is one message to deliver, written in the transaction of
// the event it tells of, so that it exists exactly when the event
// committed (the outbox). ID is stable: derived from the event and the
// recipient, so that a delivery made twice after a crash carries the
// same id (e-mail's Message-ID) and the receiver can tell.
type Notification struct {
	ID      string            `json:"id"`
	Kind    NotificationKind  `json:"kind"`
	Channel string            `json:"channel"` // "email"
	User    string            `json:"user"`    // the recipient
	Subject string            `json:"subject"` // the id of what it tells of: a release's
	State   NotificationState `json:"state"`
	// Attempts counts the deliveries tried; NextAttempt is when the next
	// may be, LastError why the last failed (never content).
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LastError   string    `json:"last_error,omitempty"`
	Created     time.Time `json:"created"`
	Sent        time.Time `json:"sent,omitzero"`
}

// Outbox is how workers take notifications to deliver. A claim is a
// lease: a worker that dies leaves its notifications to another once the
// lease ends, so on several replicas each goes out from one of them at a
// time, and at least once.
type Outbox interface {
	// ClaimNotifications leases up to limit pending notifications due at
	// now to worker until now+lease, oldest first.
	ClaimNotifications(ctx context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]Notification, error)
	// NotificationSent records the delivery of a notification worker
	// holds; CodeConflict when its lease went to another.
	NotificationSent(ctx context.Context, id, worker string, at time.Time) error
	// NotificationFailed records a failed delivery: to try again at
	// retry, or, dead, never.
	NotificationFailed(ctx context.Context, id, worker string, at time.Time, why string, retry time.Time, dead bool) error
	// Notifications lists notifications newest first, of state (all for
	// ""), for the admins' delivery log.
	Notifications(ctx context.Context, state NotificationState, limit int) ([]Notification, error)
}
