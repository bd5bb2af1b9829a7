// Package postgrest is a PostgREST v16.2-compatible HTTP engine
// (docs/postgrest.md): JWT authentication, schema selection, RPC, table
// reads and writes with resource embedding, aggregates and media types,
// the OpenAPI root, the schema cache with NOTIFY/SIGUSR1 reload, an admin
// server with /live and /ready, and reconnection.
package postgrest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/authstack/authstack/internal/postgrest/apierr"
	"github.com/authstack/authstack/internal/postgrest/auth"
	"github.com/authstack/authstack/internal/postgrest/maintx"
	"github.com/authstack/authstack/internal/postgrest/schemacache"
)

// Server is one engine instance.
type Server struct {
	cfg    *Config // the configuration given to New (environment)
	live   atomic.Pointer[liveConfig]
	pool   *pgxpool.Pool
	cache  atomic.Pointer[schemacache.Cache]
	log    *log.Logger
	access *log.Logger // access log (stdout in stackctl postgrest, like PostgREST)
	level  int

	reloadCh chan struct{}
	// cacheTried is closed after the first schema cache load attempt.
	cacheTried     chan struct{}
	cacheTriedOnce sync.Once
	nextDelay      atomic.Int64 // seconds, for Retry-After on 503
	connLost       atomic.Bool
	listening      atomic.Bool
	listened       atomic.Bool  // LISTEN succeeded at least once
	loads          atomic.Int64 // successful schema cache loads
	connected      atomic.Bool  // logged "Successfully connected"
	// port actually bound (for OpenAPI host when port 0 is used).
	boundAddr atomic.Value
	wg        sync.WaitGroup
	// stmts names the statements prepared on each pooled connection.
	stmts *maintx.StmtCache
	// dbWarned are the in-database settings already warned about.
	dbWarned sync.Map
}

const (
	lvlCrit = iota
	lvlError
	lvlWarn
	lvlInfo
	lvlDebug
)

func levelOf(s string) int {
	switch s {
	case "crit":
		return lvlCrit
	case "warn":
		return lvlWarn
	case "info":
		return lvlInfo
	case "debug":
		return lvlDebug
	}
	return lvlError
}

// New creates a server; it does not connect yet (see Run or Connect).
func New(cfg *Config, logOut io.Writer) *Server {
	if logOut == nil {
		logOut = io.Discard
	}
	s := &Server{cfg: cfg, log: log.New(logOut, "", 0), access: log.New(logOut, "", 0), level: levelOf(cfg.LogLevel), reloadCh: make(chan struct{}, 1), cacheTried: make(chan struct{}), stmts: maintx.NewStmtCache()}
	s.setConfig(cfg)
	return s
}

// liveConfig is the configuration in effect (environment plus in-database
// settings) with its JWT verifier.
type liveConfig struct {
	cfg  *Config
	auth *auth.Authenticator
}

func (s *Server) setConfig(cfg *Config) {
	s.live.Store(&liveConfig{cfg: cfg, auth: auth.New(auth.Config{
		Secret: cfg.JWTSecret, Keys: cfg.JWTKeys, Audience: cfg.JWTAud, RoleClaim: cfg.RoleClaim(), AnonRole: cfg.DBAnonRole,
		CacheMaxEntries: cfg.JWTCacheMaxEntries,
	})})
}

// conf is the configuration in effect.
func (s *Server) conf() *Config { return s.live.Load().cfg }

// authn is the JWT verifier in effect.
func (s *Server) authn() *auth.Authenticator { return s.live.Load().auth }

func (s *Server) logf(level int, format string, args ...any) {
	if level > s.level {
		return
	}
	ts := time.Now().Format("02/Jan/2006:15:04:05 -0700")
	s.log.Printf("%s: %s", ts, fmt.Sprintf(format, args...))
}

// SetAccessLog sends the per-request log lines to w (PostgREST writes them
// to stdout and everything else to stderr).
func (s *Server) SetAccessLog(w io.Writer) { s.access = log.New(w, "", 0) }

