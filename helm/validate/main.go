// Command validate decodes rendered Kubernetes manifests (`helm template` output, on standard
// input) strictly into the Kubernetes API types: an unknown or misspelt field, a wrong type or an
// unexpected kind is an error. It then checks what Confab's chart promises of every workload
// (non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp, probes) and
// prints one "Kind/name" line per object, for the caller to assert on.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// The API version each kind the chart renders must use, and a fresh value of its type.
var kinds = map[string]struct {
	apiVersion string
	new        func() any
}{
	"ConfigMap":               {"v1", func() any { return &corev1.ConfigMap{} }},
	"Secret":                  {"v1", func() any { return &corev1.Secret{} }},
	"Service":                 {"v1", func() any { return &corev1.Service{} }},
	"ServiceAccount":          {"v1", func() any { return &corev1.ServiceAccount{} }},
	"PersistentVolumeClaim":   {"v1", func() any { return &corev1.PersistentVolumeClaim{} }},
	"Deployment":              {"apps/v1", func() any { return &appsv1.Deployment{} }},
	"Job":                     {"batch/v1", func() any { return &batchv1.Job{} }},
	"Ingress":                 {"networking.k8s.io/v1", func() any { return &networkingv1.Ingress{} }},
	"NetworkPolicy":           {"networking.k8s.io/v1", func() any { return &networkingv1.NetworkPolicy{} }},
	"HorizontalPodAutoscaler": {"autoscaling/v2", func() any { return &autoscalingv2.HorizontalPodAutoscaler{} }},
	"PodDisruptionBudget":     {"policy/v1", func() any { return &policyv1.PodDisruptionBudget{} }},
	// prometheus-operator's custom resources, decoded into the subset of their schema the chart
	// uses (an unknown or misspelt field is still an error).
	"ServiceMonitor": {"monitoring.coreos.com/v1", func() any { return &ServiceMonitor{} }},
	"PrometheusRule": {"monitoring.coreos.com/v1", func() any { return &PrometheusRule{} }},
}

// ServiceMonitor is the part of monitoring.coreos.com/v1 ServiceMonitor the chart renders.
type ServiceMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Selector          metav1.LabelSelector `json:"selector"`
		NamespaceSelector struct {
			MatchNames []string `json:"matchNames"`
		} `json:"namespaceSelector"`
		Endpoints []struct {
			Port          string `json:"port"`
			Path          string `json:"path"`
			Interval      string `json:"interval"`
			ScrapeTimeout string `json:"scrapeTimeout"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// PrometheusRule is monitoring.coreos.com/v1 PrometheusRule.
type PrometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Record      string            `json:"record"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

func main() {
	input, err := io.ReadAll(bufio.NewReader(os.Stdin))
	if err != nil {
		fail("reading standard input: %v", err)
	}
	var problems []string
	seen := map[string]bool{}
	count := 0
	// The drain budget: the rendered server.shutdown_grace_secs, and each Deployment's.
	graceSecs := int64(-1)
	var deployments []*appsv1.Deployment
	for i, doc := range splitDocuments(input) {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: not YAML: %v", i+1, err))
			continue
		}
		kind, ok := kinds[meta.Kind]
		if !ok {
			problems = append(problems, fmt.Sprintf("document %d: unexpected kind %q", i+1, meta.Kind))
			continue
		}
		if meta.APIVersion != kind.apiVersion {
			problems = append(problems, fmt.Sprintf("document %d: %s with apiVersion %q, want %q", i+1, meta.Kind, meta.APIVersion, kind.apiVersion))
			continue
		}
		obj := kind.new()
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			problems = append(problems, fmt.Sprintf("document %d (%s): %v", i+1, meta.Kind, err))
			continue
		}
		name := obj.(metav1.Object).GetName()
		id := meta.Kind + "/" + name
		if seen[id] {
			problems = append(problems, id+": rendered twice")
		}
		seen[id] = true
		count++
		for _, p := range check(obj) {
			problems = append(problems, id+": "+p)
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			if m := shutdownGrace.FindStringSubmatch(o.Data["confab.toml"]); m != nil {
				graceSecs, _ = strconv.ParseInt(m[1], 10, 64)
			}
		case *appsv1.Deployment:
			deployments = append(deployments, o)
		}
		fmt.Println(id)
	}
	for _, d := range deployments {
		problems = append(problems, checkDrainBudget(d, graceSecs)...)
	}
	if count == 0 {
		problems = append(problems, "no manifest in the input")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "invalid:", p)
		}
		os.Exit(1)
	}
}

