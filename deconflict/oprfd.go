package deconflict

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"mosaic"
)

// The separate evaluator (mosaic oprfd) serves two endpoints:
//
//	GET  /v1/epochs    the signed epoch records (public)
//	POST /v1/evaluate  an EvaluateRequest, with Authorization: Bearer SECRET
//
// Only the Mosaic server calls it, with the shared secret; partners reach
// it through the server, which applies their organisations' budgets.
const (
	OPRFDEpochsPath   = "/v1/epochs"
	OPRFDEvaluatePath = "/v1/evaluate"
)

// DefaultEvaluatorBudget is the evaluator's own limit on evaluations per
// UTC day, for all organisations together. It is what still holds when the
// store's operator, who holds the shared secret, asks the evaluator
// directly: ten partners' default budgets, 2^32 evaluations in 12 years.
const DefaultEvaluatorBudget = 10 * DefaultDailyBudget

// FileBudget is the evaluator's daily budget, kept in a small file so that
// a restart does not reset it.
type FileBudget struct {
	path  string
	limit int
	mu    sync.Mutex
	day   string // guarded by mu
	used  int    // guarded by mu
}

type fileBudgetJSON struct {
	Day  string `json:"day"`
	Used int    `json:"used"`
}

// OpenFileBudget reads the budget file at path (missing: nothing used).
func OpenFileBudget(path string, limit int) (*FileBudget, error) {
	b := &FileBudget{path: path, limit: limit}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	var j fileBudgetJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	b.day, b.used = j.Day, j.Used
	return b, nil
}

// Spend takes n evaluations from today's budget and writes the file
// before it says yes.
func (b *FileBudget) Spend(n int, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	day := now.UTC().Format(time.DateOnly)
	used := b.used
	if b.day != day {
		used = 0
	}
	if used+n > b.limit {
		return mosaic.RateLimited(untilNextDay(now), "the evaluator's daily budget of %d evaluations is spent", b.limit)
	}
	raw, _ := json.Marshal(fileBudgetJSON{Day: day, Used: used + n})
	tmp := b.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return mosaic.Internal(err, "write budget")
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, b.path)
	}
	if err != nil {
		return mosaic.Internal(err, "write budget")
	}
	b.day, b.used = day, used+n
	return nil
}

// EvaluatorHandler serves a LocalEvaluator as mosaic oprfd.
func EvaluatorHandler(ev *LocalEvaluator, secret string, budget *FileBudget, maxBatch int, clock mosaic.Clock, log *slog.Logger) http.Handler {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+OPRFDEpochsPath, func(w http.ResponseWriter, r *http.Request) {
		recs, _ := ev.Epochs(r.Context())
		writeJSON(w, http.StatusOK, recs, "application/json")
	})
	mux.HandleFunc("POST "+OPRFDEvaluatePath, func(w http.ResponseWriter, r *http.Request) {
		err := func() error {
			scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(secret)) != 1 {
				return mosaic.Errorf(mosaic.CodeUnauth, "the evaluator takes requests from the Mosaic server only")
			}
			var req EvaluateRequest
			if err := readJSON(w, r, int64(maxBatch)*64+64<<10, &req); err != nil {
				return err
			}
			if len(req.Elements) > maxBatch {
				return mosaic.Errorf(mosaic.CodeTooLarge, "%d elements in one request; at most %d", len(req.Elements), maxBatch)
			}
			if _, err := DecodeElements(req.Elements); err != nil {
				return err
			}
			if err := budget.Spend(len(req.Elements), clock.Now()); err != nil {
				return err
			}
			out, err := ev.Evaluate(r.Context(), req.Epoch, req.Elements)
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, out, "application/json")
			return nil
		}()
		if err != nil {
			if mosaic.ErrorCode(err) == mosaic.CodeInternal {
				log.Error("evaluate", slog.Any("err", err))
			}
			status := writeProblem(w, r, err)
			// Counts only: an evaluator sees blinded elements, which say
			// nothing, but there is no reason to log them either.
			log.Info("evaluation refused", slog.Int("status", status), slog.String("reason", mosaic.ErrorMessage(err)))
		}
	})
	return mux
}

// RemoteEvaluator asks a separate mosaic oprfd.
type RemoteEvaluator struct {
	URL    string // base URL, http(s)://HOST:PORT
	Secret string
	HTTP   *http.Client
}

// Epochs fetches the evaluator's signed epoch records.
func (e *RemoteEvaluator) Epochs(ctx context.Context) ([]mosaic.EpochRecord, error) {
	var recs []mosaic.EpochRecord
	err := e.call(ctx, http.MethodGet, OPRFDEpochsPath, nil, &recs)
	return recs, err
}

// Evaluate asks the evaluator to evaluate elements.
func (e *RemoteEvaluator) Evaluate(ctx context.Context, epoch int, elements [][]byte) (Evaluation, error) {
	var ev Evaluation
	err := e.call(ctx, http.MethodPost, OPRFDEvaluatePath, EvaluateRequest{Epoch: epoch, Elements: elements}, &ev)
	return ev, err
}

func (e *RemoteEvaluator) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return mosaic.Internal(err, "encode evaluator request")
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(e.URL, "/")+path, body)
	if err != nil {
		return mosaic.Internal(err, "evaluator request")
	}
	req.Header.Set("Authorization", "Bearer "+e.Secret)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c := e.HTTP
	if c == nil {
		c = &http.Client{Timeout: time.Minute}
	}
	resp, err := c.Do(req)
	if err != nil {
		return &mosaic.Error{Code: mosaic.CodeUnavailable, Message: "the deconfliction evaluator cannot be reached", Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return &mosaic.Error{Code: mosaic.CodeUnavailable, Message: "the deconfliction evaluator's answer was cut short", Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		var p Problem
		_ = json.Unmarshal(raw, &p)
		if resp.StatusCode == http.StatusTooManyRequests {
			return mosaic.Errorf(mosaic.CodeRateLimited, "the evaluator's own daily budget is spent")
		}
		if resp.StatusCode == http.StatusBadRequest {
			return mosaic.Errorf(mosaic.CodeInvalid, "evaluator: %s", p.Detail)
		}
		return &mosaic.Error{Code: mosaic.CodeUnavailable, Message: "the deconfliction evaluator refused", Err: fmt.Errorf("status %d: %s", resp.StatusCode, p.Detail)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return mosaic.Internal(err, "decode evaluator answer")
	}
	return nil
}
