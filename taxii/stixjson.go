package taxii

import (
	"bytes"
	"encoding/json"
	"time"
)

// head is what the manifest and versions endpoints need of an object.
type head struct {
	id, created, modified string
}

// version is an object's TAXII version (TAXII §5.3.1): its modified
// timestamp, else its created timestamp, else, for objects that have
// neither (SCOs), the time it was added, which is what is consistent on
// this server: a record of an SCO never changes.
func (h head) version(added time.Time) string {
	switch {
	case h.modified != "":
		return h.modified
	case h.created != "":
		return h.created
	}
	return formatTime(added)
}

// readHead reads the top-level string members id, created and modified of
// a JSON object without decoding the rest: a page holds up to a thousand
// objects, and decoding each whole would cost more than the query. It is
// used on stored objects, which are valid JSON; on anything else it returns
// what it found before the first surprise.
func readHead(raw []byte) head {
	var h head
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return h
	}
	i++
	for {
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] != '"' {
			return h
		}
		kEnd := skipString(raw, i)
		key := raw[i+1 : max(i+1, kEnd-1)]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(unquote(raw[i:kEnd]))
		}
		i = skipSpace(raw, kEnd)
		if i >= len(raw) || raw[i] != ':' {
			return h
		}
		i = skipSpace(raw, i+1)
		vEnd := skipValue(raw, i)
		if i < len(raw) && raw[i] == '"' {
			var dst *string
			switch string(key) {
			case "id":
				dst = &h.id
			case "created":
				dst = &h.created
			case "modified":
				dst = &h.modified
			}
			if dst != nil {
				*dst = unquote(raw[i:vEnd])
			}
		}
		i = skipSpace(raw, vEnd)
		if i >= len(raw) || raw[i] != ',' {
			return h
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\n' && b[i] != '\r' && b[i] != '\t' {
		i++
	}
	return i
}

// unquote decodes a JSON string token.
func unquote(tok []byte) string {
	if len(tok) < 2 {
		return ""
	}
	inner := tok[1 : len(tok)-1]
	for _, c := range inner {
		if c == '\\' {
			var s string
			_ = json.Unmarshal(tok, &s)
			return s
		}
	}
	return string(inner)
}
