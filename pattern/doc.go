// Package pattern parses STIX 2.1 patterns (STIX 2.1 §9, "STIX
// Patterning"): the language of an indicator's pattern property when its
// pattern_type is "stix".
//
// [Parse] follows the OASIS grammar STIXPattern.g4 (cti-stix2-json-schemas,
// pattern_grammar/) token for token, with its case-sensitive keywords, its
// whitespace (any Unicode White_Space) and its comments (/* */ and //),
// which the canonical form drops. On top of the grammar it checks the rules
// the specification states but the grammar cannot express, and rejects:
//
//   - an object type that is not a STIX type name (3 to 250 characters,
//     a-z, 0-9 and hyphens, starting with a letter, no "--"), a first
//     property name that is not a STIX property name (a letter, then
//     letters, digits and underscores, 3 to 250 characters, or "id"), and a
//     later path component outside the characters of dictionary keys
//     (letters, digits, '-', '_', and the '.' that §9.7 asks to quote);
//   - a hyphen in an unquoted path component (the grammar's lexer makes
//     file:extensions.windows-pebinary-ext one word; §9.7 asks for quotes);
//   - a negative list index (§9.7.2: 0 to N-1, or *);
//   - an integer outside the STIX range ±(2^53-1) (§2.10), a float that is
//     not a finite double (§2.6), and a leading '+' on any number (§9.2:
//     positive numbers are written without it);
//   - a timestamp that is not an RFC 3339 instant in the form
//     YYYY-MM-DDTHH:MM:SS[.s+]Z with a real calendar date in the years
//     0001 to 9999 (§2.16); second 60 is accepted as the grammar does, but
//     only at 23:59:60 on the last day of a month, where RFC 3339 allows a
//     leap second. Package stix holds objects' timestamps to the same rule,
//     [TimestampReason];
//   - binary constants that are not padded base64 (§9.2; line feeds and
//     carriage returns inside are ignored, as §9.2 requires, although the
//     grammar has no room for them) and hex constants of odd length;
//   - a set whose members are not of one type (§9.6.1: "homogeneous";
//     integers and floats count as one numeric type);
//   - ISSUBSET and ISSUPERSET with a string that is not an IP address or
//     CIDR block (§9.6.1);
//   - AND, inside one observation expression, between comparisons that no
//     single object can satisfy, such as ipv4-addr:value = ... AND
//     domain-name:value = ... (§9.5: operands of AND must be satisfiable by
//     the same object; comparisons on different types must be joined by OR);
//   - WITHIN with a number that is not positive, REPEATS with an integer
//     that is not positive, STOP not later than START (§9.5.1), and two
//     qualifiers of one kind on one observation expression (§9.5.1).
//
// It does not check what needs the SCO data model or a regular expression
// engine: whether a property exists on the object type, whether a constant
// has the property's type, the PCRE syntax of a MATCHES constant (Go's
// regexp is not PCRE, so checking with it would refuse valid patterns) or
// whether an ISSUBSET path leads to an IP address.
//
// Parsing is fast enough to run on every indicator at ingest: a simple
// equality pattern takes about half a microsecond and five allocations
// (BenchmarkParse).
package pattern
