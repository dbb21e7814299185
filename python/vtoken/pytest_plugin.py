# SPDX-License-Identifier: Apache-2.0
"""pytest fixtures for tests of smart-card software, on vtoken's virtual cards.

Load it with ``pytest -p vtoken.pytest_plugin`` (the Debian package installs it; from a
checkout, ``PYTHONPATH=python``). Each card runs in its own ``vtoken run --isolation none``:
a private pcscd and vtokend as plain processes, reached through the ``PCSCLITE_CSOCK_NAME``
the fixture sets for the test (and for the programs it starts), so the test process itself is
the card's PC/SC client. The host's pcscd is not touched.

Fixtures:
  vtoken_card     a running card (a ``VtokenCard``): ``reader``, ``pkcs11_module``,
                  ``token_uri``, ``token_label``, ``token_serial``, ``control``, ``image``,
                  ``env`` (the environment to give a client), ``ctl(*args)``, ``run(*args)``
  vtoken_reader, vtoken_pkcs11_module, vtoken_token_uri, vtoken_control
                  the card's parts, for a test that needs only one

The card is chosen by the ``vtoken`` marker, ``@pytest.mark.vtoken(profile="ecert",
firmware="5.7", transport="driver")`` (defaults: piv, the profile's firmware, driver), and a
test runs once per personality with ``@pytest.mark.vtoken_personalities("piv", "ecert",
"yubikey-5.7.1", "piv@5.7.1")``: a card personality of ``vtoken matrix --list`` (the same
table `vtoken matrix` runs on), or PROFILE@FIRMWARE. ``--vtoken-personality NAME``
(repeatable; ``all``: every personality of ``vtoken matrix --list``) runs every test that uses
a card and has no ``vtoken_personalities`` marker once per personality named. The vtoken
program is ``--vtoken PATH``, else ``$VTOKEN``, else ``vtoken`` on PATH.

pcsc-lite's client library reads PCSCLITE_CSOCK_NAME once per process: a test process that is
itself a PC/SC client (pyscard) keeps the first card's pcscd; clients started with
``card.run()`` always get their own card's.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

import pytest

# The helper inside `vtoken run`: prints its environment once the cards are present, then
# waits until the fixture closes its stdin, which ends the run.
_HOLDER = "import json, os, sys; print(json.dumps(dict(os.environ)), flush=True); sys.stdin.read()"


@dataclass
class VtokenCard:
    """A card of a running `vtoken run`, and what a client needs to use it."""

    vtoken: str
    profile: str
    firmware: str
    transport: str
    personality: str
    env: dict = field(repr=False)
    reader: str = ""
    pkcs11_module: str = ""
    token_uri: str = ""
    token_label: str = ""
    token_serial: str = ""
    control: str = ""
    image: str = ""

    def run(self, *args, **kwargs):
        """Runs a client (subprocess.run) with the card's environment; check and text on."""
        kwargs.setdefault("check", True)
        kwargs.setdefault("text", True)
        kwargs.setdefault("capture_output", True)
        return subprocess.run(args, env=self.env, **kwargs)

    def ctl(self, *args):
        """`vtoken ctl ARGS` against the card's daemon; its output."""
        return self.run(self.vtoken, "ctl", "--socket", self.control, *args).stdout


def pytest_addoption(parser):
    parser.addoption("--vtoken", default=None, help="the vtoken program (default: $VTOKEN, else vtoken on PATH)")
    parser.addoption("--vtoken-personality", action="append", default=[], metavar="NAME",
                     help="run each test that uses a card once per card personality NAME "
                          "(repeatable; 'all': every one of 'vtoken matrix --list')")


def _personalities(config):
    """The card personalities, as `vtoken matrix --list --json` gives them: name -> row."""
    if not hasattr(config, "_vtoken_personalities"):
        vtoken = _vtoken_program(config)
        listed = subprocess.run([vtoken, "matrix", "--list", "--json"], capture_output=True, text=True)
        if listed.returncode:
            raise pytest.UsageError(f"{vtoken} matrix --list --json: {listed.stderr.strip()}")
        config._vtoken_personalities = {row["name"]: row for row in json.loads(listed.stdout)}
    return config._vtoken_personalities


def _chosen_personalities(config):
    names = []
    for name in config.getoption("--vtoken-personality"):
        names += list(_personalities(config)) if name == "all" else [name]
    for name in names:
        if name not in _personalities(config):
            raise pytest.UsageError(f"--vtoken-personality: unknown personality '{name}' "
                                    f"(one of: {', '.join(_personalities(config))}, or all)")
    return list(dict.fromkeys(names))


