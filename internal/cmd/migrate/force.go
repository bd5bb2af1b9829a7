package migrate

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/spf13/cobra"
)

// ForceOptions are the flags of `migrate force`.
type ForceOptions struct {
	None bool // -1: record no version
	Yes  bool // force a version that no migration has
}

func newForce(o *Options) *cobra.Command {
	var fo ForceOptions
	force := &cobra.Command{
		Use:   "force V",
		Short: "Set the version to V and clear the dirty flag without running anything (-1: no version)",
		Long: "Set the version to V and clear the dirty flag without running anything.\n" +
			"V must be one of the migrations' versions (see `stackctl migrate status`); `force -1` records no version.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runForce(cmd.Context(), o, fo, args)
		},
	}
	// pflag reads "-1" as a shorthand flag: make it one, so `force -1`
	// works as the help says.
	force.Flags().BoolVarP(&fo.None, "none", "1", false, "record no version (the same as V = -1)")
	force.Flags().BoolVarP(&fo.Yes, "yes", "y", false, "force a version that no migration has")
	// Any other negative V reaches pflag as an unknown shorthand ("-2").
	force.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if negativeV.MatchString(err.Error()) {
			return errors.New("V must be a migration version or -1, got another negative number")
		}
		return err
	})
	return force
}

// negativeV matches pflag's error for a negative number as an argument.
var negativeV = regexp.MustCompile(`^unknown shorthand flag: '[0-9]' in -[0-9]+$`)

func runForce(ctx context.Context, o *Options, fo ForceOptions, args []string) error {
	v, err := forceVersion(args, fo.None)
	if err != nil {
		return err
	}
	mg, err := o.open(ctx)
	if err != nil {
		return err
	}
	defer mg.Close()
	if v >= 0 && !fo.Yes {
		if known, err := mg.HasVersion(uint(v)); err != nil {
			return err
		} else if !known {
			return fmt.Errorf("no migration has version %d (see `stackctl migrate status`): nothing was changed; add --yes to force it anyway", v)
		}
	}
	if err := mg.Force(v); err != nil {
		return err
	}
	fmt.Fprintf(o.Factory.Out, "forced: version %s\n", versionText(mg))
	return nil
}

// forceVersion reads force's V (or -1 from the -1 flag).
func forceVersion(args []string, none bool) (int, error) {
	switch {
	case none && len(args) == 0:
		return -1, nil
	case none || len(args) == 0:
		return 0, errors.New("give one version: `stackctl migrate force V`, or `stackctl migrate force -1` for no version")
	}
	v, err := strconv.Atoi(args[0])
	if err != nil || v < -1 {
		return 0, fmt.Errorf("V must be a migration version or -1, got %q", args[0])
	}
	return v, nil
}
