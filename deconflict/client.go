package deconflict

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"mosaic"
)

// Client is a partner's deconfliction client. Selectors stay in it: what
// it sends is blinded elements (to be evaluated) and tokens.
type Client struct {
	BaseURL string // the Mosaic server, http(s)://HOST:PORT
	Token   string // the partner user's API token
	HTTP    *http.Client
	// Send, when set, replaces HTTP for every request, so that tests can
	// see exactly what leaves the client.
	Send func(*http.Request) (*http.Response, error)
}

// APIError is a problem+json answer.
type APIError struct {
	Status     int
	Problem    Problem
	RetryAfter string
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%d %s: %s", e.Status, e.Problem.Title, e.Problem.Detail)
	if e.RetryAfter != "" {
		s += " (retry after " + e.RetryAfter + " s)"
	}
	return s
}

func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := strings.TrimSuffix(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	send := c.Send
	if send == nil {
		hc := c.HTTP
		if hc == nil {
			hc = &http.Client{Timeout: 5 * time.Minute}
		}
		send = hc.Do
	}
	resp, err := send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		e := &APIError{Status: resp.StatusCode, RetryAfter: resp.Header.Get("Retry-After")}
		if json.Unmarshal(raw, &e.Problem) != nil || e.Problem.Title == "" {
			e.Problem.Title, e.Problem.Detail = http.StatusText(resp.StatusCode), strings.TrimSpace(string(raw))
		}
		return e
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// Org asks the server which organisation the token belongs to.
func (c *Client) Org(ctx context.Context) (string, error) {
	var me struct {
		User struct {
			Org string `json:"org"`
		} `json:"user"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/me", nil, nil, &me); err != nil {
		return "", err
	}
	return me.User.Org, nil
}

// Epochs fetches the published epoch records.
func (c *Client) Epochs(ctx context.Context) ([]mosaic.EpochRecord, error) {
	var recs []mosaic.EpochRecord
	err := c.do(ctx, http.MethodGet, Prefix+"epochs", nil, nil, &recs)
	return recs, err
}

// Evaluate asks for an evaluation of blinded elements.
func (c *Client) Evaluate(ctx context.Context, epoch int, elements [][]byte) (EvaluateResponse, error) {
	var out EvaluateResponse
	err := c.do(ctx, http.MethodPost, Prefix+"evaluate", nil, EvaluateRequest{Epoch: epoch, Elements: elements}, &out)
	return out, err
}

// Submit registers (check false) or checks tokens. It fills in a fresh
// request id.
func (c *Client) Submit(ctx context.Context, req SubmitRequest, check bool) (SubmitResponse, error) {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return SubmitResponse{}, err
	}
	req.RequestID = hex.EncodeToString(id)
	path := Prefix + "registrations"
	if check {
		path = Prefix + "checks"
	}
	var out SubmitResponse
	err := c.do(ctx, http.MethodPost, path, nil, req, &out)
	return out, err
}

// Registrations lists the organisation's live registrations.
func (c *Client) Registrations(ctx context.Context) ([]mosaic.RegistrationGroup, error) {
	var out []mosaic.RegistrationGroup
	err := c.do(ctx, http.MethodGet, Prefix+"registrations", nil, nil, &out)
	return out, err
}

// Remove removes the organisation's registrations under ref.
func (c *Client) Remove(ctx context.Context, ref string) (int, error) {
	var out RemoveResponse
	err := c.do(ctx, http.MethodDelete, Prefix+"registrations", url.Values{"ref": {ref}}, nil, &out)
	return out.Removed, err
}

// Hits lists the hits the organisation may see.
func (c *Client) Hits(ctx context.Context) ([]HitView, error) {
	var out []HitView
	err := c.do(ctx, http.MethodGet, Prefix+"hits", nil, nil, &out)
	return out, err
}

// Budget returns the organisation's budgets today.
func (c *Client) Budget(ctx context.Context) (BudgetResponse, error) {
	var out BudgetResponse
	err := c.do(ctx, http.MethodGet, Prefix+"budget", nil, nil, &out)
	return out, err
}

// Batch is one batch's outcome in Run.
type Batch struct {
	Start     int // index of the batch's first selector in the input
	Selectors []Selector
	Accepted  int
	Hits      []HitView // Index relative to Start
	Budget    mosaic.EvaluationBudget
	// Coordinated: hits go to the coordinator, not to the submitter.
	Coordinated bool
}

// RunOptions say what Run does with a list of selectors.
type RunOptions struct {
	Org       string
	Ref       string
	Expires   time.Time // registrations
	Check     bool
	BatchSize int // default DefaultMaxBatch
	// Workers is how many batches are in flight at once (default: the
	// number of CPUs, at most 4): blinding and verifying one batch
	// overlaps with the server evaluating another.
	Workers  int
	Progress func(done int) // called with the number of selectors finished so far
}

// Run blinds sels in batches, has each evaluated, verifies every proof
// under b's pinned key, and submits the tokens. It stops at the first
// error; batches already submitted stay submitted, and the error says how
// many selectors were done.
func (c *Client) Run(ctx context.Context, b *Blinder, sels []Selector, o RunOptions) ([]Batch, error) {
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultMaxBatch
	}
	if o.Workers <= 0 {
		o.Workers = min(4, runtime.NumCPU())
	}
	n := (len(sels) + o.BatchSize - 1) / o.BatchSize
	out := make([]Batch, n)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		done  int
		first error
		wg    sync.WaitGroup
	)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				start := i * o.BatchSize
				batch := sels[start:min(start+o.BatchSize, len(sels))]
				res, err := c.runBatch(ctx, b, batch, o)
				mu.Lock()
				if err != nil {
					if first == nil {
						first = fmt.Errorf("selectors %d to %d: %w", start+1, start+len(batch), err)
					}
					mu.Unlock()
					cancel()
					return
				}
				res.Start = start
				out[i] = res
				done += len(batch)
				if o.Progress != nil {
					o.Progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return out, fmt.Errorf("%w (%d of %d selectors done)", first, done, len(sels))
	}
	return out, nil
}

func (c *Client) runBatch(ctx context.Context, b *Blinder, sels []Selector, o RunOptions) (Batch, error) {
	p, err := b.Blind(sels)
	if err != nil {
		return Batch{}, err
	}
	ev, err := c.Evaluate(ctx, b.Epoch(), p.Elements)
	if err != nil {
		return Batch{}, err
	}
	toks, err := b.Finalize(p, ev.Evaluation)
	if err != nil {
		return Batch{}, err
	}
	req := SubmitRequest{Org: o.Org, Epoch: b.Epoch(), Ref: o.Ref, Tokens: toks}
	if !o.Check {
		req.Expires = o.Expires
	}
	res, err := c.Submit(ctx, req, o.Check)
	if err != nil {
		return Batch{}, err
	}
	return Batch{Selectors: sels, Accepted: res.Accepted, Hits: res.Hits, Budget: ev.Budget, Coordinated: res.Coordinated}, nil
}
