#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The GitHub Action (action.yml): its YAML parses, is a composite action whose steps are bash
# scripts naming only inputs, steps and files that exist, and the workflow example of
# docs/github-actions.md uses it as the action defines it. Then its steps run as a runner runs
# them, one bash script each with GITHUB_ACTION_PATH, GITHUB_PATH, GITHUB_ENV, GITHUB_OUTPUT and
# RUNNER_TEMP, on a fresh Debian 13 (a copy of the debootstrap tree cached under
# $VT_CHROOT_CACHE, as scripts/test-debian13.sh makes it): packages installed, vtoken built and
# on PATH, a service-mode card started; a later step then uses `vtoken run` and the card.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"

# ---- the YAML ---------------------------------------------------------------------------------
/usr/bin/python3 - "$VT_SRC" "$T" <<'PY' || fail "action.yml does not hold together"
import os, re, sys, yaml
src, out = sys.argv[1:]
action = yaml.safe_load(open(os.path.join(src, "action.yml")))
assert action["runs"]["using"] == "composite", "not a composite action"
steps = action["runs"]["steps"]
inputs = action.get("inputs", {})
ids = {s["id"] for s in steps if "id" in s}
for i, s in enumerate(steps):
    assert s.get("shell") == "bash" and "run" in s, f"step {i} is not a bash script"
    for name in re.findall(r"\$\{\{\s*inputs\.([A-Za-z_-]+)", s["run"] + str(s.get("if", ""))):
        assert name in inputs, f"step {i} names an input that does not exist: {name}"
    for word in re.findall(r'"\$GITHUB_ACTION_PATH/([^"]+)"', s["run"]):
        assert os.path.exists(os.path.join(src, word)), f"step {i} names a missing file: {word}"
    cond = s.get("if")
    assert cond in (None, "inputs.card != ''"), f"step {i}: a condition this test cannot evaluate: {cond}"
    with open(os.path.join(out, "step%d.sh" % i), "w") as f:
        f.write(s["run"])
    with open(os.path.join(out, "step%d.if" % i), "w") as f:
        f.write(cond or "")
for k, v in action.get("outputs", {}).items():
    for step in re.findall(r"steps\.([A-Za-z_-]+)\.outputs", v["value"]):
        assert step in ids, f"output {k} names a step that does not exist: {step}"
# the documented workflow: uses the action with inputs it has
doc = open(os.path.join(src, "docs/github-actions.md")).read()
wf = yaml.safe_load(re.search(r"```yaml\n(.*?)```", doc, re.S).group(1))
used = [s for job in wf["jobs"].values() for s in job["steps"] if "vtoken" in s.get("uses", "")]
assert used, "the workflow example does not use the action"
for s in used:
    for k in s.get("with", {}):
        assert k in inputs, f"the workflow example passes an input the action lacks: {k}"
print(len(steps))
PY
pass "action.yml parses, and names only inputs, steps and files that exist; the documented workflow uses it"

# ---- its steps on a fresh Debian 13 -------------------------------------------------------------
# it builds vtoken from the source, not from this build: the normal build's run checks it
if grep -qxF "VT_SANITIZE:BOOL=ON" "$VT_BUILD/CMakeCache.txt" 2>/dev/null; then
  skip "built from the source, not from this sanitizer build; the normal build's run checks it"
fi
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot)"
if ischroot 2>/dev/null; then skip "in a chroot already (scripts/test-debian13.sh): no chroot in it"; fi
cache=${VT_CHROOT_CACHE:-/var/cache/vtoken-ci}
suite=trixie
base=$cache/$suite-base
if [ -z "$(find "$base/.vtoken-base-complete" -mtime -7 2>/dev/null)" ]; then
  rm -rf "$base.tmp" "$base" && mkdir -p "$cache"
  debootstrap --variant=minbase "$suite" "$base.tmp" "${VT_CHROOT_MIRROR:-http://deb.debian.org/debian}" \
    >"$T/debootstrap.log" 2>&1 || fail "debootstrap: $(tail -n 20 "$T/debootstrap.log")"
  touch "$base.tmp/.vtoken-base-complete" && mv "$base.tmp" "$base"
fi
root=$T/root
mkdir "$root" && cp -a "$base/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/action" "$root/gh/tmp" "$cache/$suite-apt-archives/partial"
# apt's archives: the packages earlier runs cached, hard-linked into a directory of this test's
# own, since scripts/test-debian13.sh may be installing through the shared one beside it (apt
# holds its lock); what this run fetched is linked back at the end
arch=$T/apt-archives
mkdir -p "$arch/partial"
find "$cache/$suite-apt-archives" -maxdepth 1 -name '*.deb' -exec cp -l -t "$arch" {} + 2>/dev/null ||
  find "$cache/$suite-apt-archives" -maxdepth 1 -name '*.deb' -exec cp -t "$arch" {} +
