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
	"mosaic/stix"
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

// eachObject reads a STIX bundle from r and hands its objects to fn one by
// one, as written.
func eachObject(r io.Reader, fn func(o json.RawMessage) error) error {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a STIX bundle: the file does not start with a JSON object")
	}
	var typ string
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
				if err := fn(o); err != nil {
					return err
				}
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
	return nil
}

// handlingSet holds handling objects (stix.HandlingType) by the versions
// they name, so that each batch of an import carries the handling objects
// that name its objects: the server applies a handling object only to the
// objects of its own request.
type handlingSet struct {
	objs []json.RawMessage
	// names maps a version (versionKey) to the handling objects naming it.
	names map[string][]int
	// left counts, per handling object, the names not yet sent; one that
	// names nothing more is let go (release).
	left []int
	// sent says, per handling object, whether a batch carried it.
	sent []bool
}

func newHandlingSet() *handlingSet { return &handlingSet{names: map[string][]int{}} }

// versionKey is how a handling object's name and an object are matched:
// the id and the comparison key of the timestamp, so that precision does
// not matter.
func versionKey(id, ts string) string {
	if k, err := stix.TimeKey(ts); err == nil {
		ts = k
	}
	return id + "|" + ts
}

// objectKey returns the versionKey of an object: by modified, or created
// when it has no modified, or neither.
func objectKey(raw []byte) string {
	h := stix.ReadHead(raw)
	ts := h.Modified
	if ts == "" {
		ts = h.Created
	}
	return versionKey(h.ID, ts)
}

// add keeps a handling object. One that is not JSON with a list of names
// is kept naming nothing: the server says what is wrong with it, if it is
// ever sent.
func (hs *handlingSet) add(raw json.RawMessage) {
	var h struct {
		Names []struct{ ID, Modified, Created string } `json:"object_versions"`
	}
	_ = json.Unmarshal(raw, &h)
	i := len(hs.objs)
	hs.objs = append(hs.objs, raw)
	hs.left = append(hs.left, len(h.Names))
	hs.sent = append(hs.sent, false)
	for _, n := range h.Names {
		k := versionKey(n.ID, n.Modified+n.Created)
		hs.names[k] = append(hs.names[k], i)
	}
}

// forBatch returns the handling objects that name any of objs, each once,
// in the order they were added. With release set, a handling object all of
// whose names have been sent is let go.
func (hs *handlingSet) forBatch(objs []json.RawMessage, release bool) []json.RawMessage {
	var picked []int
	seen := map[int]bool{}
	for _, o := range objs {
		k := objectKey(o)
		for _, i := range hs.names[k] {
			if !seen[i] {
				seen[i] = true
				picked = append(picked, i)
			}
			hs.left[i]--
		}
		if release {
			delete(hs.names, k)
		}
	}
	slices.Sort(picked)
	out := make([]json.RawMessage, 0, len(picked))
	for _, i := range picked {
		out = append(out, hs.objs[i])
		hs.sent[i] = true
		if release && hs.left[i] <= 0 {
			hs.objs[i] = nil
		}
	}
	return out
}

// unsent counts the handling objects no batch carried: they name nothing
// that was sent.
func (hs *handlingSet) unsent() int {
	n := 0
	for _, s := range hs.sent {
		if !s {
			n++
		}
	}
	return n
}

