// Package kubernetes holds the offline tests of the kustomize base in
// deploy/kubernetes/base and its overlays (docs/kubernetes.md): kustomize's
// Go API builds each one as `kubectl apply -k` would, every core object must
// decode strictly into the Kubernetes API types, CloudNativePG's Cluster is
// checked against the fields and values its documentation requires, and the
// wiring between objects, compose.yaml, the Caddyfile and the documented
// secrets is compared. Nothing here talks to a cluster.
package kubernetes
