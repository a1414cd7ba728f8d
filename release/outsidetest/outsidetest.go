// Package outsidetest checks what Mosaic seals with implementations that
// are not Mosaic's, as a recipient with ordinary tools would:
//
//   - the RFC 8785 canonical form and its SHA-256 digest with the npm
//     package canonicalize (github.com/erdtman/canonicalize, the JavaScript
//     implementation by one of the RFC's authors), run by node;
//   - Ed25519 signatures with openssl pkeyutl -verify -rawin, the public
//     key given as a PEM SubjectPublicKeyInfo built here byte by byte
//     (RFC 8410), not by Go's crypto/x509.
//
// It is for tests only. A test whose tool is absent skips, saying what to
// install: node and npm come with Debian's nodejs (and npm) package, openssl
// with Debian's openssl; the npm package is installed into the test's
// temporary directory with npm install --prefix, or taken from the
// directory MOSAIC_TEST_CANONICALIZE names (a prefix holding
// node_modules/canonicalize), for a machine that reaches no npm registry.
package outsidetest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// CanonicalizeVersion is the version of the npm package canonicalize the
// tests install: 2.1.0, the CommonJS release that Debian's node (18) and
// NodeSource's node 20 both run; later releases ask for node 22.
const CanonicalizeVersion = "2.1.0"

// CanonicalizeEnv names a prefix directory that already holds
// node_modules/canonicalize, used instead of installing it.
const CanonicalizeEnv = "MOSAIC_TEST_CANONICALIZE"

// canonScript reads one JSON text on standard input and writes the
// digest of its canonical form ("sha256:" and hex, computed by node's
// crypto), a newline, and the canonical form itself. A canonical form
// holds no raw newline: JSON escapes those inside strings.
const canonScript = `'use strict';
const canonicalize = require('canonicalize');
const crypto = require('crypto');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c)).on('end', () => {
  const canon = Buffer.from(canonicalize(JSON.parse(Buffer.concat(chunks).toString('utf8'))), 'utf8');
  process.stdout.write('sha256:' + crypto.createHash('sha256').update(canon).digest('hex') + '\n');
  process.stdout.write(canon);
});
`

// Canonicalizer runs the npm package canonicalize with node.
type Canonicalizer struct {
	t      testing.TB
	node   string
	script string
}

// NewCanonicalizer finds node and the npm package canonicalize, installing
// the package into a temporary directory of t with npm when
// MOSAIC_TEST_CANONICALIZE names none; it skips t when node, or npm and
// the package, are absent.
func NewCanonicalizer(t testing.TB) *Canonicalizer {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if node, err = exec.LookPath("nodejs"); err != nil {
			t.Skip("node is not installed (Debian package nodejs): the RFC 8785 canonical form is not checked against the npm package canonicalize")
		}
	}
	prefix := os.Getenv(CanonicalizeEnv)
	if prefix == "" {
		npm, err := exec.LookPath("npm")
		if err != nil {
			t.Skipf("npm is not installed (Debian package npm) and %s is not set: the npm package canonicalize cannot be installed, and the RFC 8785 canonical form is not checked against it", CanonicalizeEnv)
		}
		prefix = t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "install", "--prefix", prefix, "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error", "canonicalize@"+CanonicalizeVersion)
		cmd.Dir = prefix
		cmd.Env = append(os.Environ(), "NPM_CONFIG_UPDATE_NOTIFIER=false")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("npm install canonicalize@%s failed (no npm registry?), so the RFC 8785 canonical form is not checked against it; set %s to a prefix holding node_modules/canonicalize: %v\n%s", CanonicalizeVersion, CanonicalizeEnv, err, out)
		}
	}
	pkg, err := os.ReadFile(filepath.Join(prefix, "node_modules", "canonicalize", "package.json"))
	if err != nil {
		t.Skipf("no npm package canonicalize under %s: %v", prefix, err)
	}
	var meta struct {
		Name, Version string
		Repository    struct{ URL string }
	}
	if err := json.Unmarshal(pkg, &meta); err != nil || meta.Name != "canonicalize" || !strings.Contains(meta.Repository.URL, "erdtman/canonicalize") {
		t.Fatalf("%s/node_modules/canonicalize is not erdtman's canonicalize: %s", prefix, pkg)
	}
	script := filepath.Join(prefix, "mosaic-canonical.cjs")
	if err := os.WriteFile(script, []byte(canonScript), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("RFC 8785 by the npm package canonicalize %s under %s", meta.Version, node)
	return &Canonicalizer{t: t, node: node, script: script}
}

