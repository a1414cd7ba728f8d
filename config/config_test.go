package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "12h": 12 * time.Hour, "1h30m": 90 * time.Minute, "0d": 0} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-1d", "1w", "ninety"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) succeeded", in)
		}
	}
	if s := Duration(90 * 24 * time.Hour).String(); s != "90d" {
		t.Errorf("String = %q", s)
	}
}

func TestDefaultsValid(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.DefaultTLP, c.MaxDepth, c.TLSCert, c.DB, c.LegalBases = "purple", 0, "cert.pem", "mysql://x", map[string]int{"Bad Name": 0}
	err := c.Validate()
	for _, want := range []string{"default_tlp", "max_depth", "tls_cert", "db", "legal_bases"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate does not name %s: %v", want, err)
		}
	}
}
