// Command chart-render renders a Helm chart the way `helm template` does, for charts that use Go templates, the
// sprig library and Helm's own template functions (include, tpl, required, toYaml, fromYaml, toJson, fromJson,
// lookup). It exists so that CI can render the chart without a helm binary.
//
// Usage:
//
//	chart-render [--name RELEASE] [--namespace NS] [-f values.yaml]... [--set key.path=value]...
//	             [--api-versions group/version]... [--kube-version v1.32.0] [--show-values] CHART_DIR
//
// Values are merged as Helm merges them: the chart's values.yaml, then each -f file in order (maps merge
// recursively, a null deletes a key), then each --set. Every rendered document is parsed as YAML, as Helm does,
// and a document that does not parse fails the run, naming its template; so does a Chart.yaml kubeVersion that the
// Kubernetes version (--kube-version, default v1.32.0) does not satisfy. Output: the documents of every template
// but partials (_*.tpl) and NOTES.txt, each headed "# Source: CHART/templates/FILE" like helm's. With
// --show-values the merged values are printed as JSON instead (for a values.schema.json check).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
	yamlv2 "gopkg.in/yaml.v2"
	"gopkg.in/yaml.v3"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// capabilities is the subset of Helm's .Capabilities this renderer offers: a fixed Kubernetes version and the API
// versions named with --api-versions plus the built-in groups.
type capabilities struct {
	KubeVersion kubeVersion
	APIVersions apiVersions
	HelmVersion map[string]string
}

type kubeVersion struct{ Version, Major, Minor, GitVersion string }

func (k kubeVersion) String() string { return k.Version }

type apiVersions []string

// Has reports whether the group/version (or group/version/Kind) is available, as Helm's APIVersions.Has does.
func (a apiVersions) Has(v string) bool {
	for _, x := range a {
		if x == v {
			return true
		}
	}
	return false
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "chart-render:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("chart-render", flag.ContinueOnError)
	release := fs.String("name", "release-name", "release name")
	namespace := fs.String("namespace", "default", "release namespace")
	showValues := fs.Bool("show-values", false, "print the merged values as JSON instead of the manifests")
	kube := fs.String("kube-version", "v1.32.0", "Kubernetes version for .Capabilities and the chart's kubeVersion check")
	var valueFiles, sets, apis listFlag
	fs.Var(&valueFiles, "f", "values file (repeatable)")
	fs.Var(&valueFiles, "values", "values file (repeatable)")
	fs.Var(&sets, "set", "key.path=value (repeatable)")
	fs.Var(&apis, "api-versions", "extra API version for .Capabilities.APIVersions (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("give exactly one chart directory")
	}
	chartDir := fs.Arg(0)

	chart, err := readYAMLFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYAMLFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, f := range valueFiles {
		overlay, err := readYAMLFile(f)
		if err != nil {
			return err
		}
		values = mergeValues(values, overlay)
	}
	for _, s := range sets {
		if err := setValue(values, s); err != nil {
			return err
		}
	}
	if *showValues {
		out, err := json.MarshalIndent(values, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(out))
		return nil
	}

	kubeSemver, err := semver.NewVersion(*kube)
	if err != nil {
		return fmt.Errorf("--kube-version %q: %w", *kube, err)
	}
	if required, ok := chart["kubeVersion"].(string); ok && required != "" {
		constraint, err := semver.NewConstraint(required)
		if err != nil {
			return fmt.Errorf("Chart.yaml kubeVersion %q: %w", required, err)
		}
		if !constraint.Check(kubeSemver) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s", required, kubeSemver)
		}
	}
	kubeVersionText := "v" + kubeSemver.String()
	chartName, _ := chart["name"].(string)
	top := map[string]interface{}{
		"Values": values,
		"Chart":  chartObject(chart),
		"Release": map[string]interface{}{
			"Name": *release, "Namespace": *namespace, "Service": "Helm", "Revision": 1,
			"IsInstall": true, "IsUpgrade": false,
		},
		"Capabilities": capabilities{
			KubeVersion: kubeVersion{Version: kubeVersionText, Major: fmt.Sprint(kubeSemver.Major()), Minor: fmt.Sprint(kubeSemver.Minor()), GitVersion: kubeVersionText},
			APIVersions: append(apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1"}, apis...),
			HelmVersion: map[string]string{"Version": "v3.16.0"},
		},
		"Files": files{dir: chartDir},
	}
	out, err := render(chartDir, chartName, top)
	if err != nil {
		return err
	}
	os.Stdout.WriteString(out)
	return nil
}

// chartObject exposes Chart.yaml with Helm's capitalised field names (.Chart.Name, .Chart.AppVersion, ...).
func chartObject(chart map[string]interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	for k, v := range chart {
		out[strings.ToUpper(k[:1])+k[1:]] = v
	}
	return out
}

// files is .Files: the chart's own files, read by path relative to the chart directory.
type files struct{ dir string }

// Get returns a file's content, or "" when it does not exist (as Helm does).
func (f files) Get(name string) string {
	b, err := os.ReadFile(filepath.Join(f.dir, filepath.FromSlash(name)))
	if err != nil {
		return ""
	}
	return string(b)
}

