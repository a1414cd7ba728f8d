package web

import "testing"

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/":                                     "/",
		"/objects?type=indicator":               "/objects?type=indicator",
		"/objects/indicator--1?q=a b&x=\"<y>\"": "/objects/indicator--1?q=a%20b&x=%22%3Cy%3E%22",
		"/sectors/health care":                  "/sectors/health%20care",
		"/a#frag":                               "/a",
	} {
		if got, ok := localPath(in); !ok || got != want {
			t.Errorf("localPath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", "objects", "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\t\\evil.example",
		"/\n/evil.example", "/\r/evil.example", "/\x00/x", "/\x7f/x", "/\u0085/evil.example", "/a\\b",
		"https://evil.example/", "/%zz", "\t//evil.example", " /x",
	} {
		if got, ok := localPath(in); ok {
			t.Errorf("localPath(%q) = %q, want refused", in, got)
		}
	}
}
