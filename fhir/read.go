// Package fhir maps HL7 FHIR R4 at the EHR boundary: the import of what an
// EHR exports (Bundles and bulk-data NDJSON) into registrations,
// appointments and encounters with charges, and the read API's resources
// built from Clearhouse's rows (claims, 835 payments as
// ExplanationOfBenefit, 271 answers as CoverageEligibilityResponse, claim
// status as ClaimResponse).
//
// The resource models are github.com/samply/golang-fhir-models (R4,
// generated from the specification's StructureDefinitions).
package fhir

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrRead is wrapped by every error about input that is not FHIR JSON.
var ErrRead = errors.New("fhir: unreadable input")

// MaxInput caps one file (a Bundle, or an NDJSON file); MaxLine caps one
// NDJSON line (one resource).
const (
	MaxInput = 256 << 20
	MaxLine  = 16 << 20
)

// Position says where a resource was read: the file and the NDJSON line
// (1-based) or the Bundle entry (0-based, as in Bundle.entry[n]).
type Position struct {
	File  string
	Line  int // NDJSON line; 0 in a Bundle
	Entry int // Bundle entry; -1 outside a Bundle
}

func (p Position) String() string {
	switch {
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	case p.Entry >= 0:
		return fmt.Sprintf("%s entry[%d]", p.File, p.Entry)
	}
	return p.File
}

// Entry is one resource as read: its type, logical ID, version
// (meta.versionId) and the JSON to decode with the resource's model.
type Entry struct {
	Type    string
	ID      string
	Version string
	// FullURL is the Bundle entry's fullUrl (urn:uuid:... in transaction
	// bundles), which references may use instead of Type/ID.
	FullURL string
	Raw     json.RawMessage
	Pos     Position
}

// Ref is the entry's relative reference, "Patient/123".
func (e Entry) Ref() string { return e.Type + "/" + e.ID }

// Problem is a resource that was not imported: its reference (empty when
// the input did not say), where it was read and why.
type Problem struct {
	Ref    string   `json:"ref"`
	Pos    Position `json:"-"`
	Where  string   `json:"where"`
	Reason string   `json:"reason"`
}

func (p Problem) String() string {
	if p.Ref == "" {
		return p.Where + ": " + p.Reason
	}
	return p.Where + ": " + p.Ref + ": " + p.Reason
}

// Batch is a unit of import: one Bundle, or the NDJSON files of one bulk
// export. It is imported in one transaction or not at all.
type Batch struct {
	// Source names the batch: the bundle's file, or the directory of the
	// NDJSON files.
	Source  string
	Entries []Entry
	// Broken are the parts of the input that are not resources (bad JSON,
	// no resourceType or id): the batch is not imported while it has any.
	Broken []Problem
}

// envelope is what every resource carries.
type envelope struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         *struct {
		VersionID string `json:"versionId"`
	} `json:"meta"`
}

type bundleJSON struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// add reads one resource's envelope into b.
func (b *Batch) add(raw json.RawMessage, pos Position, fullURL string) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		b.Broken = append(b.Broken, Problem{Pos: pos, Where: pos.String(), Reason: "not a FHIR resource: " + err.Error()})
		return
	}
	if env.ResourceType == "" {
		b.Broken = append(b.Broken, Problem{Pos: pos, Where: pos.String(), Reason: "no resourceType"})
		return
	}
	if env.ID == "" {
		b.Broken = append(b.Broken, Problem{Ref: env.ResourceType, Pos: pos, Where: pos.String(), Reason: "no id (resources are imported by their logical ID)"})
		return
	}
	e := Entry{Type: env.ResourceType, ID: env.ID, FullURL: fullURL, Raw: raw, Pos: pos}
	if env.Meta != nil {
		e.Version = env.Meta.VersionID
	}
	b.Entries = append(b.Entries, e)
}

// Read reads one file's content: a Bundle (its entries), a single resource,
// or NDJSON (one resource per line, as FHIR bulk data export writes). name
// is used in positions. Content that is not JSON at all is an error
// wrapping ErrRead; a line or entry that is not a resource is a Problem in
// Batch.Broken.
func Read(name string, r io.Reader) (Batch, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return Batch{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > MaxInput {
		return Batch{}, fmt.Errorf("%s: %w: larger than %d MiB", name, ErrRead, MaxInput>>20)
	}
	b := Batch{Source: name}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return b, nil
	}
	if trimmed[0] != '{' {
		return Batch{}, fmt.Errorf("%s: %w: want a JSON Bundle, a resource or NDJSON", name, ErrRead)
	}
	// One JSON value and nothing after it is a Bundle or a resource;
	// anything else is read line by line as NDJSON.
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var first json.RawMessage
	if err := dec.Decode(&first); err == nil && !dec.More() && dec.InputOffset() == int64(len(trimmed)) {
		var bj bundleJSON
		if err := json.Unmarshal(first, &bj); err == nil && bj.ResourceType == "Bundle" {
			for i, e := range bj.Entry {
				pos := Position{File: name, Entry: i}
				if len(e.Resource) == 0 || string(e.Resource) == "null" {
					b.Broken = append(b.Broken, Problem{Pos: pos, Where: pos.String(), Reason: "entry without a resource"})
					continue
				}
				b.add(e.Resource, pos, e.FullURL)
			}
			return b, nil
		}
		b.add(first, Position{File: name, Entry: -1}, "")
		return b, nil
	}
	return b, readNDJSON(&b, name, data)
}

func readNDJSON(b *Batch, name string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		b.add(bytes.Clone(text), Position{File: name, Line: line, Entry: -1}, "")
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s:%d: %w: %v", name, line+1, ErrRead, err)
	}
	return nil
}

// ReadPath reads a file (one batch) or a directory: every *.json file
// there is a batch of its own, and its *.ndjson files together are one
// batch (a bulk export puts each resource type in its own file, and they
// refer to one another).
func ReadPath(path string) ([]Batch, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		b, err := Read(path, f)
		if err != nil {
			return nil, err
		}
		return []Batch{b}, nil
	}
	des, err := os.ReadDir(path)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(des))
	for _, de := range des {
		if !de.IsDir() {
			names = append(names, de.Name())
		}
	}
	sort.Strings(names)
	var out []Batch
	bulk := Batch{Source: path}
	for _, n := range names {
		lower := strings.ToLower(n)
		isJSON, isNDJSON := strings.HasSuffix(lower, ".json"), strings.HasSuffix(lower, ".ndjson")
		if !isJSON && !isNDJSON {
			continue
		}
		full := filepath.Join(path, n)
		f, err := os.Open(full)
		if err != nil {
			return nil, err
		}
		b, err := Read(full, f)
		f.Close()
		if err != nil {
			return nil, err
		}
		if isNDJSON {
			bulk.Entries = append(bulk.Entries, b.Entries...)
			bulk.Broken = append(bulk.Broken, b.Broken...)
			continue
		}
		out = append(out, b)
	}
	if len(bulk.Entries)+len(bulk.Broken) > 0 {
		out = append(out, bulk)
	}
	return out, nil
}