// Authenticator exposes the JWT verifier (tests).
func (s *Server) Authenticator() *auth.Authenticator { return s.authn() }

// Pool is the connection pool (nil before Connect).
func (s *Server) Pool() *pgxpool.Pool { return s.pool }

// SchemaCache is the current snapshot (nil when not loaded).
func (s *Server) SchemaCache() *schemacache.Cache { return s.cache.Load() }

// Connect creates the pool. It does not wait for the database.
func (s *Server) Connect(ctx context.Context) error {
	pc, err := pgxpool.ParseConfig(s.cfg.DBURI)
	if err != nil {
		return fmt.Errorf("db-uri: %w", redactErr(err))
	}
	pc.MaxConns = int32(s.cfg.DBPool)
	pc.MinConns = 0
	pc.MaxConnIdleTime = time.Duration(s.cfg.DBPoolMaxIdletime) * time.Second
	pc.MaxConnLifetime = time.Duration(s.cfg.DBPoolMaxLifetime) * time.Second
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		pc.ConnConfig.RuntimeParams["application_name"] = "PostgREST 16.2 (authstack engine)"
	}
	if !s.cfg.DBPreparedStatements {
		// Unnamed statements only: works behind PgBouncer in transaction mode.
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
		pc.ConnConfig.StatementCacheCapacity = 0
		pc.ConnConfig.DescriptionCacheCapacity = 0
	}
	pc.BeforeClose = func(c *pgx.Conn) { s.stmts.Forget(c.PgConn()) }
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return redactErr(err)
	}
	s.pool = pool
	s.logf(lvlCrit, "Connection Pool initialized with a maximum size of %d connections", s.cfg.DBPool)
	return nil
}

// redactErr strips nothing secret by itself but keeps pgx's parse errors
// (which may echo the URI) out of logs.
func redactErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// querySchemaCache reads the catalog in one transaction whose search_path
// is voided, as PostgREST's querySchemaCache (set local schema to "",
// SchemaCache.hs:144@v16.2): every type outside pg_catalog is printed with
// its schema (T:OpenApi/OpenApiSpec.hs:718@v16.2 `test.enum_menagerie_type`),
// whatever the authenticator's own search_path.
func (s *Server) querySchemaCache(ctx context.Context) (*schemacache.Cache, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, "set local schema ''"); err != nil {
		return nil, err
	}
	sc, err := schemacache.Load(ctx, uncached{tx}, s.conf().DBSchemas, s.conf().DBExtraSearchPath)
	if err != nil {
		return nil, err
	}
	return sc, tx.Commit(ctx)
}

// LoadSchemaCache (re)reads the catalog and, with db-config on, the
// authenticator's pgrst.* settings.
func (s *Server) LoadSchemaCache(ctx context.Context) error {
	if s.pool == nil {
		return errors.New("not connected")
	}
	if s.cfg.DBConfig {
		if err := s.loadDBConfig(ctx); err != nil {
			return err
		}
	}
	start := time.Now()
	sc, err := s.querySchemaCache(ctx)
	if err != nil {
		return err
	}
	s.cache.Store(sc)
	s.stmts.Invalidate()
	s.loads.Add(1)
	s.connLost.Store(false)
	if !s.connected.Swap(true) {
		var version string
		if err := (uncached{s.pool}).QueryRow(ctx, "select version()").Scan(&version); err == nil {
			s.logf(lvlCrit, "Successfully connected to %s", version)
		}
	}
	n := 0
	for _, m := range sc.Tables {
		n += len(m)
	}
	f := 0
	for _, m := range sc.Functions {
		f += len(m)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	s.logf(lvlCrit, "Schema cache queried in %.1f milliseconds ", ms)
	s.logf(lvlCrit, "Schema cache loaded %d Relations, %d Relationships, %d Functions, %d Domain Representations, %d Media Type Handlers, %d Timezones", n, len(sc.Relationships), f,
		sc.RepresentationCount(), sc.MediaHandlerCount(), len(sc.Timezones))
	s.logf(lvlCrit, "Schema cache loaded in %.1f milliseconds", float64(time.Since(start).Microseconds())/1000)
	return nil
}

// jsonMessage renders an error like PostgREST's log lines: the JSON error
// body.
func jsonMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return string(apierr.FromPg(pe, true).Body())
	}
	return string(apierr.ConnectFailure(err).Body())
}

