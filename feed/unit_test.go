package feed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mosaic/stix"
)

func TestWithoutEnvelope(t *testing.T) {
	ext := `"` + stix.ExtensionID + `":{"extension_type":"property-extension","originator":"pa"}`
	for _, tc := range []struct{ name, in, want string }{
		{"none", `{"type":"x","name":"a<b"}`, `{"type":"x","name":"a<b"}`},
		{"only Mosaic's", `{"type":"x","name":"a<b","n":1.50,"extensions":{` + ext + `}}`, `{"n":1.50,"name":"a<b","type":"x"}`},
		{"with another", `{"type":"x","extensions":{` + ext + `,"extension-definition--1":{"a":1}}}`, `{"extensions":{"extension-definition--1":{"a":1}},"type":"x"}`},
		{"named in text", `{"type":"x","description":"see ` + stix.ExtensionID + `"}`, `{"type":"x","description":"see ` + stix.ExtensionID + `"}`},
		{"escaped id", `{"type":"x","extensions":{"extension-definition--3563eda5-0a4b-47ab-83d8-9bed7d51ee4\u0031":{"audience":["cell"]}}}`, `{"type":"x"}`},
		{"escaped extensions and id", `{"type":"x","ext\u0065nsions":{"\u0065xtension-definition--3563eda5-0a4b-47ab-83d8-9bed7d51ee41":{"audience":["cell"]},"b":{}}}`, `{"extensions":{"b":{}},"type":"x"}`},
		{"other escapes", `{"type":"x","name":"a\u0031"}`, `{"type":"x","name":"a\u0031"}`},
		{"extensions not an object", `{"type":"x","extensions":"` + stix.ExtensionID + `"}`, `{"type":"x","extensions":"` + stix.ExtensionID + `"}`},
	} {
		got, err := withoutEnvelope([]byte(tc.in))
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %s, %v; want %s", tc.name, got, err, tc.want)
		}
	}
	if _, err := withoutEnvelope([]byte(`{"extensions":{` + ext)); err == nil {
		t.Error("malformed JSON passed")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"-3", 0},
		{"Sun, 01 Nov 2026 09:10:00 GMT", 10 * time.Minute},
		{"Sun, 01 Nov 2026 08:00:00 GMT", 0},
		{"999999999", 24 * time.Hour},
		{"soon", 0},
	} {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestClean(t *testing.T) {
	if got := clean("a\nb\x00c\u202ed\te "); got != "a bc\u202ed e" {
		t.Errorf("clean = %q", got)
	}
	if got := clean(strings.Repeat("x", 2000)); len(got) > 510 {
		t.Errorf("clean keeps %d bytes", len(got))
	}
}

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if s, err := ReadSecret(write("ok", "  mosaic_abc \nsecond line\n", 0o600)); err != nil || s != "mosaic_abc" {
		t.Errorf("ReadSecret = %q, %v", s, err)
	}
	for name, tc := range map[string]struct {
		path, want string
	}{
		"readable by others": {write("open", "tok\n", 0o644), "readable by others (mode 0644)"},
		"empty":              {write("empty", "\n", 0o600), "is empty"},
		"too long":           {write("long", strings.Repeat("x", 5000), 0o600), "longer than 4096 bytes"},
		"missing":            {filepath.Join(dir, "missing"), "no such file"},
		"directory":          {dir, "not a regular file"},
	} {
		if _, err := ReadSecret(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, tc.want)
		}
	}
	if s, err := ReadSecret(""); err != nil || s != "" {
		t.Errorf("no file: %q, %v", s, err)
	}
}

func FuzzWithoutEnvelope(f *testing.F) {
	ext := `"` + stix.ExtensionID + `":{"extension_type":"property-extension"}`
	f.Add(`{"type":"x","extensions":{` + ext + `}}`)
	f.Add(`{"type":"x","extensions":{` + ext + `,"a":{}}}`)
	f.Add(`{"extensions":[` + ext + `]}`)
	f.Add(`{"type":"x","extensions":{"extension-definition--3563eda5-0a4b-47ab-83d8-9bed7d51ee4\u0031":{}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		out, err := withoutEnvelope([]byte(in))
		if err != nil {
			return
		}
		if !json.Valid(out) && json.Valid([]byte(in)) {
			t.Fatalf("valid %s became invalid %s", in, out)
		}
		// A map, not a struct: encoding/json matches struct fields
		// ignoring case, STIX property names do not.
		var top map[string]json.RawMessage
		var exts map[string]json.RawMessage
		if json.Unmarshal(out, &top) == nil && json.Unmarshal(top["extensions"], &exts) == nil {
			if _, ok := exts[stix.ExtensionID]; ok && json.Valid([]byte(in)) {
				t.Fatalf("the extension is still in %s", out)
			}
		}
	})
}
