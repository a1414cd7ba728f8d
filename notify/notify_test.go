package notify_test

import (
	"context"
	"io"
	"log/slog"
	"net/textproto"
	"testing"
	"time"

	"mosaic"
	"mosaic/email"
	"mosaic/notify"
	"mosaic/storetest"
)

// outbox is an outbox of a few notifications, recording what a worker
// does with them.
type outbox struct {
	due    []mosaic.Notification
	sent   map[string]time.Time
	failed map[string]string
	retry  map[string]time.Time
	dead   map[string]bool
}

func (o *outbox) ClaimNotifications(_ context.Context, worker string, now time.Time, lease time.Duration, limit int) ([]mosaic.Notification, error) {
	out := o.due
	o.due = nil
	return out, nil
}

func (o *outbox) NotificationSent(_ context.Context, id, worker string, at time.Time) error {
	o.sent[id] = at
	return nil
}

func (o *outbox) NotificationFailed(_ context.Context, id, worker string, at time.Time, why string, retry time.Time, dead bool) error {
	o.failed[id], o.retry[id], o.dead[id] = why, retry, dead
	return nil
}

func (o *outbox) Notifications(context.Context, mosaic.NotificationState, int) ([]mosaic.Notification, error) {
	return nil, nil
}

type users map[string]mosaic.User

func (u users) User(_ context.Context, name string) (mosaic.User, error) {
	if x, ok := u[name]; ok {
		return x, nil
	}
	return mosaic.User{}, mosaic.Errorf(mosaic.CodeNotFound, "user %s not found", name)
}

// mailer answers each recipient as told, and keeps what it was given.
type mailer struct {
	reply map[string]error
	got   []email.Message
}

func (m *mailer) Send(_ context.Context, msg email.Message) error {
	m.got = append(m.got, msg)
	return m.reply[msg.To]
}

// TestWorker: a notification sent is recorded sent; a 4xx is tried again
// after the backoff, a 5xx, a user without an address and the tenth
// failure are given up; the e-mail carries the notification's id and a
// link to what it tells of, and nothing else of it.
func TestWorker(t *testing.T) {
	now := storetest.Epoch
	n := func(id, user string, attempts int) mosaic.Notification {
		return mosaic.Notification{ID: id, Kind: mosaic.NotifyReleaseAddressed, Channel: "email", User: user, Subject: "2f1c9a4e-0000-4000-8000-000000000001", Attempts: attempts}
	}
	o := &outbox{due: []mosaic.Notification{n("ok", "ann", 0), n("later", "bob", 2), n("never", "cas", 0), n("mute", "dan", 0), n("tired", "bob", 9)},
		sent: map[string]time.Time{}, failed: map[string]string{}, retry: map[string]time.Time{}, dead: map[string]bool{}}
	m := &mailer{reply: map[string]error{
		"bob@example.org": &textproto.Error{Code: 451, Msg: "try again later"},
		"cas@example.org": &textproto.Error{Code: 550, Msg: "no such user"},
	}}
	w := &notify.Worker{Outbox: o, Mail: m, Name: "w1", BaseURL: "https://mosaic.example", Lang: "nl", Clock: storetest.NewClock(now),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Users: users{"ann": {Name: "ann", Email: "ann@example.org", DisplayName: "Ann"}, "bob": {Name: "bob", Email: "bob@example.org"},
			"cas": {Name: "cas", Email: "cas@example.org"}, "dan": {Name: "dan"}}}
	sent, failed, err := w.RunOnce(context.Background())
	if err != nil || sent != 1 || failed != 4 {
		t.Fatalf("sent %d, failed %d, %v", sent, failed, err)
	}
	if !o.sent["ok"].Equal(now) {
		t.Errorf("sent: %v", o.sent)
	}
	if o.dead["later"] || !o.retry["later"].Equal(now.Add(notify.Backoff(3))) || o.failed["later"] == "" {
		t.Errorf("a 451 on the third attempt: dead %v, retry %v, %q", o.dead["later"], o.retry["later"], o.failed["later"])
	}
	for _, id := range []string{"never", "mute", "tired"} {
		if !o.dead[id] {
			t.Errorf("%s is not given up: %q", id, o.failed[id])
		}
	}
	if len(m.got) != 4 || m.got[0] != (email.Message{ID: "ok", To: "ann@example.org", Name: "Ann", Lang: "nl", Kind: email.ReleaseAddressed,
		Link: "https://mosaic.example/releases/2f1c9a4e-0000-4000-8000-000000000001"}) {
		t.Errorf("mails: %+v", m.got)
	}
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute} {
		if got := notify.Backoff(i + 1); got != want {
			t.Errorf("backoff %d: %v, want %v", i+1, got, want)
		}
	}
	if got := notify.Backoff(30); got != 6*time.Hour {
		t.Errorf("backoff 30: %v", got)
	}
}
