package stack

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/stack"
)

var logNames = []string{"stack", stack.CompPG, "migrate", stack.CompAPI, stack.CompCaddy}

func newLogs(f *cmdutil.Factory) *cobra.Command {
	var follow bool
	var lines int
	cmd := &cobra.Command{
		Use:   "logs [stack|pg|migrate|api|caddy]...",
		Short: "Print the native stack's logs (default: the combined, prefixed stream); several components are prefixed; -f follows",
		Long: `Print one log file as it is (default: stack, the combined stream), or several components'
files with each line prefixed by its component ("api    | ..."): without -f the files one after
another, with -f all of them as lines arrive, until Ctrl-C.`,
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
					return fmt.Errorf("unknown component %q: use one or more of %s", name, strings.Join(logNames, ", "))
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
