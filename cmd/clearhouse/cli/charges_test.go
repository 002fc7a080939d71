package cli

import (
	"testing"
)

func TestChargesCommands(t *testing.T) {
	t.Parallel()
	db := seededDB(t, "sqlite")
	const dir = "testdata/charges/"
	profile := "--profile=" + dir + "profile.yaml"
	runCases(t, db, "charges", []cliCase{
		{"add-flags", []string{"charges", "add", "--patient", "1", "--provider", "1", "--date", "2026-04-06", "--diagnosis", "J06.9",
			"--line", "99213:25:1:1,R50.9", "--line", "87880:QW:1:1", profile}, nil},
		{"add-json", []string{"charges", "add", "--mrn", "MRN101", "--npi", "1972658315", "--date", "2026-04-07", "--pos", "02",
			"--line", "99213:1.5:E11.9@140.00", "--open", "-o", "json"}, nil},
		{"add-file", []string{"charges", "add", "--file", dir + "encounter.json", "--clinic", "1"}, nil},
		{"add-no-price", []string{"charges", "add", "--patient", "1", "--provider", "1", "--date", "2026-04-06", "--line", "99213:1:J06.9"}, nil},
		{"add-not-in-schedule", []string{"charges", "add", "--patient", "1", "--provider", "1", "--date", "2026-04-06", "--line", "99214:1:J06.9", profile}, nil},
		{"add-bad-flags", []string{"charges", "add", "--patient", "1", "--date", "04/06/2026", "--line", "99213",
			"--line", "99213:0:J06", "--line", "99213:1:", "--line", "99213:1:1@free", "-o", "yaml"}, nil},
		{"add-no-line", []string{"charges", "add", "--patient", "1", "--provider", "1", "--date", "2026-04-06"}, nil},
		{"add-invalid", []string{"charges", "add", "--date", "2026-04-06", "--line", "99213:1:3@10"}, nil},
		{"add-unknown-patient", []string{"charges", "add", "--patient", "99", "--provider", "1", "--date", "2026-04-06", "--line", "99213:1:J069@10"}, nil},
		{"add-bad-file", []string{"charges", "add", "--file", dir + "bad-encounter.json"}, nil},
		{"add-type-error", []string{"charges", "add", "--file", dir + "type-encounter.json"}, nil},
		{"add-two-encounters", []string{"charges", "add", "--file", dir + "two-encounters.json"}, nil},
		{"add-file-and-flags", []string{"charges", "add", "--file", dir + "encounter.json", "--patient", "1"}, nil},
		{"add-unknown-clinic", []string{"charges", "add", "--clinic", "7", "--patient", "1", "--provider", "1", "--date", "2026-04-06", "--line", "99213:1:J069@10"}, nil},
		{"import-bad-csv", []string{"charges", "import", dir + "bad.csv", profile}, nil},
		{"import-unknown", []string{"charges", "import", dir + "unknown.csv", profile}, nil},
		{"import-csv", []string{"charges", "import", dir + "charges.csv", profile}, nil},
		{"import-json", []string{"charges", "import", dir + "charges.json", profile, "-o", "json"}, nil},
		{"import-not-csv", []string{"charges", "import", dir + "profile.yaml"}, nil},
		{"import-missing", []string{"charges", "import", dir + "none.csv"}, nil},
		{"import-bad-profile", []string{"charges", "import", dir + "charges.csv", "--profile", dir + "bad-profile.yaml"}, nil},
	})
}

func TestParseLineSpec(t *testing.T) {
	cases := []struct {
		spec      string
		dx        []string
		wantCode  string
		wantMods  string
		wantUnits string
		wantPtrs  string
		wantCents int64
		wantDx    string
		wantErr   bool
	}{
		{spec: "99213:1:1", dx: []string{"J069"}, wantCode: "99213", wantUnits: "1", wantPtrs: "1", wantDx: "J069"},
		{spec: "99213:25:1:J06.9,R50.9", wantCode: "99213", wantMods: "25", wantUnits: "1", wantPtrs: "1,2", wantDx: "J069 R509"},
		{spec: "20610:rt:59:xu:2:2,M17.11", dx: []string{"M1711", "Z0000"}, wantCode: "20610", wantMods: "RT 59 XU", wantUnits: "2", wantPtrs: "2,1", wantDx: "M1711 Z0000"},
		{spec: "j3420:0.5:E53.8@12.34", wantCode: "J3420", wantUnits: "0.5", wantPtrs: "1", wantCents: 1234, wantDx: "E538"},
		{spec: "99213", wantErr: true},
		{spec: "99213:1", wantErr: true},
		{spec: ":1:1", wantErr: true},
		{spec: "99213::1:1", wantErr: true},
		{spec: "99213:a:b:c:d:e:1:1", wantErr: true},
		{spec: "99213:-1:1", wantErr: true},
		{spec: "99213:1:0", wantErr: true},
		{spec: "99213:1:1,", wantErr: true},
		{spec: "99213:1:1@0", wantErr: true},
		{spec: "99213:1:1@", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.spec, func(t *testing.T) {
			dx := append([]string(nil), tc.dx...)
			l, err := parseLineSpec(tc.spec, &dx)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error, got %+v", l)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []string{l.ProcedureCode, joinStrings(l.Modifiers), l.Units.String(), joinInts(l.DiagnosisPointers), joinStrings(dx)}
			want := []string{tc.wantCode, tc.wantMods, tc.wantUnits, tc.wantPtrs, tc.wantDx}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("got %q, want %q", got, want)
					break
				}
			}
			if l.ChargeCents != tc.wantCents {
				t.Errorf("charge %d, want %d", l.ChargeCents, tc.wantCents)
			}
		})
	}
}

func joinStrings(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += " "
		}
		out += s
	}
	return out
}
