// Package config is Mosaic's configuration: defaults, then a JSON config
// file, then MOSAIC_* environment variables, then command-line flags, each
// overriding the one before. Unknown keys are errors at every level, so a
// typo never silently leaves a default in place.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"mosaic"
)

// Config is every setting of mosaic serve and mosaic demo.
type Config struct {
	Addr string `json:"addr" help:"address to listen on, HOST:PORT"`
	Data string `json:"data" help:"data directory (SQLite database, demo credentials)"`
	DB   string `json:"db" help:"PostgreSQL URL (postgres://...); empty: SQLite in the data directory"`

	TLSCert string `json:"tls_cert" help:"TLS certificate file (PEM); with tls_key, serve HTTPS"`
	TLSKey  string `json:"tls_key" help:"TLS private key file (PEM)"`

	DefaultTLP string `json:"default_tlp" help:"TLP of objects that carry no TLP marking"`
	// LegalBases maps each accepted legal basis to its review period in days.
	LegalBases map[string]int `json:"legal_bases" help:"accepted legal bases with review periods in days, basis=days,..."`

	MaxBodyBytes     int64 `json:"max_body_bytes" help:"largest request body, bytes"`
	MaxBundleObjects int   `json:"max_bundle_objects" help:"most objects in one bundle"`
	MaxObjectBytes   int   `json:"max_object_bytes" help:"largest single STIX object, bytes"`
	MaxStringBytes   int   `json:"max_string_bytes" help:"longest JSON string value, bytes"`
	MaxDepth         int   `json:"max_depth" help:"deepest JSON nesting"`
	MaxPageSize      int   `json:"max_page_size" help:"largest page size (limit) of a listing"`

	RatePerSecond float64 `json:"rate_per_second" help:"sustained API requests per second per user"`
	RateBurst     int     `json:"rate_burst" help:"API request burst per user"`
	AuthFailures  int     `json:"auth_failures_per_minute" help:"failed authentications per minute per client address before 429"`

	UploadTurnsPerUser  int      `json:"upload_turns_per_user" help:"uploads of one user read or stored at once"`
	ListingTurnsPerUser int      `json:"listing_turns_per_user" help:"listings of one user built or written at once"`
	UserTurnWait        Duration `json:"user_turn_wait" help:"how long a request waits for one of its user's turns before 429"`
	MinTransferRate     int64    `json:"min_transfer_rate" help:"slowest an upload may arrive and a listing be read, bytes per second"`
	TransferWindow      Duration `json:"transfer_window" help:"time over which min_transfer_rate is averaged"`
	MemoryLimit         int64    `json:"memory_limit" help:"soft limit of the Go runtime's memory, bytes; 0: GOMEMLIMIT or none"`

	TokenLifetime Duration `json:"token_lifetime" help:"default lifetime of new API tokens (e.g. 90d, 12h)"`
	AuditFlush    Duration `json:"audit_flush" help:"longest time a read's audit record waits before it is written"`
	LogLevel      string   `json:"log_level" help:"debug, info, warn or error"`

	// Releases (package release).
	ReleaseKey string `json:"release_key" help:"release key file (mode 0600): the id key and signing keys of releases; empty: release.key in the data directory"`
	CellName   string `json:"cell_name" help:"name of the cell's STIX identity, the creator of everything it releases"`
	// ReleaseFeedbackReaders are read as a JSON array from a file and
	// comma-separated from the environment and flags.
	ReleaseFeedbackReaders []string `json:"release_feedback_readers" help:"organisations that read every recipient's feedback on every release besides the drafting organisation, comma-separated"`
	// ReleaseFeedbackReadersFor is a JSON object of lists in a file, and
	// stakeholder=reader+reader,stakeholder=... from the environment and
	// flags; a stakeholder with an empty list is read by the drafters
	// alone.
	ReleaseFeedbackReadersFor map[string][]string `json:"release_feedback_readers_for" help:"per stakeholder organisation, the organisations that read its feedback in place of release_feedback_readers: stakeholder=reader+reader,..."`
	// ConsentDeputies is a JSON object of lists in a file, and
	// org=user+user,org=... from the environment and flags. Each user
	// must be an analyst or liaison of the partner organisation it is
	// named under, which mosaic serve checks against the directory at
	// start.
	ConsentDeputies map[string][]string `json:"consent_deputies" help:"per partner organisation, users of its own who decide its consents while all its liaisons are away: org=user+user,..."`

	// Deconfliction (package deconflict).
	DeconflictKey             string   `json:"deconflict_key" help:"evaluator key file (mode 0600) of the in-process evaluator; empty: deconflict-oprf.key in the data directory"`
	DeconflictEvaluator       string   `json:"deconflict_evaluator" help:"URL of a separate evaluator (mosaic oprfd); empty: evaluate in this process"`
	DeconflictEvaluatorSecret string   `json:"deconflict_evaluator_secret" help:"file holding the secret shared with mosaic oprfd"`
	DeconflictDailyBudget     int      `json:"deconflict_daily_budget" help:"evaluations per organisation per UTC day"`
	DeconflictMaxBatch        int      `json:"deconflict_max_batch" help:"most selectors in one deconfliction request"`
	DeconflictCoordinator     string   `json:"deconflict_coordinator" help:"organisation that alone is told about hits, and tells both sides; empty: both sides are told"`
	DeconflictEpochGrace      Duration `json:"deconflict_epoch_grace" help:"how long registrations of an old epoch keep matching after a new epoch starts"`
}

