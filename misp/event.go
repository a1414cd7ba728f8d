package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The MISP JSON model. MISP writes numbers and booleans inconsistently
// (timestamps as "1603642920" or 1603642920, to_ids as true, "1" or 1,
// depending on the MISP version and on the API that produced the file), so
// the fields that vary use the lenient types below rather than Go's.

// text is a JSON string, number or boolean read as text; null is "".
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = text(s)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("expected a string, got %.20s", b)
	default:
		*t = text(b)
	}
	return nil
}

// flag is a MISP boolean: true, "1", 1, "true", "True".
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	var t text
	if err := t.UnmarshalJSON(b); err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(string(t))) {
	case "1", "true", "yes":
		*f = true
	default:
		*f = false
	}
	return nil
}

type event struct {
	UUID             text        `json:"uuid"`
	Info             text        `json:"info"`
	Date             text        `json:"date"`
	Timestamp        text        `json:"timestamp"`
	PublishTimestamp text        `json:"publish_timestamp"`
	Published        flag        `json:"published"`
	ThreatLevelID    text        `json:"threat_level_id"`
	Analysis         text        `json:"analysis"`
	Orgc             *org        `json:"Orgc"`
	Attribute        []attribute `json:"Attribute"`
	Object           []object    `json:"Object"`
	Galaxy           []galaxy    `json:"Galaxy"`
	Tag              []tag       `json:"Tag"`
}

type org struct {
	UUID text `json:"uuid"`
	Name text `json:"name"`
}

type tag struct {
	Name text `json:"name"`
}

type attribute struct {
	UUID           text       `json:"uuid"`
	Type           text       `json:"type"`
	Category       text       `json:"category"`
	Value          text       `json:"value"`
	Comment        text       `json:"comment"`
	ToIDs          flag       `json:"to_ids"`
	Timestamp      text       `json:"timestamp"`
	FirstSeen      text       `json:"first_seen"`
	LastSeen       text       `json:"last_seen"`
	Data           text       `json:"data"`
	ObjectRelation text       `json:"object_relation"`
	Tag            []tag      `json:"Tag"`
	Galaxy         []galaxy   `json:"Galaxy"`
	Sighting       []sighting `json:"Sighting"`
}

type object struct {
	UUID            text        `json:"uuid"`
	Name            text        `json:"name"`
	MetaCategory    text        `json:"meta-category"`
	Comment         text        `json:"comment"`
	Timestamp       text        `json:"timestamp"`
	FirstSeen       text        `json:"first_seen"`
	LastSeen        text        `json:"last_seen"`
	Attribute       []attribute `json:"Attribute"`
	ObjectReference []reference `json:"ObjectReference"`
}

type reference struct {
	UUID             text `json:"uuid"`
	ReferencedUUID   text `json:"referenced_uuid"`
	RelationshipType text `json:"relationship_type"`
	Comment          text `json:"comment"`
}

type galaxy struct {
	UUID          text      `json:"uuid"`
	Name          text      `json:"name"`
	Type          text      `json:"type"`
	Description   text      `json:"description"`
	GalaxyCluster []cluster `json:"GalaxyCluster"`
}

type cluster struct {
	UUID        text                       `json:"uuid"`
	Type        text                       `json:"type"`
	Value       text                       `json:"value"`
	Description text                       `json:"description"`
	TagName     text                       `json:"tag_name"`
	Meta        map[string]json.RawMessage `json:"meta"`
}

type sighting struct {
	UUID         text `json:"uuid"`
	Type         text `json:"type"`
	DateSighting text `json:"date_sighting"`
	Source       text `json:"source"`
	Organisation *org `json:"Organisation"`
}

// unwrap returns the event object of doc, with or without the {"Event": ...}
// wrapper, or why doc is not a MISP event.
func unwrap(doc []byte) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("not a MISP event: not a JSON object: %w", err)
	}
	if inner, ok := top["Event"]; ok {
		if err := json.Unmarshal(inner, &top); err != nil {
			return nil, fmt.Errorf("not a MISP event: \"Event\" is not a JSON object")
		}
		if looksLikeEvent(top) {
			return inner, nil
		}
		return nil, fmt.Errorf("not a MISP event: \"Event\" has none of info, uuid, Attribute, Object")
	}
	if looksLikeEvent(top) {
		return doc, nil
	}
	if t, ok := top["type"]; ok && string(bytes.TrimSpace(t)) == `"bundle"` {
		return nil, fmt.Errorf("not a MISP event: this is a STIX bundle")
	}
	return nil, fmt.Errorf("not a MISP event: no \"Event\" wrapper and none of the keys info, Attribute, Object")
}

// ResponseEvents returns the events of a {"response": [...]} document,
// the form MISP's REST search answers in and Events writes, each as given
// (with or without the {"Event": ...} wrapper); ok is false when doc is
// not such a document or an element is not a MISP event.
func ResponseEvents(doc []byte) (events []json.RawMessage, ok bool) {
	var top struct{ Response []json.RawMessage }
	if err := json.Unmarshal(doc, &top); err != nil || top.Response == nil {
		return nil, false
	}
	for _, ev := range top.Response {
		if !IsEvent(ev) {
			return nil, false
		}
	}
	return top.Response, true
}

// looksLikeEvent tells a bare MISP event from other JSON objects. A STIX
// object or bundle always has "type", which a MISP event never has; an
// event always has "info" or carries attributes or objects.
func looksLikeEvent(m map[string]json.RawMessage) bool {
	if _, ok := m["type"]; ok {
		return false
	}
	if _, ok := m["spec_version"]; ok {
		return false
	}
	for _, k := range []string{"info", "Attribute", "Object"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// epoch reads a MISP timestamp (Unix seconds as text).
func epoch(s text) (time.Time, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	if err != nil || n < 0 || n > 253402300799 { // 9999-12-31T23:59:59Z, the last STIX timestamp
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// seenLayouts are the forms MISP writes first_seen and last_seen in
// (ISO 8601 with microseconds and an offset, as MISP 2.4 stores them) and
// looser ones that hand-written files use.
var seenLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999-0700",
	"2006-01-02T15:04:05.999999",
	"2006-01-02 15:04:05.999999-07:00",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// isoTime reads a MISP ISO 8601 time (first_seen, last_seen, datetime
// attributes).
func isoTime(s text) (time.Time, bool) {
	v := strings.TrimSpace(string(s))
	if v == "" {
		return time.Time{}, false
	}
	for _, l := range seenLayouts {
		if t, err := time.Parse(l, v); err == nil {
			t = t.UTC()
			if t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, false
			}
			return t, true
		}
	}
	return time.Time{}, false
}