// Glob returns the chart's files matching a pattern (filepath.Match syntax, relative to the chart), keyed by path.
func (f files) Glob(pattern string) map[string]string {
	out := map[string]string{}
	matches, _ := filepath.Glob(filepath.Join(f.dir, filepath.FromSlash(pattern)))
	for _, m := range matches {
		rel, err := filepath.Rel(f.dir, m)
		if err != nil {
			continue
		}
		out[filepath.ToSlash(rel)] = f.Get(filepath.ToSlash(rel))
	}
	return out
}

// readYAMLFile reads a YAML mapping as Helm reads values files.
func readYAMLFile(path string) (map[string]interface{}, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out, err := yamlMapping(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// yamlMapping decodes a YAML mapping through JSON, as Helm's sigs.k8s.io/yaml does: numbers become float64.
func yamlMapping(b []byte) (map[string]interface{}, error) {
	var raw interface{}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if raw == nil {
		return out, nil
	}
	j, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(j, &out); err != nil {
		return nil, fmt.Errorf("not a mapping: %w", err)
	}
	return out, nil
}

// mergeValues merges overlay onto base as Helm does: maps recursively, anything else replaces, null deletes.
func mergeValues(base, overlay map[string]interface{}) map[string]interface{} {
	for k, v := range overlay {
		if v == nil {
			delete(base, k)
			continue
		}
		if vm, ok := v.(map[string]interface{}); ok {
			if bm, ok := base[k].(map[string]interface{}); ok {
				base[k] = mergeValues(bm, vm)
				continue
			}
		}
		base[k] = v
	}
	return base
}

// setValue applies one --set key.path=value: integers, booleans and null are typed, anything else is a string.
func setValue(values map[string]interface{}, assignment string) error {
	eq := strings.IndexByte(assignment, '=')
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key.path=value", assignment)
	}
	path := strings.Split(assignment[:eq], ".")
	raw := assignment[eq+1:]
	var value interface{} = raw
	if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
		value = i
	} else if raw == "true" || raw == "false" {
		value = raw == "true"
	} else if raw == "null" {
		value = nil
	}
	node := values
	for _, key := range path[:len(path)-1] {
		next, ok := node[key].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			node[key] = next
		}
		node = next
	}
	if value == nil {
		delete(node, path[len(path)-1])
	} else {
		node[path[len(path)-1]] = value
	}
	return nil
}

// render parses every template of the chart into one set (so each can include the others' definitions) and
// executes each non-partial template in file-name order.
func render(chartDir, chartName string, top map[string]interface{}) (string, error) {
	root := template.New("chart")
	funcs := funcMap(root)
	root.Funcs(funcs)
	var names []string
	templatesDir := filepath.Join(chartDir, "templates")
	err := filepath.Walk(templatesDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(templatesDir, path)
		name := chartName + "/templates/" + filepath.ToSlash(rel)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := root.New(name).Parse(string(b)); err != nil {
			return err
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	var out strings.Builder
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasPrefix(base, "_") || base == "NOTES.txt" {
			continue
		}
		data := copyTop(top, name)
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitDocuments(text) {
			var parsed interface{}
			if err := yaml.Unmarshal([]byte(doc), &parsed); err != nil {
				return "", fmt.Errorf("%s: the rendered YAML does not parse: %w\n%s", name, err, doc)
			}
			if parsed == nil {
				continue
			}
			fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", name, strings.Trim(doc, "\n "))
		}
	}
	return out.String(), nil
}

func copyTop(top map[string]interface{}, name string) map[string]interface{} {
	data := map[string]interface{}{}
	for k, v := range top {
		data[k] = v
	}
	data["Template"] = map[string]interface{}{"Name": name, "BasePath": name[:strings.Index(name, "/templates/")+len("/templates")]}
	return data
}

// splitDocuments splits a rendered file on YAML document separators ("---" lines).
func splitDocuments(text string) []string {
	var docs []string
	var current strings.Builder
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			docs = append(docs, current.String())
			current.Reset()
			continue
		}
		current.WriteString(line)
		current.WriteByte('\n')
	}
	docs = append(docs, current.String())
	return docs
}

// funcMap is sprig's text functions without env/expandenv (Helm removes them) plus Helm's own.
func funcMap(root *template.Template) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["required"] = required
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		if _, err := t.New("tpl").Parse(text); err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "tpl", data); err != nil {
			return "", fmt.Errorf("tpl: %w", err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	return f
}

// required fails the render with msg when v is nil or an empty string, as Helm's required does.
func required(msg string, v interface{}) (interface{}, error) {
	if v == nil {
		return nil, errors.New(msg)
	}
	if s, ok := v.(string); ok && s == "" {
		return nil, errors.New(msg)
	}
	return v, nil
}

// toYAML is Helm's toYaml: sigs.k8s.io/yaml's Marshal (JSON first, so JSON field names and sorted keys, then
// yaml.v2 from the JSON's key order) with the trailing newline trimmed; "" on error, as Helm.
func toYAML(v interface{}) string {
	j, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var ordered yamlv2.MapSlice
	var node interface{} = &ordered
	if len(j) > 0 && j[0] != '{' {
		var any interface{}
		node = &any
	}
	if err := yamlv2.Unmarshal(j, node); err != nil {
		return ""
	}
	out, err := yamlv2.Marshal(node)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

// fromYAML is Helm's fromYaml: a mapping, or {"Error": message} when the text does not parse.
func fromYAML(s string) map[string]interface{} {
	out, err := yamlMapping([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return out
}

func toJSON(v interface{}) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func fromJSON(s string) map[string]interface{} {
	out := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		out["Error"] = err.Error()
	}
	return out
}
