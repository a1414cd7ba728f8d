// Package seal turns storage positions into opaque strings and back.
// Positions count every organisation's records, so a cursor or event id
// that showed one would tell a viewer how many records they may not see
// lie between two they may. Sealed with AES-GCM under a key the store
// keeps, they are shared by every process on the store and unreadable to
// clients.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"sync"

	"mosaic"
)

// Secrets is the part of the store that keeps keys.
type Secrets interface {
	Secret(ctx context.Context, name string) ([]byte, error)
}

// Sealer seals positions under one key of the store.
type Sealer struct {
	secrets Secrets
	name    string
	mu      sync.Mutex
	aead    cipher.AEAD // guarded by mu; nil until first used
}

// New returns a Sealer under the store's secret called name.
func New(secrets Secrets, name string) *Sealer {
	return &Sealer{secrets: secrets, name: name}
}

func (s *Sealer) key(ctx context.Context) (cipher.AEAD, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.aead != nil {
		return s.aead, nil
	}
	key, err := s.secrets.Secret(ctx, s.name)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, mosaic.Internal(err, "seal key")
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, mosaic.Internal(err, "seal key")
	}
	return s.aead, nil
}

// Seal seals positions for purpose: what is sealed for one purpose (a
// listing of the REST API, a TAXII query with its parameters, an event
// stream) opens for no other.
func (s *Sealer) Seal(ctx context.Context, purpose string, positions ...int64) (string, error) {
	aead, err := s.key(ctx)
	if err != nil {
		return "", err
	}
	plain := make([]byte, 0, 8*len(positions))
	for _, p := range positions {
		plain = binary.BigEndian.AppendUint64(plain, uint64(p))
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(purpose))), nil
}

// Open returns the n positions text holds, or ok false when text is not
// something this sealer sealed for purpose with n positions. err is for
// the store failing to give the key.
func (s *Sealer) Open(ctx context.Context, purpose, text string, n int) (positions []int64, ok bool, err error) {
	aead, err := s.key(ctx)
	if err != nil {
		return nil, false, err
	}
	b, err := base64.RawURLEncoding.DecodeString(text)
	if err != nil || len(b) <= aead.NonceSize() {
		return nil, false, nil
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(purpose))
	if err != nil || len(plain) != 8*n {
		return nil, false, nil
	}
	for i := range n {
		positions = append(positions, int64(binary.BigEndian.Uint64(plain[8*i:])))
	}
	return positions, true, nil
}

// Cursors seal and open the listing cursors of one purpose: a storage
// position to continue a listing from, or none.
type Cursors struct {
	sealer  *Sealer
	purpose string
}

// Cursors returns the cursors sealed for purpose.
func (s *Sealer) Cursors(purpose string) Cursors { return Cursors{s, purpose} }

// Seal returns the cursor of position seq, "" for zero: no more pages.
func (c Cursors) Seal(ctx context.Context, seq int64) (string, error) {
	if seq == 0 {
		return "", nil
	}
	return c.sealer.Seal(ctx, c.purpose, seq)
}

// Open returns the position a cursor holds, zero for "" (the first page),
// and ok false for a text that is no cursor of this purpose. err is for the
// store failing to give the key.
func (c Cursors) Open(ctx context.Context, text string) (seq int64, ok bool, err error) {
	if text == "" {
		return 0, true, nil
	}
	p, ok, err := c.sealer.Open(ctx, c.purpose, text, 1)
	if err != nil || !ok || p[0] <= 0 {
		return 0, false, err
	}
	return p[0], true, nil
}