// Default returns the defaults.
func Default() Config {
	return Config{
		Addr:             "127.0.0.1:8080",
		Data:             "mosaic-data",
		DefaultTLP:       string(mosaic.TLPAmber),
		LegalBases:       map[string]int{"wiv2017": 365, "wpg": 365, "wjsg": 730, "wbni": 365},
		MaxBodyBytes:     32 << 20,
		MaxBundleObjects: 100_000,
		MaxObjectBytes:   4 << 20,
		MaxStringBytes:   1 << 20,
		MaxDepth:         32,
		MaxPageSize:      1000,
		RatePerSecond:    50,
		RateBurst:        200,
		AuthFailures:     30,

		UploadTurnsPerUser:  2,
		ListingTurnsPerUser: 2,
		UserTurnWait:        Duration(10 * time.Second),
		MinTransferRate:     64 << 10,
		TransferWindow:      Duration(10 * time.Second),
		MemoryLimit:         768 << 20,
		TokenLifetime:       Duration(90 * 24 * time.Hour),
		AuditFlush:          Duration(time.Second),
		LogLevel:            "info",

		CellName:               "Mosaic cell",
		ReleaseFeedbackReaders: []string{"ncsc"},

		DeconflictDailyBudget: 100_000,
		DeconflictMaxBatch:    1000,
		DeconflictEpochGrace:  Duration(30 * 24 * time.Hour),
	}
}

// Duration is a time.Duration that also accepts days ("90d").
type Duration time.Duration

// ParseDuration reads "90d", "12h", "1h30m".
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("duration %q: want a number of days such as 90d, or hours such as 12h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("duration %q: want a number of days such as 90d, or hours such as 12h", s)
	}
	return d, nil
}

func (d Duration) String() string {
	t := time.Duration(d)
	if t%(24*time.Hour) == 0 && t > 0 {
		return strconv.Itoa(int(t/(24*time.Hour))) + "d"
	}
	return t.String()
}

// MarshalJSON writes the text form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads the text form.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"90d\"")
	}
	v, err := ParseDuration(s)
	*d = Duration(v)
	return err
}

