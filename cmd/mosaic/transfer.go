package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"mosaic"
	"mosaic/api"
	"mosaic/export"
	"mosaic/misp"
)

// countingReader counts the bytes read, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// streamBundle reads a STIX bundle from r object by object and hands the
// objects to batch in groups of at most maxObjects objects and maxBytes
// bytes, so that a file of any size is sent in requests the server accepts.
func streamBundle(r io.Reader, maxObjects, maxBytes int, batch func(objs []json.RawMessage) error) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a STIX bundle: the file does not start with a JSON object")
	}
	var typ string
	var pending []json.RawMessage
	size := 0
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := batch(pending)
		pending, size = nil, 0
		return err
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("malformed JSON at byte %d: %v", dec.InputOffset(), err)
		}
		key, _ := t.(string)
		switch key {
		case "type":
			if err := dec.Decode(&typ); err != nil || typ != "bundle" {
				return errors.New(`not a STIX bundle: "type" is not "bundle"`)
			}
		case "objects":
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return errors.New(`"objects" is not a list`)
			}
			for dec.More() {
				var o json.RawMessage
				if err := dec.Decode(&o); err != nil {
					return fmt.Errorf("malformed JSON at byte %d: %v", dec.InputOffset(), err)
				}
				if len(pending) > 0 && (len(pending) >= maxObjects || size+len(o) > maxBytes) {
					if err := flush(); err != nil {
						return err
					}
				}
				pending = append(pending, o)
				size += len(o) + 1
			}
			if _, err := dec.Token(); err != nil {
				return fmt.Errorf("malformed JSON at byte %d: %v", dec.InputOffset(), err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return fmt.Errorf("malformed JSON at byte %d: %v", dec.InputOffset(), err)
			}
		}
	}
	if typ != "bundle" {
		return errors.New(`not a STIX bundle: no "type": "bundle"`)
	}
	return flush()
}

func importCmd(ctx context.Context, args []string, e env) error {
	var audience, orcon, legal, review string
	var batchSize, batchMiB int
	fs, err := parseClientFlags("import FILE...", args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&audience, "audience", "", "who may see the objects: originator, cell or compartment:NAME[,compartment:NAME] (default: your organisation's default)")
		fs.StringVar(&orcon, "orcon", "", "originator control, true or false (default true)")
		fs.StringVar(&legal, "legal-basis", "", "legal basis (default: your organisation's legal regime)")
		fs.StringVar(&review, "review-by", "", "review date YYYY-MM-DD (default: by legal basis)")
		fs.IntVar(&batchSize, "batch", 5000, "objects per request")
		fs.IntVar(&batchMiB, "batch-mib", 16, "MiB per request at most")
	})
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "usage: mosaic import [flags] FILE...")
		return errUsage
	}
	if batchSize < 1 || batchMiB < 1 {
		return errors.New("--batch and --batch-mib must be positive")
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"audience": audience, "orcon": orcon, "legal_basis": legal, "review_by": review} {
		if v != "" {
			q.Set(k, v)
		}
	}
	for _, name := range fs.Args() {
		if err := importFile(ctx, c, e, name, q, batchSize, batchMiB<<20); err != nil {
			return err
		}
	}
	return nil
}

