// Package cdp drives a headless Chromium through the Chrome DevTools
// Protocol, for the web UI's browser tests. It talks over
// --remote-debugging-pipe: JSON messages, each ended by a NUL byte, on the
// browser's file descriptors 3 (commands in) and 4 (answers and events
// out). That needs no WebSocket client and no third-party library.
//
// Only what the tests need is here: open a page at a window size, load a
// URL, evaluate JavaScript in it (which DevTools runs outside the page's
// Content-Security-Policy), and take a screenshot.
package cdp

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Find returns the path of a Chromium, or "" when none is installed.
func Find() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd  *exec.Cmd
	in   *os.File // commands, the browser's fd 3
	dir  string
	done chan struct{}

	mu      sync.Mutex
	next    int                    // guarded by mu
	pending map[int]chan *response // guarded by mu
	err     error                  // guarded by mu; why the browser stopped answering
}

type response struct {
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// Start starts the browser at path with a fresh profile in a temporary
// directory.
func Start(path string) (*Browser, error) {
	dir, err := os.MkdirTemp("", "mosaic-chromium-")
	if err != nil {
		return nil, err
	}
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
		"--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
		"--user-data-dir="+dir, "about:blank")
	cmd.ExtraFiles = []*os.File{cmdR, outW} // fd 3 and fd 4 in the browser
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmdR.Close()
	outW.Close()
	b := &Browser{cmd: cmd, in: cmdW, dir: dir, done: make(chan struct{}), pending: map[int]chan *response{}}
	go b.read(bufio.NewReaderSize(outR, 1<<20))
	return b, nil
}

// read hands each answer to the call that waits for it; events are not
// needed by the tests and are dropped.
func (b *Browser) read(r *bufio.Reader) {
	defer close(b.done)
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.err = fmt.Errorf("browser closed its pipe: %w", err)
			for _, ch := range b.pending {
				close(ch)
			}
			b.pending = map[int]chan *response{}
			b.mu.Unlock()
			return
		}
		var resp response
		if json.Unmarshal(msg[:len(msg)-1], &resp) != nil || resp.ID == 0 {
			continue
		}
		b.mu.Lock()
		ch := b.pending[resp.ID]
		delete(b.pending, resp.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- &resp
		}
	}
}

// Call sends one command, in the page session when session is not "", and
// decodes its result into result when that is not nil.
func (b *Browser) Call(ctx context.Context, session, method string, params, result any) error {
	ch := make(chan *response, 1)
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return b.err
	}
	b.next++
	id := b.next
	b.pending[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	if session != "" {
		msg["sessionId"] = session
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.in.Write(append(body, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			b.mu.Lock()
			defer b.mu.Unlock()
			return fmt.Errorf("%s: %w", method, b.err)
		}
		if resp.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, resp.Error.Message, resp.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(resp.Result, result)
		}
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Close stops the browser and removes its profile.
func (b *Browser) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b.Call(ctx, "", "Browser.close", nil, nil)
	select {
	case <-b.done:
	case <-ctx.Done():
		_ = b.cmd.Process.Kill()
	}
	_ = b.cmd.Wait()
	b.in.Close()
	return os.RemoveAll(b.dir)
}

// Page is one tab.
type Page struct {
	b       *Browser
	session string
}

// NewPage opens a tab with a window of width × height CSS pixels.
func (b *Browser) NewPage(ctx context.Context, width, height int) (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: attached.SessionID}
	if err := p.call(ctx, "Page.enable", nil, nil); err != nil {
		return nil, err
	}
	if err := p.Resize(ctx, width, height); err != nil {
		return nil, err
	}
	return p, nil
}

// Resize sets the window to width × height CSS pixels.
func (p *Page) Resize(ctx context.Context, width, height int) error {
	return p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
}

func (p *Page) call(ctx context.Context, method string, params, result any) error {
	return p.b.Call(ctx, p.session, method, params, result)
}

// DisableScripts turns the pages' own JavaScript off in the tab, as a
// person may in their browser; Eval still works, from outside the page.
func (p *Page) DisableScripts(ctx context.Context) error {
	return p.call(ctx, "Emulation.setScriptExecutionDisabled", map[string]any{"value": true}, nil)
}

// Navigate loads url and waits until the document has loaded.
func (p *Page) Navigate(ctx context.Context, url string) error {
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigate to %s: %s", url, nav.ErrorText)
	}
	return p.WaitFor(ctx, `document.readyState === "complete" && location.href !== "about:blank"`)
}

// Eval evaluates a JavaScript expression in the page and decodes its value
// into result when that is not nil. A promise is awaited.
func (p *Page) Eval(ctx context.Context, expr string, result any) error {
	var out struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &out); err != nil {
		return err
	}
	if out.ExceptionDetails != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, out.ExceptionDetails.Text, out.ExceptionDetails.Exception.Description)
	}
	if result != nil && len(out.Result.Value) > 0 {
		return json.Unmarshal(out.Result.Value, result)
	}
	return nil
}

// WaitFor polls a JavaScript condition until it holds or ctx ends. A page
// that is navigating away may fail to evaluate for a moment; that counts as
// not yet.
func (p *Page) WaitFor(ctx context.Context, cond string) error {
	var last error
	for {
		var ok bool
		if err := p.Eval(ctx, "Boolean("+cond+")", &ok); err == nil && ok {
			return nil
		} else if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("waiting for %s: %w", cond, ctx.Err()), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// SetFiles chooses files for the file input the CSS selector names, as a
// person would in the file dialog.
func (p *Page) SetFiles(ctx context.Context, selector string, paths ...string) error {
	var doc struct {
		Root struct {
			NodeID int `json:"nodeId"`
		} `json:"root"`
	}
	if err := p.call(ctx, "DOM.getDocument", nil, &doc); err != nil {
		return err
	}
	var found struct {
		NodeID int `json:"nodeId"`
	}
	if err := p.call(ctx, "DOM.querySelector", map[string]any{"nodeId": doc.Root.NodeID, "selector": selector}, &found); err != nil {
		return err
	}
	if found.NodeID == 0 {
		return fmt.Errorf("no element matches %s", selector)
	}
	return p.call(ctx, "DOM.setFileInputFiles", map[string]any{"nodeId": found.NodeID, "files": paths}, nil)
}

// Screenshot returns a PNG of the whole page.
func (p *Page) Screenshot(ctx context.Context) ([]byte, error) {
	var shot struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &shot); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(shot.Data)
}