// Validate checks the values that have a fixed range.
func (c Config) Validate() error {
	var errs []error
	if _, err := mosaic.ParseTLP(c.DefaultTLP); err != nil {
		errs = append(errs, fmt.Errorf("default_tlp: %s", mosaic.ErrorMessage(err)))
	}
	if len(c.LegalBases) == 0 {
		errs = append(errs, errors.New("legal_bases: at least one legal basis is needed"))
	}
	for k, v := range c.LegalBases {
		if !mosaic.ValidName(k) || v <= 0 {
			errs = append(errs, fmt.Errorf("legal_bases: %s=%d: want a lower-case name and a positive number of days", k, v))
		}
	}
	for name, v := range map[string]int64{"max_body_bytes": c.MaxBodyBytes, "max_bundle_objects": int64(c.MaxBundleObjects), "max_object_bytes": int64(c.MaxObjectBytes),
		"max_string_bytes": int64(c.MaxStringBytes), "max_depth": int64(c.MaxDepth), "max_page_size": int64(c.MaxPageSize), "rate_burst": int64(c.RateBurst), "auth_failures_per_minute": int64(c.AuthFailures),
		"upload_turns_per_user": int64(c.UploadTurnsPerUser), "listing_turns_per_user": int64(c.ListingTurnsPerUser), "min_transfer_rate": c.MinTransferRate,
		"user_turn_wait": int64(c.UserTurnWait), "transfer_window": int64(c.TransferWindow)} {
		if v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	if c.DeconflictDailyBudget <= 0 || c.DeconflictMaxBatch <= 0 || c.DeconflictEpochGrace <= 0 {
		errs = append(errs, errors.New("deconflict_daily_budget, deconflict_max_batch and deconflict_epoch_grace must be positive"))
	}
	if c.DeconflictEvaluator != "" && c.DeconflictEvaluatorSecret == "" {
		errs = append(errs, errors.New("deconflict_evaluator needs deconflict_evaluator_secret"))
	}
	if c.MemoryLimit < 0 {
		errs = append(errs, errors.New("memory_limit must be 0 (none) or positive"))
	}
	if c.RatePerSecond <= 0 {
		errs = append(errs, errors.New("rate_per_second must be positive"))
	}
	if c.AuditFlush <= 0 {
		errs = append(errs, errors.New("audit_flush must be positive"))
	}
	if c.TokenLifetime <= 0 {
		errs = append(errs, errors.New("token_lifetime must be positive"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert and tls_key go together"))
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		errs = append(errs, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel))
	}
	if strings.TrimSpace(c.CellName) == "" || len(c.CellName) > MaxCellName {
		errs = append(errs, fmt.Errorf("cell_name: want a name of 1 to %d bytes", MaxCellName))
	}
	for _, o := range c.ReleaseFeedbackReaders {
		if !mosaic.ValidName(o) {
			errs = append(errs, fmt.Errorf("release_feedback_readers: %q is not an organisation's short name", o))
		}
	}
	for s, rs := range c.ReleaseFeedbackReadersFor {
		for _, o := range append([]string{s}, rs...) {
			if !mosaic.ValidName(o) {
				errs = append(errs, fmt.Errorf("release_feedback_readers_for: %q is not an organisation's short name", o))
			}
		}
	}
	for o, us := range c.ConsentDeputies {
		if !mosaic.ValidName(o) {
			errs = append(errs, fmt.Errorf("consent_deputies: %q is not an organisation's short name", o))
		}
		if len(us) == 0 {
			errs = append(errs, fmt.Errorf("consent_deputies: %s names no user", o))
		}
		for _, u := range us {
			if !mosaic.ValidName(u) {
				errs = append(errs, fmt.Errorf("consent_deputies: %s: %q is not a user name", o, u))
			}
		}
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") {
		errs = append(errs, errors.New("db: want a postgres:// URL"))
	}
	return errors.Join(errs...)
}

// MaxCellName bounds cell_name, which every released bundle carries.
const MaxCellName = 200

// EnvPrefix starts every environment variable Mosaic reads.
const EnvPrefix = "MOSAIC_"

// clientEnv are MOSAIC_ variables that are not server configuration.
var clientEnv = []string{"MOSAIC_URL", "MOSAIC_TOKEN", "MOSAIC_CONFIG"}

type field struct {
	key  string // json key
	help string
	v    reflect.Value
}

func (c *Config) fields() []field {
	rv := reflect.ValueOf(c).Elem()
	rt := rv.Type()
	out := make([]field, 0, rt.NumField())
	for i := range rt.NumField() {
		f := rt.Field(i)
		out = append(out, field{key: strings.Split(f.Tag.Get("json"), ",")[0], help: f.Tag.Get("help"), v: rv.Field(i)})
	}
	return out
}

// set parses text into a field.
func (f field) set(text string) error {
	switch p := f.v.Addr().Interface().(type) {
	case *string:
		*p = text
	case *int:
		n, err := strconv.Atoi(text)
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		*p = n
	case *int64:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("want an integer")
		}
		*p = n
	case *float64:
		n, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("want a number")
		}
		*p = n
	case *Duration:
		d, err := ParseDuration(text)
		if err != nil {
			return err
		}
		*p = Duration(d)
	case *[]string:
		// An empty value names none: a list must be able to go empty
		// from the environment and flags too.
		var l []string
		for _, part := range strings.Split(text, ",") {
			if part = strings.TrimSpace(part); part != "" {
				l = append(l, part)
			}
		}
		*p = l
	case *map[string]int:
		m := map[string]int{}
		for _, kv := range strings.Split(text, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				return fmt.Errorf("want basis=days,basis=days")
			}
			m[k] = n
		}
		*p = m
	case *map[string][]string:
		m := map[string][]string{}
		for _, kv := range strings.Split(text, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("want name=name+name,name=")
			}
			m[k] = []string{}
			for _, x := range strings.Split(v, "+") {
				if x = strings.TrimSpace(x); x != "" {
					m[k] = append(m[k], x)
				}
			}
		}
		*p = m
	default:
		return fmt.Errorf("unsupported setting type %T", p)
	}
	return nil
}

