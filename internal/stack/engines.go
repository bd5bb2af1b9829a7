package stack

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Scale-out settings (docs/stack.md, "Several engines and a read replica").
const (
	// EnvReplicas is the default of `up --api-replicas` (and compose's
	// number of postgrest replicas).
	EnvReplicas = "POSTGREST_REPLICAS"
	// EnvReplicaPGPort is the standby's port (default STACK_PG_PORT+1).
	EnvReplicaPGPort = "STACK_PG_REPLICA_PORT"
	// MaxAPIReplicas bounds --api-replicas: each engine holds up to
	// PGRST_DB_POOL (10) connections of PostgreSQL's max_connections (100).
	MaxAPIReplicas = 8
	// MaxPGReplicas: one standby natively; more belong to an operator
	// (CloudNativePG, deploy/kubernetes).
	MaxPGReplicas = 1

	CompPGReplica = "pg-replica" // the streaming standby
	CompAPIRead   = "api-read"   // the engine on the standby
)

// Engine is one API engine of the native stack. Every engine listens on
// the same two ports (POSTGREST_PORT, POSTGREST_ADMIN_PORT), each on its
// own loopback address: Caddy's active health checks ask /ready on one
// health_port for every upstream, as compose replicas and Kubernetes pods
// share their ports on distinct addresses. Linux routes all of
// 127.0.0.0/8 to the loopback interface.
type Engine struct {
	Name            string // component name: api, api-2, ..., api-read
	Host            string // 127.0.0.<n>
	Port, AdminPort int
	// Reads: connected to the standby, for GET and HEAD on /rest/*.
	Reads bool
}

// Addr is the engine's API address, host:port.
func (e Engine) Addr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.Port)) }

// AdminAddr is its admin server's address (/live, /ready).
func (e Engine) AdminAddr() string { return net.JoinHostPort(e.Host, strconv.Itoa(e.AdminPort)) }

// engineHost is the loopback address of the i-th engine (from 1).
func engineHost(i int) string { return "127.0.0." + strconv.Itoa(i) }

// Engines lists the API engines in start order: the primary's (api, api-2,
// ... on 127.0.0.1, .2, ...), then, with a standby, the read engine.
func (c *Config) Engines() []Engine {
	n := max(c.APIReplicas, 1)
	out := make([]Engine, 0, n+c.PGReplicas)
	for i := 1; i <= n; i++ {
		name := CompAPI
		if i > 1 {
			name = fmt.Sprintf("%s-%d", CompAPI, i)
		}
		out = append(out, Engine{Name: name, Host: engineHost(i), Port: c.APIPort, AdminPort: c.AdminPort})
	}
	if c.PGReplicas > 0 {
		out = append(out, Engine{Name: CompAPIRead, Host: engineHost(n + 1), Port: c.APIPort, AdminPort: c.AdminPort, Reads: true})
	}
	return out
}

// DefaultAPIReplicas is --api-replicas when not given: POSTGREST_REPLICAS
// from .env or the environment, else 1.
func DefaultAPIReplicas() (int, error) {
	v := strings.TrimSpace(os.Getenv(EnvReplicas))
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxAPIReplicas {
		return 0, &ConfigError{Var: EnvReplicas, Problem: fmt.Sprintf("is %q, not a number of API engines from 1 to %d", v, MaxAPIReplicas),
			Fix: "set it to a whole number from 1 to 8 in .env, or delete the line (default 1)"}
	}
	return n, nil
}

// SetScale sets --api-replicas and --pg-replicas, checked.
func (c *Config) SetScale(api, pg int) error {
	if api < 1 || api > MaxAPIReplicas {
		return fmt.Errorf("--api-replicas %d: run from 1 to %d engines (each holds up to PGRST_DB_POOL=10 of PostgreSQL's 100 connections)", api, MaxAPIReplicas)
	}
	if pg < 0 || pg > MaxPGReplicas {
		return fmt.Errorf("--pg-replicas %d: the native stack runs 0 or 1 standby; more replicas belong to a PostgreSQL operator (deploy/kubernetes, CloudNativePG)", pg)
	}
	c.APIReplicas, c.PGReplicas = api, pg
	if pg > 0 {
		for _, p := range []struct {
			port int
			name string
		}{{c.PGPort, EnvPGPort}, {c.APIPort, EnvAPIPort}, {c.AdminPort, EnvAdminPort}, {c.HTTPPort, EnvHTTPPort}} {
			if p.port == c.ReplicaPGPort {
				return &ConfigError{Var: EnvReplicaPGPort, Problem: fmt.Sprintf("is %d, the same port as %s", c.ReplicaPGPort, p.name),
					Fix: "give the standby its own port in .env (default STACK_PG_PORT+1)"}
			}
		}
	}
	return nil
}

