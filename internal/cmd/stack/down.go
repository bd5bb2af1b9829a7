package stack

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/authstack/authstack/internal/cmdutil"
	"github.com/authstack/authstack/internal/stack"
)

func newDown(f *cmdutil.Factory) *cobra.Command {
	var volumes, yes, docker bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop the native stack (or the Docker stack with --docker); --volumes --yes also deletes its data",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if volumes && !yes {
				return errors.New("--volumes deletes every database of the stack (.stack/pgdata); add --yes to confirm")
			}
			c, err := loadConfig(f)
			if err != nil {
				return envError(f, err)
			}
			if docker {
				if err := stack.CheckDocker(cmd.Context()); err != nil {
					return err
				}
				argv := stack.DockerDownCommand(volumes)
				x := exec.CommandContext(cmd.Context(), argv[0], argv[1:]...)
				x.Dir, x.Stdout, x.Stderr = c.Dir, f.Out, f.ErrOut
				return x.Run()
			}
			running := stack.Running(c.StateDir)
			stray, err := stack.Stop(c.StateDir, timeout)
			switch {
			case errors.Is(err, stack.ErrNotRunning):
				fmt.Fprintln(f.Out, "no stack is running")
			case err != nil:
				return err
			case stray != 0 && !running:
				fmt.Fprintln(f.Out, stack.StrayStoppedMessage(c.StateDir, stray))
			case stray != 0:
				fmt.Fprintf(f.Out, "stack stopped; %s\n", stack.StrayStoppedMessage(c.StateDir, stray))
			default:
				fmt.Fprintln(f.Out, "stack stopped")
			}
			if volumes {
				for _, d := range []string{stack.DataDir(c.StateDir), stack.LogDir(c.StateDir)} {
					if err := os.RemoveAll(d); err != nil {
						return fmt.Errorf("delete %s: %w", d, err)
					}
				}
				standby := ""
				if _, err := os.Stat(stack.ReplicaDataDir(c.StateDir)); err == nil {
					if err := os.RemoveAll(stack.ReplicaDataDir(c.StateDir)); err != nil {
						return fmt.Errorf("delete %s: %w", stack.ReplicaDataDir(c.StateDir), err)
					}
					standby = " and the standby's copy " + stack.ReplicaDataDir(c.StateDir)
				}
				fmt.Fprintf(f.Out, "deleted %s and %s%s\n", stack.DataDir(c.StateDir), stack.LogDir(c.StateDir), standby)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&volumes, "volumes", false, "also delete the stack's data (PostgreSQL data directory and logs)")
	cmd.Flags().BoolVar(&yes, "yes", false, "confirm --volumes")
	cmd.Flags().BoolVar(&docker, "docker", false, "stop the Docker stack (docker compose down)")
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "how long to wait for the stack to stop")
	return cmd
}