func importFile(ctx context.Context, c *client, e env, name string, q url.Values, batchSize, batchBytes int) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	// A MISP event is one document the server converts; STIX bundles are
	// streamed in batches. Which one a file holds shows in its content.
	br := bufio.NewReaderSize(f, 1<<20)
	if head, _ := br.Peek(64 << 10); looksLikeMISP(head) {
		doc, err := io.ReadAll(br)
		if err != nil {
			return err
		}
		if misp.IsEvent(doc) {
			return importMISP(ctx, c, e, name, q, doc)
		}
		if events, ok := misp.ResponseEvents(doc); ok {
			// MISP's search answers and `mosaic export --format misp`
			// hold several events; each is converted and stored on its
			// own.
			for i, ev := range events {
				if err := importMISP(ctx, c, e, fmt.Sprintf("%s (event %d of %d)", name, i+1, len(events)), q, ev); err != nil {
					return err
				}
			}
			return nil
		}
		br = bufio.NewReader(bytes.NewReader(doc))
	}
	cr := &countingReader{r: br}
	var bar *progressbar.ProgressBar
	if isTerminal(e.stderr) {
		bar = progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(name), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	var total mosaic.IngestResult
	objects, batches := 0, 0
	err = streamBundle(cr, batchSize, batchBytes, func(objs []json.RawMessage) error {
		res, stored, err := postBatch(ctx, c, q, objs)
		if err != nil && stored > 0 {
			return fmt.Errorf("batch %d (objects %d to %d): the server's body limit split it; objects %d to %d are stored, the rest was refused: %w",
				batches+1, objects+1, objects+len(objs), objects+1, objects+stored, err)
		}
		if err != nil {
			return fmt.Errorf("batch %d (objects %d to %d) was refused, nothing of it was stored: %w", batches+1, objects+1, objects+len(objs), err)
		}
		batches++
		objects += len(objs)
		total.New += res.New
		total.Unchanged += res.Unchanged
		total.NewVersions += res.NewVersions
		rate := float64(objects) / max(time.Since(start).Seconds(), 1e-3)
		if bar != nil {
			bar.Describe(fmt.Sprintf("%s: %d objects, %.0f objects/s", name, objects, rate))
			_ = bar.Set64(cr.n)
		} else if batches > 1 || cr.n < st.Size() {
			fmt.Fprintf(e.stderr, "%s: batch %d stored (%d objects so far, %.0f objects/s)\n", name, batches, objects, rate)
		}
		return nil
	})
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		if batches > 0 {
			fmt.Fprintf(e.stderr, "%s: batches 1 to %d (objects 1 to %d) are stored\n", name, batches, objects)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(e.stdout, "%s: %d objects in %d batches: %d new, %d new versions, %d unchanged (%.0f objects/s)\n", name, objects, batches,
		total.New, total.NewVersions, total.Unchanged, float64(objects)/max(time.Since(start).Seconds(), 1e-3))
	return nil
}

// postBatch posts objects as one bundle. A server whose body limit is
// smaller than the batch answers 413; the batch is then sent in two halves,
// and so on, each half all or nothing. stored counts the leading objects
// that are stored when an error ends it part way.
func postBatch(ctx context.Context, c *client, q url.Values, objs []json.RawMessage) (res mosaic.IngestResult, stored int, err error) {
	// The objects go in as they were read: encoding/json would escape <, >
	// and & and make the body larger than the batch was measured.
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"type":"bundle","id":%q,"objects":[`, newBundleID())
	for i, o := range objs {
		if i > 0 {
			body.WriteByte(',')
		}
		body.Write(o)
	}
	body.WriteString("]}")
	err = c.do(ctx, "POST", "/api/v1/bundles", q, body.Bytes(), "application/stix+json;version=2.1", &res)
	var ae *apiError
	if !errors.As(err, &ae) || ae.status != http.StatusRequestEntityTooLarge || len(objs) < 2 {
		return res, 0, err
	}
	half := len(objs) / 2
	first, stored, err := postBatch(ctx, c, q, objs[:half])
	if err != nil {
		return first, stored, err
	}
	second, stored, err := postBatch(ctx, c, q, objs[half:])
	res = mosaic.IngestResult{New: first.New + second.New, Unchanged: first.Unchanged + second.Unchanged, NewVersions: first.NewVersions + second.NewVersions}
	return res, half + stored, err
}

// looksLikeMISP reports whether the start of a file may be a MISP event:
// JSON without a STIX "type" before an "Event" or "Attribute" key. A
// STIX bundle says "type" early; an event is read whole and checked.
func looksLikeMISP(head []byte) bool {
	s := string(head)
	return strings.Contains(s, `"Event"`) || strings.Contains(s, `"Attribute"`) || (strings.Contains(s, `"info"`) && !strings.Contains(s, `"bundle"`))
}

func importMISP(ctx context.Context, c *client, e env, name string, q url.Values, doc []byte) error {
	var res api.MISPResult
	if err := c.do(ctx, "POST", "/api/v1/misp/events", q, doc, "application/json", &res); err != nil {
		return fmt.Errorf("%s: the MISP event was refused, nothing of it was stored: %w", name, err)
	}
	fmt.Fprintf(e.stdout, "%s: MISP event: %d new, %d new versions, %d unchanged; %d parts not mapped to STIX\n", name, res.New, res.NewVersions, res.Unchanged, len(res.Skipped))
	for _, sk := range res.Skipped {
		fmt.Fprintf(e.stderr, "%s: not mapped: %s: %s\n", name, sk.What, sk.Reason)
	}
	return nil
}

// fetchPages pages through GET /api/v1/objects and hands each page to fn.
func fetchPages(ctx context.Context, c *client, q url.Values, pageSize int, fn func([]mosaic.StoredObject) error) error {
	q.Set("limit", strconv.Itoa(pageSize))
	for {
		// The listing's {"object", "envelope"} pairs decode straight into
		// what package export takes.
		var page struct {
			Objects []mosaic.StoredObject `json:"objects"`
			Next    string                `json:"next"`
		}
		err := c.do(ctx, "GET", "/api/v1/objects", q, nil, "", &page)
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusBadRequest && len(ae.p.Problems) > 0 && ae.p.Problems[0].Property == "limit" && pageSize > api.DefaultPageSize {
			// A server with a smaller max_page_size: go on with the
			// default page size, which every server takes.
			pageSize = api.DefaultPageSize
			q.Set("limit", strconv.Itoa(pageSize))
			continue
		}
		if err != nil {
			return err
		}
		if err := fn(page.Objects); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		q.Set("cursor", page.Next)
	}
}

func exportCmd(ctx context.Context, args []string, e env) error {
	var ff filterFlags
	var out, text, format string
	fs, err := parseClientFlags("export", args, e, func(fs *flag.FlagSet) {
		ff.define(fs)
		fs.StringVar(&out, "o", "", "write to this file instead of standard output")
		fs.StringVar(&text, "q", "", "only objects matching this text")
		fs.StringVar(&format, "format", "stix", "stix (a STIX 2.1 bundle), misp (MISP event JSON), csv, or a blocklist: ip, domain, url, hash")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if !slices.Contains(export.Formats(), format) {
		return fmt.Errorf("--format %q: want stix, misp, csv, ip, domain, url or hash", format)
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	w := e.stdout
	var file *os.File
	if out != "" {
		// Written beside the target and renamed, so a failed export leaves
		// no half a file under the name asked for.
		if file, err = os.CreateTemp(dirOf(out), ".mosaic-export-*"); err != nil {
			return err
		}
		defer os.Remove(file.Name())
		defer file.Close()
		w = file
	}
	q := ff.query()
	if text != "" {
		q.Set("q", text)
	}
	var bar *progressbar.ProgressBar
	if isTerminal(e.stderr) {
		bar = progressbar.NewOptions64(-1, progressbar.OptionSetWriter(e.stderr), progressbar.OptionSetDescription("exporting"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("objects"), progressbar.OptionClearOnFinish())
	}
	ew, err := export.New(format, w, time.Now())
	if err != nil {
		return err
	}
	if err := ew.Begin(); err != nil {
		return err
	}
	n := 0
	err = fetchPages(ctx, c, q, 1000, func(objs []mosaic.StoredObject) error {
		for _, o := range objs {
			if err := ew.Object(o); err != nil {
				return err
			}
			n++
		}
		if bar != nil {
			_ = bar.Set(n)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The bar is cleared before End writes the rest of the export, which
	// may go to the same terminal.
	if bar != nil {
		_ = bar.Finish()
	}
	summary, err := ew.End()
	if err != nil {
		return err
	}
	if file != nil {
		if err := file.Close(); err != nil {
			return err
		}
		if err := os.Rename(file.Name(), out); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stderr, summary)
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

func getCmd(ctx context.Context, args []string, e env) error {
	var versions bool
	fs, err := parseClientFlags("get ID", args, e, func(fs *flag.FlagSet) {
		fs.BoolVar(&versions, "versions", false, "show every version and contribution you can see")
	})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: mosaic get [--versions] ID")
		return errUsage
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	q := url.Values{}
	if versions {
		q.Set("versions", "all")
	}
	var out json.RawMessage
	if err := c.do(ctx, "GET", "/api/v1/objects/"+url.PathEscape(fs.Arg(0)), q, nil, "", &out); err != nil {
		return err
	}
	var pretty strings.Builder
	enc := json.NewEncoder(&pretty)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err = io.WriteString(e.stdout, pretty.String())
	return err
}

func searchCmd(ctx context.Context, args []string, e env) error {
	var ff filterFlags
	var limit int
	var asJSON bool
	fs, err := parseClientFlags("search QUERY", args, e, func(fs *flag.FlagSet) {
		ff.define(fs)
		fs.IntVar(&limit, "limit", 20, "how many results")
		fs.BoolVar(&asJSON, "json", false, "print the results as JSON")
	})
	if err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "usage: mosaic search [flags] QUERY...")
		return errUsage
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	q := ff.query()
	q.Set("q", strings.Join(fs.Args(), " "))
	q.Set("limit", strconv.Itoa(limit))
	var page api.ObjectPage
	if err := c.do(ctx, "GET", "/api/v1/objects", q, nil, "", &page); err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(page.Objects)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tNAME\tTLP\tORIGINATOR\tMODIFIED\tID")
	for _, o := range page.Objects {
		var p struct {
			ID, Type, Name, Value, Modified string
			Pattern                         string `json:"pattern"`
		}
		_ = json.Unmarshal(o.Object, &p)
		name := p.Name
		if name == "" {
			name = p.Value
		}
		if name == "" {
			name = p.Pattern
		}
		if len(name) > 60 {
			name = name[:57] + "..."
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Type, name, o.Envelope.TLP.Label(), o.Envelope.Originator, p.Modified, p.ID)
	}
	tw.Flush()
	if len(page.Objects) == 0 {
		fmt.Fprintln(e.stderr, "no objects found")
	} else if page.Next != "" {
		fmt.Fprintf(e.stderr, "showing the first %d; use --limit for more\n", len(page.Objects))
	}
	return nil
}