func (f field) text() string {
	switch p := f.v.Interface().(type) {
	case map[string]int:
		keys := make([]string, 0, len(p))
		for k := range p {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + strconv.Itoa(p[k])
		}
		return strings.Join(parts, ",")
	case []string:
		return strings.Join(p, ",")
	case map[string][]string:
		parts := make([]string, 0, len(p))
		for _, k := range slices.Sorted(maps.Keys(p)) {
			parts = append(parts, k+"="+strings.Join(p[k], "+"))
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(p)
	}
}

// flagValue adapts a field to flag.Value.
type flagValue struct{ f field }

func (v flagValue) String() string {
	if !v.f.v.IsValid() {
		return ""
	}
	return v.f.text()
}
func (v flagValue) Set(s string) error { return v.f.set(s) }

// LoadFile applies a JSON config file. Unknown keys are errors.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	// A map in the file replaces the default map rather than adding to it:
	// a file must be able to leave a legal basis out.
	var keys map[string]json.RawMessage
	if json.Unmarshal(b, &keys) == nil {
		if _, ok := keys["legal_bases"]; ok {
			c.LegalBases = nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if dec.More() {
		return fmt.Errorf("config file %s: trailing data after the JSON object", path)
	}
	return nil
}

// LoadEnv applies MOSAIC_<KEY> variables from environ (os.Environ form).
// A MOSAIC_ variable that names no setting is an error.
func (c *Config) LoadEnv(environ []string) error {
	byEnv := map[string]field{}
	for _, f := range c.fields() {
		byEnv[EnvPrefix+strings.ToUpper(f.key)] = f
	}
	var errs []error
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, EnvPrefix) || slices.Contains(clientEnv, k) || strings.HasPrefix(k, EnvPrefix+"TEST_") {
			continue
		}
		f, ok := byEnv[k]
		if !ok {
			errs = append(errs, fmt.Errorf("environment variable %s names no setting", k))
			continue
		}
		if err := f.set(v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
	}
	return errors.Join(errs...)
}

// RegisterFlags adds a --key flag for every setting (underscores become
// hyphens) to fs, writing into c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, f := range c.fields() {
		fs.Var(flagValue{f}, strings.ReplaceAll(f.key, "_", "-"), f.help)
	}
}

// Load builds the configuration for a command: defaults, the file named by
// --config or MOSAIC_CONFIG, the environment, then args as flags on fs.
// It returns the arguments left after the flags.
func Load(fs *flag.FlagSet, args, environ []string) (Config, []string, error) {
	c := Default()
	// The file comes before the environment and flags, so find it first.
	path := ""
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "MOSAIC_CONFIG="); ok {
			path = v
		}
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			continue
		}
		if hasVal {
			path = val
		} else if i+1 < len(args) {
			path = args[i+1]
		}
	}
	if path != "" {
		if err := c.LoadFile(path); err != nil {
			return c, nil, err
		}
	}
	if err := c.LoadEnv(environ); err != nil {
		return c, nil, err
	}
	c.RegisterFlags(fs)
	fs.String("config", path, "JSON config file (also MOSAIC_CONFIG)")
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	return c, fs.Args(), c.Validate()
}
