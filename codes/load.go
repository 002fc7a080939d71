package codes

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

//go:embed data
var embedded embed.FS

// Sets is every code set the scrubber consults, loaded once and read-only
// afterwards: safe for concurrent use.
type Sets struct {
	sets map[Kind]*Set
	ptp  map[Setting]*PTPTable
	mue  map[Setting]*MUETable
}

// Set returns the set of kind k, or nil if it was not loaded. NCCIPTP and
// MUE are tables, not sets: use PTP and MUE.
func (s *Sets) Set(k Kind) *Set {
	if s == nil {
		return nil
	}
	return s.sets[k]
}

// PTP returns the NCCI procedure-to-procedure table for setting (nil if none).
func (s *Sets) PTP(st Setting) *PTPTable {
	if s == nil {
		return nil
	}
	return s.ptp[st]
}

// MUE returns the medically unlikely edit table for setting (nil if none).
func (s *Sets) MUE(st Setting) *MUETable {
	if s == nil {
		return nil
	}
	return s.mue[st]
}

// LoadOptions says what Load reads.
type LoadOptions struct {
	// Dir is a directory of imported releases (see Import); "" reads only
	// the embedded ones. A missing directory is not an error.
	Dir string
	// Kinds limits loading to these kinds; empty loads all. Modifier needs
	// the HCPCS file, so asking for either loads both.
	Kinds []Kind
}

// LoadEmbedded loads every code set shipped in the binary.
func LoadEmbedded() (*Sets, error) { return Load(LoadOptions{}) }

