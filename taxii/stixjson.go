package taxii

import (
	"encoding/json"
	"time"

	"mosaic/stix"
)

// version is an object's TAXII version (TAXII §5.3.1): its modified
// timestamp, else its created timestamp, else, for objects that have
// neither (SCOs), the time it was added, which is what is consistent on
// this server: a record of an SCO never changes.
func version(h stix.Head, added time.Time) string {
	switch {
	case h.Modified != "":
		return h.Modified
	case h.Created != "":
		return h.Created
	}
	return formatTime(added)
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
