package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
)

// DefaultConfigFile is the configuration file read from the working
// directory when neither --config nor CLEARHOUSE_CONFIG names one.
const DefaultConfigFile = "clearhouse.yaml"

// configFile is clearhouse.yaml: the database and the settings of serve,
// keyed by serve's flag names. Flags given on the command line, then the
// environment (CLEARHOUSE_DATABASE, CLEARHOUSE_TZ), override it.
//
//	database: postgres://clearhouse@db.internal/clearhouse
//	serve:
//	  listen: 0.0.0.0:9464
//	  workers: 20
//	  sftp-key: /etc/clearhouse/payers.key
//	  poll-payers: [KHP01, MCRJX]
//	  nightly: "01:30"
//	  tz: America/New_York
type configFile struct {
	path     string
	Database string               `yaml:"database"`
	Serve    map[string]yaml.Node `yaml:"serve"`
}

// configEnv names the environment variable that overrides a serve setting
// of the file (flags override both). The file store's settings (files-dir,
// key-file, ...) are applied from their environment variables after the
// file, so those win over it too.
var configEnv = map[string]string{"tz": "CLEARHOUSE_TZ"}

// configPath is the file to read: --config, else $CLEARHOUSE_CONFIG, else
// clearhouse.yaml when it exists. explicit is set when the file was named
// (a missing file is then an error).
func configPath(flag string, env *Env) (path string, explicit bool) {
	if flag != "" {
		return flag, true
	}
	if v := env.Getenv("CLEARHOUSE_CONFIG"); v != "" {
		return v, true
	}
	return DefaultConfigFile, false
}

// loadConfig reads and checks a configuration file; nil when there is
// none to read.
func loadConfig(path string, explicit bool) (*configFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && !explicit {
			return nil, nil
		}
		return nil, fmt.Errorf("--config: %w", err)
	}
	cf := &configFile{path: path}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(cf); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return cf, nil
}

// applyDatabase sets env.Database from the file when neither --database
// nor CLEARHOUSE_DATABASE gave one.
func (cf *configFile) applyDatabase(cmd *cobra.Command, env *Env) {
	if cf == nil || cf.Database == "" || cmd.Flags().Changed("database") || env.Getenv("CLEARHOUSE_DATABASE") != "" {
		return
	}
	env.Database = cf.Database
}

// applyServe sets serve's flags from the file's serve section, except
// those given on the command line or by their environment variable. An
// unknown key or a value the flag refuses is an error naming the file and
// the key.
func (cf *configFile) applyServe(flags *pflag.FlagSet, env *Env) error {
	if cf == nil {
		return nil
	}
	keys := make([]string, 0, len(cf.Serve))
	for k := range cf.Serve {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, key := range keys {
		node := cf.Serve[key]
		fl := flags.Lookup(key)
		if fl == nil || key == "help" || key == "config" || key == "database" {
			why := "not a setting of serve"
			if key == "database" {
				why = "give the database at the top level of the file"
			}
			errs = append(errs, fmt.Errorf("%s: serve.%s (line %d): %s", cf.path, key, node.Line, why))
			continue
		}
		if fl.Changed {
			continue
		}
		if name, ok := configEnv[key]; ok && env.Getenv(name) != "" {
			continue
		}
		value, err := configValue(&node)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: serve.%s (line %d): %v", cf.path, key, node.Line, err))
			continue
		}
		if err := fl.Value.Set(value); err != nil {
			errs = append(errs, fmt.Errorf("%s: serve.%s (line %d): %q: %v", cf.path, key, node.Line, value, err))
		}
	}
	return errors.Join(errs...)
}

// configValue is a YAML scalar, or a list of them, as a flag value.
func configValue(n *yaml.Node) (string, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		items := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return "", errors.New("want a list of values")
			}
			if strings.Contains(c.Value, ",") {
				return "", fmt.Errorf("list item %s has a comma", strconv.Quote(c.Value))
			}
			items = append(items, c.Value)
		}
		return strings.Join(items, ","), nil
	}
	return "", errors.New("want a value or a list of values")
}
