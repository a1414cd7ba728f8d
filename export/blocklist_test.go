package export_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"mosaic"
)

func TestBlocklist(t *testing.T) {
	red := `,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]`
	objs := []mosaic.StoredObject{
		stored(indicator(1, "[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'EVIL.example.com']", ""), mosaic.TLPGreen, "pa"),
		// The same values again, from another partner, under amber: the
		// header counts every object that names an entry, whatever the
		// order they come in, so it says amber.
		stored(indicator(2, "[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'evil.example.com.']", ""), mosaic.TLPAmber, "pb"),
		stored(indicator(3, "[file:hashes.'SHA-256' = 'AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899']", red), mosaic.TLPRed, "pa"),
		stored(indicator(4, "[file:hashes.MD5 = '9E107D9D372BB6826BD81D3542A419D6'] OR [url:value = 'HTTP://Evil.Example.com:80/x']", ""), mosaic.TLPClear, "pa"),
		// Negated: blocking it would block everything else.
		stored(indicator(5, "[ipv4-addr:value != '203.0.113.1']", ""), mosaic.TLPRed, "pa"),
		// Revoked, expired and expiring at the moment of the export: left
		// out, whatever their TLP.
		stored(indicator(6, "[ipv4-addr:value = '192.0.2.44'] OR [domain-name:value = 'revoked.example']", `,"revoked":true`), mosaic.TLPRed, "pa"),
		stored(indicator(7, "[ipv4-addr:value = '192.0.2.55'] OR [url:value = 'http://expired.example/']", `,"valid_until":"2026-10-02T00:00:00Z"`), mosaic.TLPRed, "pa"),
		stored(indicator(8, "[ipv4-addr:value = '192.0.2.66']", `,"valid_until":"2026-10-05T12:00:00Z"`), mosaic.TLPRed, "pa"),
		// Still valid a second after the export.
		stored(indicator(9, "[ipv6-addr:value = '2001:DB8::1']", `,"valid_until":"2026-10-05T12:00:01Z"`), mosaic.TLPGreen, "pa"),
		stored(json.RawMessage(`{"type":"ipv4-addr","spec_version":"2.1","id":"ipv4-addr--`+uuid(10)+`","value":"203.0.113.0/24"}`), mosaic.TLPGreen, "pa"),
		stored(json.RawMessage(`{"type":"domain-name","spec_version":"2.1","id":"domain-name--`+uuid(11)+`","value":"Seen.Example"}`), mosaic.TLPClear, "pa"),
		stored(json.RawMessage(`{"type":"file","spec_version":"2.1","id":"file--`+uuid(12)+`","hashes":{"MD5":"e4d909c290d0fb1ca068ffaddf22cbd0","SHA-1":"2FD4E1C67A2D28FCED849EE1BB76E7391B93EB12"}}`), mosaic.TLPGreen, "pb"),
		// A report that mentions an address in its text is no entry.
		stored(json.RawMessage(`{"type":"report","spec_version":"2.1","id":"report--`+uuid(13)+`","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"198.51.100.99 and bad.example","published":"2026-10-01T00:00:00Z","object_refs":["indicator--`+uuid(1)+`"]}`), mosaic.TLPRed, "pa"),
	}
	const stale = " (3 revoked or expired objects left out)"
	for _, tc := range []struct {
		kind        string
		objs        []mosaic.StoredObject
		want        string
		wantSummary string
	}{{
		kind: "ip",
		objs: objs,
		want: "# Mosaic ip blocklist, 3 entries, exported 2026-10-05T12:00:00Z\n" +
			"# TLP:AMBER: the most restrictive TLP among the entries; share no further than it allows\n" +
			"198.51.100.7\n2001:db8::1\n203.0.113.0/24\n",
		wantSummary: "exported 3 ip entries" + stale,
	}, {
		kind: "domain",
		objs: objs,
		want: "# Mosaic domain blocklist, 2 entries, exported 2026-10-05T12:00:00Z\n" +
			"# TLP:AMBER: the most restrictive TLP among the entries; share no further than it allows\n" +
			"evil.example.com\nseen.example\n",
		wantSummary: "exported 2 domain entries" + stale,
	}, {
		kind: "url",
		objs: objs,
		want: "# Mosaic url blocklist, 1 entries, exported 2026-10-05T12:00:00Z\n" +
			"# TLP:CLEAR: the most restrictive TLP among the entries; share no further than it allows\n" +
			"http://evil.example.com/x\n",
		wantSummary: "exported 1 url entries" + stale,
	}, {
		kind: "hash",
		objs: objs,
		want: "# Mosaic hash blocklist, 4 entries, exported 2026-10-05T12:00:00Z\n" +
			"# TLP:RED: the most restrictive TLP among the entries; share no further than it allows\n" +
			"2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\n9e107d9d372bb6826bd81d3542a419d6\naabbccddeeff00112233445566778899aabbccddeeff00112233445566778899\ne4d909c290d0fb1ca068ffaddf22cbd0\n",
		wantSummary: "exported 4 hash entries" + stale,
	}, {
		// Without entries there is no TLP to name.
		kind:        "ip",
		objs:        objs[5:8],
		want:        "# Mosaic ip blocklist, 0 entries, exported 2026-10-05T12:00:00Z\n",
		wantSummary: "exported 0 ip entries" + stale,
	}, {
		kind:        "url",
		want:        "# Mosaic url blocklist, 0 entries, exported 2026-10-05T12:00:00Z\n",
		wantSummary: "exported 0 url entries",
	}} {
		t.Run(tc.kind, func(t *testing.T) {
			got, summary := write(t, tc.kind, tc.objs...)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("blocklist (-want +got):\n%s", diff)
			}
			if summary != tc.wantSummary {
				t.Errorf("summary %q, want %q", summary, tc.wantSummary)
			}
		})
	}
}