// Listening reports whether the LISTEN connection has been set up at least
// once.
func (s *Server) Listening() bool { return s.listened.Load() }

// Loads counts the successful schema cache loads (tests wait on it).
func (s *Server) Loads() int64 { return s.loads.Load() }

// Reload asks the background worker to reload the schema cache.
func (s *Server) Reload() {
	select {
	case s.reloadCh <- struct{}{}:
	default:
	}
}

// connectionLost marks the database as unreachable and wakes the worker.
func (s *Server) connectionLost() {
	if s.connLost.CompareAndSwap(false, true) {
		s.logf(lvlCrit, "Database connection lost. Retrying the connection.")
		// Drop the other pooled connections: after a server restart they
		// are all dead (PostgREST flushes its pool too).
		if s.pool != nil {
			s.pool.Reset()
			s.logf(lvlDebug, "Database connection pool flushed")
		}
	}
	s.Reload()
}

// worker keeps the schema cache loaded: initial load with backoff, reload on
// request, and re-load after a lost connection.
func (s *Server) worker(ctx context.Context) {
	backoff := time.Second
	for {
		err := s.LoadSchemaCache(ctx)
		s.cacheTriedOnce.Do(func() { close(s.cacheTried) })
		if err == nil {
			backoff = time.Second
			s.nextDelay.Store(0)
			select {
			case <-ctx.Done():
				return
			case <-s.reloadCh:
				continue
			}
		}
		if ctx.Err() != nil {
			return
		}
		s.logf(lvlCrit, "Failed to load the schema cache using db-schemas=%s and db-extra-search-path=%s. %s",
			strings.Join(s.conf().DBSchemas, ","), strings.Join(s.conf().DBExtraSearchPath, ","), jsonMessage(err))
		s.logf(lvlCrit, "Attempting to reconnect to the database in %d seconds...", int(backoff/time.Second))
		s.nextDelay.Store(int64(backoff / time.Second))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		case <-s.reloadCh:
		}
		if backoff < 32*time.Second {
			backoff *= 2
		}
	}
}

// listener LISTENs on db-channel on a dedicated connection and reacts to
// 'reload schema' / 'reload config' (and an empty payload, as PostgREST).
// A failed LISTEN is retried with an exponential backoff capped at 32
// seconds, reset once listening again (AppState/Reload.hs retryingListen),
// so that a standby, where LISTEN is refused, costs a connection a half
// minute instead of one a second.
func (s *Server) listener(ctx context.Context) {
	delay := time.Second
	for ctx.Err() == nil {
		listened, err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			delay = time.Second
		}
		s.logf(lvlCrit, "Failed listening for database notifications on the %q channel. %v", s.cfg.DBChannel, err)
		s.logf(lvlCrit, "Retrying listening for database notifications in %d seconds...", int(delay/time.Second))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, 32*time.Second)
	}
}

func (s *Server) listenOnce(ctx context.Context) (listened bool, err error) {
	cc := s.pool.Config().ConnConfig.Copy()
	// target_session_attrs=read-write: with several hosts in db-uri the
	// listener goes to the primary (Config.hs addTargetSessionAttrs).
	cc.ValidateConnect = pgconn.ValidateConnectTargetSessionAttrsReadWrite
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "listen "+pgx.Identifier{s.cfg.DBChannel}.Sanitize()); err != nil {
		return false, err
	}
	var version string
	_ = conn.QueryRow(ctx, "select version()").Scan(&version)
	s.logf(lvlCrit, "Listener connected to %s on %q and listening for database notifications on the %q channel",
		version, conn.Config().Host+":"+strconv.Itoa(int(conn.Config().Port)), s.cfg.DBChannel)
	// A reconnect may have missed notifications: reload once.
	if s.listened.Swap(true) {
		s.Reload()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return true, err
			}
			s.connectionLost()
			return true, err
		}
		switch n.Payload {
		case "reload schema", "":
			s.logf(lvlCrit, "Received a schema cache reload message on the %q channel", s.cfg.DBChannel)
			s.Reload()
		case "reload config":
			s.logf(lvlCrit, "Received a config reload message on the %q channel", s.cfg.DBChannel)
			s.Reload()
		}
	}
}

