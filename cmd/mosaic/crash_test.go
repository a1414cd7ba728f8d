package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"mosaic"
	"mosaic/credential"
	"mosaic/sqlite"
	"mosaic/storetest"
)

// buildBinary builds the mosaic command once per test binary.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "mosaic-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "mosaic")
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(gobin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

var servingURL = regexp.MustCompile(`url=(http://\S+)`)

// startProcess runs mosaic serve on dir and returns it with its URL.
func startProcess(t *testing.T, bin, dir string) (*exec.Cmd, string) {
	return startProcessB(t, bin, dir)
}

func startProcessB(t testing.TB, bin, dir string, flags ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, flags...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := servingURL.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	select {
	case u := <-found:
		return cmd, u
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("server did not start")
	}
	return nil, ""
}

// TestKillDuringImport kills a real server process with SIGKILL while
// clients import, again and again, and then checks the store: every
// acknowledged bundle is there in full, and no bundle is there in part.
func TestKillDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a server process")
	}
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mosaic.AuditEntry{Action: "setup"}
	if err := s.CreateOrg(ctx, &mosaic.Organisation{Name: "pa", FullName: "A", Kind: mosaic.Partner, LegalRegime: "wbni"}, a); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &mosaic.User{Name: "alice", Org: "pa", Role: mosaic.Analyst}, "", a); err != nil {
		t.Fatal(err)
	}
	token, hash := credential.NewToken()
	if _, err := s.CreateToken(ctx, "alice", hash, "", time.Now().Add(time.Hour), false, a); err != nil {
		t.Fatal(err)
	}
	s.Close()

	const perBundle = 1500
	bundleOf := func(n int) []byte {
		var b bytes.Buffer
		fmt.Fprintf(&b, `{"type":"bundle","id":"bundle--%s","objects":[`, storetest.UUID(n))
		for i := range perBundle {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-%04x-4000-8000-000000000000","created":"2026-10-01T00:00:00.000Z","modified":"2026-10-01T00:00:00.000Z","name":"bundle %d object %d","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-10-01T00:00:00Z"}`,
				n, i, n, i, n%250, i/250, i%250)
		}
		b.WriteString("]}")
		return b.Bytes()
	}
	var mu sync.Mutex
	acked := map[int]bool{}
	attempted := 0
	rng := rand.New(rand.NewPCG(1, 2))
	rounds := 6
	for round := range rounds {
		cmd, base := startProcess(t, bin, dir)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					mu.Lock()
					attempted++
					n := attempted
					mu.Unlock()
					req, _ := http.NewRequest("POST", base+"/api/v1/bundles?audience=cell", bytes.NewReader(bundleOf(n)))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						return // the server is gone
					}
					resp.Body.Close()
					if resp.StatusCode == 201 {
						mu.Lock()
						acked[n] = true
						mu.Unlock()
					} else if resp.StatusCode != 503 {
						t.Errorf("round %d worker %d: bundle %d: status %d", round, w, n, resp.StatusCode)
						return
					}
				}
			}()
		}
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		close(stop)
		wg.Wait()
	}

	s, err = sqlite.Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("reopen after kills: %v", err)
	}
	defer s.Close()
	var check string
	if err := s.DB().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	full, partial := 0, 0
	for n := 1; n <= attempted; n++ {
		var count int
		prefix := fmt.Sprintf("indicator--%08x-", n)
		if err := s.DB().QueryRow(`SELECT COUNT(*) FROM records WHERE stix_id >= ? AND stix_id < ?`, prefix, prefix+"~").Scan(&count); err != nil {
			t.Fatal(err)
		}
		switch {
		case count == perBundle:
			full++
		case count != 0:
			partial++
			t.Errorf("bundle %d is stored in part: %d of %d objects", n, count, perBundle)
		case acked[n]:
			t.Errorf("bundle %d was acknowledged but is not stored", n)
		}
	}
	var texts int
	s.DB().QueryRow(`SELECT COUNT(*) FROM record_text`).Scan(&texts)
	if texts != full*perBundle {
		t.Errorf("text index has %d rows for %d stored records", texts, full*perBundle)
	}
	t.Logf("%d kills; %d bundles attempted, %d acknowledged, %d stored whole, %d in part", rounds, attempted, len(acked), full, partial)
	if len(acked) == 0 {
		t.Error("no bundle was acknowledged: the test proved nothing")
	}
}