// TestBlocklistWarnings: values no blocklist may hold, from any
// contributor, are left out and named: an address block too broad to
// block (0.0.0.0/0 and ::/0 would block everything), private and reserved
// ranges, public resolvers, the most used domains, a whole site of one of
// them, a top-level domain, the hash of empty content.
func TestBlocklistWarnings(t *testing.T) {
	sco := func(n int, typ, value string) mosaic.StoredObject {
		return stored(json.RawMessage(`{"type":"`+typ+`","spec_version":"2.1","id":"`+typ+`--`+uuid(n)+`","value":"`+value+`"}`), mosaic.TLPClear, "pa")
	}
	for _, tc := range []struct {
		kind        string
		objs        []mosaic.StoredObject
		want, names string
	}{
		{"ip", []mosaic.StoredObject{
			stored(indicator(1, "[ipv4-addr:value = '0.0.0.0/0']", ""), mosaic.TLPClear, "pa"),
			stored(indicator(2, "[ipv6-addr:value = '::/0']", ""), mosaic.TLPClear, "pa"),
			stored(indicator(3, "[ipv4-addr:value = '10.0.0.0/9']", ""), mosaic.TLPClear, "pa"),
			sco(4, "ipv4-addr", "192.168.1.10"), sco(5, "ipv4-addr", "8.8.8.8"), sco(6, "ipv6-addr", "fe80::1"),
			sco(7, "ipv4-addr", "198.51.100.7"), sco(8, "ipv4-addr", "45.77.1.0/24"),
		}, "198.51.100.7\n45.77.1.0/24\n", "left out 3 entries too broad to block and 3 on a warning list"},
		{"domain", []mosaic.StoredObject{sco(9, "domain-name", "google.com"), sco(10, "domain-name", "www.google.com"), sco(11, "domain-name", "evil.sites.google.com")},
			"evil.sites.google.com\n", "left out 0 entries too broad to block and 2 on a warning list"},
		{"url", []mosaic.StoredObject{sco(12, "url", "https://microsoft.com/"), sco(13, "url", "https://microsoft.com/evil/payload")},
			"https://microsoft.com/evil/payload\n", "left out 0 entries too broad to block and 1 on a warning list"},
		// An IPv6 block that stands for IPv4 addresses is judged as them
		// (::ffff:16.0.0.0/100 is 16.0.0.0/4, 64:ff9b::808:808 is 8.8.8.8
		// through NAT64); the local-use NAT64 prefix is reserved. A block
		// with host bits is written without them, and once.
		{"ip", []mosaic.StoredObject{
			sco(20, "ipv6-addr", "::ffff:11.0.0.0/104"), sco(21, "ipv6-addr", "::ffff:16.0.0.0/100"), sco(22, "ipv6-addr", "::ffff:0:0/96"),
			sco(23, "ipv6-addr", "64:ff9b:1::/48"), sco(24, "ipv6-addr", "64:ff9b::808:808"),
			sco(25, "ipv4-addr", "11.22.33.44/16"), sco(26, "ipv4-addr", "11.22.99.1/16"), sco(27, "ipv4-addr", "198.51.100.77/24"),
		}, "11.22.0.0/16\n198.51.100.0/24\n", "left out 3 entries too broad to block and 2 on a warning list"},
		// Public suffixes, under which anyone registers, and the resolvers'
		// own names; a site under a public suffix stays.
		{"domain", []mosaic.StoredObject{
			sco(30, "domain-name", "co.uk"), sco(31, "domain-name", "com.au"), sco(32, "domain-name", "github.io"), sco(33, "domain-name", "blogspot.com"),
			sco(34, "domain-name", "dns.google"), sco(35, "domain-name", "one.one.one.one"), sco(36, "domain-name", "evil.github.io"),
		}, "evil.github.io\n", "left out 0 entries too broad to block and 6 on a warning list"},
		// A path of only slashes or "*" is the whole site; every path on a
		// resolver's name is its service.
		{"url", []mosaic.StoredObject{
			sco(40, "url", "http://google.com/*"), sco(41, "url", "http://google.com//"), sco(42, "url", "http://co.uk/"),
			sco(43, "url", "https://dns.google/dns-query"), sco(44, "url", "http://google.com/evil"),
		}, "http://google.com/evil\n", "left out 0 entries too broad to block and 4 on a warning list"},
		{"hash", []mosaic.StoredObject{stored(json.RawMessage(`{"type":"file","spec_version":"2.1","id":"file--`+uuid(14)+`","hashes":{"SHA-256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}}`), mosaic.TLPClear, "pa")},
			"", "left out 0 entries too broad to block and 1 on a warning list"},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			got, summary := write(t, tc.kind, tc.objs...)
			body := got[strings.Index(got, "\n")+1:]
			if i := strings.Index(body, "share no further"); i >= 0 {
				body = body[strings.Index(body, "\n")+1:]
			}
			if body != tc.want || !strings.Contains(summary, tc.names) {
				t.Errorf("blocklist %q, summary %q; want entries %q and %q", got, summary, tc.want, tc.names)
			}
		})
	}
}
