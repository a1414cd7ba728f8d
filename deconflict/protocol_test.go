package deconflict

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudflare/circl/oprf"

	"mosaic"
)

var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

func newKeyFile(t testing.TB) *KeyFile {
	t.Helper()
	kf, err := CreateKeyFile(filepath.Join(t.TempDir(), "oprf.key"), t0)
	if err != nil {
		t.Fatal(err)
	}
	return kf
}

func newEvaluator(t testing.TB) (*LocalEvaluator, mosaic.EpochRecord) {
	t.Helper()
	ev, err := NewLocalEvaluator(newKeyFile(t))
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := ev.Epochs(context.Background())
	return ev, recs[len(recs)-1]
}

func tokens(t testing.TB, ev Evaluator, rec mosaic.EpochRecord, sels ...Selector) ([]mosaic.DeconflictionToken, error) {
	t.Helper()
	b, err := NewBlinder(rec)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Blind(sels)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ev.Evaluate(context.Background(), rec.Epoch, p.Elements)
	if err != nil {
		t.Fatal(err)
	}
	return b.Finalize(p, e)
}

func TestRoundTrip(t *testing.T) {
	ev, rec := newEvaluator(t)
	ip := Selector{IPv4, "192.0.2.1"}
	other := Selector{Other, "192.0.2.1"}
	a, err := tokens(t, ev, rec, ip, other)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tokens(t, ev, rec, ip)
	if err != nil {
		t.Fatal(err)
	}
	// Fresh blinds, same token: what makes matching possible.
	if !bytes.Equal(a[0].Token, b[0].Token) || len(a[0].Token) != TokenSize {
		t.Errorf("the same selector made different tokens")
	}
	if bytes.Equal(a[0].Token, a[1].Token) {
		t.Errorf("ipv4 and other tokens of the same text are equal")
	}
	if a[0].Type != "ipv4" || a[1].Type != "other" {
		t.Errorf("types %q %q", a[0].Type, a[1].Type)
	}
	// The token is the RFC 9497 output of the key holder, truncated.
	srv := oprf.NewVerifiableServer(Suite, ev.kf.Current().Key)
	full, err := srv.FullEvaluate(ip.Input())
	if err != nil || !bytes.Equal(full[:TokenSize], a[0].Token) {
		t.Errorf("token is not the VOPRF output: %v", err)
	}
}

// Every way an evaluation can be wrong is refused by the client.
func TestFinalizeRefuses(t *testing.T) {
	ev, rec := newEvaluator(t)
	other, _ := newEvaluator(t) // another key, same epoch number
	sels := []Selector{{IPv4, "192.0.2.1"}, {Domain, "example.com"}}
	b, _ := NewBlinder(rec)
	for name, tamper := range map[string]func(p *Pending) Evaluation{
		"another key": func(p *Pending) Evaluation {
			e, _ := other.Evaluate(context.Background(), 1, p.Elements)
			return e
		},
		"element changed": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			e.Elements[1], e.Elements[0] = e.Elements[0], e.Elements[1]
			return e
		},
		"proof changed": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			e.Proof[3] ^= 1
			return e
		},
		"proof of another batch": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			p2, _ := b.Blind(sels)
			e2, _ := ev.Evaluate(context.Background(), 1, p2.Elements)
			e.Proof = e2.Proof
			return e
		},
		"elements echoed": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			e.Elements = p.Elements
			return e
		},
		"identity": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			e.Elements[0] = make([]byte, ElementSize)
			return e
		},
		"wrong epoch": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			e.Epoch = 2
			return e
		},
		"one missing": func(p *Pending) Evaluation {
			e, _ := ev.Evaluate(context.Background(), 1, p.Elements)
			e.Elements = e.Elements[:1]
			return e
		},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := b.Blind(sels)
			if err != nil {
				t.Fatal(err)
			}
			toks, err := b.Finalize(p, tamper(p))
			if !errors.Is(err, ErrProof) || toks != nil {
				t.Errorf("Finalize = %v, %v; want ErrProof", toks, err)
			}
		})
	}
}

func TestEvaluatorRefusesMalformed(t *testing.T) {
	ev, rec := newEvaluator(t)
	b, _ := NewBlinder(rec)
	p, _ := b.Blind([]Selector{{IPv4, "192.0.2.1"}})
	good := p.Elements[0]
	for name, el := range map[string][]byte{
		"identity":      make([]byte, ElementSize),
		"short":         good[:31],
		"long":          append(append([]byte{}, good...), 0),
		"not a point":   bytes.Repeat([]byte{0xff}, ElementSize),
		"non-canonical": append([]byte{0xed}, bytes.Repeat([]byte{0xff}, 30)...),
	} {
		if _, err := ev.Evaluate(context.Background(), rec.Epoch, [][]byte{good, el}); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
			t.Errorf("%s: err = %v, want CodeInvalid", name, err)
		}
	}
	if _, err := ev.Evaluate(context.Background(), rec.Epoch+1, [][]byte{good}); mosaic.ErrorCode(err) != mosaic.CodeInvalid {
		t.Errorf("another epoch: %v", err)
	}
}

