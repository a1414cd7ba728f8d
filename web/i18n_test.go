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
	for _, sector := range mosaic.Sectors {
		used["sector.name."+sector] = true
	}
	for _, k := range contributeKinds {
		used["contribute.kind."+k] = true
	}
	for _, st := range mosaic.ReceiptStatuses {
		used["portal.status."+string(st)] = true
	}
	for _, f := range portalExports {
		used["portal.export."+f] = true
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

// TestSectorNames fails when a sector of the STIX industry-sector
// vocabulary, which the picture, the sector pages and the stakeholder page
// show, has no name of its own in a language: it would show as its slug.
func TestSectorNames(t *testing.T) {
	if len(mosaic.Sectors) < 30 {
		t.Fatalf("only %d sectors in the vocabulary", len(mosaic.Sectors))
	}
	for _, lang := range languages {
		seen := map[string]string{}
		for _, sector := range mosaic.Sectors {
			name, ok := messages[lang]["sector.name."+sector]
			switch {
			case !ok:
				t.Errorf("sector %s has no name in %s", sector, lang)
			case name == sector, strings.Contains(sector, "-") && strings.EqualFold(name, sector):
				t.Errorf("sector %s is named by its slug in %s", sector, lang)
			case seen[name] != "":
				t.Errorf("sectors %s and %s are both named %q in %s", seen[name], sector, name, lang)
			}
			seen[name] = sector
			if p := (&page{msgs: messages[lang]}); p.SectorName(sector) != name {
				t.Errorf("the page names %s %q in %s, want %q", sector, p.SectorName(sector), lang, name)
			}
		}
		for key := range messages[lang] {
			if s, ok := strings.CutPrefix(key, "sector.name."); ok && !mosaic.ValidSector(s) {
				t.Errorf("%s names %q, which is not in the vocabulary", lang, s)
			}
		}
	}
	if got := (&page{msgs: messages["nl"]}).SectorName("pirates"); got != "pirates" {
		t.Errorf("a sector outside the vocabulary is shown as %q", got)
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