keep_fetched() {
  for f in "$arch"/*.deb; do
    [ -e "$f" ] && [ ! -e "$cache/$suite-apt-archives/${f##*/}" ] || continue
    cp -l "$f" "$cache/$suite-apt-archives/" 2>/dev/null || true # a cache only: no copy across devices
  done
}
(cd "$VT_SRC" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$root/action"
cp "$T"/step*.sh "$T"/step*.if "$root/gh/"
: >"$root/gh/path"; : >"$root/gh/env"; : >"$root/gh/output"
# a later step of the workflow: vtoken run, and the service-mode card through the runner's pcscd
cat >"$root/gh/check.sh" <<'SH'
vtoken run --fresh -- sh -c 'pkcs11-tool --module "$VTOKEN_PKCS11_MODULE" -L' | grep -q 'token label'
echo "check: vtoken run works in a later step"
opensc-tool -l | grep -q 'Yes.*Virtual PCD 00 00'
echo "check: the service-mode card is present in the runner's pcscd"
vtoken ctl status | grep -q '^card0: vpcd 127.0.0.1:35963 connected'
echo "check: vtoken ctl reaches it through VTOKEN_CONTROL"
SH
# runs the workflow's steps FIRST..LAST (step N: /gh/stepN.sh, check: /gh/check.sh) as a runner
# does: bash -eo pipefail, PATH and environment from GITHUB_PATH and GITHUB_ENV so far
cat >"$root/gh/runner.sh" <<'SH'
for step in "$@"; do
  if [ "$(cat "/gh/$step.if" 2>/dev/null)" = "inputs.card != ''" ] && [ -z "$INPUT_CARD" ]; then continue; fi
  sed -e 's/\${{ inputs.prefix }}/\/usr\/local/g' -e "s/\${{ inputs.card }}/$INPUT_CARD/g" "/gh/$step.sh" >"/gh/$step.run"
  echo "== $step"
  env PATH="$(tac /gh/path | tr '\n' ':')$PATH" $(cat /gh/env) GITHUB_ACTION_PATH=/action \
    GITHUB_PATH=/gh/path GITHUB_ENV=/gh/env GITHUB_OUTPUT=/gh/output RUNNER_TEMP=/gh/tmp \
    bash --noprofile --norc -eo pipefail "/gh/$step.run" || { echo "== $step failed"; exit 1; }
done
SH
export root cache suite arch
in_chroot() { # [unshare options] -- runner arguments
  unshare --mount --propagation private "$@" bash -euo pipefail -c '
    mount --bind "$root" "$root"; mount -t proc proc "$root/proc"; mount --rbind /dev "$root/dev"
    mount --bind "$arch" "$root/var/cache/apt/archives"
    [ "${VT_PRIVATE_NET:-}" != 1 ] || ip link set lo up
    chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      HOME=/root LANG=C.UTF-8 INPUT_CARD=piv bash /gh/runner.sh '"$RUNNER_STEPS"
}
chroot_procs() { for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && echo "${p#/proc/}"; done; }
trap 'kill -KILL $(chroot_procs) 2>/dev/null; rm -rf "$T"' EXIT
# the packages and the build need the network; the card (vpcd on 127.0.0.1:35963) runs in a
# network of its own, so it meets no other test's
start=$SECONDS
RUNNER_STEPS="step0 step1" in_chroot -- >"$T/steps.log" 2>&1 || fail "the action's steps failed: $(tail -n 30 "$T/steps.log")"
keep_fetched
echo "# packages and build took $((SECONDS - start)) s"
VT_PRIVATE_NET=1 RUNNER_STEPS="step2 step3 check" in_chroot --net -- >"$T/card.log" 2>&1 ||
  fail "the action's card step or a later step failed: $(tail -n 30 "$T/card.log")"
cat "$T/card.log"
out=$(cat "$T/card.log")
expect_match "$out" '^vtoken [0-9]' "vtoken is on PATH after the action"
expect_match "$out" 'check: vtoken run works in a later step' "a later step runs vtoken run"
expect_match "$out" 'check: the service-mode card is present' "the service-mode card is present"
expect_match "$out" 'check: vtoken ctl reaches it' "and VTOKEN_CONTROL is in the environment of later steps"
