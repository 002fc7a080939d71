package payers

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads every *.yaml and *.yml file in dir of fsys, one payer per
// file, validates them and returns the registry. All problems of all files
// are returned together, each naming its file, line and field.
func Load(fsys fs.FS, dir string) (*Registry, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("payers: %w", err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); !e.IsDir() && (strings.HasSuffix(n, ".yaml") || strings.HasSuffix(n, ".yml")) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var (
		ps   []*Payer
		errs []error
	)
	for _, n := range names {
		file := path.Join(dir, n)
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p, err := Parse(file, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ps = append(ps, p)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("payers: no payer files (*.yaml) in %s", dir)
	}
	return NewRegistry(ps...)
}

// LoadDir reads the payer files in a directory of the file system.
func LoadDir(dir string) (*Registry, error) { return Load(os.DirFS(dir), ".") }

// Parse reads and validates one payer definition; file names it in errors.
// Unknown fields are errors, so a misspelt option is not silently ignored.
func Parse(file string, data []byte) (*Payer, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSyntax, file, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var p Payer
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrSyntax, file, err)
	}
	p.File = file
	errs := p.validate()
	if len(errs) == 0 {
		return &p, nil
	}
	all := make([]error, len(errs))
	for i, e := range errs {
		e.Line = lineOf(&root, e.Field)
		all[i] = e
	}
	return nil, errors.Join(all...)
}

// lineOf finds the line of a field path ("sftp.port", "transactions[1]") in
// a YAML document; for a missing field, the line of the nearest parent.
func lineOf(doc *yaml.Node, field string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		// An empty document ("---" alone) has no field to point at, and
		// its null node may sit past the last line: name the first.
		return 1
	}
	line := n.Line
	for _, part := range strings.Split(field, ".") {
		key, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 && strings.HasSuffix(part, "]") {
			key = part[:i]
			idx, _ = strconv.Atoi(part[i+1 : len(part)-1])
		}
		next := mapValue(n, key)
		if next == nil {
			return line
		}
		n, line = next, next.Line
		if idx >= 0 && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}
