#!/usr/bin/env bash
# Conformance: every X12 file Clearhouse writes, checked by an independent
# 005010 implementation-guide validator (x12valid, pyx12's maps).
#
# Files checked:
#   - every golden file under */testdata/golden (encoders, simulator, CLI);
#   - `clearhouse claims encode` of every fixture claim (edi/x837 and CLI
#     testdata/claims);
#   - a small demo run: the 837s and 270s Clearhouse uploaded to the payer
#     simulator (paysim/<payer>/inbound) and the 999s, 277CAs, 271s and 835s
#     the simulator answered (paysim/<payer>/archive).
#
# x12valid has no usable map for 270/271 (X279A1) or 276/277 (X212): those
# files are listed as not checked by it and go through `clearhouse edi
# validate` instead. TA1-only files (no functional group) are skipped: pyx12
# cannot read them.
#
# The validator is ../shared/tools/x12-oracle/x12valid beside the repository
# (X12VALID overrides). Without it, or without python3-defusedxml, the run is
# skipped; under CI=true it fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
GO=${GO:-go}
X12VALID=${X12VALID:-$ROOT/../shared/tools/x12-oracle/x12valid}

missing() {
	if [ "${CI:-}" = "true" ]; then
		echo "conformance: $1 (CI=true: failing)" >&2
		exit 1
	fi
	echo "conformance: $1; skipped"
	exit 0
}
[ -x "$X12VALID" ] || missing "validator $X12VALID not found"
rc=0
"$X12VALID" >/dev/null 2>&1 || rc=$?
# x12valid exits 3 when python3 or defusedxml is missing, 2 for no files.
[ "$rc" -eq 2 ] || missing "validator cannot run (exit $rc): python3 with defusedxml is needed (apt-get install -y python3-defusedxml)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "conformance: building clearhouse"
$GO build -o "$WORK/clearhouse" ./cmd/clearhouse
CH="$WORK/clearhouse"

# 1. Goldens.
: >"$WORK/files"
git ls-files -- '*/testdata/golden/*' '*/testdata/*/golden/*' >>"$WORK/files"

