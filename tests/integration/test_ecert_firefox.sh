#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# e-Cert guide, section 5 in the browser itself: a real firefox-esr, headless, inside
# `vtoken run`, with a fresh profile whose NSS database has OpenSC's PKCS#11 module loaded as the
# security device "e-Cert Token" (modutil, as test_ecert_firefox_nss.sh) and the test CA trusted.
# An https server on 127.0.0.1 demands a client certificate issued by that CA; Firefox, with
# security.default_personal_cert = "Select Automatically", logs in with the card's 9E key and
# certificate, and the server and the page it sends say so. The same profile without the
# security device is refused.
#
# Firefox (NSS) sends a client certificate from a token only while it is logged in to it, even
# when the card needs no PIN for that key (9E): NSS refuses to write TLS records for a client
# key on a token that requires login and is not logged in. So Firefox logs in first, as a user
# would in its password dialog; here that dialog's answer is given through Marionette
# (docs/examples/ecert/firefox_marionette.py), which also loads the page and reads what Firefox shows.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/ecert/common.sh"

command -v firefox-esr >/dev/null || fail "firefox-esr is not installed"

pin=246810
port=$(free_port)
mport=$(free_port) # Marionette
export T port mport pin
# the server and the prompter are the e-Cert guide's shipped examples
export ECERT_DIR="$VT_SRC/docs/examples/ecert"

# The test CA: it issues the web server's certificate and the card's 9E certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/ca.key" \
  -out "$T/ca.crt" -days 2 -subj "/O=vtoken test/CN=vtoken Firefox test CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/srv.key" \
  -out "$T/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
  -out "$T/srv.crt" -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null

img="$T/card"
"$VTOKEN" init "$img" --pin "$pin" --generate 9e:p256 --ca "$T/ca.key:$T/ca.crt" \
  --subject "/O=vtoken test/CN=CHAN Tai Man" >/dev/null
card_sha=$(openssl x509 -in "$img/9e.crt.pem" -outform DER | sha256sum | cut -d' ' -f1 | tr a-f A-F)
card_serial=$(openssl x509 -in "$img/9e.crt.pem" -noout -serial | cut -d= -f2)

