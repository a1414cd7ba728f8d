// Package notify delivers the outbox's notifications (mosaic.Outbox): a
// worker leases the due ones, sends each as an e-mail to its user, and
// records a delivery, a retry with backoff, or a dead letter. Several
// workers, on one replica or several, share the outbox through their
// leases. Delivery is at least once: a worker that dies after sending and
// before recording leaves the notification to be sent again, with the
// same id, which the receiver recognises.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"mosaic"
	"mosaic/email"
)

// Mailer sends one e-mail; email.Sender is one.
type Mailer interface {
	Send(ctx context.Context, m email.Message) error
}

// Users finds a notification's recipient.
type Users interface {
	User(ctx context.Context, name string) (mosaic.User, error)
}

// The bounds of a worker's work: notifications leased at once, how long a
// lease lasts (longer than one send may take), and the attempts before a
// notification that keeps failing is given up.
const (
	Batch       = 50
	Lease       = 5 * time.Minute
	MaxAttempts = 10
)

// Worker delivers notifications.
type Worker struct {
	Outbox mosaic.Outbox
	Users  Users
	Mail   Mailer
	// Name tells this worker's leases from the others'.
	Name string
	// BaseURL is where users reach Mosaic (https://...): the links in
	// the e-mails lead there.
	BaseURL string
	// Lang is the language of the e-mails ("en" or "nl").
	Lang  string
	Clock mosaic.Clock
	Log   *slog.Logger
}

// Backoff is how long after its nth failed attempt (from 1) a
// notification is tried again: a minute, doubling, at most six hours.
func Backoff(n int) time.Duration {
	d := time.Minute
	for i := 1; i < n && d < 6*time.Hour; i++ {
		d *= 2
	}
	return min(d, 6*time.Hour)
}

// RunOnce leases the due notifications and delivers them; it returns how
// many were sent and how many failed. An error is the outbox's: a failed
// send is recorded, not returned.
func (w *Worker) RunOnce(ctx context.Context) (sent, failed int, err error) {
	ns, err := w.Outbox.ClaimNotifications(ctx, w.Name, w.Clock.Now(), Lease, Batch)
	if err != nil {
		return 0, 0, err
	}
	for _, n := range ns {
		sendErr := w.deliver(ctx, n)
		now := w.Clock.Now()
		if sendErr == nil {
			if err := w.Outbox.NotificationSent(ctx, n.ID, w.Name, now); err != nil {
				return sent, failed, err
			}
			sent++
			continue
		}
		failed++
		attempts := n.Attempts + 1
		dead := email.Permanent(sendErr) || attempts >= MaxAttempts
		// The error names the failure (an SMTP reply, a network error),
		// never the message, which holds nothing above TLP:CLEAR anyway.
		if err := w.Outbox.NotificationFailed(ctx, n.ID, w.Name, now, sendErr.Error(), now.Add(Backoff(attempts)), dead); err != nil {
			return sent, failed, err
		}
		if dead {
			w.Log.Warn("notification given up", slog.String("id", n.ID), slog.Int("attempts", attempts), slog.Any("err", sendErr))
		}
	}
	return sent, failed, nil
}

// errNoAddress is a recipient without an e-mail address: trying again
// does not help.
var errNoAddress = errors.New("the user has no e-mail address")

func (w *Worker) deliver(ctx context.Context, n mosaic.Notification) error {
	u, err := w.Users.User(ctx, n.User)
	if err != nil {
		return err
	}
	if u.Disabled {
		return errors.Join(email.ErrInvalid, errors.New("the user is disabled"))
	}
	if u.Email == "" {
		return errors.Join(email.ErrInvalid, errNoAddress)
	}
	link, err := url.JoinPath(w.BaseURL, linkPath(n))
	if err != nil {
		return errors.Join(email.ErrInvalid, err)
	}
	return w.Mail.Send(ctx, email.Message{ID: n.ID, To: u.Email, Name: u.DisplayName, Lang: w.Lang, Kind: email.Kind(n.Kind), Link: link})
}

// linkPath is where in Mosaic a notification leads.
func linkPath(n mosaic.Notification) string {
	switch n.Kind {
	case mosaic.NotifyReleaseAddressed:
		return "/releases/" + n.Subject
	}
	return "/"
}

// Run delivers notifications every poll until ctx ends.
func (w *Worker) Run(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("deliver notifications", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