# 2. claims encode of the fixture claims.
mkdir -p "$WORK/encode"
for f in edi/x837/testdata/claims/*.json cmd/clearhouse/cli/testdata/claims/*.json; do
	case "$(basename "$f")" in decode-*) continue ;; esac
	format=837p
	grep -q '"kind": *"837I"' "$f" && format=837i
	out="$WORK/encode/$(basename "$f" .json).$format.x12"
	"$CH" claims encode --format "$format" --submitter-name "CLEARHOUSE BILLING" --submitter-id CLH0001 \
		--contact-name "EDI DESK" --contact-phone 2155550100 --time 2026-11-03T10:30:00Z -o "$out" "$f"
	echo "$out" >>"$WORK/files"
done

# 3. A demo run, small enough to take seconds.
echo "conformance: running a small demo"
if ! "$CH" demo --dir "$WORK/demo" --seed 20260914 --appointments 200 --patients 60 >"$WORK/demo.log" 2>&1; then
	cat "$WORK/demo.log" >&2
	echo "conformance: the demo failed" >&2
	exit 1
fi
find "$WORK/demo/paysim" -type f \( -path '*/inbound/*' -o -path '*/archive/*' \) ! -name '.*' | sort >>"$WORK/files"
echo "conformance: $(grep -vc "^$WORK/" "$WORK/files") goldens, $(grep -c "^$WORK/encode/" "$WORK/files") claims encode outputs, $(grep -c "^$WORK/demo/" "$WORK/files") demo files"

# kind FILE prints the file's transaction (837P, 837I, 835, 999, 277CA, 270,
# 271, 276, 277), TA1 for an interchange with TA1s and no group, or "-" for
# a file that is not X12. Delimiters come from the ISA: the element
# separator is byte 4, the segment terminator byte 106.
kind() {
	local el term
	el=$(head -c 4 "$1" | tail -c 1)
	term=$(head -c 106 "$1" | tail -c 1)
	LC_ALL=C awk -v RS="$term" -v FS="$el" '
		{ sub(/^[ \t\r\n]+/, "") }
		$1 == "GS" { gs08 = $9 }
		$1 == "TA1" { ta1 = 1 }
		$1 == "ST" {
			t = $2
			if (t == "837" && gs08 ~ /X222/) t = "837P"
			else if (t == "837" && gs08 ~ /X223/) t = "837I"
			else if (t == "277" && gs08 ~ /X214/) t = "277CA"
			print t; found = 1; exit
		}
		END { if (!found) print (ta1 ? "TA1" : "-") }' "$1"
}

# groups_only FILE OUT writes FILE's interchanges that hold a functional
# group to OUT and prints how many it left out (TA1-only interchanges).
groups_only() {
	local el term
	el=$(head -c 4 "$1" | tail -c 1)
	term=$(head -c 106 "$1" | tail -c 1)
	LC_ALL=C awk -v RS="$term" -v FS="$el" -v ORS="$term" -v out="$2" '
		{ id = $1; sub(/^[ \t\r\n]+/, "", id) }
		id == "ISA" { buf = ""; gs = 0 }
		id == "GS" { gs = 1 }
		{ buf = buf $0 ORS }
		id == "IEA" { if (gs) printf "%s", buf > out; else left++ ; buf = "" }
		END { printf "%d\n", left + 0 > "/dev/stderr" }' "$1" 2>&1 >/dev/null
}

declare -A checked failed unchecked
: >"$WORK/check"
: >"$WORK/other"
while read -r f; do
	[ -s "$f" ] || continue
	[ "$(head -c 3 "$f")" = "ISA" ] || continue
	k=$(kind "$f")
	case "$k" in
	837P | 837I | 835 | 999 | 277CA)
		if grep -q "TA1" "$f"; then
			# pyx12 cannot read a TA1-only interchange: check the file's
			# other interchanges, and count the TA1s as skipped.
			g="$WORK/groups/$(echo "$f" | tr '/' '_')"
			mkdir -p "$WORK/groups"
			n=$(groups_only "$f" "$g")
			if [ "$n" -gt 0 ]; then
				unchecked[TA1]=$((${unchecked[TA1]:-0} + n))
				echo "$f: $n TA1-only interchanges left out, the rest checked as $g" >>"$WORK/groups.log"
				f=$g
			fi
		fi
		echo "$k $f" >>"$WORK/check"
		checked[$k]=$((${checked[$k]:-0} + 1))
		;;
	TA1 | -)
		unchecked[$k]=$((${unchecked[$k]:-0} + 1))
		;;
	*)
		echo "$k $f" >>"$WORK/other"
		unchecked[$k]=$((${unchecked[$k]:-0} + 1))
		;;
	esac
done <"$WORK/files"

echo "conformance: x12valid over $(wc -l <"$WORK/check") files"
cut -d' ' -f2- "$WORK/check" | xargs -d '\n' "$X12VALID" >"$WORK/report" 2>&1 || true
status=0
while read -r k f; do
	line=$(grep -F -m1 "$f: " "$WORK/report" || true)
	case "$line" in
	"$f: OK") ;;
	*)
		failed[$k]=$((${failed[$k]:-0} + 1))
		status=1
		# The file's lines, up to the next file's.
		awk -v f="$f: " 'index($0, f) == 1 { on = 1; print; next } on && /^[^ ]/ { exit } on { print }' "$WORK/report" | sed "s#$WORK/#<work>/#"
		;;
	esac
done <"$WORK/check"

# 270/271/276/277: no x12valid map; Clearhouse's own validator checks them.
while read -r k f; do
	if ! out=$("$CH" edi validate "$f" 2>&1); then
		echo "$out" | sed "s#$WORK/#<work>/#"
		failed[$k]=$((${failed[$k]:-0} + 1))
		status=1
	fi
done <"$WORK/other"

echo
printf '%-6s %8s %7s  %s\n' SET CHECKED ERRORS BY
for k in 837P 837I 835 999 277CA; do
	printf '%-6s %8d %7d  %s\n' "$k" "${checked[$k]:-0}" "${failed[$k]:-0}" x12valid
done
for k in "${!unchecked[@]}"; do
	case "$k" in
	TA1) printf '%-6s %8d %7s  %s\n' TA1 "${unchecked[$k]}" - "skipped: pyx12 cannot read a TA1-only interchange" ;;
	-) printf '%-6s %8d %7s  %s\n' "not X12" "${unchecked[$k]}" - skipped ;;
	*) printf '%-6s %8d %7d  %s\n' "$k" "${unchecked[$k]}" "${failed[$k]:-0}" "not checked by x12valid (no map); clearhouse edi validate" ;;
	esac
done | sort
if [ "$status" -ne 0 ]; then
	echo "conformance: FAILED" >&2
	exit 1
fi
echo "conformance: every checked file passed"
