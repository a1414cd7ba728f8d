package export

import (
	"encoding/json"

	"mosaic/blockable"
)

// flat is what the flat formats, CSV and the blocklists, read from an
// object.
type flat struct {
	ID, Type, Name, Created, Modified, ValidUntil string
	Revoked                                       bool
	Labels                                        []string
	observables                                   []blockable.Value
}

// readFlat takes an object apart for the flat formats: its head and its
// blockable values (package blockable).
func readFlat(raw []byte) (flat, error) {
	var p struct {
		ID, Type, Name, Created, Modified, Pattern, Value string
		PatternType                                       string            `json:"pattern_type"`
		ValidUntil                                        string            `json:"valid_until"`
		Revoked                                           bool              `json:"revoked"`
		Labels                                            []string          `json:"labels"`
		Hashes                                            map[string]string `json:"hashes"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return flat{}, err
	}
	return flat{ID: p.ID, Type: p.Type, Name: p.Name, Created: p.Created, Modified: p.Modified, ValidUntil: p.ValidUntil, Revoked: p.Revoked, Labels: p.Labels,
		observables: blockable.Values(p.Type, p.PatternType, p.Pattern, p.Value, p.Hashes)}, nil
}
