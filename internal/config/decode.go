package config

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// decoder walks a YAML node tree alongside a Go value so that every problem carries its path
// ("edge.behaviors[2].path: …") and every unknown or duplicate key is an error. yaml.v3's own
// KnownFields reports only line numbers and stops at type errors.
type decoder struct {
	errs     []error
	defaults map[reflect.Type]func() reflect.Value
}

func (d *decoder) fail(path string, n *yaml.Node, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if n != nil && n.Line > 0 {
		msg += fmt.Sprintf(" (line %d)", n.Line)
	}
	if path == "" {
		path = "(top level)"
	}
	d.errs = append(d.errs, fmt.Errorf("%s: %s", path, msg))
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	yamlUnmarshaler = reflect.TypeFor[yaml.Unmarshaler]()
)

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decode fills v (addressable) from n.
func (d *decoder) decode(path string, n *yaml.Node, v reflect.Value) {
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		d.fail(path, n, "aliases are not supported")
		return
	}
	t := v.Type()
	if t.Kind() == reflect.Pointer {
		if isNull(n) && !d.hasDefault(t.Elem()) {
			v.Set(reflect.Zero(t))
			return
		}
		if v.IsNil() {
			nv := reflect.New(t.Elem())
			if f := d.defaults[t.Elem()]; f != nil {
				nv.Elem().Set(f())
			}
			v.Set(nv)
		}
		if isNull(n) {
			return
		}
		d.decode(path, n, v.Elem())
		return
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(yamlUnmarshaler) || t.Kind() != reflect.Struct && t.Kind() != reflect.Slice && t.Kind() != reflect.Map {
		if n.Kind != yaml.ScalarNode && !reflect.PointerTo(t).Implements(yamlUnmarshaler) && t.Kind() != reflect.Interface {
			d.fail(path, n, "want a single value, got %s", kindName(n))
			return
		}
		nv := reflect.New(t)
		if err := n.Decode(nv.Interface()); err != nil {
			d.fail(path, n, "%s", cleanYAMLError(err))
			return
		}
		v.Set(nv.Elem())
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.fail(path, n, "want a mapping, got %s", kindName(n))
			return
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			if seen[key] {
				d.fail(join(path, key), k, "duplicate key")
				continue
			}
			seen[key] = true
			idx, ok := fields[key]
			if !ok {
				d.fail(join(path, key), k, "unknown key%s", suggest(key, fields))
				continue
			}
			d.decode(join(path, key), val, v.FieldByIndex(idx))
		}
	case reflect.Slice:
		if isNull(n) {
			v.Set(reflect.Zero(t))
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.fail(path, n, "want a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(fmt.Sprintf("%s[%d]", path, i), c, s.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		if isNull(n) {
			v.Set(reflect.Zero(t))
			return
		}
		if n.Kind != yaml.MappingNode {
			d.fail(path, n, "want a mapping, got %s", kindName(n))
			return
		}
		if t.Key().Kind() != reflect.String {
			d.fail(path, n, "unsupported map key type %s", t.Key())
			return
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if m.MapIndex(reflect.ValueOf(k.Value).Convert(t.Key())).IsValid() {
				d.fail(join(path, k.Value), k, "duplicate key")
				continue
			}
			ev := reflect.New(t.Elem()).Elem()
			if f := d.defaults[t.Elem()]; f != nil {
				ev.Set(f())
			}
			d.decode(join(path, k.Value), val, ev)
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(t.Key()), ev)
		}
		v.Set(m)
	}
}

func (d *decoder) hasDefault(t reflect.Type) bool { return d.defaults[t] != nil }

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// yamlFields maps the yaml names of t's fields (tag name, else the lower-cased field name as
// yaml.v3 does) to their index; fields tagged "-" and unexported fields are left out.
func yamlFields(t reflect.Type) map[string][]int {
	m := map[string][]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			for k, idx := range yamlFields(f.Type) {
				m[k] = append([]int{i}, idx...)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		m[name] = []int{i}
	}
	return m
}

// suggest returns ` (did you mean "x"?)` for a near miss.
func suggest(key string, fields map[string][]int) string {
	best, bestD := "", 3
	for f := range fields {
		if dd := distance(key, f); dd < bestD || dd == bestD && best != "" && f < best {
			best, bestD = f, dd
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev = cur
	}
	return prev[len(b)]
}

func cleanYAMLError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		s := te.Errors[0]
		// "line 3: cannot unmarshal !!str `abc` into int" → keep what follows the line.
		if _, rest, ok := strings.Cut(s, ": "); ok && strings.HasPrefix(s, "line ") {
			s = rest
		}
		return s
	}
	s := err.Error()
	return strings.TrimPrefix(s, "yaml: ")
}
