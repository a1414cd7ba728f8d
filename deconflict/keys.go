package deconflict

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/cloudflare/circl/oprf"

	"mosaic"
	"mosaic/secretfile"
)

// Suite is the RFC 9497 suite, chosen by BenchmarkSuites (suite_test.go)
// on this project's 2-core build machine, in elements per second and core
// for batches of 100 (two runs, the machine shared with other work):
//
//	                      evaluate+prove     client blind+verify+finalise
//	ristretto255-SHA512   10,142 /  7,961    6,294 / 6,158
//	P256-SHA256            9,271 /  8,597    3,378 / 4,308
//
// The evaluator's speed is a wash (within 10% either way), but the client,
// which does twice the evaluator's group operations and carries the
// 100,000-selector goal, is 45 to 85% faster with ristretto255, mostly
// because hashing to P-256 is slow. Ristretto255 is also a prime-order
// group with one canonical 32-byte encoding per element: there is no
// cofactor and no alternative point encoding for a malformed request to
// play with, and elements are 32 bytes instead of 33.
var Suite = oprf.SuiteRistretto255

// ElementSize is the size of an encoded ristretto255 element, ProofSize that
// of a DLEQ proof (two scalars), TokenSize that of a token.
const (
	ElementSize = 32
	ProofSize   = 64
	// TokenSize: the suite's output is a 64-byte SHA-512 digest; its first
	// 32 bytes keep 128-bit collision resistance at half the index size.
	TokenSize = 32
)

// KeyFile is the evaluator's secret state: the Ed25519 key that signs epoch
// records and one VOPRF key per epoch. It lives in its own file, mode
// 0600, never in a database.
type KeyFile struct {
	Path   string
	Signer ed25519.PrivateKey
	Epochs []EpochKey // ascending by epoch; the last is current
}

// EpochKey is one epoch's VOPRF key.
type EpochKey struct {
	Epoch     int
	NotBefore time.Time
	Key       *oprf.PrivateKey
}

type keyFileJSON struct {
	Version int    `json:"version"`
	Suite   string `json:"suite"`
	Signer  string `json:"signer"` // base64 Ed25519 seed
	Epochs  []struct {
		Epoch     int       `json:"epoch"`
		NotBefore time.Time `json:"not_before"`
		Key       string    `json:"key"` // base64 scalar
	} `json:"epochs"`
}

// ErrKeyFileMode is returned for a key file others may read or write.
var ErrKeyFileMode = secretfile.ErrMode

// LoadKeyFile reads a key file, refusing one that anyone but its owner may
// read or write.
func LoadKeyFile(path string) (*KeyFile, error) {
	b, err := secretfile.Read(path)
	if err != nil {
		return nil, err
	}
	var j keyFileJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%s: not a deconfliction key file: %w", path, err)
	}
	if j.Version != 1 || j.Suite != Suite.Identifier() {
		return nil, fmt.Errorf("%s: version %d, suite %q: want version 1, suite %s", path, j.Version, j.Suite, Suite.Identifier())
	}
	seed, err := base64.StdEncoding.DecodeString(j.Signer)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: bad signing key", path)
	}
	kf := &KeyFile{Path: path, Signer: ed25519.NewKeyFromSeed(seed)}
	for i, e := range j.Epochs {
		raw, err := base64.StdEncoding.DecodeString(e.Key)
		if err != nil {
			return nil, fmt.Errorf("%s: epoch %d: bad key", path, e.Epoch)
		}
		k := new(oprf.PrivateKey)
		if err := k.UnmarshalBinary(Suite, raw); err != nil {
			return nil, fmt.Errorf("%s: epoch %d: bad key: %w", path, e.Epoch, err)
		}
		if e.Epoch < 1 || (i > 0 && e.Epoch <= j.Epochs[i-1].Epoch) {
			return nil, fmt.Errorf("%s: epochs must be positive and ascending", path)
		}
		kf.Epochs = append(kf.Epochs, EpochKey{Epoch: e.Epoch, NotBefore: e.NotBefore, Key: k})
	}
	if len(kf.Epochs) == 0 {
		return nil, fmt.Errorf("%s: no epoch keys", path)
	}
	return kf, nil
}

// CreateKeyFile makes a new key file with a signing key and epoch 1. It
// fails if path exists.
func CreateKeyFile(path string, now time.Time) (*KeyFile, error) {
	_, signer, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	kf := &KeyFile{Path: path, Signer: signer}
	if err := kf.addEpoch(now); err != nil {
		return nil, err
	}
	b, err := kf.encode()
	if err != nil {
		return nil, err
	}
	if err := secretfile.Create(path, b); err != nil {
		return nil, err
	}
	return kf, nil
}