// Start connects, starts the background workers and returns. The schema
// cache loads in the background; requests get 503 PGRST002 until then.
func (s *Server) Start(ctx context.Context) error {
	if s.pool == nil {
		if err := s.Connect(ctx); err != nil {
			return err
		}
	}
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.worker(ctx) }()
	if s.cfg.DBChannelEnabled {
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.listener(ctx) }()
	}
	return nil
}

// Wait blocks until the background workers stopped (after ctx is done).
func (s *Server) Wait() { s.wg.Wait() }

// Close closes the pool.
func (s *Server) Close() {
	if s.pool != nil {
		s.pool.Close()
	}
}

// WaitReady waits until the schema cache is loaded.
func (s *Server) WaitReady(ctx context.Context) error {
	for s.cache.Load() == nil {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// AdminHandler serves /live and /ready.
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/live", func(w http.ResponseWriter, r *http.Request) {
		if s.listening.Load() {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(500)
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if s.listening.Load() && s.cache.Load() != nil && !s.connLost.Load() {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(503)
	})
	return mux
}

// Run serves until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	addr := net.JoinHostPort(s.cfg.ListenHost(), strconv.Itoa(s.cfg.ServerPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var adminLn net.Listener
	if s.cfg.AdminServerPort != 0 {
		adminLn, err = net.Listen("tcp", net.JoinHostPort(s.cfg.ListenHost(), strconv.Itoa(s.cfg.AdminServerPort)))
		if err != nil {
			ln.Close()
			return err
		}
	}
	return s.Serve(ctx, ln, adminLn)
}

// Serve is Run on given listeners (adminLn may be nil).
func (s *Server) Serve(ctx context.Context, ln, adminLn net.Listener) error {
	s.logf(lvlCrit, "Starting PostgREST 16.2 (authstack engine)...")
	for _, w := range EnvWarnings(s.cfg.environ) {
		s.logf(lvlCrit, "%s", w)
	}
	if s.conf().RoleClaim().Deprecated {
		k := s.conf().JWTRoleClaimKey
		s.logf(lvlCrit, "WARNING: The config `jwt-role-claim-key=%s` is using the deprecated JSPath syntax.", k)
	}
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Start(bg); err != nil {
		return err
	}
	s.boundAddr.Store(ln.Addr().String())
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second, MaxHeaderBytes: httpMaxHeaderBytes}
	errc := make(chan error, 2)
	var admin *http.Server
	if adminLn != nil {
		admin = &http.Server{Handler: s.AdminHandler(), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: httpMaxHeaderBytes}
		go func() { errc <- admin.Serve(adminLn) }()
		s.logf(lvlCrit, "Admin server listening on %s", adminLn.Addr())
	}
	// The API is served once the first schema cache load has been tried,
	// loaded or failed (App.hs run@v16.2: waitForSchemaCacheInit before
	// the main socket), so that a request at startup is not answered 503
	// while the first load is still running.
	select {
	case <-s.cacheTried:
	case <-ctx.Done():
	}
	go func() { errc <- srv.Serve(ln) }()
	s.listening.Store(true)
	s.logf(lvlCrit, "API server listening on %s", ln.Addr())
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.listening.Store(false)
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	_ = srv.Shutdown(sctx)
	if admin != nil {
		_ = admin.Shutdown(sctx)
	}
	cancel()
	s.Wait()
	s.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
