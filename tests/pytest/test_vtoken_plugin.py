# SPDX-License-Identifier: Apache-2.0
"""Example tests with vtoken's pytest plugin (run by tests/integration/test_pytest_plugin.sh):
  PYTHONPATH=python python3 -m pytest -p vtoken.pytest_plugin tests/pytest"""
import json

import pytest


def test_the_card_signs(vtoken_card, tmp_path):
    data = tmp_path / "data"
    data.write_text("hello")
    vtoken_card.run("pkcs11-tool", "--module", vtoken_card.pkcs11_module, "--login", "--pin", "123456",
                    "--sign", "--id", "01", "-m", "SHA256-RSA-PKCS", "-i", str(data), "-o", str(tmp_path / "sig"))
    assert (tmp_path / "sig").stat().st_size == 256


def test_the_parts(vtoken_reader, vtoken_pkcs11_module, vtoken_token_uri, vtoken_control):
    assert vtoken_reader == "Virtual PCD 00 00"
    assert vtoken_pkcs11_module.endswith("opensc-pkcs11.so")
    assert vtoken_token_uri.startswith("pkcs11:")
    assert vtoken_control.endswith("control.sock")


def test_the_token_uri_names_the_token(vtoken_card):
    out = vtoken_card.run("p11tool", "--provider", vtoken_card.pkcs11_module, "--list-all-certs",
                          vtoken_card.token_uri).stdout
    assert "type=cert" in out


def test_pulling_the_card(vtoken_card):
    vtoken_card.ctl("remove", "card0")
    out = vtoken_card.run("opensc-tool", "-l").stdout
    assert "No" in out.split(vtoken_card.reader)[0].splitlines()[-1]
    vtoken_card.ctl("insert", "card0")
    vtoken_card.run(vtoken_card.vtoken, "wait", "--timeout", "10")


@pytest.mark.vtoken(profile="ecert")
def test_an_ecert_card(vtoken_card):
    status = json.loads(vtoken_card.ctl("status", "--json"))
    assert status["cards"][0]["pin_max_tries"] == 15  # the e-Cert token's 15 tries
    assert status["cards"][0]["transport"] == "driver"
    assert vtoken_card.token_label


@pytest.mark.vtoken_personalities("piv", "ecert", "piv@5.7.1")
def test_every_personality_shows_a_certificate(vtoken_card):
    out = vtoken_card.run("pkcs11-tool", "--module", vtoken_card.pkcs11_module, "-O", "--type", "cert").stdout
    assert "Certificate Object" in out
    if vtoken_card.firmware:
        card_ini = open(vtoken_card.image + "/card.ini").read()
        assert "firmware = " + vtoken_card.firmware in card_ini
