package config

import (
	"flag"
	"os"
	"path/filepath"
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

// The limits of the gate's turns and the memory limit are settings like
// any other, by flag and environment too.
func TestTurnSettings(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	c, _, err := Load(fs, []string{"--upload-turns-per-user=3", "--user-turn-wait=5s", "--memory-limit=0"}, []string{"MOSAIC_MIN_TRANSFER_RATE=1024"})
	if err != nil {
		t.Fatal(err)
	}
	if c.UploadTurnsPerUser != 3 || c.ListingTurnsPerUser != 2 || time.Duration(c.UserTurnWait) != 5*time.Second ||
		c.MinTransferRate != 1024 || time.Duration(c.TransferWindow) != 10*time.Second || c.MemoryLimit != 0 {
		t.Fatalf("settings read as %+v", c)
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mosaic.json")
	os.WriteFile(path, []byte(`{"legal_bases":{"wbni":100},"addr":"127.0.0.1:9999"}`), 0o600)
	for _, args := range [][]string{{"--config", path}, {"-config", path}, {"--config=" + path}, {"-config=" + path}} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		c, _, err := Load(fs, args, nil)
		if err != nil {
			t.Fatal(err)
		}
		if c.Addr != "127.0.0.1:9999" || len(c.LegalBases) != 1 || c.LegalBases["wbni"] != 100 {
			t.Errorf("%v: addr %s, legal bases %v", args, c.Addr, c.LegalBases)
		}
	}
	for _, bad := range []string{"--audit-flush=0s", "--token-lifetime=0d", "--upload-turns-per-user=0", "--listing-turns-per-user=-1",
		"--user-turn-wait=0s", "--min-transfer-rate=0", "--transfer-window=0s", "--memory-limit=-1"} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		if _, _, err := Load(fs, []string{bad}, nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// The release settings come from the file as a JSON array and from the
// environment and flags comma-separated; an empty value names no reader.
func TestReleaseSettings(t *testing.T) {
	c := Default()
	if c.CellName != "Mosaic cell" || len(c.ReleaseFeedbackReaders) != 1 || c.ReleaseFeedbackReaders[0] != "ncsc" {
		t.Fatalf("defaults: %q %q", c.CellName, c.ReleaseFeedbackReaders)
	}
	path := filepath.Join(t.TempDir(), "mosaic.json")
	os.WriteFile(path, []byte(`{"cell_name":"Joint cell","release_feedback_readers":["ncsc","csirt-dsp"]}`), 0o600)
	c, _, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.CellName != "Joint cell" || strings.Join(c.ReleaseFeedbackReaders, ",") != "ncsc,csirt-dsp" {
		t.Errorf("file: %q %q", c.CellName, c.ReleaseFeedbackReaders)
	}
	c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--release-feedback-readers", "ncsc, dtc"}, []string{"MOSAIC_CELL_NAME=Cell NL"})
	if err != nil {
		t.Fatal(err)
	}
	if c.CellName != "Cell NL" || strings.Join(c.ReleaseFeedbackReaders, ",") != "ncsc,dtc" {
		t.Errorf("flags and environment: %q %q", c.CellName, c.ReleaseFeedbackReaders)
	}
	c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, []string{"MOSAIC_RELEASE_FEEDBACK_READERS="})
	if err != nil || len(c.ReleaseFeedbackReaders) != 0 {
		t.Errorf("an empty list: %q, %v", c.ReleaseFeedbackReaders, err)
	}
	c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--release-feedback-readers-for", "hospital=police+ncsc, water="}, nil)
	if err != nil || strings.Join(c.ReleaseFeedbackReadersFor["hospital"], ",") != "police,ncsc" || c.ReleaseFeedbackReadersFor["water"] == nil || len(c.ReleaseFeedbackReadersFor["water"]) != 0 {
		t.Errorf("readers per stakeholder: %q, %v", c.ReleaseFeedbackReadersFor, err)
	}
	os.WriteFile(path, []byte(`{"release_feedback_readers_for":{"hospital":["police"]}}`), 0o600)
	if c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", path}, nil); err != nil || strings.Join(c.ReleaseFeedbackReadersFor["hospital"], ",") != "police" {
		t.Errorf("readers per stakeholder from a file: %q, %v", c.ReleaseFeedbackReadersFor, err)
	}
	os.WriteFile(path, []byte(`{"consent_deputies":{"ncsc":["ncsc-analyst","ncsc-duty"]}}`), 0o600)
	if c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--config", path}, nil); err != nil || strings.Join(c.ConsentDeputies["ncsc"], ",") != "ncsc-analyst,ncsc-duty" {
		t.Errorf("deputies from a file: %q, %v", c.ConsentDeputies, err)
	}
	c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--consent-deputies", "police=police-duty"}, []string{"MOSAIC_CONSENT_DEPUTIES=ncsc=ncsc-analyst+ncsc-duty,police=police-analyst"})
	if err != nil || len(c.ConsentDeputies) != 1 || strings.Join(c.ConsentDeputies["police"], ",") != "police-duty" {
		t.Errorf("deputies from a flag over the environment: %q, %v", c.ConsentDeputies, err)
	}
	c, _, err = Load(flag.NewFlagSet("t", flag.ContinueOnError), nil, []string{"MOSAIC_CONSENT_DEPUTIES=ncsc=ncsc-analyst+ncsc-duty"})
	if err != nil || strings.Join(c.ConsentDeputies["ncsc"], ",") != "ncsc-analyst,ncsc-duty" {
		t.Errorf("deputies from the environment: %q, %v", c.ConsentDeputies, err)
	}
	for _, bad := range []string{"--cell-name= ", "--release-feedback-readers=NCSC", "--release-feedback-readers=a b", "--release-feedback-readers-for=hospital", "--release-feedback-readers-for=hospital=Police",
		"--consent-deputies=ncsc", "--consent-deputies=ncsc=", "--consent-deputies=NCSC=ncsc-analyst", "--consent-deputies=ncsc=Ncsc Analyst"} {
		if _, _, err := Load(flag.NewFlagSet("t", flag.ContinueOnError), []string{bad}, nil); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