func TestKeyFile(t *testing.T) {
	kf := newKeyFile(t)
	st, err := os.Stat(kf.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode(), err)
	}
	if _, err := CreateKeyFile(kf.Path, t0); err == nil {
		t.Error("CreateKeyFile overwrote a key file")
	}
	if err := kf.Rotate(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	st, _ = os.Stat(kf.Path)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("rotated key file mode %v", st.Mode())
	}
	again, err := LoadKeyFile(kf.Path)
	if err != nil || len(again.Epochs) != 2 || again.Current().Epoch != 2 {
		t.Fatalf("reloaded: %+v, %v", again, err)
	}
	recs, err := again.Records()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := VerifyRecord(r); err != nil {
			t.Error(err)
		}
	}
	forged := recs[1]
	forged.PublicKey = recs[0].PublicKey
	if VerifyRecord(forged) == nil {
		t.Error("a record with a swapped key verified")
	}
	if err := os.Chmod(kf.Path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKeyFile(kf.Path); !errors.Is(err, ErrKeyFileMode) {
		t.Errorf("LoadKeyFile of a 0640 file: %v, want ErrKeyFileMode", err)
	}
}

func TestLocalEvaluatorReloadsRotation(t *testing.T) {
	ev, rec := newEvaluator(t)
	kf, _ := LoadKeyFile(ev.kf.Path)
	time.Sleep(10 * time.Millisecond) // a distinct modification time
	if err := kf.Rotate(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	recs, err := ev.Epochs(context.Background())
	if err != nil || len(recs) != 2 || recs[1].Epoch != rec.Epoch+1 {
		t.Fatalf("after rotation: %v, %v", recs, err)
	}
	if _, err := tokens(t, ev, recs[1], Selector{IPv4, "192.0.2.1"}); err != nil {
		t.Errorf("evaluation in the new epoch: %v", err)
	}
}

func TestPins(t *testing.T) {
	const server = "https://mosaic.example"
	kf := newKeyFile(t)
	recs, _ := kf.Records()
	p, err := LoadPins(filepath.Join(t.TempDir(), "pins.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Accept(server, recs); !errors.Is(err, ErrNotPinned) {
		t.Fatalf("Accept before Pin: %v", err)
	}
	if _, err := p.Pin(server, recs, "00:00", t0); err == nil {
		t.Error("Pin with a wrong fingerprint succeeded")
	}
	if _, err := p.Pin(server, recs, kf.Fingerprint(), t0); err != nil {
		t.Fatal(err)
	}
	if err := p.Save(); err != nil {
		t.Fatal(err)
	}
	p, _ = LoadPins(p.path)
	if cur, changed, err := p.Accept(server, recs); err != nil || changed || cur.Epoch != 1 {
		t.Fatalf("Accept = %d, %v, %v", cur.Epoch, changed, err)
	}

	// A new epoch signed by the pinned signing key is pinned.
	if err := kf.Rotate(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	recs2, _ := kf.Records()
	if cur, changed, err := p.Accept(server, recs2); err != nil || !changed || cur.Epoch != 2 {
		t.Fatalf("Accept of a new epoch = %d, %v, %v", cur.Epoch, changed, err)
	}
	// The same epoch with another key, even signed by the right key: refused.
	kf.Epochs[1].Key, _ = oprf.GenerateKey(Suite, rand.Reader)
	swapped, _ := kf.Records()
	if _, _, err := p.Accept(server, swapped); !errors.Is(err, ErrKeyChanged) {
		t.Errorf("key changed without a new epoch: %v, want ErrKeyChanged", err)
	}
	// Another signing key: refused.
	stranger := newKeyFile(t)
	strangerRecs, _ := stranger.Records()
	strangerRecs[0].Epoch = 3
	if _, _, err := p.Accept(server, strangerRecs); !errors.Is(err, ErrKeyChanged) {
		t.Errorf("another signer: %v, want ErrKeyChanged", err)
	}
	// An epoch older than the pinned newest: refused as a rollback.
	if _, _, err := p.Accept(server, recs); err == nil {
		t.Error("rollback to epoch 1 accepted")
	}
}

// FuzzDecodeElements: whatever a client sends as an element is refused or
// is a canonical encoding of a non-identity element, never a panic.
func FuzzDecodeElements(f *testing.F) {
	_, rec := newEvaluator(f)
	b, _ := NewBlinder(rec)
	p, _ := b.Blind([]Selector{{IPv4, "192.0.2.1"}})
	f.Add(p.Elements[0])
	f.Add(make([]byte, ElementSize))
	f.Add(bytes.Repeat([]byte{0xff}, ElementSize))
	f.Fuzz(func(t *testing.T, raw []byte) {
		els, err := DecodeElements([][]byte{raw})
		if err != nil {
			return
		}
		again, err := els[0].MarshalBinaryCompress()
		if err != nil || !bytes.Equal(again, raw) || els[0].IsIdentity() {
			t.Fatalf("accepted %x, which encodes as %x", raw, again)
		}
	})
}
