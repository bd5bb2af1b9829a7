package stack

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/stack"
)

// logNames are the logs under .stack/logs: the combined stream, each
// component's (api-2 ... for more engines, pg-replica and api-read with a
// standby) and the migrations'.
var logNames = func() []string {
	names := []string{"stack", stack.CompPG, stack.CompPGReplica, "migrate", stack.CompAPI}
	for i := 2; i <= stack.MaxAPIReplicas; i++ {
		names = append(names, fmt.Sprintf("%s-%d", stack.CompAPI, i))
	}
	return append(names, stack.CompAPIRead, stack.CompCaddy)
}()

// logNamesHelp is logNames in short, for messages.
var logNamesHelp = fmt.Sprintf("stack, pg, pg-replica, migrate, api, api-2 ... api-%d, api-read, caddy", stack.MaxAPIReplicas)

func newLogs(f *cmdutil.Factory) *cobra.Command {
	var follow bool
	var lines int
	cmd := &cobra.Command{
		Use:   "logs [stack|pg|pg-replica|migrate|api|api-N|api-read|caddy]...",
		Short: "Print the native stack's logs (default: the combined, prefixed stream); several components are prefixed; -f follows",
		Long: `Print one log file as it is (default: stack, the combined stream), or several components'
files with each line prefixed by its component ("api    | ..."): without -f the files one after
another, with -f all of them as lines arrive, until Ctrl-C. api is the first API engine; with
--api-replicas N the others are api-2 ... api-N, and with --pg-replicas 1 the standby and its
engine are pg-replica and api-read.`,
		ValidArgs: logNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if lines < 0 {
				return fmt.Errorf("-n %d: give a number of lines, 0 or more (0: all)", lines)
			}
			names := args
			if len(names) == 0 {
				names = []string{"stack"}
			}
			var uniq []string
			for _, name := range names {
				if !slices.Contains(logNames, name) {
					return fmt.Errorf("unknown component %q: use one or more of %s", name, logNamesHelp)
				}
				if !slices.Contains(uniq, name) {
					uniq = append(uniq, name)
				}
			}
			names = uniq
			c, err := loadConfig(f)
			if err != nil {
				return envError(f, err)
			}
			var logs []stack.NamedLog
			for _, name := range names {
				path := stack.LogPath(c.StateDir, name)
				if _, err := os.Stat(path); err != nil {
					return fmt.Errorf("no %s log yet (%s): start the stack with `stackctl up`", name, path)
				}
				logs = append(logs, stack.NamedLog{Name: name, Path: path})
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			if len(logs) == 1 {
				return stack.FollowLog(ctx, f.Out, logs[0].Path, lines, follow)
			}
			return stack.FollowLogs(ctx, f.Out, logs, lines, follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until Ctrl-C")
	cmd.Flags().IntVarP(&lines, "tail", "n", 0, "print only the last N lines (of each file) first (0: all)")
	return cmd
}
