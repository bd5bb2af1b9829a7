package kubernetes

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

// CloudNativePG's Go API module cannot be downloaded here, so its Cluster
// is decoded into this subset of postgresql.cnpg.io/v1 Cluster, written from
// the operator's API reference and docs at v1.30.0 (cluster_types.go's json
// names; bootstrap.md, postgresql_conf.md, container_images.md). Decoding
// is strict: a field outside this subset is an error, so a field the base
// starts to use has to be read up in the docs and added here first.
const cnpgAPIVersion = "postgresql.cnpg.io/v1"

type cnpgCluster struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       cnpgClusterSpec   `json:"spec"`
}

type cnpgClusterSpec struct {
	Instances             *int                        `json:"instances"`
	ImageName             string                      `json:"imageName"`
	PrimaryUpdateStrategy string                      `json:"primaryUpdateStrategy,omitempty"`
	Bootstrap             *cnpgBootstrap              `json:"bootstrap,omitempty"`
	EnableSuperuserAccess *bool                       `json:"enableSuperuserAccess,omitempty"`
	SuperuserSecret       *cnpgLocalObjectReference   `json:"superuserSecret,omitempty"`
	PostgreSQL            cnpgPostgresConfiguration   `json:"postgresql,omitempty"`
	Affinity              cnpgAffinityConfiguration   `json:"affinity,omitempty"`
	Resources             corev1.ResourceRequirements `json:"resources,omitempty"`
	Storage               cnpgStorageConfiguration    `json:"storage"`
}

type cnpgBootstrap struct {
	InitDB *cnpgInitDB `json:"initdb,omitempty"`
}

type cnpgInitDB struct {
	Database string                    `json:"database,omitempty"`
	Owner    string                    `json:"owner,omitempty"`
	Secret   *cnpgLocalObjectReference `json:"secret,omitempty"`
}

type cnpgLocalObjectReference struct {
	Name string `json:"name"`
}

type cnpgPostgresConfiguration struct {
	Parameters map[string]string `json:"parameters,omitempty"`
	PgHBA      []string          `json:"pg_hba,omitempty"`
}

type cnpgAffinityConfiguration struct {
	EnablePodAntiAffinity *bool  `json:"enablePodAntiAffinity,omitempty"`
	TopologyKey           string `json:"topologyKey,omitempty"`
	PodAntiAffinityType   string `json:"podAntiAffinityType,omitempty"`
}

type cnpgStorageConfiguration struct {
	StorageClass *string `json:"storageClass,omitempty"`
	Size         string  `json:"size"`
}

