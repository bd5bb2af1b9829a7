package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/authstack/authstack/internal/pgserver"
	"github.com/authstack/authstack/internal/stack"
)

// addTask writes a task through Caddy (a POST: the primary's engines).
func addTask(t *testing.T, client *http.Client, base, cookie, title string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/rest/task", strings.NewReader(fmt.Sprintf(`{"title": %q}`, title)))
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Content-Type", "application/json")
	if what, ok := do(client, req, http.StatusCreated); !ok {
		t.Fatalf("POST /rest/task: %s", what)
	}
}

// hasTask reads the task through Caddy (a GET: the read engine, or the
// primary's while the standby is down); an error is a failed read.
func hasTask(client *http.Client, base, cookie, title string) (bool, error) {
	req, _ := http.NewRequest(http.MethodGet, base+"/rest/task?select=title&title=eq."+url.QueryEscape(title), nil)
	req.Header.Set("Cookie", cookie)
	res, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	var rows []map[string]any
	if res.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET: %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&rows); err != nil {
		return false, err
	}
	return len(rows) == 1, nil
}

// readLag writes a row on the primary and polls until a read through
// Caddy returns it: the time the write took to reach the reads.
func readLag(t *testing.T, client *http.Client, base, cookie, title string) time.Duration {
	t.Helper()
	addTask(t, client, base, cookie, title)
	t0 := time.Now()
	for {
		ok, err := hasTask(client, base, cookie, title)
		if err != nil {
			t.Fatalf("read of %q: %v", title, err)
		}
		if ok {
			return time.Since(t0)
		}
		if time.Since(t0) > 30*time.Second {
			t.Fatalf("%q written on the primary was not read through the replica within 30 s", title)
		}
		time.Sleep(time.Millisecond)
	}
}

// `up --pg-replicas 1`: a streaming standby with an engine on it serves
// the reads; a row written on the primary is read back through it within a
// bounded lag (measured); with the standby killed no read fails, and a row
// written meanwhile is read (from the primary); the standby comes back and
// serves the reads again.
func TestReadReplica(t *testing.T) {
	p := newProject(t)
	replicaPort, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	p.env = append(p.env, "STACK_PG_REPLICA_PORT="+strconv.Itoa(replicaPort), "PGRST_LOG_LEVEL=info")
	p.mustRun(4*time.Minute, "up", "--detach", "--pg-replicas", "1")
	s, code := p.status()
	for _, name := range []string{"pg", "pg-replica", "api", "api-read", "caddy"} {
		if pid, healthy, _, _, _ := s.comp(name); pid == 0 || !healthy {
			t.Fatalf("%s: pid %d healthy %v (status exit %d)", name, pid, healthy, code)
		}
	}
	ctx := context.Background()
	standby, err := pgx.Connect(ctx, fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/app?sslmode=disable", url.QueryEscape(p.envValue("POSTGRES_PASSWORD")), replicaPort))
	if err != nil {
		t.Fatal(err)
	}
	var recovering bool
	if err := standby.QueryRow(ctx, "select pg_is_in_recovery()").Scan(&recovering); err != nil || !recovering {
		t.Fatalf("the standby is not in recovery: %v %v", recovering, err)
	}
	standby.Close(ctx)

	client := &http.Client{Timeout: time.Minute}
	cookie := demoCookie(t, p.base())
	readLog, primaryLog := filepath.Join(p.stateDir(), "logs", "api-read.log"), filepath.Join(p.stateDir(), "logs", "api.log")
	var lags []time.Duration
	for i := 0; i < 20; i++ {
		lags = append(lags, readLag(t, client, p.base(), cookie, fmt.Sprintf("lag probe %d", i)))
	}
	slices.Sort(lags)
	if n := servedSinceStart(t, primaryLog); n != 0 {
		t.Errorf("the primary's engine served %d GETs while the standby was up", n)
	}
	if servedSinceStart(t, readLog) == 0 {
		t.Fatal("the read engine served no GET")
	}
	// the primary's own view: commit to replay on the standby, last ack
	replay, err := p.superSQL("select coalesce(max(replay_lag)::text, 'none') from pg_stat_replication")
	if err != nil {
		t.Error(err)
	}
	t.Logf("write on the primary -> read through Caddy and the standby: min %v, median %v, max %v (20 rows); pg_stat_replication.replay_lag %s",
		lags[0], lags[len(lags)/2], lags[len(lags)-1], replay)

	// the standby dies: reads keep working, from the primary's engines
	standbyDies(t, p, client, cookie)
	if ok, err := hasTask(client, p.base(), cookie, "written while the standby was down"); err != nil || !ok {
		t.Errorf("the standby did not catch up with the row written while it was down: %v %v", ok, err)
	}
	// down stops the standby and its engine too
	st := p.state()
	p.mustRun(2*time.Minute, "down")
	p.assertGone(st)
	if err := stack.CheckPortFree(replicaPort, "STACK_PG_REPLICA_PORT", "test"); err != nil {
		t.Errorf("the standby's port after down: %v", err)
	}
}

// standbyDies SIGKILLs the standby while a client reads through Caddy in
// a loop, until the standby is back and the read engine serves again: no
// read may fail; a row written meanwhile is read at once.
func standbyDies(t *testing.T, p *project, client *http.Client, cookie string) {
	t.Helper()
	readLog := filepath.Join(p.stateDir(), "logs", "api-read.log")
	pgReplica := p.state().Component("pg-replica")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var mu sync.Mutex
	var reads int
	var failed []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := hasTask(client, p.base(), cookie, "lag probe 0")
			mu.Lock()
			reads++
			if err != nil {
				failed = append(failed, err.Error())
			}
			mu.Unlock()
		}
	}()
	time.Sleep(time.Second)
	if err := syscall.Kill(pgReplica.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	addTask(t, client, p.base(), cookie, "written while the standby was down")
	if ok, err := hasTask(client, p.base(), cookie, "written while the standby was down"); err != nil {
		t.Errorf("read with the standby down: %v", err)
	} else if !ok {
		t.Log("the standby was back before the read: the read did not test the fallback")
	}
	eventually(t, "the standby restarted", func() bool {
		s, _ := p.status()
		pid, healthy, restarts, _, _ := s.comp("pg-replica")
		return pid != pgReplica.PID && healthy && restarts == 1
	})
	before := servedSinceStart(t, readLog)
	eventually(t, "the read engine serves reads again", func() bool {
		// the engine reconnects with PostgREST's backoff (up to 32 s)
		return servedSinceStart(t, readLog) > before
	})
	close(stop)
	wg.Wait()
	if len(failed) != 0 {
		t.Errorf("%d of %d reads failed around the standby's death: %v", len(failed), reads, failed)
	}
	t.Logf("%d reads while the standby was killed and came back, %d failed", reads, len(failed))
}
