package correlation

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestObservablesAndShared(t *testing.T) {
	ind := `{"type":"indicator","id":"indicator--1","pattern":"[ipv4-addr:value = '198.51.100.7'] OR [domain-name:value = 'Evil.Example.com']","pattern_type":"stix"}`
	obs := Observables([]byte(ind))
	if len(obs) < 2 {
		t.Fatalf("Observables = %v, want the address and the domain", obs)
	}
	ip := `{"type":"ipv4-addr","id":"ipv4-addr--2","value":"198.51.100.7"}`
	if got := Shared(obs, []byte(ip)); len(got) != 1 || !strings.Contains(got[0], "198.51.100.7") {
		t.Errorf("Shared with the address = %v", got)
	}
	other := `{"type":"ipv4-addr","id":"ipv4-addr--3","value":"203.0.113.9"}`
	if got := Shared(obs, []byte(other)); got != nil {
		t.Errorf("Shared with another address = %v, want none", got)
	}
	if got := Observables([]byte("not json")); got != nil {
		t.Errorf("Observables of garbage = %v", got)
	}
}

func TestObservablesAreBounded(t *testing.T) {
	var parts []string
	for i := range MaxTerms + 50 {
		parts = append(parts, fmt.Sprintf("[ipv4-addr:value = '10.0.%d.%d']", i/256, i%256))
	}
	ind := `{"type":"indicator","id":"indicator--1","pattern":"` + strings.Join(parts, " OR ") + `","pattern_type":"stix"}`
	obs := Observables([]byte(ind))
	if len(obs) != MaxTerms {
		t.Fatalf("%d observables, want the first %d", len(obs), MaxTerms)
	}
	if all := Observables([]byte(ind[:len(ind)-1] + `,"name":"x"}`)); !slices.Equal(all, obs) {
		t.Errorf("the bound does not keep the same first terms")
	}
}
