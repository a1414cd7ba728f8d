package web

import (
	"io/fs"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"mosaic"
)

// TestMessagesInEveryLanguage fails when a message exists in one language
// and not in another.
func TestMessagesInEveryLanguage(t *testing.T) {
	if got := slices.Sorted(maps.Keys(messages)); !slices.Equal(got, slices.Sorted(slices.Values(languages))) {
		t.Fatalf("message languages %v, languages %v", got, languages)
	}
	for _, a := range languages {
		for _, b := range languages {
			for key := range messages[a] {
				if _, ok := messages[b][key]; !ok {
					t.Errorf("message %q is in %s but not in %s", key, a, b)
				}
			}
		}
		for key, m := range messages[a] {
			if strings.TrimSpace(m) == "" {
				t.Errorf("message %q is empty in %s", key, a)
			}
			if strings.Count(m, "%") != strings.Count(messages["en"][key], "%") {
				t.Errorf("message %q takes other arguments in %s than in en", key, a)
			}
		}
	}
}

var (
	templateKey = regexp.MustCompile(`\.T "([^"]+)"`)
	goKey       = regexp.MustCompile(`(?:p\.T\(|q\.t\(|Error = |uiErr\(mosaic\.Code\w+, )"([^"]+)"`)
)

// TestEveryUsedMessageExists fails when a template or handler names a
// message that is not there (it would show as its key), including the
// messages whose keys are made from a prefix.
func TestEveryUsedMessageExists(t *testing.T) {
	used := map[string]bool{}
	err := fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sources, _ := filepath.Glob("*.go")
	for _, f := range sources {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goKey.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasSuffix(m[1], ".") { // a prefix, checked below
				used[m[1]] = true
			}
		}
	}
	for _, code := range mosaic.Codes {
		used["error.title."+string(code)] = true
	}
	for _, t := range mosaic.PictureTypes {
		used["type."+t] = true
	}
	for _, l := range mosaic.TLPLevels {
		used["tlp."+string(l)] = true
	}
	for _, l := range mosaic.ThreatLevels {
		used["threat."+string(l)] = true
	}
	for _, k := range []string{"added", "removed", "changed"} {
		used["diff."+k] = true
	}
	for _, st := range []mosaic.RequestStatus{mosaic.RequestPending, mosaic.RequestApproved, mosaic.RequestRefused, mosaic.RequestExpired} {
		used["requests.status."+string(st)] = true
	}
	if len(used) < 50 {
		t.Fatalf("found only %d message keys in use; the scan is broken", len(used))
	}
	for key := range used {
		if _, ok := messages["en"][key]; !ok {
			t.Errorf("message %q is used but missing", key)
		}
	}
}

// FuzzPickLanguage feeds the Accept-Language parser whatever a browser (or
// anyone) may send: it must always pick a language it has.
func FuzzPickLanguage(f *testing.F) {
	for _, s := range []string{"", "nl", "nl-NL,nl;q=0.9,en;q=0.8", "de-DE, en;q=0.5, nl;q=0.3", "*", "en;q=abc", ";;,,q=", "NL;q=1.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", header)
		if got := pickLanguage(r); !slices.Contains(languages, got) {
			t.Errorf("pickLanguage(%q) = %q", header, got)
		}
	})
}