// Canonical returns the canonical form of the JSON text doc and its
// digest, "sha256:" and hex, both as node and canonicalize make them.
func (c *Canonicalizer) Canonical(doc []byte) (canon []byte, digest string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.node, c.script)
	cmd.Dir = filepath.Dir(c.script)
	cmd.Stdin = bytes.NewReader(doc)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		c.t.Fatalf("node canonicalize: %v\n%s", err, stderr.Bytes())
	}
	first, rest, ok := bytes.Cut(out, []byte("\n"))
	if !ok || !strings.HasPrefix(string(first), "sha256:") {
		c.t.Fatalf("node canonicalize wrote %.200q", out)
	}
	return rest, string(first)
}

// ed25519SPKIPrefix is the DER of a SubjectPublicKeyInfo of an Ed25519
// key up to the key (RFC 8410 §4): SEQUENCE { SEQUENCE { OID 1.3.101.112 },
// BIT STRING of 33 bytes, no unused bits }, followed by the 32 bytes.
var ed25519SPKIPrefix = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}

// PublicKeyPEM writes a raw Ed25519 public key as a PEM SubjectPublicKeyInfo.
func PublicKeyPEM(pub ed25519.PublicKey) []byte {
	der := append(append([]byte{}, ed25519SPKIPrefix...), pub...)
	return []byte("-----BEGIN PUBLIC KEY-----\n" + base64.StdEncoding.EncodeToString(der) + "\n-----END PUBLIC KEY-----\n")
}

// OpenSSL verifies Ed25519 signatures with the openssl command.
type OpenSSL struct {
	t       testing.TB
	bin     string
	Version string
}

// RFC 8032 §7.1, TEST 2: a one-byte message.
const (
	rfc8032Pub = "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"
	rfc8032Msg = "72"
	rfc8032Sig = "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
)

// NewOpenSSL finds openssl and checks that it verifies Ed25519 with
// pkeyutl -rawin (OpenSSL 3.0 and later) on a test vector of RFC 8032; it
// skips t when openssl is absent or cannot.
func NewOpenSSL(t testing.TB) *OpenSSL {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not installed (Debian package openssl): Ed25519 signatures are not checked with it")
	}
	o := &OpenSSL{t: t, bin: bin}
	if v, err := exec.Command(bin, "version").Output(); err == nil {
		o.Version = strings.TrimSpace(string(v))
	}
	pub, _ := hex.DecodeString(rfc8032Pub)
	msg, _ := hex.DecodeString(rfc8032Msg)
	sig, _ := hex.DecodeString(rfc8032Sig)
	if out, err := o.run(pub, msg, sig); err != nil {
		t.Skipf("%s (%s) does not verify RFC 8032's Ed25519 test vector with pkeyutl -verify -rawin (it needs OpenSSL 3.0 or later): %v\n%s", bin, o.Version, err, out)
	}
	bad := bytes.Clone(sig)
	bad[0] ^= 1
	if _, err := o.run(pub, msg, bad); err == nil {
		t.Fatalf("%s (%s) verifies a changed signature of RFC 8032's test vector", bin, o.Version)
	}
	return o
}

// Verify reports whether openssl finds sig a valid Ed25519 signature of
// msg under pub; the error holds what openssl said when it does not.
func (o *OpenSSL) Verify(pub ed25519.PublicKey, msg, sig []byte) error {
	o.t.Helper()
	out, err := o.run(pub, msg, sig)
	if err != nil {
		return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

func (o *OpenSSL) run(pub ed25519.PublicKey, msg, sig []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "mosaic-openssl-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files := map[string][]byte{"pub.pem": PublicKeyPEM(pub), "msg": msg, "sig": sig}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.bin, "pkeyutl", "-verify", "-pubin", "-inkey", filepath.Join(dir, "pub.pem"),
		"-rawin", "-in", filepath.Join(dir, "msg"), "-sigfile", filepath.Join(dir, "sig"))
	out, err := cmd.CombinedOutput()
	if err == nil && !bytes.Contains(out, []byte("Signature Verified Successfully")) {
		err = fmt.Errorf("openssl exited 0 without saying the signature verified")
	}
	return out, err
}