// replicaPortVar reads STACK_PG_REPLICA_PORT (default the primary's + 1).
func replicaPortVar(pgPort int) (int, error) {
	def := pgPort + 1
	if def > 65535 {
		def = pgPort - 1
	}
	return portVar(EnvReplicaPGPort, def)
}

// EngineEnv is the environment of one engine: PostgrestEnv on the engine's
// address; a read engine connects to the standby and does not LISTEN
// (PostgreSQL refuses LISTEN during recovery, and a NOTIFY on the primary
// never reaches a standby: its schema cache is reloaded by a restart or
// SIGUSR1).
func (c *Config) EngineEnv(e Engine) map[string]string {
	env := c.PostgrestEnv()
	env["PGRST_SERVER_HOST"] = e.Host
	env["PGRST_ADMIN_SERVER_HOST"] = e.Host
	env["PGRST_SERVER_PORT"] = strconv.Itoa(e.Port)
	env["PGRST_ADMIN_SERVER_PORT"] = strconv.Itoa(e.AdminPort)
	if e.Reads {
		env["PGRST_DB_URI"] = pgURL("authenticator", c.AuthenticatorPassword, c.ReplicaPGPort, c.DBName)
		env["PGRST_DB_CHANNEL_ENABLED"] = "false"
	}
	return env
}

// engineUpstreams are the Caddyfile's engine lists (docs/gateway.md).
func (c *Config) engineUpstreams(env map[string]string) {
	var api, admin, reads []string
	for _, e := range c.Engines() {
		if e.Reads {
			reads = append(reads, e.Addr())
			continue
		}
		api = append(api, e.Addr())
		admin = append(admin, e.AdminAddr())
	}
	env["POSTGREST_DISCOVERY"] = "static"
	env["POSTGREST_UPSTREAM"] = strings.Join(api, " ")
	env["POSTGREST_ADMIN_UPSTREAM"] = strings.Join(admin, " ")
	env["POSTGREST_PORT"] = strconv.Itoa(c.APIPort)
	env["POSTGREST_ADMIN_PORT"] = strconv.Itoa(c.AdminPort)
	env["POSTGREST_READS"] = "primary"
	env["POSTGREST_READ_UPSTREAM"] = ""
	if len(reads) > 0 {
		env["POSTGREST_READS"] = "replica"
		env["POSTGREST_READ_UPSTREAM"] = strings.Join(reads, " ")
	}
}

// CheckPorts fails with a *PortError naming the first port of the stack
// that another program already uses.
func (c *Config) CheckPorts() error {
	type check struct {
		host      string
		port      int
		v, compon string
	}
	checks := []check{
		{"127.0.0.1", c.PGPort, EnvPGPort, "PostgreSQL"},
		{"127.0.0.1", c.HTTPPort, EnvHTTPPort, "Caddy"},
	}
	if c.PGReplicas > 0 {
		checks = append(checks, check{"127.0.0.1", c.ReplicaPGPort, EnvReplicaPGPort, "the PostgreSQL standby"})
	}
	for _, e := range c.Engines() {
		checks = append(checks, check{e.Host, e.Port, EnvAPIPort, "API engine " + e.Name},
			check{e.Host, e.AdminPort, EnvAdminPort, "the admin server of API engine " + e.Name})
	}
	for _, p := range checks {
		if err := CheckPortFreeOn(p.host, p.port, p.v, p.compon); err != nil {
			return err
		}
	}
	return nil
}

// NotLocalError is a loopback address this machine cannot bind.
type NotLocalError struct {
	Host string
	Err  error
}

func (e *NotLocalError) Error() string {
	return fmt.Sprintf("cannot listen on %s (%v): the native stack runs each extra API engine on its own loopback address, which Linux provides for all of 127.0.0.0/8; run with --api-replicas 1 here", e.Host, e.Err)
}

func bindFailure(host string, port int, varName, component string, err error) error {
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return &NotLocalError{Host: host, Err: err}
	}
	return &PortError{Host: host, Port: port, Var: varName, Component: component, Holder: portHolder(port), Err: err}
}
