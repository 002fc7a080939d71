package paysim

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/clearhouse/clearhouse/claim"
)

const rosterCSV = `payer,member_id,subscriber_id,relationship,last_name,first_name,birth_date,gender,status,plan,insurance_type,group_number,group_name,coverage_begin,coverage_end,copay,coinsurance_percent,deductible,deductible_remaining,out_of_pocket,out_of_pocket_remaining
,W123456789,,,SAMPLE,PAT,1980-04-12,F,active,KEYSTONE PPO GOLD,C1,GRP100,RIVERBEND EMPLOYEES,2026-01-01,2026-12-31,25.00,20,1500,300,6000,4125.50
,W123456789,W123456789,19,SAMPLE,LILY,2022-06-30,F,,,,,,,,,,,,,
KHP01,X555000111,,,FORMER,FRED,1955-02-03,M,inactive,,,,,2020-01-01,2025-06-30,,,,,,
`

func TestParseRosterCSV(t *testing.T) {
	t.Parallel()
	got, err := ParseRosterCSV(strings.NewReader(rosterCSV))
	if err != nil {
		t.Fatal(err)
	}
	want := testRoster()[:2]
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseRosterErrors(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, csv, want string }{
		{"unknown column", "member_id,last_name,shoe_size\n", `unknown column "shoe_size"`},
		{"missing column", "member_id\n", "last_name is required"},
		{"duplicate column", "member_id,last_name,member_id\n", "twice"},
		{"bad date", "member_id,last_name,birth_date\n1,A,1980-13-01\n", "line 2: birth_date"},
		{"bad amount", "member_id,last_name,copay\n1,A,ten\n", "line 2: copay"},
		{"bad status", "member_id,last_name,status\n1,A,asleep\n", "status"},
		{"bad coinsurance", "member_id,last_name,coinsurance_percent\n1,A,0.2\n", "whole number"},
		{"orphan dependent", "member_id,subscriber_id,last_name,first_name,relationship\n2,1,A,B,19\n", "before its subscriber"},
		{"duplicate member", "member_id,last_name\n1,A\n1,B\n", "listed twice"},
		{"delimiter", "member_id,last_name\n1,A*B\n", "delimiter"},
		{"empty", "", "header"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseRosterCSV(strings.NewReader(tc.csv))
			if !errors.Is(err, ErrRoster) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadRoster(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	js := filepath.Join(dir, "roster.json")
	if err := os.WriteFile(js, []byte(`[{"memberId":"Z1","lastName":"PLAIN","firstName":"PAULA","active":true,
		"birthDate":"1990-01-02","copayCents":1500,"dependents":[{"relationship":"01","lastName":"PLAIN","firstName":"PETE"}]}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := LoadRoster(js)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].CopayCents != 1500 || ms[0].BirthDate != claim.NewDate(1990, 1, 2) || len(ms[0].Dependents) != 1 {
		t.Fatalf("%+v", ms)
	}
	cv := filepath.Join(dir, "roster.csv")
	if err := os.WriteFile(cv, []byte(rosterCSV), 0o644); err != nil {
		t.Fatal(err)
	}
	if ms, err := LoadRoster(cv); err != nil || len(ms) != 2 {
		t.Fatalf("csv: %d members, %v", len(ms), err)
	}
	for _, bad := range []string{filepath.Join(dir, "roster.txt"), filepath.Join(dir, "missing.json")} {
		if _, err := LoadRoster(bad); !errors.Is(err, ErrRoster) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if err := os.WriteFile(js, []byte(`[{"memberId":"Z1","lastName":"P","favoriteColor":"blue"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRoster(js); !errors.Is(err, ErrRoster) {
		t.Errorf("unknown JSON field accepted: %v", err)
	}
}

func TestMemberCovered(t *testing.T) {
	t.Parallel()
	m := testRoster()[0]
	for d, want := range map[claim.Date]bool{
		claim.NewDate(2025, 12, 31): false, claim.NewDate(2026, 1, 1): true, claim.NewDate(2026, 12, 31): true, claim.NewDate(2027, 1, 1): false,
	} {
		if got := m.covered(d); got != want {
			t.Errorf("covered(%s) = %v", d, got)
		}
	}
}

// FuzzParseRosterCSV checks that no input makes the CSV roster reader panic
// and that what it accepts is a valid roster that a simulator takes.
func FuzzParseRosterCSV(f *testing.F) {
	f.Add(rosterCSV)
	f.Add("member_id,last_name\n1,A\n")
	f.Add("member_id,subscriber_id,last_name,first_name,relationship\n1,,A,B,\n2,1,A,C,19\n")
	f.Fuzz(func(t *testing.T, in string) {
		ms, err := ParseRosterCSV(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrRoster) {
				t.Fatalf("error %v does not wrap ErrRoster", err)
			}
			return
		}
		if err := checkMembers(ms); err != nil {
			t.Fatalf("accepted roster fails its check: %v", err)
		}
	})
}