func decodeCNPGCluster(y []byte) (*cnpgCluster, error) {
	var c cnpgCluster
	if err := yaml.UnmarshalStrict(y, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// cnpgFixedParameters may not be set in spec.postgresql.parameters: the
// operator owns them (postgresql_conf.md, "Fixed parameters", v1.30.0).
var cnpgFixedParameters = strings.Fields(`allow_alter_system allow_system_table_mods
	archive_cleanup_command archive_command archive_mode bonjour bonjour_name cluster_name
	config_file data_directory data_sync_retry event_source external_pid_file hba_file
	hot_standby ident_file jit_provider listen_addresses log_destination log_directory
	log_file_mode log_filename log_rotation_age log_rotation_size log_truncate_on_rotation
	logging_collector port primary_conninfo primary_slot_name promote_trigger_file
	recovery_end_command recovery_min_apply_delay recovery_target recovery_target_action
	recovery_target_inclusive recovery_target_lsn recovery_target_name recovery_target_time
	recovery_target_timeline recovery_target_xid restart_after_crash restore_command
	shared_preload_libraries ssl ssl_ca_file ssl_cert_file ssl_crl_file ssl_dh_params_file
	ssl_ecdh_curve ssl_key_file ssl_passphrase_command ssl_passphrase_command_supports_reload
	ssl_prefer_server_ciphers stats_temp_directory synchronous_standby_names syslog_facility
	syslog_ident syslog_sequence_numbers syslog_split_messages unix_socket_directories
	unix_socket_group unix_socket_permissions`)

// cnpgImageTag: the operator reads the PostgreSQL major version from the
// tag, which must start with it (container_images.md, "Image Tag
// Requirements": 15.5-10, 16.0, 13.3.2.1-1; never latest).
var cnpgImageTag = regexp.MustCompile(`^([0-9]+)(\.[0-9]+)*([-._][A-Za-z0-9_.-]*)?$`)

// pgMajor is the PostgreSQL major version of an image reference's tag.
func pgMajor(image string) (int, error) {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return 0, fmt.Errorf("%s has no tag", image)
	}
	m := cnpgImageTag.FindStringSubmatch(image[i+1:])
	if m == nil {
		return 0, fmt.Errorf("tag of %s does not start with a PostgreSQL version", image)
	}
	return strconv.Atoi(m[1])
}

var (
	pgParamName = regexp.MustCompile(`^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$`)
	pgHBATypes  = map[string]bool{"local": true, "host": true, "hostssl": true, "hostnossl": true,
		"hostgssenc": true, "hostnogssenc": true}
)

// checkCNPGCluster returns what breaks the documented requirements.
func checkCNPGCluster(c *cnpgCluster) []string {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if c.Kind != "Cluster" || c.APIVersion != cnpgAPIVersion {
		bad("%s %s is not a %s Cluster", c.APIVersion, c.Kind, cnpgAPIVersion)
	}
	// the operator's name rule: a DNS-1035 label of at most 50 characters
	if e := validation.IsDNS1035Label(c.Metadata.Name); len(e) > 0 || len(c.Metadata.Name) > 50 {
		bad("name %q: a DNS label of at most 50 characters (%v)", c.Metadata.Name, e)
	}
	s := c.Spec
	if s.Instances == nil || *s.Instances < 1 {
		bad("spec.instances is required and at least 1")
	}
	if major, err := pgMajor(s.ImageName); err != nil {
		bad("spec.imageName: %v", err)
	} else if major < 13 {
		bad("spec.imageName: PostgreSQL %d; the operator supports 13 or newer", major)
	}
	switch s.PrimaryUpdateStrategy {
	case "", "unsupervised":
	case "supervised":
		if s.Instances != nil && *s.Instances == 1 {
			bad("primaryUpdateStrategy supervised is refused for a single instance")
		}
	default:
		bad("primaryUpdateStrategy %q: empty, supervised or unsupervised", s.PrimaryUpdateStrategy)
	}
	if s.Bootstrap != nil && s.Bootstrap.InitDB != nil {
		db := s.Bootstrap.InitDB
		if (db.Database == "") != (db.Owner == "") {
			bad("bootstrap.initdb: database and owner go together (%q, %q)", db.Database, db.Owner)
		}
	}
	if s.SuperuserSecret != nil && s.SuperuserSecret.Name == "" {
		bad("superuserSecret.name is empty")
	}
	for k := range s.PostgreSQL.Parameters {
		if !pgParamName.MatchString(k) {
			bad("postgresql.parameters: %q is not a configuration parameter name", k)
		}
		for _, f := range cnpgFixedParameters {
			if k == f {
				bad("postgresql.parameters: %s is fixed by the operator", k)
			}
		}
	}
	for _, l := range s.PostgreSQL.PgHBA {
		if f := strings.Fields(l); len(f) < 4 || !pgHBATypes[f[0]] {
			bad("postgresql.pg_hba: %q is not a pg_hba.conf host/local line", l)
		}
	}
	switch s.Affinity.PodAntiAffinityType {
	case "", "preferred", "required":
	default:
		bad("affinity.podAntiAffinityType %q: preferred or required", s.Affinity.PodAntiAffinityType)
	}
	if q, err := resource.ParseQuantity(s.Storage.Size); err != nil || q.Sign() <= 0 {
		bad("storage.size %q is not a positive quantity", s.Storage.Size)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := s.Resources.Requests[r], s.Resources.Limits[r]
		if !req.IsZero() && !lim.IsZero() && req.Cmp(lim) > 0 {
			bad("resources: %s request %s above its limit %s", r, req.String(), lim.String())
		}
	}
	return errs
}

// theCluster returns the one CloudNativePG Cluster of a build.
func theCluster(t *testing.T, m *manifest) *cnpgCluster {
	t.Helper()
	if len(m.pgClusters) != 1 {
		t.Fatalf("%s: %d CloudNativePG Clusters, want 1", m.dir, len(m.pgClusters))
	}
	for _, c := range m.pgClusters {
		return c
	}
	return nil
}

func TestCNPGClusterMeetsTheDocumentedRequirements(t *testing.T) {
	for _, dir := range kustomizations {
		t.Run(dir, func(t *testing.T) {
			c := theCluster(t, build(t, dir))
			for _, e := range checkCNPGCluster(c) {
				t.Error(e)
			}
			s := c.Spec
			// the production layout of issue 15: three instances,
			// spread over nodes
			if s.Instances == nil || *s.Instances != 3 {
				t.Errorf("instances is not 3")
			}
			if s.Affinity.EnablePodAntiAffinity == nil || !*s.Affinity.EnablePodAntiAffinity || s.Affinity.TopologyKey == "" {
				t.Errorf("instances are not spread by anti-affinity: %+v", s.Affinity)
			}
			// the migration Job logs in as postgres
			if s.EnableSuperuserAccess == nil || !*s.EnableSuperuserAccess || s.SuperuserSecret == nil {
				t.Errorf("superuser access is off or has no secret: the migration Job cannot log in")
			}
			if s.Bootstrap == nil || s.Bootstrap.InitDB == nil {
				t.Fatalf("no bootstrap.initdb: the app database is not created")
			}
			// TLS for every TCP connection: a hostnossl reject line
			hasReject := false
			for _, l := range s.PostgreSQL.PgHBA {
				if f := strings.Fields(l); len(f) >= 4 && f[0] == "hostnossl" && f[len(f)-1] == "reject" {
					hasReject = true
				}
			}
			if !hasReject {
				t.Errorf("pg_hba does not reject plain TCP: %q", s.PostgreSQL.PgHBA)
			}
		})
	}
}

// The checks above must catch what the operator's docs forbid.
func TestCNPGChecksCatchDocumentedMistakes(t *testing.T) {
	good := theCluster(t, build(t, "base"))
	if errs := checkCNPGCluster(good); len(errs) > 0 {
		t.Fatalf("the base's Cluster fails: %v", errs)
	}
	mutate := map[string]func(c *cnpgCluster){
		"latest tag":         func(c *cnpgCluster) { c.Spec.ImageName = "ghcr.io/cloudnative-pg/postgresql:latest" },
		"PostgreSQL 12":      func(c *cnpgCluster) { c.Spec.ImageName = "ghcr.io/cloudnative-pg/postgresql:12.20" },
		"fixed parameter":    func(c *cnpgCluster) { c.Spec.PostgreSQL.Parameters = map[string]string{"port": "5433"} },
		"owner without db":   func(c *cnpgCluster) { c.Spec.Bootstrap = &cnpgBootstrap{InitDB: &cnpgInitDB{Owner: "app"}} },
		"no instances":       func(c *cnpgCluster) { c.Spec.Instances = nil },
		"bad storage size":   func(c *cnpgCluster) { c.Spec.Storage.Size = "ten gigs" },
		"unknown strategy":   func(c *cnpgCluster) { c.Spec.PrimaryUpdateStrategy = "automatic" },
		"unknown anti-aff.":  func(c *cnpgCluster) { c.Spec.Affinity.PodAntiAffinityType = "strict" },
		"bad pg_hba line":    func(c *cnpgCluster) { c.Spec.PostgreSQL.PgHBA = []string{"hostx all all all md5"} },
		"name with a dot":    func(c *cnpgCluster) { c.Metadata.Name = "authstack.db" },
		"empty secret name":  func(c *cnpgCluster) { c.Spec.SuperuserSecret = &cnpgLocalObjectReference{} },
		"supervised, single": func(c *cnpgCluster) { one := 1; c.Spec.Instances = &one; c.Spec.PrimaryUpdateStrategy = "supervised" },
	}
	for name, f := range mutate {
		c := *good
		c.Spec.PostgreSQL.Parameters = nil
		f(&c)
		if errs := checkCNPGCluster(&c); len(errs) == 0 {
			t.Errorf("%s: no error", name)
		}
	}
	// and strict decoding refuses fields outside the documented subset
	for _, o := range build(t, "base").raw {
		if o.apiVersion != cnpgAPIVersion {
			continue
		}
		y := strings.Replace(string(o.yaml), "\nspec:\n", "\nspec:\n  instance: 3\n", 1)
		if _, err := decodeCNPGCluster([]byte(y)); err == nil {
			t.Errorf("a Cluster with spec.instance (a typo) decoded")
		}
	}
}
