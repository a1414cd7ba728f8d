package stix

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"mosaic"
)

// TestNumberRange: I-JSON (RFC 7493 §2.2) numbers only, wherever they are.
func TestNumberRange(t *testing.T) {
	const beyond, tiny = "beyond the range of an IEEE 754 double (I-JSON, RFC 7493 §2.2)", "too small for an IEEE 754 double"
	tests := []struct {
		name, key, value string
		want             []wantProblem // nil: accepted
	}{
		{"overflow", "x_big", `1e999999`, []wantProblem{{indicatorID, "x_big", "1e999999 is " + beyond}}},
		{"negative overflow", "x_big", `-1.8E+308`, []wantProblem{{indicatorID, "x_big", "-1.8E+308 is " + beyond}}},
		{"nested", "x_nested", `{"a":[1,{"b":2.5e400}]}`, []wantProblem{{indicatorID, "x_nested.a[1].b", "2.5e400 is " + beyond}}},
		{"underflow", "x_small", `1e-400`, []wantProblem{{indicatorID, "x_small", "1e-400 is " + tiny}}},
		{"underflow with digits", "x_small", `[-0.000123e-330]`, []wantProblem{{indicatorID, "x_small[0]", "-0.000123e-330 is " + tiny}}},
		{"long integer", "x_long", strings.Repeat("9", 400), []wantProblem{{indicatorID, "x_long", strings.Repeat("9", 39) + "… is " + beyond}}},
		{"long fraction", "x_long", "0." + strings.Repeat("0", 400) + "1", []wantProblem{{indicatorID, "x_long", tiny}}},
		{"STIX integer property", "confidence", `1e400`, []wantProblem{{indicatorID, "confidence", beyond}}},
		{"two in one object", "x_two", `[1e400,1e-400]`, []wantProblem{{indicatorID, "x_two[0]", beyond}, {indicatorID, "x_two[1]", tiny}}},

		{"largest double", "x_n", `1.7976931348623157e308`, nil},
		{"smallest subnormal", "x_n", `4.9406564584124654e-324`, nil},
		{"zero with a huge exponent", "x_n", `[0e999999,-0.000E-999999,0]`, nil},
		{"long integer within range", "x_n", strings.Repeat("9", 300), nil},
		{"plain numbers", "x_n", `[1.5e3,-0,12345678901234567890,2E-5,1e308]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := set(indicator, tt.key, tt.value)
			_, err := DecodeBundle(bundleOf(obj), Limits{})
			_, probs := DecodeObject([]byte(obj), Limits{})
			if tt.want == nil {
				if err != nil || len(probs) > 0 {
					t.Fatalf("refused: %v %v", err, probs)
				}
				return
			}
			var e *mosaic.Error
			if !errors.As(err, &e) || e.Code != mosaic.CodeInvalid {
				t.Fatalf("DecodeBundle: %v", err)
			}
			checkProblems(t, e.Problems, tt.want)
			checkProblems(t, probs, tt.want)
		})
	}
	// The bundle's own properties too.
	_, err := DecodeBundle([]byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","x_n":-1e400,"objects":[`+indicator+`]}`), Limits{})
	var e *mosaic.Error
	if !errors.As(err, &e) {
		t.Fatalf("bundle property: %v", err)
	}
	checkProblems(t, e.Problems, []wantProblem{{"", "x_n", "-1e400 is " + beyond}})
}

// finiteNumbers reports the first number in v that a double cannot hold.
func finiteNumbers(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		if f, err := v.Float64(); err != nil || f == 0 && strings.ContainsAny(strings.SplitN(strings.ToLower(string(v)), "e", 2)[0], "123456789") {
			return string(v), false
		}
	case []any:
		for _, e := range v {
			if n, ok := finiteNumbers(e); !ok {
				return n, false
			}
		}
	case map[string]any:
		for _, e := range v {
			if n, ok := finiteNumbers(e); !ok {
				return n, false
			}
		}
	}
	return "", true
}
