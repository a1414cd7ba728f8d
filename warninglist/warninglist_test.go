package warninglist

import "testing"

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		kind, value string
		listed      bool
	}{
		{"ip", "10.1.2.3", true},
		{"ip", "172.31.255.255", true},
		{"ip", "172.32.0.1", false},
		{"ip", "100.64.0.1", true},
		{"ip", "127.0.0.1", true},
		{"ip", "8.8.8.8", true},
		{"ip", "8.8.8.0/24", true}, // overlaps a resolver
		{"ip", "::ffff:10.0.0.1", true},
		{"ip", "2606:4700:4700::1111", true},
		{"ip", "fd00::1", true},
		{"ip", "198.51.100.7", false}, // documentation: blocking it harms nobody
		{"ip", "45.77.1.2", false},
		{"ip", "not an address", false},
		{"domain", "Google.com.", true},
		{"domain", "evil.sites.google.com", false},
		{"domain", "nl", true},
		{"url", "https://www.microsoft.com/", true},
		{"url", "http://10.0.0.1", true},
		{"url", "https://www.microsoft.com/x", false},
		{"hash", "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", true},
		{"hash", "9e107d9d372bb6826bd81d3542a419d6", false},
	} {
		m, ok := Check(tc.kind, tc.value)
		if ok != tc.listed || ok && (m.List == "" || m.Reason == "") {
			t.Errorf("Check(%s, %s) = %+v, %v; want listed %v", tc.kind, tc.value, m, ok, tc.listed)
		}
	}
}

func TestTooBroad(t *testing.T) {
	for v, want := range map[string]bool{
		"0.0.0.0/0": true, "::/0": true, "10.0.0.0/8": true, "45.0.0.0/15": true, "45.77.0.0/16": false,
		"2001:db8::/31": true, "2001:db8::/32": false, "198.51.100.7": false, "x": false,
	} {
		if got := TooBroad(v); got != want {
			t.Errorf("TooBroad(%s) = %v", v, got)
		}
	}
}
