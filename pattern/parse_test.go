package pattern

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// validPatterns covers every production of STIXPattern.g4 and the
// specification's examples; want is the canonical String, "" when it is
// the input itself.
var validPatterns = []struct {
	name, in, want string
}{
	// Comparison operators, each alone and negated.
	{"equal", `[file:size = 1280]`, ``},
	{"equal ==", `[file:size == 1280]`, `[file:size = 1280]`},
	{"not equal", `[file:size != 1280]`, ``},
	{"not equal <>", `[file:size <> 1280]`, `[file:size != 1280]`},
	{"less", `[file:size < 1024]`, ``},
	{"less or equal", `[file:size <= 1024]`, ``},
	{"greater", `[file:size > 1024]`, ``},
	{"greater or equal", `[file:size >= 1024]`, ``},
	{"in strings", `[process:name IN ('proccy', 'proximus', 'badproc')]`, ``},
	{"like", `[directory:path LIKE 'C:\\Windows\\%\\foo']`, ``},
	{"matches", `[directory:path MATCHES '^C:\\\\Windows\\w+$']`, ``},
	{"issubset", `[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, ``},
	{"issuperset", `[ipv4-addr:value ISSUPERSET '198.51.100.0/24']`, ``},
	{"issubset ipv6", `[network-traffic:dst_ref.value ISSUBSET '2001:0db8:dead:beef:0000:0000:0000:0000/64']`, ``},
	{"issubset single address", `[ipv6-addr:value ISSUBSET '2001:db8::1']`, ``},
	{"exists", `[EXISTS windows-registry-key:values]`, ``},
	{"not exists", `[NOT EXISTS windows-registry-key:values]`, ``},
	{"not =", `[file:name NOT = 'foo.dll']`, ``},
	{"not !=", `[file:name NOT != 'foo.dll']`, ``},
	{"not <", `[file:size NOT < 5]`, ``},
	{"not <=", `[file:size NOT <= 5]`, ``},
	{"not >", `[file:size NOT > 5]`, ``},
	{"not >=", `[file:size NOT >= 5]`, ``},
	{"not in", `[file:size NOT IN (1, 2)]`, ``},
	{"not like", `[file:name NOT LIKE '%.exe']`, ``},
	{"not matches", `[file:name NOT MATCHES '^a']`, ``},
	{"not issubset", `[ipv4-addr:value NOT ISSUBSET '10.0.0.0/8']`, ``},
	{"not issuperset", `[ipv4-addr:value NOT ISSUPERSET '10.0.0.0/8']`, ``},

	// Boolean operators inside an observation expression.
	{"and", `[file:name = 'a' AND file:size = 1]`, ``},
	{"or", `[file:name = 'a' OR ipv4-addr:value = '10.0.0.1']`, ``},
	{"and binds tighter than or", `[file:name = 'a' OR file:name = 'b' AND file:size = 1]`, ``},
	{"and before or", `[file:name = 'a' AND file:size = 1 OR file:name = 'b']`, ``},
	{"parenthesized or", `[(file:name = 'a' OR file:name = 'b') AND file:size = 1]`, ``},
	{"or on the right", `[file:size = 1 AND (file:name = 'a' OR file:name = 'b')]`, ``},
	{"redundant parentheses", `[((file:name = 'a'))]`, `[file:name = 'a']`},
	{"redundant around and", `[(file:name = 'a' AND file:size = 1) OR file:size = 2]`, `[file:name = 'a' AND file:size = 1 OR file:size = 2]`},
	{"and chain merges", `[(file:name = 'a' AND file:size = 1) AND file:size = 2]`, `[file:name = 'a' AND file:size = 1 AND file:size = 2]`},
	{"and chain merges right", `[file:name = 'a' AND (file:size = 1 AND file:size = 2)]`, `[file:name = 'a' AND file:size = 1 AND file:size = 2]`},
	{"or chain merges", `[file:name = 'a' OR (file:name = 'b' OR file:name = 'c')]`, `[file:name = 'a' OR file:name = 'b' OR file:name = 'c']`},
	{"nested parentheses", `[((file:name = 'a' OR file:name = 'b') AND (file:size = 1 OR (file:size = 2 AND file:size < 9)))]`,
		`[(file:name = 'a' OR file:name = 'b') AND (file:size = 1 OR file:size = 2 AND file:size < 9)]`},
	{"types joined by or then and", `[(file:name = 'a' OR ipv4-addr:value = '10.0.0.1') AND file:size = 1]`, ``},
	{"spec type-a type-b", `[(type-a:property_j = 'W' AND type-a:property_k = 'X') OR (type-b:property_m = 'Y' AND type-b:property_n = 'Z')]`,
		`[type-a:property_j = 'W' AND type-a:property_k = 'X' OR type-b:property_m = 'Y' AND type-b:property_n = 'Z']`},
	{"exists with and", `[EXISTS file:name AND NOT EXISTS file:size]`, ``},

	// Observation operators and their precedence.
	{"observation and", `[file:name = 'a'] AND [file:name = 'b']`, ``},
	{"observation or", `[file:name = 'a'] OR [file:name = 'b']`, ``},
	{"followedby", `[file:name = 'a'] FOLLOWEDBY [file:name = 'b']`, ``},
	{"observation and before or", `[file:name = 'a'] OR [file:name = 'b'] AND [file:name = 'c']`, ``},
	{"observation or before followedby", `[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] OR [file:name = 'c']`, ``},
	{"observation parenthesized or", `([file:name = 'a'] OR [file:name = 'b']) AND [file:name = 'c']`, ``},
	{"observation parenthesized followedby", `[file:name = 'a'] AND ([file:name = 'b'] FOLLOWEDBY [file:name = 'c'])`, ``},
	{"followedby chain", `[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] FOLLOWEDBY [file:name = 'c']`, ``},
	{"followedby left group is the chain", `([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) FOLLOWEDBY [file:name = 'c']`,
		`[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] FOLLOWEDBY [file:name = 'c']`},
	{"followedby right group stays", `[file:name = 'a'] FOLLOWEDBY ([file:name = 'b'] FOLLOWEDBY [file:name = 'c'])`, ``},
	{"observation and chain merges", `([file:name = 'a'] AND [file:name = 'b']) AND [file:name = 'c']`, `[file:name = 'a'] AND [file:name = 'b'] AND [file:name = 'c']`},
	{"observation redundant parentheses", `(([file:name = 'a']))`, `[file:name = 'a']`},
	{"observation nested parentheses", `(([file:name = 'a'] OR [file:name = 'b']) FOLLOWEDBY ([file:name = 'c'] AND ([file:name = 'd'] OR [file:name = 'e'])))`,
		`[file:name = 'a'] OR [file:name = 'b'] FOLLOWEDBY [file:name = 'c'] AND ([file:name = 'd'] OR [file:name = 'e'])`},
	{"different types across observations", `[ipv4-addr:value = '10.0.0.1'] AND [domain-name:value = 'example.com']`, ``},

	// Qualifiers, alone, combined and on groups.
	{"within", `[file:name = 'a'] WITHIN 300 SECONDS`, ``},
	{"within float", `[file:name = 'a'] WITHIN 0.5 SECONDS`, ``},
	{"within integral float", `[file:name = 'a'] WITHIN 5.0 SECONDS`, `[file:name = 'a'] WITHIN 5 SECONDS`},
	{"repeats", `[file:name = 'a'] REPEATS 5 TIMES`, ``},
	{"start stop", `[file:name = 'foo.dll'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'`, ``},
	{"start stop same second, later fraction", `[file:name = 'a'] START t'2016-06-01T00:00:00.1Z' STOP t'2016-06-01T00:00:00.10001Z'`, ``},
	{"repeats within", `[network-traffic:dst_ref.type = 'domain-name' AND network-traffic:dst_ref.value = 'example.com'] REPEATS 5 TIMES WITHIN 1800 SECONDS`, ``},
	{"all three qualifiers", `[file:name = 'a'] WITHIN 60 SECONDS START t'2016-01-01T00:00:00Z' STOP t'2017-01-01T00:00:00Z' REPEATS 2 TIMES`, ``},
	{"qualifier on group", `([file:name = 'a'] AND [file:name = 'b']) WITHIN 300 SECONDS`, ``},
	{"qualifier on a group of one", `([file:name = 'a']) WITHIN 5 SECONDS`, `[file:name = 'a'] WITHIN 5 SECONDS`},
	{"qualifier on a qualified group", `([file:name = 'a'] WITHIN 5 SECONDS) WITHIN 6 SECONDS`, ``},
	{"repeats on repeats", `([file:name = 'a'] REPEATS 2 TIMES) REPEATS 2 TIMES`, ``},
	{"qualified group of qualified", `([file:name = 'a'] AND [file:name = 'b'] REPEATS 5 TIMES) WITHIN 300 SECONDS`, ``},
	{"qualifier binds to the right operand", `[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] REPEATS 5 TIMES`, ``},
	{"qualified followedby group", `([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) REPEATS 5 TIMES`, ``},
	{"qualified operands", `[file:name = 'a'] START t'2016-06-01T01:30:00.123Z' STOP t'2016-06-01T02:20:00.123Z' OR [ipv4-addr:value = '192.168.122.83'] START t'2016-06-01T03:55:00.123Z' STOP t'2016-06-01T04:30:24.743Z'`, ``},

	// Constants of each type, alone and in sets.
	{"string escapes", `[file:name = 'it\'s a \\ test']`, ``},
	{"empty string", `[file:name = '']`, ``},
	{"unicode string", `[file:name = 'résumé 履歴書.pdf']`, ``},
	{"string with brackets and keywords", `[email-message:subject MATCHES '^[IMPORTANT] AND OR ) ( // /* Please']`, ``},
	{"string with newline", "[file:name = 'a\nb']", ``},
	{"zero", `[file:size = 0]`, ``},
	{"negative integer", `[file:size = -5]`, ``},
	{"negative zero", `[file:size = -0]`, `[file:size = 0]`},
	{"largest integer", `[file:size = 9007199254740991]`, ``},
	{"smallest integer", `[file:size = -9007199254740991]`, ``},
	{"float", `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, ``},
	{"float without integer part", `[file:x_score > .5]`, `[file:x_score > 0.5]`},
	{"negative float", `[file:x_score > -.25]`, `[file:x_score > -0.25]`},
	{"float leading zeros", `[file:x_score > 007.50]`, `[file:x_score > 7.5]`},
	{"true", `[email-message:is_multipart = true]`, ``},
	{"false", `[email-message:is_multipart != false]`, ``},
	{"binary", `[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`, ``},
	{"binary short", `[artifact:payload_bin = b'ABI=']`, ``},
	{"binary two pad", `[artifact:payload_bin = b'AA==']`, ``},
	{"binary with line feeds", "[artifact:payload_bin = b'dGhpcyBp\r\ncyBhIHRl\nc3Q=']", `[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=']`},
	{"hex", `[file:magic_number_hex = h'ffd8']`, ``},
	{"hex upper case", `[file:magic_number_hex = h'FFD8']`, `[file:magic_number_hex = h'ffd8']`},
	{"hex empty", `[file:magic_number_hex = h'']`, ``},
	{"timestamp", `[file:created = t'2014-01-13T07:03:17Z']`, ``},
	{"timestamp fraction", `[file:created > t'2014-01-13T07:03:17.123456789Z']`, ``},
	{"timestamp leap second", `[file:created < t'2016-12-31T23:59:60Z']`, ``},
	{"timestamp leap second in June", `[file:created < t'2015-06-30T23:59:60.5Z']`, ``},
	{"timestamp leap day", `[file:created < t'2016-02-29T00:00:00Z']`, ``},
	{"set of integers", `[file:size IN (1024, 2048, 4096)]`, ``},
	{"set of numbers", `[file:x_score IN (1, 2.5, -3)]`, ``},
	{"set of booleans", `[email-message:is_multipart IN (true, false)]`, ``},
	{"set of binaries", `[artifact:payload_bin IN (b'AA==', b'ABI=')]`, ``},
	{"set of hex", `[file:magic_number_hex IN (h'ffd8', h'4D5A')]`, `[file:magic_number_hex IN (h'ffd8', h'4d5a')]`},
	{"set of timestamps", `[file:created IN (t'2014-01-13T07:03:17Z', t'2015-01-13T07:03:17.5Z')]`, ``},
	{"set of one", `[file:name IN ('a')]`, ``},
	{"empty set", `[file:name IN ()]`, ``},
	{"set spacing", `[network-traffic:dst_port IN(443,6443 , 8443)]`, `[network-traffic:dst_port IN (443, 6443, 8443)]`},

	// Object paths.
	{"quoted dictionary key", `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`, ``},
	{"unquoted dictionary key", `[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`, ``},
	{"needless quotes", `[file:'name' = 'a' AND file:hashes.'MD5' = 'b']`, `[file:name = 'a' AND file:hashes.MD5 = 'b']`},
	{"quoted keyword key", `[x-thing:props.'IN' = 'a' AND x-thing:props.'true' = 'b']`, ``},
	{"quoted key with a dot", `[x-thing:props.'a.b' = 'a']`, ``},
	{"extension path", `[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, ``},
	{"extension definition key", `[file:extensions.'extension-definition--d83fce45-ef58-4c6c-a3f4-1fbc32e98c6e'.x_rank = 5]`, ``},
	{"reference", `[email-message:from_ref.value MATCHES '.+\\@example\\.com$']`, ``},
	{"list index", `[network-traffic:protocols[0] = 'ipv4']`, ``},
	{"any index", `[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\.exe$']`, ``},
	{"index after index", `[x-thing:matrix[1][*] = 1]`, ``},
	{"id property", `[file:id = 'file--5e6cd5ab-7ab8-5a8e-9b1a-7b4f1d0c5e1a']`, ``},
	{"custom type", `[x-usb-device:usbdrive.serial_number = '575833314133343231313937']`, ``},

	// Whitespace and comments, which the grammar skips.
	{"no spaces", `[file:size=1280]AND[file:name='a']`, `[file:size = 1280] AND [file:name = 'a']`},
	{"number against keyword", `[file:size = 5AND file:size <9]REPEATS 5TIMES WITHIN 2.5SECONDS`, `[file:size = 5 AND file:size < 9] REPEATS 5 TIMES WITHIN 2.5 SECONDS`},
	{"matches without space", `[process:command_line MATCHES'^.+>-add GlobalSign.cer -c -s -r localMachine Root$']`, `[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$']`},
	{"spaces inside a path", "[file : hashes . 'SHA-256' [ 0 ] = 'a']", `[file:hashes.'SHA-256'[0] = 'a']`},
	{"line breaks and tabs", "(\n\t[ipv4-addr:value = '198.51.100.1/32' OR\r\n\t ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']\n\tFOLLOWEDBY [\n\t\tdomain-name:value = 'example.com']\n) WITHIN 600 SECONDS",
		`([ipv4-addr:value = '198.51.100.1/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128'] FOLLOWEDBY [domain-name:value = 'example.com']) WITHIN 600 SECONDS`},
	{"unicode whitespace", "[file:size\u00a0=\u30001280]\u2028\u0085", `[file:size = 1280]`},
	{"misplaced whitespace", `( [(network-traffic:dst_port IN(443,6443,8443) AND network-traffic:src_packets != 0) ])`, `[network-traffic:dst_port IN (443, 6443, 8443) AND network-traffic:src_packets != 0]`},
	{"block comment", `/* hash of the dropper */ [file:hashes.MD5 = 'a' /* MD5 */] /* end */`, `[file:hashes.MD5 = 'a']`},
	{"line comment", "[file:name = 'a'] // the dropper\nAND [file:name = 'b'] // the payload", `[file:name = 'a'] AND [file:name = 'b']`},

	// Examples of the specification (§9.8) not covered above.
	{"spec sha-256 and mime type", `[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:mime_type = 'application/x-pdf']`, ``},
	{"spec two observations", `[file:hashes.'SHA-256' = 'bf07a7fbb825fc0aae7bf4a1177b2b31fcf8a3feeaf7092761e18c859ee52a9c' OR file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f'] AND [file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`, ``},
	{"spec registry key followedby", `([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) WITHIN 300 SECONDS`, ``},
	{"spec user accounts", `[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008' AND user-account:account_login = 'Paul'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1009' AND user-account:account_login = 'Mary']`, ``},
	{"spec pcap", `[artifact:mime_type = 'application/vnd.tcpdump.pcap' AND artifact:payload_bin MATCHES '\\xd4\\xc3\\xb2\\xa1\\x02\\x00\\x04\\x00']`, ``},
	{"spec file path", `[file:name = 'foo.dll' AND file:parent_directory_ref.path = 'C:\\Windows\\System32']`, ``},
	{"spec mime type and magic", `[file:mime_type = 'image/bmp' AND file:magic_number_hex = h'ffd8']`, ``},
	{"spec resolves to", `[domain-name:value = 'www.5z8.info' AND domain-name:resolves_to_refs[*].value = '198.51.100.1/32']`, ``},
	{"spec x509", `[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b:1d:19:74:86:a7:66:b4:1a:bf:40:27:21:76:28']`, ``},
	{"spec file set of properties", `[(file:name = 'pdf.exe' OR file:size = 371712) AND file:created = t'2014-01-13T07:03:17Z']`, ``},
	{"spec processes within", `[process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachine Root$'] FOLLOWEDBY [process:command_line MATCHES '^.+>-add GlobalSign.cer -c -s -r localMachineTrustedPublisher$'] WITHIN 300 SECONDS`, ``},
	{"spec malware artifacts", `([file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar']) OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']`,
		`[file:name = 'foo.dll'] AND [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\foo\\bar'] OR [process:image_ref.name = 'fooproc' OR process:image_ref.name = 'procfoo']`},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validPatterns {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			p, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			got := p.String()
			if got != want {
				t.Errorf("String():\n got %s\nwant %s", got, want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(%q), the canonical form: %v", got, err)
			}
			if diff := cmp.Diff(p, again); diff != "" {
				t.Errorf("the canonical form parses to another AST (-first +again):\n%s", diff)
			}
		})
	}
}

// TestAST checks the trees of a few patterns whole, where String alone
// could hide a wrong grouping.
func TestAST(t *testing.T) {
	path := func(typ string, steps ...Step) ObjectPath { return ObjectPath{Type: typ, Steps: steps} }
	prop := func(s string) Step { return Step{Property: s} }
	name := func(v string) *Comparison {
		return &Comparison{Path: path("file", prop("name")), Op: Equal, Value: String(v)}
	}
	obs := func(v string) *Observation { return &Observation{Expr: name(v)} }
	tests := []struct {
		name string
		in   string
		want *Pattern
	}{
		{
			"precedence of observation operators",
			`[file:name = 'a'] FOLLOWEDBY [file:name = 'b'] OR [file:name = 'c'] AND [file:name = 'd']`,
			&Pattern{Expr: &CompoundObservation{Op: FollowedBy, Operands: []ObservationExpr{
				obs("a"),
				&CompoundObservation{Op: Or, Operands: []ObservationExpr{
					obs("b"),
					&CompoundObservation{Op: And, Operands: []ObservationExpr{obs("c"), obs("d")}},
				}},
			}}},
		},
		{
			"qualifiers",
			`([file:name = 'a'] REPEATS 2 TIMES WITHIN 1.5 SECONDS) START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'`,
			&Pattern{Expr: &Qualified{
				Expr:       &Qualified{Expr: obs("a"), Qualifiers: []Qualifier{Repeats{Times: 2}, Within{Seconds: 1.5}}},
				Qualifiers: []Qualifier{StartStop{Start: "2016-01-01T00:00:00Z", Stop: "2016-01-02T00:00:00Z"}},
			}},
		},
		{
			"comparisons, paths and constants",
			`[NOT EXISTS file:x_y OR file:extensions.'windows-pebinary-ext'.sections[*].entropy NOT >= 7.5 AND file:hashes[0] IN (h'ff', h'')]`,
			&Pattern{Expr: &Observation{Expr: &BooleanExpr{Op: Or, Operands: []ComparisonExpr{
				&Comparison{Path: path("file", prop("x_y")), Not: true, Op: Exists},
				&BooleanExpr{Op: And, Operands: []ComparisonExpr{
					&Comparison{
						Path: path("file", prop("extensions"), prop("windows-pebinary-ext"), prop("sections"), Step{Index: AnyIndex}, prop("entropy")),
						Not:  true, Op: GreaterOrEqual, Value: Float(7.5),
					},
					&Comparison{Path: path("file", prop("hashes"), Step{Index: 0}), Op: In, Value: Set{Hex{0xff}, Hex{}}},
				}},
			}}}},
		},
		{
			"escapes and binary",
			`[artifact:payload_bin = b'ABI=' AND artifact:x_note = 'it\'s \\']`,
			&Pattern{Expr: &Observation{Expr: &BooleanExpr{Op: And, Operands: []ComparisonExpr{
				&Comparison{Path: path("artifact", prop("payload_bin")), Op: Equal, Value: Binary{0x00, 0x12}},
				&Comparison{Path: path("artifact", prop("x_note")), Op: Equal, Value: String(`it's \`)},
			}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// invalidPatterns are refused with the offset and a fragment of the reason.
var invalidPatterns = []struct {
	name, in string
	offset   int
	reason   string
}{
	// Structure.
	{"empty", ``, 0, "empty pattern"},
	{"blank", " \n\t", 3, "empty pattern"},
	{"only a comment", `/* nothing */`, 13, "empty pattern"},
	{"no brackets", `file:size = 1280`, 0, "comparisons go in square brackets"},
	{"empty brackets", `[]`, 1, "expected a comparison"},
	{"unbalanced bracket", `[file:size = 1280`, 17, "expected AND, OR or ']' to close the '[' at offset 0"},
	{"unbalanced parenthesis", `([file:size = 1280]`, 19, "expected AND, OR, FOLLOWEDBY or ')' to close the '(' at offset 0"},
	{"unbalanced inner parenthesis", `[(file:size = 1280]`, 18, "expected AND, OR or ')' to close the '(' at offset 1"},
	{"extra bracket", `[file:size = 1280]]`, 18, "']': it has no matching '['"},
	{"extra parenthesis", `[file:size = 1280])`, 18, "')': it has no matching '('"},
	{"nested brackets", `[[file:size = 1280]]`, 1, "observation expressions do not nest"},
	{"observations without operator", `[file:size = 1] [file:size = 2]`, 16, "join observation expressions with AND, OR or FOLLOWEDBY"},
	{"dangling and", `[file:size = 1] AND`, 19, "expected an observation expression ('[' or '('), found the end of the pattern"},
	{"dangling comparison and", `[file:size = 1 AND ]`, 19, "expected a comparison"},
	{"followedby inside brackets", `[file:size = 1 FOLLOWEDBY file:size = 2]`, 15, "expected AND, OR or ']'"},
	{"trailing garbage", `[file:size = 1] xyz`, 16, `unexpected "xyz"`},
	{"too deep", strings.Repeat("(", 101) + "[file:size = 1]" + strings.Repeat(")", 101), 100, "nest more than 100 deep"},

	// Object paths.
	{"missing colon", `[file.size = 1280]`, 5, "expected ':' between the object type and the property"},
	{"missing property", `[file: = 1]`, 7, "expected a property name after file:"},
	{"short type", `[a:b = 1]`, 1, `object type "a" is not a STIX type name: it is shorter than 3 characters`},
	{"upper-case type", `[File:name = 'a']`, 1, "must start with a lower-case letter"},
	{"underscore in type", `[x_whatever:detected = 1]`, 1, "may only contain lower-case letters a-z, digits and hyphens"},
	{"double hyphen in type", `[x--y:name = 'a']`, 1, "two hyphens in a row"},
	{"short property", `[file:x = 1]`, 6, `property name "x" is shorter than 3 characters`},
	{"hyphen in first property", `[file:x-name = 1]`, 6, "may only contain letters, digits and underscores"},
	{"quoted first property with hyphen", `[file:'SHA-256' = 1]`, 6, "may only contain letters, digits and underscores"},
	{"unquoted hyphen", `[file:extensions.windows-pebinary-ext.sections[*].entropy > 7.0]`, 17, "has a hyphen, so it must be quoted: 'windows-pebinary-ext'"},
	{"unquoted sha-256", `[file:hashes.SHA-256 = 'a']`, 13, "must be quoted: 'SHA-256'"},
	{"empty quoted key", `[file:hashes.'' = 'a']`, 13, `path component "" is empty`},
	{"space in key", `[file:hashes.'SHA 256' = 'a']`, 13, "may only contain ASCII letters, digits"},
	{"keyword as key", `[file:hashes.IN = 'a']`, 13, "must be quoted: 'IN'"},
	{"negative index", `[network-traffic:protocols[-1] = 'tcp']`, 27, "list index -1 is out of range"},
	{"bad index", `[network-traffic:protocols['a'] = 'tcp']`, 27, "expected a list index (0 or more, or *)"},
	{"unclosed index", `[network-traffic:protocols[0 = 'tcp']`, 29, "expected ']' to close the list index at offset 26"},
	{"double-quoted key", `[file:hashes."SHA-256" = 'a']`, 13, "apostrophes ('...'), not double quotes"},

	// Operators.
	{"missing operator", `[file:name 'foo.dll']`, 11, "expected a comparison operator after file:name, found the string 'foo.dll'"},
	{"unknown operator", `[file:hashes.MD5 =? 'a']`, 17, `unknown operator "=?"`},
	{"unknown operator =>", `[file:size => 1]`, 11, `unknown operator "=>"`},
	{"unknown word operator", `[file:name CONTAINS 'a']`, 11, `expected a comparison operator after file:name, found "CONTAINS"`},
	{"lower-case operator", `[file:name like 'a%']`, 11, "keywords are upper-case: LIKE"},
	{"lower-case and", `[file:name = 'a' and file:size = 1]`, 17, `found "and" (keywords are upper-case: AND)`},
	{"lower-case observation or", `[file:name = 'a'] or [file:name = 'b']`, 18, `"or" (keywords are upper-case: OR)`},
	{"lower-case qualifier", `[file:size = 1] within 2 seconds`, 16, `"within" (keywords are upper-case: WITHIN)`},
	{"lower-case exists", `[exists file:name]`, 1, `found "exists": keywords are upper-case, EXISTS`},
	{"NOT before a path", `[NOT file:name = 'a']`, 1, "NOT before an object path goes only with EXISTS"},
	{"NOT NOT", `[file:name NOT NOT = 'a']`, 15, "expected a comparison operator"},
	{"NOT after operator", `[file:name = NOT 'a']`, 13, "expected a constant after =, found NOT"},
	{"EXISTS after path", `[file:name EXISTS]`, 11, "EXISTS goes before the object path: EXISTS file:name"},
	{"bang", `[file:name ! 'a']`, 11, `unknown operator "!"`},
	{"double ampersand", `[file:name = 'a' && file:size = 1]`, 17, "unexpected '&': write AND"},
	{"regex literal", `[file:name MATCHES /.*\.dll/]`, 19, "regular expressions are strings"},

	// Operands.
	{"missing value", `[file:size = ]`, 13, "expected a constant after =, found ']'"},
	{"unquoted string", `[file:hashes.MD5 = cead3f77f6cda6ec00f57d76c9a6879f]`, 19, "strings go in apostrophes"},
	{"unquoted digits", `[file:hashes.MD5 = 79054025255fb1a26e4bc422aef54eb4]`, 19, `invalid number "79054025255fb1a26e4bc422aef54eb4": numbers are written as 42, -7, 3.14 or .5, without exponents; a string goes in apostrophes`},
	{"set after =", `[file:size = (1, 2)]`, 13, "= compares with one constant; to compare with a set, use IN"},
	{"IN without set", `[file:name IN 'a']`, 14, "IN takes a set in parentheses"},
	{"unclosed set", `[file:name IN ('a', 'b']`, 23, "expected ',' or ')' in the set opened at offset 14"},
	{"trailing comma in set", `[file:name IN ('a',)]`, 19, "expected a constant in the set, found ')'"},
	{"mixed set", `[file:name IN ('a', 1)]`, 20, "a set holds constants of one type, but this is a number and the first is a string"},
	{"mixed binary set", `[artifact:payload_bin IN (b'AA==', h'00')]`, 35, "this is a hex constant and the first is a binary constant"},
	{"nested set", `[file:name IN (('a'))]`, 15, "sets do not nest"},
	{"matches number", `[file:name MATCHES 5]`, 19, "MATCHES takes a string constant"},
	{"like timestamp", `[file:name LIKE t'2016-01-01T00:00:00Z']`, 16, "LIKE takes a string constant"},
	{"issubset number", `[ipv4-addr:value ISSUBSET 10]`, 26, "ISSUBSET takes a string constant"},
	{"issuperset missing", `[network-traffic:dst_ref.value ISSUPERSET ]`, 42, "ISSUPERSET takes a string constant"},
	{"issubset not an address", `[ipv4-addr:value ISSUBSET 'example.com']`, 26, `"example.com" is not an IP address`},
	{"issubset bad cidr", `[ipv4-addr:value ISSUBSET '10.0.0.0/33']`, 26, `"10.0.0.0/33" is not a CIDR block`},
	{"ordering a boolean", `[email-message:is_multipart > true]`, 30, "> does not order booleans"},
	{"upper-case boolean", `[email-message:is_multipart = TRUE]`, 30, "(booleans are lower-case: true)"},
	{"AND across types", `[ipv4-addr:value = '10.0.0.1' AND domain-name:value = 'example.com']`, 30, "AND needs one object to satisfy both sides, but the left side is about ipv4-addr and the right side about domain-name"},
	{"AND across or groups", `[(file:name = 'a' OR process:name = 'b') AND (ipv4-addr:value = 'c' OR url:value = 'd')]`, 41, "the left side is about file or process and the right side about ipv4-addr or url"},
	{"AND across types in chain", `[file:name = 'a' AND file:size = 1 AND process:pid = 4]`, 35, "the left side is about file and the right side about process"},

	// Strings.
	{"unterminated string", `[file:name = 'foo.dll]`, 13, "unterminated string: no closing '"},
	{"unterminated by escape", `[file:name = 'foo\']`, 13, `\' inside a string is an escaped apostrophe`},
	{"bad escape", `[file:name MATCHES '^.+\.exe$']`, 23, `invalid escape \. in a string: only \' and \\ are escapes`},
	{"typographic quotes", `[file:name = ‘foo.dll’]`, 13, "typographic quote"},
	{"invalid utf-8 in string", "[file:name = 'a\xffb']", 15, "invalid UTF-8"},
	{"invalid utf-8 in comment", "[file:name = 'a'] /* \xff */", 21, "invalid UTF-8"},
	{"invalid utf-8", "[file:name = 'a']\xff", 17, "invalid UTF-8"},
	{"control character", "[file:name = 'a']\x00", 17, "unexpected control character U+0000"},
	{"unterminated comment", `[file:name = 'a'] /* the end`, 18, "unterminated comment"},

	// Numbers.
	{"plus sign", `[file:size = +5]`, 13, "write 5 without '+'"},
	{"leading zero", `[file:size = 007]`, 13, "integer 007 has a leading zero"},
	{"exponent", `[file:x_score = 1e5]`, 16, `invalid number "1e5"`},
	{"word after number", `[file:size = 5ANDx]`, 13, `invalid number "5ANDx"`},
	{"trailing decimal point", `[file:x_score = 5.]`, 16, "number 5. needs a digit after the decimal point"},
	{"two decimal points", `[file:x_score = 1.2.3]`, 16, `invalid number "1.2.3"`},
	{"lone minus", `[file:size = - 5]`, 13, "a sign must be followed by a number"},
	{"integer too large", `[file:size = 9007199254740992]`, 13, "outside the STIX integer range"},
	{"integer too small", `[file:size = -9007199254740992]`, 13, "outside the STIX integer range"},
	{"integer overflow", `[file:size = 99999999999999999999999]`, 13, "outside the STIX integer range"},
	{"float overflow", `[file:x_score = ` + strings.Repeat("9", 400) + `.0]`, 16, "outside the range of a double"},

	// Binary, hex and timestamp constants.
	{"bad base64 character", `[artifact:payload_bin = b'AB*=']`, 28, `binary constant holds '*', which is not base64`},
	{"base64 length", `[artifact:payload_bin = b'ABC']`, 24, "3 base64 characters, not a multiple of 4"},
	{"base64 inner padding", `[artifact:payload_bin = b'A=BC']`, 28, "'=' may only pad the end"},
	{"base64 all padding", `[artifact:payload_bin = b'====']`, 24, "more padding than base64 has"},
	{"empty binary", `[artifact:payload_bin = b'']`, 24, "empty binary constant"},
	{"unterminated binary", `[artifact:payload_bin = b'AAAA]`, 24, "unterminated binary constant"},
	{"odd hex", `[file:magic_number_hex = h'ffd']`, 25, "odd number of digits (3)"},
	{"bad hex digit", `[file:magic_number_hex = h'ffzz']`, 29, `hex constant holds 'z'`},
	{"bad timestamp", `[file:created = t'2457-73-22T32:81:84.1Z']`, 16, "month 73 is out of range"},
	{"timestamp without zone", `[file:created = t'2016-01-01T00:00:00']`, 16, "end with the Z designator"},
	{"timestamp with offset", `[file:created = t'2016-01-01T00:00:00+01:00']`, 16, "end with the Z designator"},
	{"timestamp lower-case t", `[file:created = t'2016-01-01t00:00:00Z']`, 16, "the T between date and time must be upper-case"},
	{"timestamp date only", `[file:created = t'2016-01-01']`, 16, "expected the form YYYY-MM-DDTHH:MM:SS[.s+]Z"},
	{"timestamp February 30", `[file:created = t'2016-02-30T00:00:00Z']`, 16, "day 30 does not exist in February 2016"},
	{"timestamp February 29 of a common year", `[file:created = t'2100-02-29T00:00:00Z']`, 16, "day 29 does not exist"},
	{"timestamp hour 24", `[file:created = t'2016-01-01T24:00:00Z']`, 16, "hour 24 is out of range"},
	{"timestamp leap second mid-month", `[file:created = t'2016-06-15T23:59:60Z']`, 16, "second 60 (a leap second) is only valid"},
	{"timestamp second 60 before 23:59", `[file:created = t'2016-12-31T23:58:60Z']`, 16, "second 60 (a leap second) is only valid"},
	{"timestamp year 0000", `[file:created = t'0000-01-01T00:00:00Z']`, 16, "year 0000 is out of range"},
	{"timestamp empty fraction", `[file:created = t'2016-01-01T00:00:00.Z']`, 16, "expected the form"},
	{"timestamp as string", `[file:name = 'a'] START '2016-01-01T00:00:00Z' STOP '2017-01-01T00:00:00Z'`, 24, "START takes a timestamp constant: write t'2016-01-01T00:00:00Z'"},

	// Qualifiers.
	{"STOP before START", `[file:name = 'a'] START t'2016-02-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'`, 53, "STOP t'2016-01-01T00:00:00Z' is not later than START t'2016-02-01T00:00:00Z'"},
	{"STOP equals START", `[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00.000Z'`, 53, "is not later than START"},
	{"STOP without START", `[file:name = 'a'] STOP t'2016-01-01T00:00:00Z'`, 18, "STOP without START"},
	{"START without STOP", `[file:name = 'a'] START t'2016-01-01T00:00:00Z'`, 47, "expected STOP after START t'2016-01-01T00:00:00Z'"},
	{"WITHIN 0", `[file:name = 'a'] WITHIN 0 SECONDS`, 25, "WITHIN takes a positive number of seconds, not 0"},
	{"WITHIN 0.0", `[file:name = 'a'] WITHIN 0.0 SECONDS`, 25, "positive number of seconds, not 0.0"},
	{"WITHIN negative", `[file:name = 'a'] WITHIN -5 SECONDS`, 25, "positive number of seconds, not -5"},
	{"WITHIN string", `[file:name = 'a'] WITHIN '5' SECONDS`, 25, "expected a number of seconds after WITHIN"},
	{"WITHIN missing", `[file:name = 'a'] WITHIN ]`, 25, "expected a number of seconds after WITHIN, found ']'"},
	{"WITHIN HOURS", `[file:name = 'a'] WITHIN 5 HOURS`, 27, `expected SECONDS after WITHIN 5, found "HOURS"; SECONDS is the only unit`},
	{"REPEATS 0", `[file:name = 'a'] REPEATS 0 TIMES`, 26, "REPEATS takes a positive integer, not 0"},
	{"REPEATS float", `[file:name = 'a'] REPEATS 1.5 TIMES`, 26, "REPEATS takes a positive integer, found the number 1.5"},
	{"REPEATS without TIMES", `[file:name = 'a'] REPEATS 2`, 27, "expected TIMES after REPEATS 2"},
	{"duplicate WITHIN", `[file:name = 'a'] WITHIN 5 SECONDS WITHIN 6 SECONDS`, 35, "a second WITHIN qualifier on one observation expression (the first is at offset 18)"},
	{"duplicate REPEATS in group", `([file:name = 'a'] REPEATS 2 TIMES REPEATS 3 TIMES)`, 35, "a second REPEATS qualifier"},
	{"duplicate START", `[file:name = 'a'] START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z' START t'2016-01-01T00:00:00Z' STOP t'2016-01-02T00:00:00Z'`, 77, "a second START qualifier"},
	{"duplicate through parentheses", `([file:name = 'a']) WITHIN 5 SECONDS WITHIN 6 SECONDS`, 37, "a second WITHIN qualifier"},
	{"qualifier inside brackets", `[file:name = 'a' WITHIN 5 SECONDS]`, 17, "qualifiers go after the closing ']'"},
	{"qualifier first", `WITHIN 5 SECONDS [file:name = 'a']`, 0, "expected an observation expression"},
}

func TestParseInvalid(t *testing.T) {
	for _, tt := range invalidPatterns {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, p)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): %T %v, want a *SyntaxError", tt.in, err, err)
			}
			if se.Offset != tt.offset || !strings.Contains(se.Reason, tt.reason) {
				t.Errorf("Parse(%q):\n got offset %d: %s\nwant offset %d: …%s…", tt.in, se.Offset, se.Reason, tt.offset, tt.reason)
			}
			if want := "offset " + strconv.Itoa(se.Offset) + ": " + se.Reason; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

// TestNodeStrings checks that each node gives its own canonical text, as a
// caller printing part of a pattern sees it.
func TestNodeStrings(t *testing.T) {
	p, err := Parse(`([file:name = 'a' OR file:size > 5] AND [url:value = 'http://x.example/']) WITHIN 5 SECONDS FOLLOWEDBY [EXISTS file:name]`)
	if err != nil {
		t.Fatal(err)
	}
	fb := p.Expr.(*CompoundObservation)
	q := fb.Operands[0].(*Qualified)
	and := q.Expr.(*CompoundObservation)
	obs := and.Operands[0].(*Observation)
	or := obs.Expr.(*BooleanExpr)
	cmpr := or.Operands[1].(*Comparison)
	tests := []struct{ got, want string }{
		{fb.String(), p.String()},
		{q.String(), `([file:name = 'a' OR file:size > 5] AND [url:value = 'http://x.example/']) WITHIN 5 SECONDS`},
		{and.String(), `[file:name = 'a' OR file:size > 5] AND [url:value = 'http://x.example/']`},
		{obs.String(), `[file:name = 'a' OR file:size > 5]`},
		{or.String(), `file:name = 'a' OR file:size > 5`},
		{cmpr.String(), `file:size > 5`},
		{cmpr.Path.String(), `file:size`},
		{q.Qualifiers[0].String(), `WITHIN 5 SECONDS`},
		{fb.Operands[1].String(), `[EXISTS file:name]`},
		{Operator(99).String(), `Operator(99)`},
		{Connective(9).String(), `Connective(9)`},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}