// Load reads the embedded releases and those imported into opts.Dir.
func Load(opts LoadOptions) (*Sets, error) {
	want := map[Kind]bool{}
	for _, k := range opts.Kinds {
		if _, err := ParseKind(string(k)); err != nil {
			return nil, err
		}
		want[k] = true
	}
	if want[Modifier] {
		want[HCPCS] = true
	}
	if want[HCPCS] {
		want[Modifier] = true
	}
	need := func(k Kind) bool { return len(want) == 0 || want[k] }
	s := &Sets{sets: map[Kind]*Set{}, ptp: map[Setting]*PTPTable{}, mue: map[Setting]*MUETable{}}
	if err := s.loadEmbedded(need); err != nil {
		return nil, err
	}
	if opts.Dir != "" {
		if err := s.loadDir(opts.Dir, need); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func readEmbedded(name string) (string, error) {
	f, err := embedded.Open("data/" + name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	return readAll(f)
}

// loadICD reads the embedded FY2026 order file and derives FY2025 from the
// addenda.
func loadICD() (*Set, error) {
	text, err := readEmbedded("icd10cm-order-2026.txt.gz")
	if err != nil {
		return nil, err
	}
	m, err := parseICDOrder("icd10cm-order-2026.txt", text)
	if err != nil {
		return nil, err
	}
	fy26 := &Release{Kind: ICD10CM, Name: "FY2026", From: 20251001, To: 20260930,
		Source: "CDC/CMS ICD-10-CM order file FY2026", codes: m, n: len(m)}
	add, err := readEmbedded("icd10cm-order-addenda-2026.txt.gz")
	if err != nil {
		return nil, err
	}
	fy25, err := reverseAddenda("icd10cm-order-addenda-2026.txt", add, fy26)
	if err != nil {
		return nil, err
	}
	fy25.Name, fy25.From, fy25.To = "FY2025", 20241001, 20250930
	fy25.Source = "derived from the FY2026 order file and the FY2026 order addenda"
	return newSet(ICD10CM, fy25, fy26), nil
}

func (s *Sets) loadEmbedded(need func(Kind) bool) error {
	// ICD-10-CM is most of the work: read it beside the other sets.
	var (
		icd    *Set
		icdErr error
		wg     sync.WaitGroup
	)
	if need(ICD10CM) {
		wg.Go(func() { icd, icdErr = loadICD() })
	}
	err := s.loadOthers(need)
	wg.Wait()
	if icdErr != nil {
		return icdErr
	}
	if err != nil {
		return err
	}
	if icd != nil {
		s.sets[ICD10CM] = icd
	}
	return nil
}

func (s *Sets) loadOthers(need func(Kind) bool) error {
	if need(HCPCS) {
		text, err := readEmbedded("hcpcs_codes.csv.gz")
		if err != nil {
			return err
		}
		cpt, err := readEmbedded("cpt_modifiers.tsv")
		if err != nil {
			return err
		}
		procs, mods, err := parseHCPCS("hcpcs_codes.csv", text, 0)
		if err != nil {
			return err
		}
		cptMods, err := parseTSV("cpt_modifiers.tsv", cpt)
		if err != nil {
			return err
		}
		hp, md := hcpcsReleases(procs, mods, cptMods, "2026-01", 20260101, 0, "CMS HCPCS Level II file, January 2026")
		s.sets[HCPCS] = newSet(HCPCS, hp)
		s.sets[Modifier] = newSet(Modifier, md)
	}
	simple := []struct {
		kind         Kind
		file, name   string
		from         Day
		source       string
		parseTaxonom bool
	}{
		{POS, "place_of_service.tsv.gz", "current", 0, "CMS place of service code set", false},
		{CARC, "carc.tsv.gz", "current", 0, "claim adjustment reason codes (CMS CodeSystem)", false},
		{GroupCode, "carc_group_codes.tsv.gz", "current", 0, "claim adjustment group codes (CMS CodeSystem)", false},
		{Taxonomy, "nucc_taxonomy_251.csv.gz", "25.1", 0, "NUCC Health Care Provider Taxonomy code set 25.1 (effective 2025-07-01), www.nucc.org", true},
	}
	for _, d := range simple {
		if !need(d.kind) {
			continue
		}
		text, err := readEmbedded(d.file)
		if err != nil {
			return err
		}
		var m map[string]Code
		if d.parseTaxonom {
			m, err = parseTaxonomy(d.file, text)
		} else {
			m, err = parseTSV(d.file, text)
		}
		if err != nil {
			return err
		}
		s.sets[d.kind] = newSet(d.kind, &Release{Kind: d.kind, Name: d.name, From: d.from, Source: d.source, codes: m, n: len(m)})
	}
	for _, st := range []Setting{Practitioner, Hospital} {
		if need(NCCIPTP) {
			name := "ncci_ptp_" + string(st) + "_SAMPLE.txt"
			text, err := readEmbedded(name)
			if err != nil {
				return err
			}
			t, err := parsePTP(name, text, st)
			if err != nil {
				return err
			}
			t.Release = "SAMPLE"
			s.ptp[st] = t
		}
		if need(MUE) {
			name := "mue_" + string(st) + "_SAMPLE.txt"
			text, err := readEmbedded(name)
			if err != nil {
				return err
			}
			t, err := parseMUE(name, text, st)
			if err != nil {
				return err
			}
			t.Release = "SAMPLE"
			s.mue[st] = t
		}
	}
	return nil
}

// hcpcsReleases makes the HCPCS release and the matching modifier release
// (the file's two-character rows plus the CPT modifier numbers).
func hcpcsReleases(procs, mods, cptMods map[string]Code, name string, from, to Day, source string) (*Release, *Release) {
	all := make(map[string]Code, len(mods)+len(cptMods))
	for k, v := range cptMods {
		all[k] = v
	}
	for k, v := range mods {
		all[k] = v
	}
	hp := &Release{Kind: HCPCS, Name: name, From: from, To: to, Source: source, codes: procs, n: len(procs)}
	md := &Release{Kind: Modifier, Name: name, From: from, To: to, Source: source + " and CPT modifier numbers", codes: all, n: len(all)}
	return hp, md
}

// ReleaseInfo describes an imported release; it is stored as release.json
// beside the compressed file.
type ReleaseInfo struct {
	Kind    Kind    `json:"kind"`
	Name    string  `json:"name"`
	From    string  `json:"from,omitempty"`
	To      string  `json:"to,omitempty"`
	Setting Setting `json:"setting,omitempty"`
	// Source is the file name given to import; SHA256 its digest.
	Source string `json:"source"`
	SHA256 string `json:"sha256"`
	// Entries is the number of codes, edits or limits read.
	Entries int    `json:"entries"`
	File    string `json:"file"`
}

func (s *Sets) loadDir(dir string, need func(Kind) bool) error {
	metas, err := filepath.Glob(filepath.Join(dir, "*", "*", "release.json"))
	if err != nil {
		return err
	}
	sort.Strings(metas)
	var cptMods map[string]Code
	for _, meta := range metas {
		raw, err := os.ReadFile(meta)
		if err != nil {
			return err
		}
		var info ReleaseInfo
		if err := json.Unmarshal(raw, &info); err != nil {
			return &ParseError{File: meta, Line: 1, Err: err}
		}
		if _, err := ParseKind(string(info.Kind)); err != nil {
			return &ParseError{File: meta, Line: 1, Err: err}
		}
		if !need(info.Kind) {
			continue
		}
		f, err := os.Open(filepath.Join(filepath.Dir(meta), info.File))
		if err != nil {
			return err
		}
		text, err := readAll(f)
		f.Close()
		if err != nil {
			return err
		}
		if info.Kind == HCPCS && cptMods == nil {
			cpt, err := readEmbedded("cpt_modifiers.tsv")
			if err != nil {
				return err
			}
			if cptMods, err = parseTSV("cpt_modifiers.tsv", cpt); err != nil {
				return err
			}
		}
		if err := s.addRelease(info, text, cptMods); err != nil {
			return fmt.Errorf("%s: %w", filepath.Dir(meta), err)
		}
	}
	return nil
}

// addRelease parses text as a release described by info and adds it.
func (s *Sets) addRelease(info ReleaseInfo, text string, cptMods map[string]Code) error {
	from, err := ParseDay(info.From)
	if err != nil {
		return err
	}
	to, err := ParseDay(info.To)
	if err != nil {
		return err
	}
	r, err := parseRelease(info, text, from, to, cptMods)
	if err != nil {
		return err
	}
	switch info.Kind {
	case NCCIPTP:
		if old := s.ptp[info.Setting]; old == nil || old.Sample || r.ptp.Release >= old.Release {
			s.ptp[info.Setting] = r.ptp
		}
	case MUE:
		if old := s.mue[info.Setting]; old == nil || old.Sample || r.mue.Release >= old.Release {
			s.mue[info.Setting] = r.mue
		}
	case HCPCS:
		s.set(HCPCS).add(r.rel)
		s.set(Modifier).add(r.mods)
	default:
		s.set(info.Kind).add(r.rel)
	}
	return nil
}

func (s *Sets) set(k Kind) *Set {
	if s.sets[k] == nil {
		s.sets[k] = newSet(k)
	}
	return s.sets[k]
}

type parsed struct {
	rel, mods *Release
	ptp       *PTPTable
	mue       *MUETable
	entries   int
}

func parseRelease(info ReleaseInfo, text string, from, to Day, cptMods map[string]Code) (parsed, error) {
	src := info.Source
	switch info.Kind {
	case ICD10CM:
		m, err := parseICDOrder(src, text)
		if err != nil {
			return parsed{}, err
		}
		return parsed{rel: &Release{Kind: ICD10CM, Name: info.Name, From: from, To: to, Source: src, codes: m, n: len(m)}, entries: len(m)}, nil
	case HCPCS:
		procs, mods, err := parseHCPCS(src, text, from)
		if err != nil {
			return parsed{}, err
		}
		hp, md := hcpcsReleases(procs, mods, cptMods, info.Name, from, to, src)
		return parsed{rel: hp, mods: md, entries: len(procs) + len(mods)}, nil
	case NCCIPTP:
		t, err := parsePTP(src, text, info.Setting)
		if err != nil {
			return parsed{}, err
		}
		t.Release = info.Name
		return parsed{ptp: t, entries: t.Len()}, nil
	case MUE:
		t, err := parseMUE(src, text, info.Setting)
		if err != nil {
			return parsed{}, err
		}
		t.Release = info.Name
		return parsed{mue: t, entries: t.Len()}, nil
	case Taxonomy:
		m, err := parseTaxonomy(src, text)
		if err != nil {
			return parsed{}, err
		}
		return parsed{rel: &Release{Kind: Taxonomy, Name: info.Name, From: from, To: to, Source: src, codes: m, n: len(m)}, entries: len(m)}, nil
	case POS, CARC, GroupCode:
		m, err := parseTSV(src, text)
		if err != nil {
			return parsed{}, err
		}
		return parsed{rel: &Release{Kind: info.Kind, Name: info.Name, From: from, To: to, Source: src, codes: m, n: len(m)}, entries: len(m)}, nil
	}
	return parsed{}, fmt.Errorf("%w %q", ErrUnknownKind, info.Kind)
}

// Provenance returns the embedded data/PROVENANCE file: source, release and
// effective dates of every shipped file.
func Provenance() string {
	b, err := fs.ReadFile(embedded, "data/PROVENANCE")
	if err != nil {
		return ""
	}
	return string(b)
}
