package codes

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ImportOptions describes a release file to import.
type ImportOptions struct {
	Kind Kind
	// Source names the file (for messages and provenance); Data is its
	// content, plain or gzip-compressed, in the published layout of its kind:
	// the ICD-10-CM order file, the HCPCS file (CSV with a header row), the
	// NCCI PTP or MUE quarterly file (tab-delimited text or CSV).
	Source string
	Data   io.Reader
	// Dir is the data directory Load reads (Load's Dir).
	Dir string
	// Name is the release name; default the source file's base name.
	Name string
	// From and To are the effective dates, YYYY-MM-DD. From is required for
	// icd10cm and hcpcs; To defaults to open (until a later release).
	From, To string
	// Setting is practitioner (default) or hospital, for ncci-ptp and mue.
	Setting Setting
}

// ErrImport wraps errors about import options.
var ErrImport = errors.New("codes: import")

// Import parses a release file (rejecting it with a positioned error if its
// layout is wrong) and stores it, compressed, with a release.json under
// Dir/<kind>/<name>/, where Load finds it.
func Import(opts ImportOptions) (ReleaseInfo, error) {
	if _, err := ParseKind(string(opts.Kind)); err != nil {
		return ReleaseInfo{}, err
	}
	if opts.Dir == "" {
		return ReleaseInfo{}, fmt.Errorf("%w: no data directory", ErrImport)
	}
	from, err := ParseDay(opts.From)
	if err != nil {
		return ReleaseInfo{}, fmt.Errorf("%w: --from: %v", ErrImport, err)
	}
	to, err := ParseDay(opts.To)
	if err != nil {
		return ReleaseInfo{}, fmt.Errorf("%w: --to: %v", ErrImport, err)
	}
	if to != 0 && from != 0 && to < from {
		return ReleaseInfo{}, fmt.Errorf("%w: effective range %s to %s ends before it starts", ErrImport, from, to)
	}
	if (opts.Kind == ICD10CM || opts.Kind == HCPCS) && from == 0 {
		return ReleaseInfo{}, fmt.Errorf("%w: %s needs the first effective date (--from YYYY-MM-DD)", ErrImport, opts.Kind)
	}
	setting := opts.Setting
	switch opts.Kind {
	case NCCIPTP, MUE:
		if setting == "" {
			setting = Practitioner
		}
		if _, err := ParseSetting(string(setting)); err != nil {
			return ReleaseInfo{}, fmt.Errorf("%w: %v", ErrImport, err)
		}
	case Modifier:
		return ReleaseInfo{}, fmt.Errorf("%w: modifiers come with the HCPCS file: import kind hcpcs", ErrImport)
	default:
		setting = ""
	}
	raw, err := io.ReadAll(opts.Data)
	if err != nil {
		return ReleaseInfo{}, err
	}
	text, err := readAll(bytes.NewReader(raw))
	if err != nil {
		return ReleaseInfo{}, fmt.Errorf("%w: %s: %v", ErrImport, opts.Source, err)
	}
	name := opts.Name
	if name == "" {
		name = filepath.Base(opts.Source)
		name = strings.TrimSuffix(name, ".gz")
		name = strings.TrimSuffix(name, filepath.Ext(name))
	}
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return ReleaseInfo{}, fmt.Errorf("%w: release name %q", ErrImport, name)
	}
	sum := sha256.Sum256(raw)
	info := ReleaseInfo{
		Kind: opts.Kind, Name: name, Setting: setting,
		Source: filepath.Base(opts.Source), SHA256: hex.EncodeToString(sum[:]),
		File: "data.gz",
	}
	if from != 0 {
		info.From = from.String()
	}
	if to != 0 {
		info.To = to.String()
	}
	p, err := parseRelease(info, text, from, to, map[string]Code{})
	if err != nil {
		return ReleaseInfo{}, err
	}
	info.Entries = p.entries

	dir := filepath.Join(opts.Dir, string(opts.Kind), name)
	if setting != "" {
		dir = filepath.Join(opts.Dir, string(opts.Kind), string(setting)+"-"+name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ReleaseInfo{}, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if _, err := zw.Write([]byte(text)); err != nil {
		return ReleaseInfo{}, err
	}
	if err := zw.Close(); err != nil {
		return ReleaseInfo{}, err
	}
	if err := writeFileAtomic(filepath.Join(dir, info.File), gz.Bytes()); err != nil {
		return ReleaseInfo{}, err
	}
	meta, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return ReleaseInfo{}, err
	}
	if err := writeFileAtomic(filepath.Join(dir, "release.json"), append(meta, '\n')); err != nil {
		return ReleaseInfo{}, err
	}
	return info, nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
