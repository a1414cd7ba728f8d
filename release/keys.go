package release

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"mosaic/secretfile"
)

// Keys are the platform's release keys, in one file of mode 0600 outside
// the database (package secretfile): the key that derives released
// objects' ids, and the signing keys, the last of which signs. Rotating
// adds a signing key and keeps the earlier ones, whose public halves stay
// published so that snapshots they signed still verify.
type Keys struct {
	Path    string
	IDKey   []byte // 32 bytes
	Signers []Signer
}

// Signer is one signing key.
type Signer struct {
	ID        string // KeyID of its public key
	NotBefore time.Time
	Key       ed25519.PrivateKey
}

// PublicKey is a signing key's public half as it is published.
type PublicKey struct {
	ID        string            `json:"id"`
	NotBefore time.Time         `json:"not_before"`
	Key       ed25519.PublicKey `json:"public_key"` // base64 in JSON
}

// Valid reports whether p is an Ed25519 public key under its own id: a
// key served or pinned under another's id is none.
func (p PublicKey) Valid() bool {
	return len(p.Key) == ed25519.PublicKeySize && KeyID(p.Key) == p.ID
}

// KeyID names a public key: the first 16 bytes of its SHA-256, in hex, as
// an operator reads it aloud to a recipient who pins it.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}

type keysJSON struct {
	Version int    `json:"version"`
	IDKey   []byte `json:"id_key"`
	Signers []struct {
		NotBefore time.Time `json:"not_before"`
		Seed      []byte    `json:"seed"`
	} `json:"signers"`
}

// LoadKeys reads a release key file, refusing one that anyone but its
// owner may read or write.
func LoadKeys(path string) (*Keys, error) {
	b, err := secretfile.Read(path)
	if err != nil {
		return nil, err
	}
	var j keysJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, fmt.Errorf("%s: not a release key file: %w", path, err)
	}
	if j.Version != 1 {
		return nil, fmt.Errorf("%s: version %d: want 1", path, j.Version)
	}
	if len(j.IDKey) != 32 {
		return nil, fmt.Errorf("%s: the id key must be 32 bytes", path)
	}
	if len(j.Signers) == 0 {
		return nil, fmt.Errorf("%s: no signing key", path)
	}
	k := &Keys{Path: path, IDKey: j.IDKey}
	for i, s := range j.Signers {
		if len(s.Seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("%s: signing key %d: bad seed", path, i+1)
		}
		key := ed25519.NewKeyFromSeed(s.Seed)
		k.Signers = append(k.Signers, Signer{ID: KeyID(key.Public().(ed25519.PublicKey)), NotBefore: s.NotBefore, Key: key})
	}
	return k, nil
}

// CreateKeys makes a new key file with an id key and a signing key; it
// fails if path exists.
func CreateKeys(path string, now time.Time) (*Keys, error) {
	k := &Keys{Path: path, IDKey: make([]byte, 32)}
	if _, err := rand.Read(k.IDKey); err != nil {
		return nil, err
	}
	if err := k.addSigner(now); err != nil {
		return nil, err
	}
	b, err := k.encode()
	if err != nil {
		return nil, err
	}
	if err := secretfile.Create(path, b); err != nil {
		return nil, err
	}
	return k, nil
}

// OpenKeys loads path, creating it first if it does not exist; created
// says which.
func OpenKeys(path string, now time.Time) (k *Keys, created bool, err error) {
	k, err = LoadKeys(path)
	if errors.Is(err, fs.ErrNotExist) {
		k, err = CreateKeys(path, now)
		return k, err == nil, err
	}
	return k, false, err
}

// RotateSigner adds a fresh signing key, which signs from now on, and
// saves the file. The id key is never rotated this way: released objects'
// ids would change, and a recipient could no longer tell a new version of
// an object from a new object.
func (k *Keys) RotateSigner(now time.Time) error {
	if err := k.addSigner(now); err != nil {
		return err
	}
	b, err := k.encode()
	if err != nil {
		return err
	}
	return secretfile.Write(k.Path, b)
}

// Current is the signing key that signs.
func (k *Keys) Current() Signer { return k.Signers[len(k.Signers)-1] }

// PublicKeys are the public halves of every signing key, oldest first.
func (k *Keys) PublicKeys() []PublicKey {
	out := make([]PublicKey, len(k.Signers))
	for i, s := range k.Signers {
		out[i] = PublicKey{ID: s.ID, NotBefore: s.NotBefore, Key: s.Key.Public().(ed25519.PublicKey)}
	}
	return out
}

func (k *Keys) addSigner(now time.Time) error {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	k.Signers = append(k.Signers, Signer{ID: KeyID(key.Public().(ed25519.PublicKey)), NotBefore: now.UTC().Truncate(time.Second), Key: key})
	return nil
}

func (k *Keys) encode() ([]byte, error) {
	j := keysJSON{Version: 1, IDKey: k.IDKey}
	for _, s := range k.Signers {
		j.Signers = append(j.Signers, struct {
			NotBefore time.Time `json:"not_before"`
			Seed      []byte    `json:"seed"`
		}{s.NotBefore, s.Key.Seed()})
	}
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
