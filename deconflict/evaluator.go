package deconflict

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cloudflare/circl/group"
	"github.com/cloudflare/circl/oprf"

	"mosaic"
)

// Evaluator computes VOPRF evaluations of blinded elements. The in-process
// LocalEvaluator holds the key; a RemoteEvaluator asks a separate oprfd
// process that does.
type Evaluator interface {
	// Epochs returns the signed records of the evaluator's epochs, oldest
	// first; the last is the one it evaluates under.
	Epochs(ctx context.Context) ([]mosaic.EpochRecord, error)
	// Evaluate evaluates elements under the current epoch's key, which
	// must be epoch, with one batch DLEQ proof. CodeInvalid for a
	// malformed element or another epoch.
	Evaluate(ctx context.Context, epoch int, elements [][]byte) (Evaluation, error)
}

// Evaluation is the evaluator's answer: the evaluated elements in request
// order and a proof that all of them used the epoch's published key.
type Evaluation struct {
	Epoch    int      `json:"epoch"`
	Elements [][]byte `json:"evaluated"`
	Proof    []byte   `json:"proof"`
}

// DecodeElements decodes blinded elements, refusing any that is not a
// canonical encoding of a non-identity group element: the identity would
// evaluate to itself under every key and make the proof say nothing.
func DecodeElements(raw [][]byte) ([]group.Element, error) {
	g := Suite.Group()
	out := make([]group.Element, len(raw))
	for i, b := range raw {
		if len(b) != ElementSize {
			return nil, mosaic.Errorf(mosaic.CodeInvalid, "element %d: want %d bytes, got %d", i, ElementSize, len(b))
		}
		e := g.NewElement()
		if err := e.UnmarshalBinary(b); err != nil {
			return nil, mosaic.Errorf(mosaic.CodeInvalid, "element %d is not a valid %s element", i, g)
		}
		if e.IsIdentity() {
			return nil, mosaic.Errorf(mosaic.CodeInvalid, "element %d is the identity element", i)
		}
		out[i] = e
	}
	return out, nil
}

// LocalEvaluator evaluates with a key file's current key.
type LocalEvaluator struct {
	mu      sync.RWMutex
	kf      *KeyFile              // guarded by mu
	server  oprf.VerifiableServer // guarded by mu
	records []mosaic.EpochRecord  // guarded by mu
	mod     time.Time             // guarded by mu; the key file's modification time when loaded
}

// NewLocalEvaluator evaluates with kf's current epoch key.
func NewLocalEvaluator(kf *KeyFile) (*LocalEvaluator, error) {
	e := &LocalEvaluator{}
	if err := e.Load(kf); err != nil {
		return nil, err
	}
	return e, nil
}

// Load switches to kf (after a rotation).
func (e *LocalEvaluator) Load(kf *KeyFile) error {
	recs, err := kf.Records()
	if err != nil {
		return err
	}
	var mod time.Time
	if st, err := os.Stat(kf.Path); err == nil {
		mod = st.ModTime()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.kf, e.records, e.mod = kf, recs, mod
	e.server = oprf.NewVerifiableServer(Suite, kf.Current().Key)
	return nil
}

// Epochs returns the key file's signed epoch records. It first reloads
// the key file when it changed on disk (mosaic oprfd rotate), so that a
// rotation needs no restart.
func (e *LocalEvaluator) Epochs(context.Context) ([]mosaic.EpochRecord, error) {
	e.mu.RLock()
	path, mod := e.kf.Path, e.mod
	e.mu.RUnlock()
	if st, err := os.Stat(path); err == nil && !st.ModTime().Equal(mod) {
		kf, err := LoadKeyFile(path)
		if err != nil {
			return nil, err
		}
		if err := e.Load(kf); err != nil {
			return nil, err
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return append([]mosaic.EpochRecord(nil), e.records...), nil
}

// Evaluate evaluates under the current key.
func (e *LocalEvaluator) Evaluate(_ context.Context, epoch int, raw [][]byte) (Evaluation, error) {
	elems, err := DecodeElements(raw)
	if err != nil {
		return Evaluation{}, err
	}
	if len(elems) == 0 {
		return Evaluation{}, mosaic.Errorf(mosaic.CodeInvalid, "no elements to evaluate")
	}
	e.mu.RLock()
	srv, cur := e.server, e.kf.Current().Epoch
	e.mu.RUnlock()
	if epoch != cur {
		return Evaluation{}, mosaic.Errorf(mosaic.CodeInvalid, "the evaluator is in epoch %d, not %d; fetch the epochs again", cur, epoch)
	}
	ev, err := srv.Evaluate(&oprf.EvaluationRequest{Elements: elems})
	if err != nil {
		return Evaluation{}, mosaic.Internal(err, "evaluate")
	}
	return encodeEvaluation(epoch, ev)
}

func encodeEvaluation(epoch int, ev *oprf.Evaluation) (Evaluation, error) {
	out := Evaluation{Epoch: epoch, Elements: make([][]byte, len(ev.Elements))}
	for i, el := range ev.Elements {
		b, err := el.MarshalBinaryCompress()
		if err != nil {
			return Evaluation{}, mosaic.Internal(err, "encode evaluation")
		}
		out.Elements[i] = b
	}
	p, err := ev.Proof.MarshalBinary()
	if err != nil {
		return Evaluation{}, mosaic.Internal(err, "encode proof")
	}
	out.Proof = p
	return out, nil
}

// checkEvaluation is the shape check a relay makes before passing an
// evaluation on; the client's proof check is what counts.
func checkEvaluation(ev Evaluation, epoch, n int) error {
	if ev.Epoch != epoch || len(ev.Elements) != n || len(ev.Proof) != ProofSize {
		return fmt.Errorf("evaluator answered epoch %d with %d elements and a %d-byte proof, for epoch %d and %d elements", ev.Epoch, len(ev.Elements), len(ev.Proof), epoch, n)
	}
	return nil
}
