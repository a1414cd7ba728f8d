package misp

import (
	"encoding/json"
	"fmt"
	"slices"
)

// FeedEvents returns the event UUIDs of a MISP feed's manifest.json (an
// object from event UUID to a summary of the event), sorted, so that a
// feed imports in the same order every time. Each event is in the file
// <uuid>.json beside the manifest. A manifest that is not a JSON object,
// or a key that is not a UUID, is an error: such a key could name a file
// outside the feed.
func FeedEvents(manifest []byte) ([]string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("not a MISP feed manifest: %w", err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		u := normUUID(k)
		if u == "" || u != k {
			return nil, fmt.Errorf("not a MISP feed manifest: key %q is not a lower-case event UUID", truncate(k, 60))
		}
		out = append(out, u)
	}
	slices.Sort(out)
	return out, nil
}
