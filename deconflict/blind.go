package deconflict

import (
	"errors"
	"fmt"

	"github.com/cloudflare/circl/oprf"
	"github.com/cloudflare/circl/zk/dleq"

	"mosaic"
)

// ErrProof is returned for an evaluation whose proof does not verify
// under the pinned key: the evaluator used another key (or the answer was
// altered on the way), and its tokens would match nothing or, worse,
// something chosen by whoever altered it.
var ErrProof = errors.New("the evaluation's proof does not verify under the pinned key; refused")

// Blinder is the partner's side of the protocol for one pinned epoch.
type Blinder struct {
	rec mosaic.EpochRecord
	vc  oprf.VerifiableClient
}

// NewBlinder returns a Blinder for a verified, pinned epoch record.
func NewBlinder(rec mosaic.EpochRecord) (*Blinder, error) {
	pk, err := publicKey(rec.PublicKey)
	if err != nil {
		return nil, err
	}
	return &Blinder{rec: rec, vc: oprf.NewVerifiableClient(Suite, pk)}, nil
}

// Epoch is the epoch the Blinder works in.
func (b *Blinder) Epoch() int { return b.rec.Epoch }

// Pending is a blinded batch waiting for its evaluation. Elements is all
// that leaves the partner's machine.
type Pending struct {
	Selectors []Selector
	Elements  [][]byte
	fin       *oprf.FinalizeData
}

// Blind blinds sels with fresh random scalars.
func (b *Blinder) Blind(sels []Selector) (*Pending, error) {
	in := make([][]byte, len(sels))
	for i, s := range sels {
		in[i] = s.Input()
	}
	fin, req, err := b.vc.Blind(in)
	if err != nil {
		return nil, fmt.Errorf("blind: %w", err)
	}
	p := &Pending{Selectors: sels, Elements: make([][]byte, len(req.Elements)), fin: fin}
	for i, e := range req.Elements {
		if p.Elements[i], err = e.MarshalBinaryCompress(); err != nil {
			return nil, fmt.Errorf("blind: %w", err)
		}
	}
	return p, nil
}

// Finalize verifies ev's proof under the pinned key and returns the tokens
// of p's selectors, in order.
func (b *Blinder) Finalize(p *Pending, ev Evaluation) ([]mosaic.DeconflictionToken, error) {
	if ev.Epoch != b.rec.Epoch {
		return nil, fmt.Errorf("evaluation in epoch %d, pinned epoch is %d: %w", ev.Epoch, b.rec.Epoch, ErrProof)
	}
	if len(ev.Elements) != len(p.Elements) {
		return nil, fmt.Errorf("evaluation has %d elements for %d sent: %w", len(ev.Elements), len(p.Elements), ErrProof)
	}
	elems, err := DecodeElements(ev.Elements)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mosaic.ErrorMessage(err), ErrProof)
	}
	proof := new(dleq.Proof)
	if err := proof.UnmarshalBinary(Suite.Group(), ev.Proof); err != nil {
		return nil, fmt.Errorf("malformed proof: %w", ErrProof)
	}
	out, err := b.vc.Finalize(p.fin, &oprf.Evaluation{Elements: elems, Proof: proof})
	if err != nil {
		return nil, ErrProof
	}
	toks := make([]mosaic.DeconflictionToken, len(out))
	for i, o := range out {
		toks[i] = mosaic.DeconflictionToken{Type: string(p.Selectors[i].Type), Token: o[:TokenSize]}
	}
	return toks, nil
}