// OpenKeyFile loads path, creating it first if it does not exist.
func OpenKeyFile(path string, now time.Time) (*KeyFile, bool, error) {
	kf, err := LoadKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		kf, err = CreateKeyFile(path, now)
		return kf, err == nil, err
	}
	return kf, false, err
}

// Rotate adds a new epoch with a fresh key and saves the file.
func (kf *KeyFile) Rotate(now time.Time) error {
	if err := kf.addEpoch(now); err != nil {
		return err
	}
	return kf.save()
}

// Current is the newest epoch.
func (kf *KeyFile) Current() EpochKey { return kf.Epochs[len(kf.Epochs)-1] }

func (kf *KeyFile) addEpoch(now time.Time) error {
	k, err := oprf.GenerateKey(Suite, rand.Reader)
	if err != nil {
		return err
	}
	n := 1
	if len(kf.Epochs) > 0 {
		n = kf.Current().Epoch + 1
	}
	kf.Epochs = append(kf.Epochs, EpochKey{Epoch: n, NotBefore: now.UTC().Truncate(time.Second), Key: k})
	return nil
}

// save replaces the file (package secretfile).
func (kf *KeyFile) save() error {
	b, err := kf.encode()
	if err != nil {
		return err
	}
	return secretfile.Write(kf.Path, b)
}

func (kf *KeyFile) encode() ([]byte, error) {
	j := keyFileJSON{Version: 1, Suite: Suite.Identifier(), Signer: base64.StdEncoding.EncodeToString(kf.Signer.Seed())}
	for _, e := range kf.Epochs {
		raw, err := e.Key.MarshalBinary()
		if err != nil {
			return nil, err
		}
		j.Epochs = append(j.Epochs, struct {
			Epoch     int       `json:"epoch"`
			NotBefore time.Time `json:"not_before"`
			Key       string    `json:"key"`
		}{e.Epoch, e.NotBefore, base64.StdEncoding.EncodeToString(raw)})
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Records returns the signed epoch records of every epoch in the file.
func (kf *KeyFile) Records() ([]mosaic.EpochRecord, error) {
	out := make([]mosaic.EpochRecord, 0, len(kf.Epochs))
	pub := kf.Signer.Public().(ed25519.PublicKey)
	for _, e := range kf.Epochs {
		pk, err := e.Key.Public().MarshalBinary()
		if err != nil {
			return nil, err
		}
		r := mosaic.EpochRecord{Epoch: e.Epoch, Suite: Suite.Identifier(), PublicKey: pk, NotBefore: e.NotBefore, Signer: pub}
		r.Signature = ed25519.Sign(kf.Signer, EpochMessage(r))
		out = append(out, r)
	}
	return out, nil
}

// EpochMessage is what an epoch record's signature covers. The fixed
// context string keeps the signing key's signatures from being taken for
// anything else.
func EpochMessage(r mosaic.EpochRecord) []byte {
	return []byte(strings.Join([]string{
		"mosaic deconfliction epoch v1",
		r.Suite,
		strconv.Itoa(r.Epoch),
		base64.StdEncoding.EncodeToString(r.PublicKey),
		r.NotBefore.UTC().Format(time.RFC3339Nano),
	}, "\n"))
}

// VerifyRecord checks an epoch record's signature by its signer and that
// it names this suite and a usable public key.
func VerifyRecord(r mosaic.EpochRecord) error {
	if r.Suite != Suite.Identifier() {
		return fmt.Errorf("epoch %d: suite %q, want %s", r.Epoch, r.Suite, Suite.Identifier())
	}
	if len(r.Signer) != ed25519.PublicKeySize || !ed25519.Verify(ed25519.PublicKey(r.Signer), EpochMessage(r), r.Signature) {
		return fmt.Errorf("epoch %d: the record's signature does not verify", r.Epoch)
	}
	if _, err := publicKey(r.PublicKey); err != nil {
		return fmt.Errorf("epoch %d: %w", r.Epoch, err)
	}
	return nil
}

func publicKey(b []byte) (*oprf.PublicKey, error) {
	pk := new(oprf.PublicKey)
	if len(b) != ElementSize {
		return nil, errors.New("public key has the wrong size")
	}
	if err := pk.UnmarshalBinary(Suite, b); err != nil {
		return nil, fmt.Errorf("bad public key: %w", err)
	}
	return pk, nil
}

// Fingerprint is the signing key's fingerprint.
func (kf *KeyFile) Fingerprint() string {
	return Fingerprint(kf.Signer.Public().(ed25519.PublicKey))
}

// Fingerprint is how people compare a signing key out of band: the first
// 16 bytes of its SHA-256, in hex groups of four.
func Fingerprint(signer []byte) string {
	sum := sha256.Sum256(signer)
	h := hex.EncodeToString(sum[:16])
	var parts []string
	for i := 0; i < len(h); i += 4 {
		parts = append(parts, h[i:i+4])
	}
	return strings.Join(parts, ":")
}