// splitDocuments splits a YAML stream on `---` lines, dropping documents that hold only comments.
func splitDocuments(input []byte) [][]byte {
	var docs [][]byte
	for _, part := range bytes.Split(append([]byte("\n"), input...), []byte("\n---")) {
		meaningful := false
		for _, line := range strings.Split(string(part), "\n") {
			trimmed := strings.TrimSpace(line)
			if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
				meaningful = true
				break
			}
		}
		if meaningful {
			docs = append(docs, part)
		}
	}
	return docs
}

// check holds a workload to the chart's promises.
func check(obj any) []string {
	switch o := obj.(type) {
	case *ServiceMonitor:
		if len(o.Spec.Endpoints) == 0 || o.Spec.Endpoints[0].Port == "" || len(o.Spec.Selector.MatchLabels) == 0 {
			return []string{"a ServiceMonitor needs a selector and an endpoint port"}
		}
		return nil
	case *PrometheusRule:
		var problems []string
		rules := 0
		for _, g := range o.Spec.Groups {
			for _, r := range g.Rules {
				rules++
				switch {
				case r.Alert == "" || r.Expr == "":
					problems = append(problems, "an alert without a name or expression")
				case r.Labels["severity"] == "" || r.Annotations["summary"] == "":
					problems = append(problems, r.Alert+": no severity label or summary")
				case strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")"):
					problems = append(problems, r.Alert+": unbalanced parentheses in "+r.Expr)
				}
			}
		}
		if rules == 0 {
			problems = append(problems, "a PrometheusRule without rules")
		}
		return problems
	case *appsv1.Deployment:
		var p []string
		s := o.Spec.Strategy
		if s.Type == appsv1.RollingUpdateDeploymentStrategyType {
			if s.RollingUpdate == nil || s.RollingUpdate.MaxUnavailable == nil || s.RollingUpdate.MaxUnavailable.IntValue() != 0 {
				p = append(p, "a rolling update must keep every replica (maxUnavailable: 0)")
			}
		} else if s.Type != appsv1.RecreateDeploymentStrategyType {
			p = append(p, fmt.Sprintf("strategy %q", s.Type))
		}
		p = append(p, checkPod(&o.Spec.Template.Spec, true)...)
		return p
	case *batchv1.Job:
		return checkPod(&o.Spec.Template.Spec, false)
	}
	return nil
}

func checkPod(pod *corev1.PodSpec, server bool) []string {
	var p []string
	if psc := pod.SecurityContext; psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		p = append(p, "the pod must run as non-root with the RuntimeDefault seccomp profile")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		p = append(p, "the pod must not mount a service account token")
	}
	containers := append(append([]corev1.Container{}, pod.InitContainers...), pod.Containers...)
	for _, c := range containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
			sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) > 0 {
			p = append(p, "container "+c.Name+": needs a read-only root filesystem, no privilege escalation and every capability dropped")
		}
	}
	if server {
		for _, c := range pod.Containers {
			if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
				p = append(p, "container "+c.Name+": readiness must probe /readyz")
			}
			if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
				p = append(p, "container "+c.Name+": liveness must probe /healthz")
			}
			if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
				p = append(p, "container "+c.Name+": needs a preStop drain sleep")
			}
		}
	}
	return p
}

var shutdownGrace = regexp.MustCompile(`(?m)^\s*shutdown_grace_secs\s*=\s*(\d+)`)

// checkDrainBudget: Kubernetes kills a pod terminationGracePeriodSeconds after it starts
// terminating, preStop included. Confab drains for server.shutdown_grace_secs after SIGTERM,
// which comes after the preStop sleep: the period must exceed their sum, or the kubelet kills
// the pod mid-drain and the answers it was finishing are cut.
func checkDrainBudget(d *appsv1.Deployment, graceSecs int64) []string {
	id := "Deployment/" + d.Name
	if graceSecs < 0 {
		return []string{id + ": no server.shutdown_grace_secs in the rendered confab.toml"}
	}
	pod := d.Spec.Template.Spec
	if pod.TerminationGracePeriodSeconds == nil {
		return []string{id + ": needs terminationGracePeriodSeconds"}
	}
	var problems []string
	for _, c := range pod.Containers {
		if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
			continue
		}
		sleep := c.Lifecycle.PreStop.Sleep.Seconds
		if *pod.TerminationGracePeriodSeconds <= sleep+graceSecs {
			problems = append(problems, fmt.Sprintf(
				"%s: terminationGracePeriodSeconds %d must exceed the preStop sleep %d + server.shutdown_grace_secs %d",
				id, *pod.TerminationGracePeriodSeconds, sleep, graceSecs))
		}
	}
	return problems
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "validate: "+format+"\n", args...)
	os.Exit(2)
}
