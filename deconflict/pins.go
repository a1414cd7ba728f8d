package deconflict

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"mosaic"
)

// ErrNotPinned is returned when no evaluator is pinned for a server yet.
var ErrNotPinned = errors.New("no evaluator key is pinned for this server; run mosaic deconflict pin and compare the fingerprint with the evaluator's operator")

// ErrKeyChanged is returned when an epoch's key differs from the pinned
// one, or the signing key changed: either the evaluator was replaced or
// someone is trying to make the partner evaluate under a key of their
// choosing.
var ErrKeyChanged = errors.New("the evaluator's key changed without a new epoch; refused (if the operator confirms a new signing key, pin again)")

// Pins is the partner's local record of the evaluator keys it trusts, per
// server: the signing key, pinned once, and every epoch key seen, each
// accepted only with a valid signature by that signing key.
type Pins struct {
	path    string
	Servers map[string]*ServerPins `json:"servers"`
}

// ServerPins are the keys pinned for one server.
type ServerPins struct {
	Signer []byte            `json:"signer"`
	Epochs map[string][]byte `json:"epochs"` // epoch number → public key
	Pinned time.Time         `json:"pinned"`
}

// LoadPins reads the pin file at path; a missing file is an empty one.
func LoadPins(path string) (*Pins, error) {
	p := &Pins{path: path, Servers: map[string]*ServerPins{}}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if p.Servers == nil {
		p.Servers = map[string]*ServerPins{}
	}
	return p, nil
}

// Save writes the pin file (mode 0600: it is not secret, but it is what
// the partner's trust rests on, so nobody else should change it).
func (p *Pins) Save() error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return err
	}
	tmp := p.path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p.path)
}

// Pin trusts the signing key of recs for server, after checking every
// record's signature. With fingerprint not "", the signing key's
// fingerprint must equal it. Pinning again replaces the server's pins.
func (p *Pins) Pin(server string, recs []mosaic.EpochRecord, fingerprint string, now time.Time) (string, error) {
	if len(recs) == 0 {
		return "", errors.New("the server publishes no evaluator epoch yet")
	}
	signer := recs[0].Signer
	for _, r := range recs {
		if err := VerifyRecord(r); err != nil {
			return "", err
		}
		if !bytes.Equal(r.Signer, signer) {
			return "", fmt.Errorf("epoch %d is signed by another key than epoch %d", r.Epoch, recs[0].Epoch)
		}
	}
	fp := Fingerprint(signer)
	if fingerprint != "" && fingerprint != fp {
		return fp, fmt.Errorf("the evaluator's signing key has fingerprint %s, not %s; not pinned", fp, fingerprint)
	}
	sp := &ServerPins{Signer: signer, Epochs: map[string][]byte{}, Pinned: now.UTC()}
	for _, r := range recs {
		sp.Epochs[strconv.Itoa(r.Epoch)] = r.PublicKey
	}
	p.Servers[server] = sp
	return fp, nil
}

// Accept checks recs, the epochs a server publishes now, against the pins,
// pins the epochs that are new (signed by the pinned signing key and
// newer than every pinned one), and returns the current epoch's record and
// whether anything new was pinned. It refuses a changed key, another
// signing key, and a current epoch older than the newest pinned one.
func (p *Pins) Accept(server string, recs []mosaic.EpochRecord) (mosaic.EpochRecord, bool, error) {
	sp := p.Servers[server]
	if sp == nil {
		return mosaic.EpochRecord{}, false, ErrNotPinned
	}
	if len(recs) == 0 {
		return mosaic.EpochRecord{}, false, errors.New("the server publishes no evaluator epoch")
	}
	newest := 0
	for e := range sp.Epochs {
		n, _ := strconv.Atoi(e)
		newest = max(newest, n)
	}
	changed := false
	for _, r := range recs {
		if !bytes.Equal(r.Signer, sp.Signer) {
			return mosaic.EpochRecord{}, false, fmt.Errorf("epoch %d is signed by an unpinned key (fingerprint %s): %w", r.Epoch, Fingerprint(r.Signer), ErrKeyChanged)
		}
		if err := VerifyRecord(r); err != nil {
			return mosaic.EpochRecord{}, false, err
		}
		key := strconv.Itoa(r.Epoch)
		if pinned, ok := sp.Epochs[key]; ok {
			if !bytes.Equal(pinned, r.PublicKey) {
				return mosaic.EpochRecord{}, false, fmt.Errorf("epoch %d: %w", r.Epoch, ErrKeyChanged)
			}
			continue
		}
		if r.Epoch > newest {
			sp.Epochs[key] = r.PublicKey
			changed = true
		}
	}
	cur := recs[len(recs)-1]
	for _, r := range recs {
		if r.Epoch > cur.Epoch {
			cur = r
		}
	}
	if cur.Epoch < newest {
		return mosaic.EpochRecord{}, false, fmt.Errorf("the server's current epoch %d is older than the pinned epoch %d; refused", cur.Epoch, newest)
	}
	return cur, changed, nil
}
