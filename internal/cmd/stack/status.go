package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/stack"
)

// statusReport is `status -o json`: the same keys whether or not a stack
// runs (docs/json-output.md); ok is true exactly when the exit status is 0.
type statusReport struct {
	OK            bool               `json:"ok"`
	Error         *string            `json:"error"`
	Running       bool               `json:"running"`
	Healthy       bool               `json:"healthy"`
	Status        string             `json:"status"`
	SupervisorPID int                `json:"supervisor_pid"`
	URL           string             `json:"url"`
	Detached      bool               `json:"detached"`
	Restart       string             `json:"restart"`
	APIReplicas   int                `json:"api_replicas"`
	PGReplicas    int                `json:"pg_replicas"`
	Components    []stack.Health     `json:"components"`
	Secret        *stack.SecretCheck `json:"secret"`
	StrayPostgres *strayReport       `json:"stray_postgres"`
	LastError     *string            `json:"last_error"`
}

type strayReport struct {
	PID     int    `json:"pid"`
	Port    int    `json:"port"`
	DataDir string `json:"data_dir"`
}

func newStatus(f *cmdutil.Factory) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each component of the native stack: pid, port, health, restarts (exit 3 when not running)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckOutput(output); err != nil {
				return err
			}
			rep, err := statusOf(cmd.Context(), f)
			if output == "json" {
				rep.OK, rep.Error = err == nil, cmdutil.ErrString(err)
				if werr := cmdutil.WriteJSON(f.Out, rep); werr != nil {
					return werr
				}
				return cmdutil.JSONExit(err)
			}
			return printStatusText(f, rep, err)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

var (
	errNotRunning = &cmdutil.ExitError{Code: 3, Err: errors.New("no stack is running (start it with `stackctl up`)")}
	errUnhealthy  = errors.New("the stack is not healthy")
)

// statusOf gathers what status reports; the error is why it exits non-zero
// (errNotRunning: 3, otherwise 1).
func statusOf(ctx context.Context, f *cmdutil.Factory) (*statusReport, error) {
	rep := &statusReport{Components: []stack.Health{}}
	c, err := loadConfig(f)
	if err != nil {
		return rep, envError(f, err)
	}
	st, err := stack.ReadState(c.StateDir)
	if err != nil {
		return rep, err
	}
	if st == nil || !stack.Running(c.StateDir) {
		if stray := stack.StrayPostgres(c.StateDir); stray != nil {
			rep.StrayPostgres = &strayReport{PID: stray.PID, Port: stray.Port, DataDir: stack.DataDir(c.StateDir)}
		}
		if last := lastError(stack.LogPath(c.StateDir, "stack")); last != "" {
			rep.LastError = &last
		}
		return rep, errNotRunning
	}
	if ctx == nil {
		ctx = context.Background()
	}
	hs := stack.Check(st)
	sc := stack.CheckSecret(ctx, st, c.JWTSecret, c.DatabaseURL())
	rep.Running, rep.Status, rep.SupervisorPID, rep.URL = true, st.Status, st.SupervisorPID, st.URL
	rep.Detached, rep.Restart, rep.Secret = st.Detached, st.Restart, &sc
	rep.APIReplicas, rep.PGReplicas = max(st.APIReplicas, 1), st.PGReplicas
	if hs != nil {
		rep.Components = hs
	}
	rep.Healthy = st.Status == "running" && sc.OK
	var bad []string
	for _, h := range hs {
		rep.Healthy = rep.Healthy && h.Healthy
		if !h.Healthy {
			bad = append(bad, h.Component)
		}
	}
	switch {
	case rep.Healthy:
		return rep, nil
	case !sc.OK:
		return rep, fmt.Errorf("%w: JWT secret mismatch: %s", errUnhealthy, sc.Problem)
	case len(bad) > 0:
		return rep, fmt.Errorf("%w: %s unhealthy", errUnhealthy, strings.Join(bad, ", "))
	}
	return rep, fmt.Errorf("%w: the stack is %s", errUnhealthy, st.Status)
}

func printStatusText(f *cmdutil.Factory, rep *statusReport, err error) error {
	switch {
	case errors.Is(err, errNotRunning):
		fmt.Fprintln(f.Out, errNotRunning.Err)
		if s := rep.StrayPostgres; s != nil {
			fmt.Fprintf(f.Out, "but PostgreSQL (pid %d, port %d) is running on %s without a supervisor: `stackctl down` stops it (`stackctl up` does too)\n",
				s.PID, s.Port, s.DataDir)
		}
		if rep.LastError != nil {
			fmt.Fprintf(f.Out, "the last run ended with: %s (see `stackctl logs`)\n", *rep.LastError)
		}
		return &cmdutil.ExitError{Code: 3}
	case !rep.Running:
		return err
	}
	printStatus(f.Out, rep)
	if !rep.Secret.OK {
		fmt.Fprintf(f.Out, "JWT secret: MISMATCH: %s\n", rep.Secret.Problem)
	}
	if err != nil {
		return &cmdutil.ExitError{Code: 1}
	}
	return nil
}

func printStatus(w io.Writer, st *statusReport) {
	restart := ""
	if st.Restart != "" {
		restart = ", --restart " + st.Restart
	}
	fmt.Fprintf(w, "stack %s at %s (supervisor pid %d, %s%s)\n", st.Status, st.URL, st.SupervisorPID,
		map[bool]string{true: "detached", false: "foreground"}[st.Detached], restart)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "COMPONENT\tPID\tADDRESS\tHEALTH\tRESTARTS\tLAST EXIT\tCHECK")
	for _, h := range st.Components {
		last := "-"
		if h.LastExit != "" {
			last = h.LastExit
			if h.LastExitAt != nil {
				last += " at " + h.LastExitAt.Format(time.RFC3339)
			}
		}
		name := h.Component
		if h.Role != "" {
			name += " (" + h.Role + ")"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%s\t%s\n", name, h.PID, net.JoinHostPort(h.Host, strconv.Itoa(h.Port)),
			map[bool]string{true: "healthy", false: "UNHEALTHY"}[h.Healthy], h.Restarts, last, h.Detail)
	}
	tw.Flush()
}