def pytest_configure(config):
    config.addinivalue_line("markers", "vtoken(profile, firmware, transport): the card the vtoken_card fixture gives")
    config.addinivalue_line("markers", "vtoken_personalities(*names): run the test once per personality, "
                            "a name of 'vtoken matrix --list' or PROFILE@FIRMWARE")
    if config.getoption("--vtoken-personality"):
        _chosen_personalities(config)  # an unknown name is a usage error before anything runs


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("vtoken_personalities")
    uses_card = any(name.startswith("vtoken_") for name in metafunc.fixturenames)
    if marker is None:
        names = _chosen_personalities(metafunc.config) if uses_card else []
        if names:
            metafunc.parametrize("_vtoken_personality", names, ids=names, indirect=True)
        return
    if not uses_card:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: vtoken_personalities needs a vtoken_* fixture")
    metafunc.parametrize("_vtoken_personality", list(marker.args), ids=list(marker.args), indirect=True)


@pytest.fixture
def _vtoken_personality(request):
    return getattr(request, "param", None)


def _vtoken_program(config):
    path = config.getoption("--vtoken") or os.environ.get("VTOKEN") or shutil.which("vtoken")
    if not path:
        pytest.fail("vtoken not found: pass --vtoken PATH, set $VTOKEN or put vtoken on PATH")
    return path


@pytest.fixture
def vtoken_card(request, tmp_path, _vtoken_personality):
    marker = request.node.get_closest_marker("vtoken")
    opts = dict(marker.kwargs) if marker else {}
    profile, firmware, compat = opts.get("profile", "piv"), opts.get("firmware", ""), ""
    transport = opts.get("transport", "driver")
    vtoken = _vtoken_program(request.config)
    personality = _vtoken_personality or ""
    if personality and "@" not in personality and personality in _personalities(request.config):
        # a row of vtoken matrix --list
        row = _personalities(request.config)[personality]
        profile, firmware, compat = row["profile"], row["firmware"] or "", row["compat"] or ""
    elif personality:
        profile, _, firmware = personality.partition("@")
    if firmware or compat:  # a card image of that firmware and compat, made for this test
        image = tmp_path / "card"
        init = [vtoken, "init", str(image), "--profile", profile]
        init += ["--firmware", firmware] if firmware else []
        init += ["--compat", compat] if compat else []
        made = subprocess.run(init, capture_output=True, text=True)
        if made.returncode:
            pytest.fail(f"vtoken {' '.join(init[1:])}: {made.stderr}")
        card_args = ["--card", str(image)]
    else:
        card_args = ["--fresh", profile]
    # the run's directory holds sockets, whose paths must stay short: not under tmp_path
    rundir = tempfile.mkdtemp(prefix="vtoken-pytest.")
    env = dict(os.environ, TMPDIR=rundir)
    if personality:  # as vtoken matrix tells its COMMAND
        env["VTOKEN_PERSONALITY"] = personality
    proc = subprocess.Popen(
        [vtoken, "run", "--isolation", "none", "--transport", transport, *card_args, "--",
         sys.executable, "-c", _HOLDER],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line = proc.stdout.readline()  # the holder's environment, once the card is present
    if not line:
        proc.stdin.close()
        proc.wait()
        shutil.rmtree(rundir, ignore_errors=True)
        pytest.fail(f"vtoken run did not start (status {proc.returncode}): {proc.stderr.read()}")
    inside = json.loads(line)
    names = ("PCSCLITE_CSOCK_NAME", "VTOKEN_CONTROL", "VTOKEN_CARDS", "VTOKEN_RUN_DIR",
             "VTOKEN_ISOLATION", "VTOKEN_PKCS11_MODULE", "VTOKEN_PERSONALITY")
    card_env = dict(os.environ, **{k: inside[k] for k in names if k in inside})
    card_env.update({k: v for k, v in inside.items() if k.startswith("VTOKEN_CARD")})
    card = VtokenCard(
        vtoken=vtoken, profile=profile, firmware=firmware, transport=transport, personality=personality,
        env=card_env,
        reader=inside.get("VTOKEN_CARD0_READER", ""), pkcs11_module=inside.get("VTOKEN_PKCS11_MODULE", ""),
        token_uri=inside.get("VTOKEN_CARD0_TOKEN_URI", ""), token_label=inside.get("VTOKEN_CARD0_TOKEN_LABEL", ""),
        token_serial=inside.get("VTOKEN_CARD0_TOKEN_SERIAL", ""), control=inside.get("VTOKEN_CONTROL", ""),
        image=inside.get("VTOKEN_CARD0_IMAGE", ""))
    # the test process is a PC/SC client too (pyscard, python-pkcs11 load libpcsclite in it)
    saved = os.environ.get("PCSCLITE_CSOCK_NAME")
    os.environ["PCSCLITE_CSOCK_NAME"] = inside["PCSCLITE_CSOCK_NAME"]
    try:
        yield card
    finally:
        if saved is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = saved
        proc.stdin.close()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            pytest.fail("vtoken run did not end within 30 s of its command")
        finally:
            shutil.rmtree(rundir, ignore_errors=True)


@pytest.fixture
def vtoken_reader(vtoken_card):
    return vtoken_card.reader


@pytest.fixture
def vtoken_pkcs11_module(vtoken_card):
    return vtoken_card.pkcs11_module


@pytest.fixture
def vtoken_token_uri(vtoken_card):
    return vtoken_card.token_uri


@pytest.fixture
def vtoken_control(vtoken_card):
    return vtoken_card.control
