package search

import "slices"

// MaxQueryTerms is the most terms a query asks for; further terms of q are
// ignored. Every term is one more index lookup AND-ed into the store's
// query, and 32 is far more than anyone types, so the cap only bounds what a
// hostile or pasted q costs.
const MaxQueryTerms = 32

// Query is what a search string asks for: an object matches when every word
// is a prefix of one of its word terms and every observable equals one of
// its observable terms. The terms obey the package invariant.
type Query struct {
	Words       []string // in the order q gives them, without duplicates
	Observables []string // in the order q gives them, without duplicates
}

// ParseQuery reads q as plain text, never as syntax, and never fails. q is
// split on white space; a chunk that GuessObservable recognises once
// surrounding punctuation is trimmed asks for that observable, and any other
// chunk asks for its Words as prefixes. Only the first MaxQueryTerms
// distinct terms count. Quotes, operators, stars, control characters and
// invalid UTF-8 are separators like any other non-letter.
func ParseQuery(q string) Query {
	var query Query
	n := 0
	for i := 0; i < len(q) && n < MaxQueryTerms; {
		var chunk string
		if chunk, i = nextField(q, i); chunk == "" {
			continue
		}
		if _, v, ok := guessToken(chunk); ok {
			if t := ObservableTerm(v); !slices.Contains(query.Observables, t) {
				query.Observables = append(query.Observables, t)
				n++
			}
			continue
		}
		for j := 0; j < len(chunk) && n < MaxQueryTerms; {
			var w string
			if w, j = nextWord(chunk, j); w != "" && !slices.Contains(query.Words, w) {
				query.Words = append(query.Words, w)
				n++
			}
		}
	}
	return query
}

// Empty reports whether q asks for nothing, as when the search string holds
// only white space or punctuation. No store can build a match expression
// from an empty Query: the caller decides what such a search selects
// (nothing is the least surprising answer to a q that was not blank).
func (q Query) Empty() bool {
	return len(q.Words) == 0 && len(q.Observables) == 0
}