// readHandling reads the handling objects of a bundle file (one that
// `mosaic export --handling` wrote); its other objects are Mosaic's own
// published ones and are left out.
func readHandling(name string) (*handlingSet, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs := newHandlingSet()
	err = eachObject(bufio.NewReaderSize(f, 1<<20), func(o json.RawMessage) error {
		if stix.ReadHead(o).Type == stix.HandlingType {
			hs.add(o)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return hs, nil
}

func importCmd(ctx context.Context, args []string, e env) error {
	var audience, orcon, legal, review, handlingFile string
	var batchSize, batchMiB int
	fs, err := parseClientFlags("import FILE...", args, e, func(fs *flag.FlagSet) {
		fs.StringVar(&audience, "audience", "", "who may see the objects: originator, cell or compartment:NAME[,compartment:NAME] (default: your organisation's default)")
		fs.StringVar(&orcon, "orcon", "", "originator control, true or false (default true)")
		fs.StringVar(&legal, "legal-basis", "", "legal basis (default: your organisation's legal regime)")
		fs.StringVar(&review, "review-by", "", "review date YYYY-MM-DD (default: by legal basis)")
		fs.IntVar(&batchSize, "batch", 5000, "objects per request")
		fs.IntVar(&batchMiB, "batch-mib", 16, "MiB per request at most")
		fs.StringVar(&handlingFile, "handling", "", "a bundle of handling objects (from mosaic export --handling) for the objects of the files")
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
	side := newHandlingSet()
	if handlingFile != "" {
		if side, err = readHandling(handlingFile); err != nil {
			return err
		}
	}
	for _, name := range fs.Args() {
		if err := importFile(ctx, c, e, name, q, batchSize, batchMiB<<20, side); err != nil {
			return err
		}
	}
	if n := side.unsent(); n > 0 {
		fmt.Fprintf(e.stderr, "%s: warning: %d handling objects name no object of the files and were not sent\n", handlingFile, n)
	}
	return nil
}

// importFile imports one file. Of a STIX bundle, the marking definitions
// go first, in batches of their own, so that every object that names one
// is judged by the level it declares whatever batch it is in; then the
// rest, each batch with the handling objects (of the file, or of side)
// that name its objects.
func importFile(ctx context.Context, c *client, e env, name string, q url.Values, batchSize, batchBytes int, side *handlingSet) error {
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
	// The first pass finds the marking definitions and the handling
	// objects, wherever they are in the file (a bundle's objects have no
	// order, and a tool may sort them by type); the second reads the file
	// again from the start. The handling objects are held until a batch
	// carries every object they name.
	var markings []json.RawMessage
	inFile := newHandlingSet()
	err = eachObject(br, func(o json.RawMessage) error {
		switch stix.ReadHead(o).Type {
		case "marking-definition":
			markings = append(markings, o)
		case stix.HandlingType:
			inFile.add(o)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	markingHandling := append(inFile.forBatch(markings, false), side.forBatch(markings, false)...)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	cr := &countingReader{r: bufio.NewReaderSize(f, 1<<20)}
	var bar *progressbar.ProgressBar
	if isTerminal(e.stderr) {
		bar = progressbar.NewOptions64(st.Size(), progressbar.OptionSetWriter(e.stderr), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(name), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	}
	start := time.Now()
	var total mosaic.IngestResult
	objects, batches, handled := 0, 0, 0
	send := func(objs, handling []json.RawMessage) error {
		res, stored, err := postBatch(ctx, c, q, objs, handling)
		if err != nil && stored > 0 {
			return fmt.Errorf("batch %d (objects %d to %d): the server's body limit split it; objects %d to %d are stored, the rest was refused: %w",
				batches+1, objects+1, objects+len(objs), objects+1, objects+stored, err)
		}
		if err != nil {
			return fmt.Errorf("batch %d (objects %d to %d) was refused, nothing of it was stored: %w", batches+1, objects+1, objects+len(objs), err)
		}
		batches++
		objects += len(objs)
		handled += len(handling)
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
	}
	err = nil
	for i := 0; i < len(markings) && err == nil; i += batchSize {
		batch := markings[i:min(i+batchSize, len(markings))]
		err = send(batch, markingHandling)
	}
	// The handling objects of the file go with the batches that hold what
	// they name, however the batches cut the file; the marking definitions
	// were sent already.
	var pending []json.RawMessage
	size := 0
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		handling := append(inFile.forBatch(pending, true), side.forBatch(pending, false)...)
		err := send(pending, handling)
		pending, size = nil, 0
		return err
	}
	if err == nil {
		err = eachObject(cr, func(o json.RawMessage) error {
			switch stix.ReadHead(o).Type {
			case "marking-definition", stix.HandlingType:
				return nil // sent already, or read by the first pass
			}
			if len(pending) > 0 && (len(pending) >= batchSize || size+len(o) > batchBytes) {
				if err := flush(); err != nil {
					return err
				}
			}
			pending = append(pending, o)
			size += len(o) + 1
			return nil
		})
	}
	if err == nil {
		err = flush()
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err != nil {
		if batches > 0 {
			fmt.Fprintf(e.stderr, "%s: batches 1 to %d (objects 1 to %d) are stored\n", name, batches, objects)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	with := ""
	if handled > 0 {
		with = fmt.Sprintf(" with %d handling objects", handled)
	}
	if n := inFile.unsent(); n > 0 {
		fmt.Fprintf(e.stderr, "%s: warning: %d handling objects name no object of the file and were not sent\n", name, n)
	}
	fmt.Fprintf(e.stdout, "%s: %d objects in %d batches%s: %d new, %d new versions, %d unchanged (%.0f objects/s)\n", name, objects, batches, with,
		total.New, total.NewVersions, total.Unchanged, float64(objects)/max(time.Since(start).Seconds(), 1e-3))
	return nil
}

// postBatch posts objects, after the handling objects that name them, as
// one bundle. A server whose body limit is smaller than the batch answers
// 413; the batch is then sent in two halves, and so on, each half all or
// nothing and each with every handling object (the server ignores those
// that name nothing of a request). stored counts the leading objects that
// are stored when an error ends it part way.
func postBatch(ctx context.Context, c *client, q url.Values, objs, handling []json.RawMessage) (res mosaic.IngestResult, stored int, err error) {
	// The objects go in as they were read: encoding/json would escape <, >
	// and & and make the body larger than the batch was measured.
	var body bytes.Buffer
	fmt.Fprintf(&body, `{"type":"bundle","id":%q,"objects":[`, newBundleID())
	for i, o := range slices.Concat(handling, objs) {
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
	first, stored, err := postBatch(ctx, c, q, objs[:half], handling)
	if err != nil {
		return first, stored, err
	}
	second, stored, err := postBatch(ctx, c, q, objs[half:], handling)
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
	var out, text, format, handlingFile string
	fs, err := parseClientFlags("export", args, e, func(fs *flag.FlagSet) {
		ff.define(fs)
		fs.StringVar(&out, "o", "", "write to this file instead of standard output")
		fs.StringVar(&handlingFile, "handling", "", "write the handling objects to this file, as a bundle of their own, and the objects alone to the export (stix only)")
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
	if handlingFile != "" && format != "stix" {
		return fmt.Errorf("--handling is for --format stix only: %s has no handling objects", format)
	}
	c, err := newClient(e)
	if err != nil {
		return err
	}
	w := e.stdout
	var file, side *os.File
	if out != "" {
		if file, err = tempBeside(out); err != nil {
			return err
		}
		defer os.Remove(file.Name())
		defer file.Close()
		w = file
	}
	var opts []export.Option
	if handlingFile != "" {
		if side, err = tempBeside(handlingFile); err != nil {
			return err
		}
		defer os.Remove(side.Name())
		defer side.Close()
		opts = append(opts, export.HandlingTo(side))
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
	ew, err := export.New(format, w, time.Now(), opts...)
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
	for _, f := range []struct {
		file *os.File
		name string
	}{{side, handlingFile}, {file, out}} {
		if f.file == nil {
			continue
		}
		if err := f.file.Close(); err != nil {
			return err
		}
		if err := os.Rename(f.file.Name(), f.name); err != nil {
			return err
		}
	}
	fmt.Fprintln(e.stderr, summary)
	return nil
}

// tempBeside creates a file beside name, to be renamed to it once written
// whole: a failed export leaves no half a file under the name asked for.
func tempBeside(name string) (*os.File, error) {
	return os.CreateTemp(dirOf(name), ".mosaic-export-*")
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