# The Firefox profile: an NSS database trusting the test CA, and prefs so that nothing asks
# and nothing goes to the network.
profile="$T/firefox-profile"
mkdir "$profile"
certutil -N -d "sql:$profile" --empty-password
certutil -A -d "sql:$profile" -n "vtoken Firefox test CA" -t C,, -a -i "$T/ca.crt"
cat >"$profile/user.js" <<PREFS
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("marionette.port", $mport);
user_pref("app.update.auto", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("app.shield.optoutstudies.enabled", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.startup.page", 0);
user_pref("browser.newtabpage.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
user_pref("browser.safebrowsing.blockedURIs.enabled", false);
user_pref("browser.search.update", false);
user_pref("browser.region.update.enabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("toolkit.telemetry.unified", false);
user_pref("toolkit.telemetry.server", "");
user_pref("extensions.update.enabled", false);
user_pref("extensions.getAddons.cache.enabled", false);
user_pref("extensions.systemAddon.update.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("network.http.speculative-parallel-limit", 0);
user_pref("services.settings.server", "");
user_pref("security.OCSP.enabled", 0);
user_pref("security.remote_settings.crlite_filters.enabled", false);
user_pref("security.remote_settings.intermediates.enabled", false);
PREFS

cat >"$T/firefox.sh" <<'EOF2'
set -u
source "$ECERT_COMMON"
profile=$1
export HOME="$T/home" MOZ_CRASHREPORTER_DISABLE=1
mkdir -p "$HOME"
serve 'listening on*' "$T/srv.log" python3 "$ECERT_DIR/client_auth_server.py" "$port" \
  "$T/srv.crt" "$T/srv.key" "$T/ca.crt" || exit 1
srv=$SERVER_PID

# browse NAME [DEVICE PASSWORD]: one headless Firefox on the profile, driven through Marionette
# into $T/NAME/; Firefox is this shell's child, ended by timeout at the latest.
browse() {
  local out="$T/$1"
  shift
  mkdir -p "$out"
  serve '*Marionette*Listening on port*' "$out/firefox.log" timeout -k 5 90 firefox-esr \
    --headless --no-remote --profile "$profile" --marionette -remote-allow-system-access || return 1
  local ff=$SERVER_PID
  timeout 80 python3 "$ECERT_DIR/firefox_marionette.py" "$mport" "https://127.0.0.1:$port/" "$out" "$@" \
    >"$out/driver.log" 2>&1
  echo "rc=$?" >>"$out/driver.log"
  SERVER_PID=$ff
  # Marionette:Quit ends Firefox; timeout ends it if not
  wait "$ff" 2>/dev/null
  SERVER_PID=
}

# 4) Load, 5) Module Name "e-Cert Token", the library OpenSC's PKCS#11 module
modutil -dbdir "sql:$profile" -add "e-Cert Token" -libfile "$OPENSC_MODULE" -force >"$T/modutil-add" 2>&1 || exit 1
browse with-token "e-Cert Token" "$pin"
# The same profile without the security device
modutil -dbdir "sql:$profile" -delete "e-Cert Token" -force >"$T/modutil-delete" 2>&1 || exit 1
browse without-token

SERVER_PID=$srv
stop_server
exit 0
EOF2
"$VTOKEN" run --card "$img" -- bash "$T/firefox.sh" "$profile" >"$T/run.out" 2>&1 ||
  fail "the Firefox session failed: $(cat "$T/run.out" "$T"/*/driver.log 2>/dev/null)"

w="$T/with-token"
expect_match "$(cat "$T/modutil-add")" 'Module "e-Cert Token" added to database' "modutil adds \"e-Cert Token\" to the Firefox profile"
expect_match "$(cat "$w/driver.log")" '^rc=0$' "Firefox ran headless and was driven through Marionette"
expect_match "$(cat "$w/login")" '^prompt: .*CHAN Tai Man' "Firefox asked for the token password of \"CHAN Tai Man\""
expect_match "$(cat "$w/login")" '^CHAN Tai Man logged-in=true$' "Firefox logged in to the token"
expect_eq "$(cat "$w/navigate")" ok "Firefox loaded https://127.0.0.1:$port/"
expect_eq "$(cat "$w/title")" "vtoken e-Cert login" "the page is the server's"
page=$(cat "$w/page.html")
expect_match "$page" 'Logged in with a client certificate' "Firefox shows the logged-in page"
expect_match "$page" 'Subject: organizationName=vtoken test, commonName=CHAN Tai Man' "  ... with the card holder's name"
expect_match "$page" "Serial: $card_serial" "  ... and the serial of the card's 9E certificate"
[ "$(head -c 8 "$w/screenshot.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
  fail "Firefox's screenshot is not a PNG"
pass "Firefox's screenshot of the page is a PNG"
slog=$(cat "$T/srv.log")
expect_match "$slog" "^GET / client subject=\[organizationName=vtoken test, commonName=CHAN Tai Man\] issuer=\[organizationName=vtoken test, commonName=vtoken Firefox test CA\] serial=$card_serial sha256=$card_sha$" \
  "the server got the card's 9E certificate (same SHA-256) from Firefox"

o="$T/without-token"
expect_match "$(cat "$T/modutil-delete")" 'Module "e-Cert Token" deleted' "modutil removes \"e-Cert Token\" from the profile"
expect_match "$(cat "$o/driver.log")" '^rc=0$' "Firefox without the security device ran"
expect_no_match "$(cat "$o/page.html")" 'Logged in with a client certificate' "Firefox without the token gets no page"
expect_match "$(cat "$o/navigate")" 'about:neterror\?e=nssFailure2' "Firefox without the token shows its secure-connection-failed page"
expect_match "$slog" 'handshake refused: .*PEER_DID_NOT_RETURN_A_CERTIFICATE' "the server refused Firefox without a client certificate"
expect_no_match "$(grep '^GET ' <<<"$slog" | grep -v "sha256=$card_sha$")" . "every page the server sent went to the card's certificate"
