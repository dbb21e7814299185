#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# README's CI example for vtoken matrix runs as written: the plain shell script (a project's
# token test across six personalities, JUnit and HTML reports), and the GitHub Actions
# workflow, parsed as YAML, whose vtoken matrix step runs as a runner runs it (bash -eo
# pipefail in the checkout) on the test the shell example wrote. Both pass on every card; the
# JUnit report validates and names each personality.
source "$(dirname "$0")/lib.sh"
command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) is not installed"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
mkdir "$T/bin" "$T/project"
ln -s "$VTOKEN_BIN" "$T/bin/vtoken"
export PATH="$T/bin:$PATH"

# the section's blocks: $T/NAME.sh for ```sh, $T/workflow.yml for ```yaml
/usr/bin/python3 - "$VT_SRC/README.md" "$T" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = re.search(r"^### Every card personality: `vtoken matrix`\n(.*?)^### ", text, re.S | re.M)
assert section, "README has no vtoken matrix section"
blocks = re.findall(r"^```(sh|yaml)\n(.*?)^```$", section.group(1), re.S | re.M)
assert [k for k, _ in blocks] == ["sh", "yaml"], f"expected a sh and a yaml block, got {[k for k, _ in blocks]}"
open(f"{sys.argv[2]}/example.sh", "w").write(blocks[0][1])
open(f"{sys.argv[2]}/workflow.yml", "w").write(blocks[1][1])
EOF
personalities="piv ecert openpgp piv+openpgp yubikey-5.4.3 yubikey-5.7.1"

# the shell example, in the project's directory
start=$EPOCHREALTIME
out=$(cd "$T/project" && bash -eo pipefail "$T/example.sh" 2>&1) || fail "README's shell example failed: $out"
echo "$out"
echo "shell example: $(bc <<<"$EPOCHREALTIME - $start") s"
for p in $personalities; do
  re=$(sed 's/[.+]/\\&/g' <<<"$p")
  expect_match "$out" "^$re +passed +[0-9.]+ s$" "the shell example passes on $p"
done
expect_match "$out" '^6 passed, 0 failed' "six personalities, all passed"
xmllint --noout --schema "$VT_SRC/tests/data/junit.xsd" "$T/project/matrix.xml" || fail "matrix.xml does not validate"
expect_eq "$(xmllint --xpath '//testcase/@name' "$T/project/matrix.xml" | sed 's/.*name="\(.*\)"/\1/' | tr '\n' ' ')" \
  "$personalities " "the JUnit report names each personality"
grep -q 'CKP_PUBLIC_CERTIFICATES_TOKEN\|Certificate Object' "$T/project/matrix.xml" ||
  fail "the token test's pkcs11-tool output is not in the report"
pass "the report holds the token test's output"
[ -s "$T/project/matrix.html" ] || fail "no matrix.html"
pass "the shell example writes matrix.html"

# the workflow: YAML a runner takes, whose matrix step runs on the test the shell example wrote
/usr/bin/python3 - "$T/workflow.yml" "$T" <<'EOF' || fail "the workflow is not what a runner takes"
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
steps = w["jobs"]["tokens"]["steps"]
assert w["jobs"]["tokens"]["runs-on"].startswith("ubuntu-")
assert any(s.get("uses", "").startswith("vtoken/vtoken@") for s in steps), "no vtoken action"
run = [s for s in steps if "vtoken matrix" in s.get("run", "")]
assert len(run) == 1, "one step runs vtoken matrix"
upload = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
assert upload and upload[0]["if"] == "always()" and upload[0]["with"]["path"] == "matrix.*"
open(f"{sys.argv[2]}/step.sh", "w").write(run[0]["run"])
EOF
pass "the workflow parses: the action, the matrix step, the reports kept"
rm "$T/project/matrix.xml" "$T/project/matrix.html"
out=$(cd "$T/project" && bash -eo pipefail "$T/step.sh" 2>&1) || fail "the workflow's matrix step failed: $out"
expect_match "$out" '^6 passed, 0 failed' "the workflow's step passes on six personalities"
xmllint --noout --schema "$VT_SRC/tests/data/junit.xsd" "$T/project/matrix.xml" || fail "the step's matrix.xml does not validate"
pass "the workflow's step writes a valid JUnit report for the upload step"
