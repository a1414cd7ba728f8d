package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic/storetest"
)

// TestFeedCommands runs the feed commands of one Mosaic against another
// one's TAXII server, and lets the second one's server poll the feed.
func TestFeedCommands(t *testing.T) {
	remoteDir, localDir := t.TempDir(), t.TempDir()
	rdata, ldata := []string{"MOSAIC_DATA=" + remoteDir}, []string{"MOSAIC_DATA=" + localDir}
	mustRun(t, rdata, "", "org", "add", "pa", "--kind", "partner", "--legal-regime", "wpg")
	mustRun(t, rdata, "", "user", "add", "alice", "--org", "pa", "--role", "analyst")
	tok := strings.TrimSpace(mustRun(t, rdata, "", "token", "create", "alice"))
	remote := startServer(t, remoteDir)
	var objs []string
	for i := 1; i <= 12; i++ {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"Remote %d","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`, storetest.UUID(i), i, i))
	}
	bundle := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--`+storetest.UUID(1)+`","objects":[`+strings.Join(objs, ",")+`]}`), 0o600)
	mustRun(t, []string{"MOSAIC_URL=" + remote.URL(), "MOSAIC_TOKEN=" + tok}, "", "import", "--audience", "cell", bundle)

	mustRun(t, ldata, "", "org", "add", "pb", "--kind", "partner", "--legal-regime", "wbni")
	mustRun(t, ldata, "", "user", "add", "bob", "--org", "pb", "--role", "analyst")
	mustRun(t, ldata, "", "user", "add", "carol", "--org", "pb", "--role", "admin")
	secrets := t.TempDir()
	tokenFile := filepath.Join(secrets, "remote.token")
	os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600)
	wrongFile := filepath.Join(secrets, "wrong.token")
	os.WriteFile(wrongFile, []byte("mosaic_wrong\n"), 0o600)
	openFile := filepath.Join(secrets, "open.token")
	os.WriteFile(openFile, []byte(tok+"\n"), 0o644)
	os.Chmod(openFile, 0o644)
	api := remote.URL() + "/taxii2/api" // without the slash: added

	// The collection is named by its title; the remote is asked whether it
	// can be read.
	out := mustRun(t, ldata, "", "feed", "add", api, "Cell", "--user", "bob", "--remote-user", "alice", "--token-file", tokenFile,
		"--audience", "cell", "--orcon=false", "--legal-basis", "wbni", "--interval", "30m")
	if !strings.Contains(out, "feed feed-127-0-0-1-cell added") || !strings.Contains(out, "(Cell)") || !strings.Contains(out, "every 30m0s, as bob") {
		t.Errorf("feed add: %s", out)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong token", []string{api, "Cell", "--user", "bob", "--remote-user", "alice", "--token-file", wrongFile}, "HTTP 401"},
		{"open token file", []string{api, "Cell", "--user", "bob", "--remote-user", "alice", "--token-file", openFile}, "readable by others"},
		{"no such collection", []string{api, "Nope", "--user", "bob", "--remote-user", "alice", "--token-file", tokenFile}, `no collection with id or title "Nope"`},
		{"no user", []string{api, "Cell", "--token-file", tokenFile}, "--user"},
		{"admin user", []string{api, "Cell", "--user", "carol", "--token-file", tokenFile}, "may not contribute"},
		{"audience", []string{api, "Cell", "--user", "bob", "--audience", "everyone"}, "audience"},
		{"legal basis", []string{api, "Cell", "--user", "bob", "--legal-basis", "gdpr"}, "gdpr"},
		{"interval", []string{api, "Cell", "--user", "bob", "--interval", "5s"}, "shorter than the minimum"},
		{"plain http elsewhere", []string{"http://taxii.example.org/api/", "Cell", "--user", "bob"}, "use https"},
		{"taken", []string{api, "Cell", "--user", "bob", "--name", "feed-127-0-0-1-cell", "--no-check"}, "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs, code := runCmd(t, ldata, "", append([]string{"feed", "add"}, tc.args...)...)
			if code == 0 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q, want an error with %q", code, errs, tc.want)
			}
		})
	}
	mustRun(t, ldata, "", "feed", "add", api+"/", "5b7c43a3-0000-4000-8000-000000000000", "--user", "bob", "--name", "later", "--remote-user", "alice", "--token-file", tokenFile, "--no-check")

	if out := mustRun(t, ldata, "", "feed", "list"); !strings.Contains(out, "feed-127-0-0-1-cell  new") || !strings.Contains(out, "later") || strings.Contains(out, tok) {
		t.Errorf("feed list:\n%s", out)
	}
	out = mustRun(t, ldata, "", "feed", "poll", "feed-127-0-0-1-cell")
	if !strings.Contains(out, "page 1: 12 objects: 12 new, 0 new versions, 0 unchanged, 0 refused") || !strings.Contains(out, "1 pages, 12 objects") {
		t.Errorf("feed poll:\n%s", out)
	}
	if out := mustRun(t, ldata, "", "feed", "poll", "feed-127-0-0-1-cell"); !strings.Contains(out, "1 pages, 0 objects: 0 new") {
		t.Errorf("second feed poll:\n%s", out)
	}
	if _, errs, code := runCmd(t, ldata, "", "feed", "poll", "later"); code == 0 || !strings.Contains(errs, "HTTP 404") {
		t.Errorf("poll of a feed with a wrong collection: %d %s", code, errs)
	}
	out = mustRun(t, ldata, "", "feed", "list")
	if !strings.Contains(out, "failing (1)") || !strings.Contains(out, "HTTP 404") {
		t.Errorf("feed list after a failure:\n%s", out)
	}
	mustRun(t, ldata, "", "feed", "remove", "later")
	if _, errs, code := runCmd(t, ldata, "", "feed", "remove", "later"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("second remove: %s", errs)
	}

	// The server polls the feeds by itself: a feed added now is due at
	// once.
	mustRun(t, []string{"MOSAIC_URL=" + remote.URL(), "MOSAIC_TOKEN=" + tok}, "", "import", "--audience", "cell", bundle)
	mustRun(t, ldata, "", "feed", "add", api, "Cell", "--user", "bob", "--remote-user", "alice", "--token-file", tokenFile, "--name", "served")
	local := startServer(t, localDir)
	deadline := time.Now().Add(time.Minute)
	for {
		f, err := local.Store.Feed(t.Context(), "served")
		if err != nil {
			t.Fatal(err)
		}
		if !f.State.LastPoll.IsZero() && f.State.NextPoll.After(f.State.LastPoll) {
			if f.State.LastError != "" || f.State.Unchanged != 12 {
				t.Errorf("served feed state %+v", f.State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not poll the feed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := local.Close(); err != nil {
		t.Error(err)
	}
}
