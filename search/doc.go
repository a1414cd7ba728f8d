// Package search decides which terms Mosaic indexes for a STIX object and
// which terms a search string q asks for.
//
// Both stores (SQLite FTS5 and PostgreSQL tsvector) index exactly the strings
// this package produces and only match them exactly or, for words, by prefix,
// AND-ing the terms of a query. Every decision about what matches what is
// therefore taken here, once, and the two stores cannot disagree.
//
// There are two kinds of term:
//
//   - Words: lower-cased runs of Unicode letters and digits from names,
//     descriptions, labels, patterns and the like (see [Words]). A query word
//     matches any indexed word it is a prefix of.
//   - Observables: normalised IP addresses, CIDR blocks, domains, URLs,
//     e-mail addresses, MAC addresses and hashes (see [NormalizeObservable]).
//     A query observable matches only the identical indexed observable.
//
// q is plain text, never query syntax: it is split on white space, a chunk
// that [GuessObservable] recognises (after trimming surrounding punctuation)
// asks for that observable, and any other chunk asks for its words. No
// operator, quote, star or dot changes that.
//
// What this gives, and what it does not: a word matches any word it
// begins (mimi finds Mimikatz, t1059 finds T1059.001; a store may require a
// few letters before it matches prefixes), but there is no
// stemming and no case folding beyond lower-casing (Straße is not strasse);
// scripts written without spaces are one word per run, found by its
// beginning only; combining marks separate words, so text should arrive in
// NFC, as JSON from STIX tools does. An observable matches only whole:
// evil.example.com finds the domain, the URLs on it and the text that
// mentions it, not sub.evil.example.com.
//
// # Invariant the stores rely on
//
// Every word term is non-empty, at most [MaxWordBytes] bytes of valid UTF-8,
// and made only of lower-case Unicode letters (unicode.IsLetter) and decimal
// digits (unicode.IsDigit). Every observable term is non-empty valid UTF-8
// of at most [MaxTermBytes] bytes: either a normalised value, made of
// printable characters (unicode.IsPrint) other than white space, or "#"
// followed by 64 lower-case hex digits. No term contains white space, a
// control character or a NUL byte, whatever the input.
//
// Observable terms can contain any other punctuation, including quotes,
// backslashes, colons, stars and ampersands (a URL path is kept as written),
// so a store must pass them as bound parameters or quote them for its own
// query language; it must never re-tokenise, stem or case-fold them.
package search
