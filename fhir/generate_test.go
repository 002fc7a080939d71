package fhir_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// generateBundle writes a collection Bundle of n patients, each with a
// coverage with the fixture payer and a visit (Encounter, Condition,
// ChargeItem), from a seeded generator: the same seed, the same bundle.
func generateBundle(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, seed))
	firsts := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Radia", "Ken"}
	lasts := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Perlman", "Thompson"}
	dx := []string{"J06.9", "R50.9", "I10", "E11.9", "M54.50", "J02.9"}
	var entries []map[string]any
	add := func(r map[string]any) { entries = append(entries, map[string]any{"resource": r}) }
	add(map[string]any{"resourceType": "Organization", "id": "payer", "meta": map[string]any{"versionId": "1"},
		"identifier": []any{map[string]any{"value": "KHP01"}}, "name": "Keystone Health Plan"})
	add(map[string]any{"resourceType": "Practitioner", "id": "dr", "meta": map[string]any{"versionId": "1"},
		"identifier": []any{map[string]any{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599"}},
		"name":       []any{map[string]any{"family": "KIM", "given": []any{"ANN"}}}})
	for i := 1; i <= n; i++ {
		pid := fmt.Sprintf("gp-%d", i)
		gender := []string{"female", "male"}[rng.IntN(2)]
		birth := fmt.Sprintf("%04d-%02d-%02d", 1940+rng.IntN(70), 1+rng.IntN(12), 1+rng.IntN(28))
		add(map[string]any{"resourceType": "Patient", "id": pid, "meta": map[string]any{"versionId": "1"},
			"identifier": []any{map[string]any{"type": map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}}}, "value": fmt.Sprintf("G-%05d", i)}},
			"name":   []any{map[string]any{"family": lasts[rng.IntN(len(lasts))], "given": []any{firsts[rng.IntN(len(firsts))]}}},
			"gender": gender, "birthDate": birth})
		cov := map[string]any{"resourceType": "Coverage", "id": "gc-" + fmt.Sprint(i), "meta": map[string]any{"versionId": "1"},
			"status": "active", "subscriberId": fmt.Sprintf("KHP%06d", 100000+i), "order": 1,
			"beneficiary": map[string]any{"reference": "Patient/" + pid},
			"payor":       []any{map[string]any{"reference": "Organization/payer"}},
			"period":      map[string]any{"start": "2026-01-01"}}
		if rng.IntN(3) == 0 {
			cov["period"] = map[string]any{"start": "2026-01-01", "end": "2026-12-31"}
		}
		add(cov)
		eid := fmt.Sprintf("ge-%d", i)
		add(map[string]any{"resourceType": "Encounter", "id": eid, "meta": map[string]any{"versionId": "1"}, "status": "finished",
			"class": map[string]any{"code": "AMB"}, "subject": map[string]any{"reference": "Patient/" + pid},
			"participant": []any{map[string]any{"individual": map[string]any{"reference": "Practitioner/dr"}}},
			"period":      map[string]any{"start": fmt.Sprintf("2026-04-%02d", 1+rng.IntN(6))}})
		add(map[string]any{"resourceType": "Condition", "id": fmt.Sprintf("gx-%d", i), "meta": map[string]any{"versionId": "1"},
			"code":    map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": dx[rng.IntN(len(dx))]}}},
			"subject": map[string]any{"reference": "Patient/" + pid}, "encounter": map[string]any{"reference": "Encounter/" + eid}})
		add(map[string]any{"resourceType": "ChargeItem", "id": fmt.Sprintf("gi-%d", i), "meta": map[string]any{"versionId": "1"}, "status": "billable",
			"code":    map[string]any{"coding": []any{map[string]any{"system": "http://www.ama-assn.org/go/cpt", "code": "99213"}}},
			"subject": map[string]any{"reference": "Patient/" + pid}, "context": map[string]any{"reference": "Encounter/" + eid}})
	}
	b, err := json.MarshalIndent(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": entries}, "", " ")
	if err != nil {
		panic(err)
	}
	return string(b)
}
