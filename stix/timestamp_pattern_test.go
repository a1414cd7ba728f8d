package stix

import (
	"strings"
	"testing"

	"mosaic/pattern"
)

// TestTimestampsAgreeWithPatterns runs timestamps through TimeKey, which
// objects' timestamps go through, and through a t'...' constant of a STIX
// pattern: an indicator whose valid_from an object may hold must be able to
// say START t'valid_from' in its pattern, and the reverse, so both must
// accept or both refuse each one, for the same reason.
func TestTimestampsAgreeWithPatterns(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2016-12-31T23:59:60Z", true},
		{"2015-06-30T23:59:60Z", true},
		{"2016-12-31T23:59:60.999Z", true},
		{"2016-02-29T23:59:60Z", true},
		{"2016-06-15T23:59:60Z", false},
		{"2016-12-31T23:58:60Z", false},
		{"2016-12-31T00:59:60Z", false},
		{"2015-02-28T23:59:60Z", true},
		{"2016-02-28T23:59:60Z", false},
		{"2016-12-31T23:59:61Z", false},
		{"0000-01-01T00:00:00Z", false},
		{"0001-01-01T00:00:00Z", true},
		{"9999-12-31T23:59:59.999999999Z", true},
		{"2016-02-29T00:00:00Z", true},
		{"2000-02-29T00:00:00Z", true},
		{"2015-02-29T00:00:00Z", false},
		{"1900-02-29T00:00:00Z", false},
		{"2016-04-31T00:00:00Z", false},
		{"2016-13-01T00:00:00Z", false},
		{"2016-01-00T00:00:00Z", false},
		{"2016-01-01T24:00:00Z", false},
		{"2016-01-01T23:60:00Z", false},
		{"2016-01-01t00:00:00Z", false},
		{"2016-01-01T00:00:00z", false},
		{"2016-01-01T00:00:00", false},
		{"2016-01-01T00:00:00.5", false},
		{"2016-01-01T00:00:00+00:00", false},
		{"2016-01-01 00:00:00Z", false},
		{"2016-01-01", false},
		{"", false},
		{"2016-01-01T00:00:00.5Z", true},
		{"2016-01-01T00:00:00.000Z", true},
		{"2016-01-01T00:00:00.123456789012Z", true},
		{"2016-01-01T00:00:00.Z", false},
		{"2016-01-01T00:00:00,5Z", false},
		{"2016-01-01T00:00:00.5xZ", false},
		{"+2016-01-01T00:00:00Z", false},
		{"16-01-01T00:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, keyErr := TimeKey(tt.in)
			_, patErr := pattern.Parse("[file:created = t'" + tt.in + "']")
			if (keyErr == nil) != tt.ok || (patErr == nil) != tt.ok {
				t.Fatalf("want ok %v; TimeKey: %v; pattern: %v", tt.ok, keyErr, patErr)
			}
			if tt.ok {
				return
			}
			reason := pattern.TimestampReason(tt.in)
			if reason == "" || !strings.HasSuffix(keyErr.Error(), ": "+reason) || !strings.HasSuffix(patErr.Error(), ": "+reason) {
				t.Errorf("reasons differ: TimeKey: %v; pattern: %v", keyErr, patErr)
			}
		})
	}
}
