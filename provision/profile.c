/* SPDX-License-Identifier: Apache-2.0 */
/* Creating card images: the piv and ecert profiles, key generation and import, and the
 * all-or-nothing placement of a new image directory. Everything that can be wrong with the
 * input is found before the first byte is written. */
#include "profile.h"

#include "keygen.h"
#include "pgp_crypto.h"
#include "openpgp.h"
#include "pgp_state.h"
#include "pin.h"
#include "registry.h"

#include "atomic.h"
#include "image_dir.h"
#include "image_store.h"
#include "tree.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>

#define ECERT_CA_DN     "/C=HK/O=Hongkong Post/CN=Hongkong Post e-Cert TEST CA"
#define ECERT_HOLDER_DN "/C=HK/O=Hongkong Post e-Cert (Personal) TEST/CN=CHAN Tai Man"
/* the attestation CA says it is a test CA and which card it belongs to, by the image serial */
#define ATTEST_CA_DN    "/O=vtoken/CN=vtoken TEST Attestation CA %u"
#define ATTEST_DN       "/O=vtoken/CN=vtoken PIV Attestation %u"
#define CERT_DAYS       (5 * 365)
#define CA_DAYS         (10 * 365)
#define IMPORT_FILE_MAX ((size_t)1024 * 1024)

static const uint8_t neutral_atr[] = {0x3B, 0x88, 0x01, 0x50, 0x49, 0x56,
                                      0x73, 0x69, 0x6D, 0x30, 0x31, 0xB0};
/* An OpenPGP card 3.x's ATR (OpenSC's openpgp driver knows it by this one) */
static const uint8_t openpgp_atr[] = {0x3B, 0xDA, 0x18, 0xFF, 0x81, 0xB1, 0xFE,
                                      0x75, 0x1F, 0x03, 0x00, 0x31, 0xF5, 0x73,
                                      0xC0, 0x01, 0x60, 0x00, 0x90, 0x00, 0x1C};

static const struct vt_init_key piv_defaults[] = {
    {0x9A, VT_ALG_RSA2048, NULL},
    {0x9C, VT_ALG_P256, NULL},
    {0x9D, VT_ALG_RSA2048, NULL},
    {0x9E, VT_ALG_P256, NULL},
};
static const struct vt_init_key ecert_defaults[] = {
    {0x9A, VT_ALG_RSA2048, NULL},
    {0x9C, VT_ALG_RSA2048, NULL},
};

struct profile {
        const char *name;
        const char *pin; /* NULL: random, meeting the rules */
        const char *puk;
        uint8_t pin_tries, puk_tries;
        struct vt_pin_rules rules;
        const struct vt_init_key *defaults;
        size_t n_defaults;
        bool test_ca;        /* issue certificates from a test CA made for the image */
        const char *applets; /* the applets the card carries (card.ini's applets) */
        const uint8_t *atr;  /* NULL: a neutral one */
        size_t atr_len;
        const char *help; /* for vtoken init --help: lines of at most 60 characters, "\n" between */
};

static const struct profile profiles[] = {
    {"piv",
     VT_PIV_DEFAULT_PIN,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_DEFAULT_TRIES,
     VT_PIV_DEFAULT_TRIES,
     {6, 8, VT_PIN_CHARS_ANY},
     piv_defaults,
     4,
     false,
     "piv",
     NULL,
     0,
     "YubiKey 5 defaults, PIN 123456, PUK 12345678, 3 tries"},
    {"ecert",
     NULL,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_TRIES_MAX,
     VT_PIV_DEFAULT_TRIES,
     {8, 8, VT_PIN_CHARS_STRONG},
     ecert_defaults,
     2,
     true,
     "piv",
     NULL,
     0,
     "e-Cert token, 15 tries, strong 8-character PIN chosen\nat random, printed once and written "
     "to IMAGE.pin-envelope.txt"},
    /* an OpenPGP card as it ships: PW1 123456, PW3 12345678, no keys (GnuPG makes them) */
    {"openpgp",
     VT_PIV_DEFAULT_PIN,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_DEFAULT_TRIES,
     VT_PIV_DEFAULT_TRIES,
     {6, 8, VT_PIN_CHARS_ANY},
     NULL,
     0,
     false,
     "openpgp",
     openpgp_atr,
     sizeof(openpgp_atr),
     "an OpenPGP card 3.4 as it ships (GnuPG, OpenSC's\nopenpgp driver): PIN 123456, admin PIN "
     "12345678 (--pin and\n--puk change them), no keys until gpg --card-edit makes them"},
    /* a YubiKey 5 with both: the piv profile's PIV, and OpenPGP as it ships */
    {"piv+openpgp",
     VT_PIV_DEFAULT_PIN,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_DEFAULT_TRIES,
     VT_PIV_DEFAULT_TRIES,
     {6, 8, VT_PIN_CHARS_ANY},
     piv_defaults,
     4,
     false,
     "piv openpgp",
     NULL,
     0,
     "both applications on one card, as a YubiKey 5"},
    /* the e-Cert token on the OpenPGP application: the ecert profile's policy (15 tries, strong
     * 8-character PIN in an envelope), admin PIN 12345678; RSA-2048 keys in all three slots and
     * the personal certificate (test CA) for the authentication key. OpenSC's openpgp driver
     * takes any characters in C_SetPIN, its PIV driver digits only. */
    {"ecert-openpgp",
     NULL,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_TRIES_MAX,
     VT_PIV_DEFAULT_TRIES,
     {8, 8, VT_PIN_CHARS_STRONG},
     NULL,
     0,
     true,
     "openpgp",
     openpgp_atr,
     sizeof(openpgp_atr),
     "the e-Cert token on OpenPGP (ecert's policy,\nenvelope PIN, personal certificate); choose it "
     "when holders\nmust set a password of letters and symbols: OpenSC's openpgp\ndriver takes "
     "one, its PIV driver (ecert) digits only"},
    /* OATH alone (TOTP and HOTP codes for ykman and Yubico Authenticator), no account yet */
    {"oath",
     VT_PIV_DEFAULT_PIN,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_DEFAULT_TRIES,
     VT_PIV_DEFAULT_TRIES,
     {6, 8, VT_PIN_CHARS_ANY},
     NULL,
     0,
     false,
     "oath",
     NULL,
     0,
     "the OATH application alone (TOTP and HOTP codes,\nykman oath, Yubico Authenticator), no "
     "account yet"},
    /* the applications of a YubiKey 5: the piv profile's PIV, OpenPGP as it ships, OATH,
     * FIDO */
    {"yubikey5",
     VT_PIV_DEFAULT_PIN,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_DEFAULT_TRIES,
     VT_PIV_DEFAULT_TRIES,
     {6, 8, VT_PIN_CHARS_ANY},
     piv_defaults,
     4,
     false,
     "piv openpgp oath fido",
     NULL,
     0,
     "a YubiKey 5's applications: PIV as piv has it,\nOpenPGP as it ships, OATH and FIDO"},
    /* FIDO alone (FIDO2 and U2F over PC/SC, as through an NFC reader): no PIN, no credential */
    {"fido",
     VT_PIV_DEFAULT_PIN,
     VT_PIV_DEFAULT_PUK,
     VT_PIV_DEFAULT_TRIES,
     VT_PIV_DEFAULT_TRIES,
     {6, 8, VT_PIN_CHARS_ANY},
     NULL,
     0,
     false,
     "fido",
     NULL,
     0,
     "a FIDO2/U2F security key (as through an NFC reader)"},
};

/* What vt_image_create builds in memory before it writes anything. */
struct build {
        const struct vt_init_opts *o;
        const struct profile *p;
        struct vt_image *img;
        /* the PIV state: the card's, or one of the build's own for a card without PIV (the
         * profile's PIN rules and the attestation CA still apply) */
        struct vt_piv_state *piv, *own_piv;
        EVP_PKEY *ca_key;
        X509 *ca_cert;
        X509 *attest_ca; /* saved as attestation-ca.crt.pem */
        X509_NAME *subject;
        char pin[PGP_PW_MAX + 1]; /* PIV's PIN has 8 at most, OpenPGP's PW1 127 */
        char *err;
        size_t errlen;
        bool usage; /* the options themselves are wrong: vt_image_create returns -2 */
};

static int __attribute__((format(printf, 2, 3))) fail(struct build *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
        return -1;
}

/* fail() for options that are wrong in themselves, whatever the files and the system hold */
static int __attribute__((format(printf, 2, 3))) refuse(struct build *b, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b->err, b->errlen, fmt, ap);
        va_end(ap);
        b->usage = true;
        return -1;
}

int vt_pin_envelope_path(const char *dir, char *out, size_t outlen)
{
        size_t n = strlen(dir);

        while (n > 1 && dir[n - 1] == '/')
                n--;
        return (size_t)snprintf(out, outlen, "%.*s.pin-envelope.txt", (int)n, dir) < outlen ? 0
                                                                                            : -1;
}

/* ---- random identity and PIN ------------------------------------------------------- */

static int rand_below(uint32_t n, uint32_t *out)
{
        uint32_t v, limit = UINT32_MAX - UINT32_MAX % n;

        do {
                if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
                        return -1;
        } while (v >= limit);
        *out = v % n;
        return 0;
}

/* Eight characters with at least one of each class; no look-alikes (0/O, 1/l/I) and only
 * symbols that need no quoting inside double quotes in a shell. */
static int random_strong_pin(char out[VT_PIN_FIELD + 1])
{
        static const char *const classes[] = {"ABCDEFGHJKLMNPQRSTUVWXYZ",
                                              "abcdefghijkmnopqrstuvwxyz", "23456789", "#%+-=@_"};
        static const char all[] =
            "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789#%+-=@_";
        uint32_t r;

        for (int i = 0; i < VT_PIN_FIELD; i++) {
                const char *set = i < 4 ? classes[i] : all;
                if (rand_below((uint32_t)strlen(set), &r) < 0)
                        return -1;
                out[i] = set[r];
        }
        for (int i = VT_PIN_FIELD - 1; i > 0; i--) { /* Fisher-Yates */
                if (rand_below((uint32_t)i + 1, &r) < 0)
                        return -1;
                char c = out[i];
                out[i] = out[r];
                out[r] = c;
        }
        out[VT_PIN_FIELD] = '\0';
        return 0;
}

/* The firmware the card answers as: --firmware, else 5.4.3 (whose 3DES default management key
 * every client knows, Debian 12's yubico-piv-tool 2.2 included), else 5.7.1 when a key asked
 * for needs it (settle_firmware). */
/* x.y.z, each a number of one or two digits. */
static int parse_firmware(const char *v, uint8_t out[3])
{
        for (int i = 0; i < 3; i++) {
                char *end;
                size_t digits = strspn(v, "0123456789");
                unsigned long n = strtoul(v, &end, 10);
                if (digits == 0 || digits > 2 || end != v + digits || *end != (i < 2 ? '.' : 0))
                        return -1;
                out[i] = (uint8_t)n;
                v = end + 1;
        }
        return 0;
}

/* The firmware personalities: the first with `dflt` is what an image gets, the first with
 * `all_algs` what a key of the 5.7 algorithms moves an unchosen firmware to. `line` is how the
 * docs name it (README's table, vtoken(1)): --firmware 5.4 is 5.4.3. */
static const struct {
        const char *line, *version;
        bool dflt, all_algs;
        const char *note; /* what it adds, for people (vtoken matrix --list) */
} firmwares[] = {
    {"5.3", "5.3.0", false, false, "GET METADATA, 3DES management key"},
    {"5.4", "5.4.3", true, false, "AES management keys, 3DES by default"},
    {"5.7", "5.7.1", false, true,
     "Ed25519, X25519, RSA-3072/4096, MOVE KEY, AES-192 management key by default"},
};

const char *vt_firmware_at(size_t i)
{
        return i < sizeof(firmwares) / sizeof(firmwares[0]) ? firmwares[i].version : NULL;
}

const char *vt_firmware_note(size_t i)
{
        return i < sizeof(firmwares) / sizeof(firmwares[0]) ? firmwares[i].note : NULL;
}

/* The version of the first personality with dflt (else all_algs). */
static void firmware_of(bool all_algs, uint8_t out[3])
{
        for (size_t i = 0; i < sizeof(firmwares) / sizeof(firmwares[0]); i++)
                if (all_algs ? firmwares[i].all_algs : firmwares[i].dflt) {
                        parse_firmware(firmwares[i].version, out);
                        return;
                }
}

static int firmware(struct build *b)
{
        const char *v = b->o->firmware;
        struct vt_image *img = b->img;

        img->firmware = true;
        firmware_of(false, img->version);
        for (size_t i = 0; v && i < sizeof(firmwares) / sizeof(firmwares[0]); i++)
                if (strcmp(v, firmwares[i].line) == 0) {
                        parse_firmware(firmwares[i].version, img->version);
                        v = NULL;
                }
        if (v && (parse_firmware(v, img->version) < 0 || img->version[0] != 5))
                return refuse(b,
                              "--firmware wants a YubiKey 5 version: 5.3, 5.4 or 5.7 (5.3.0, "
                              "5.4.3, 5.7.1) or one such as 5.4.2, not '%s'",
                              v);
        if (b->o->pin_complexity && !vt_fw_at_least(img, 5, 7))
                return refuse(b, "--pin-complexity needs --firmware 5.7.1 or later");
        img->pin_complexity = b->o->pin_complexity;
        return 0;
}

/* Once the keys are made: a key the firmware lacks moves an unchosen firmware to 5.7.1 and is
 * refused under a chosen one; then the default management key of that firmware. */
static int settle_firmware(struct build *b)
{
        struct vt_image *img = b->img;
        struct vt_piv_state *piv = b->piv;

        for (size_t i = 0; i < VT_SLOTS; i++) {
                const struct vt_slot *s = &piv->slots[i];
                if (!s->key || vt_fw_has_alg(img, s->alg))
                        continue;
                if (b->o->firmware)
                        return refuse(b, "slot %02x: firmware %u.%u.%u has no %s keys (5.7 has)",
                                      s->ref, img->version[0], img->version[1], img->version[2],
                                      vt_alg_name(s->alg));
                firmware_of(true, img->version);
        }
        piv->mgm_alg = vt_default_mgm_alg(img);
        memcpy(piv->mgm_key, vt_piv_default_mgm_key, sizeof(vt_piv_default_mgm_key));
        piv->mgm_key_len = sizeof(vt_piv_default_mgm_key);
        return 0;
}

const char *vt_profile_at(size_t i)
{
        return i < sizeof(profiles) / sizeof(profiles[0]) ? profiles[i].name : NULL;
}

const char *vt_profile_help(size_t i)
{
        return i < sizeof(profiles) / sizeof(profiles[0]) ? profiles[i].help : NULL;
}

bool vt_profile_known(const char *name)
{
        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
                if (!strcmp(profiles[i].name, name))
                        return true;
        return false;
}

void vt_profile_names(char *out, size_t n)
{
        size_t len = 0;
        out[0] = '\0';
        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]) && len < n; i++) {
                int w = snprintf(out + len, n - len, "%s%s", i ? ", " : "", profiles[i].name);
                len += (size_t)w;
        }
}

int vt_image_new_identity(struct vt_image *img)
{
        uint32_t serial;
        /* eight decimal digits, as a YubiKey's serial printed on its case */
        if (RAND_bytes(img->guid, sizeof(img->guid)) != 1 || rand_below(90000000, &serial) < 0)
                return -1;
        img->serial = 10000000 + serial;
        for (size_t i = 0; i < img->n_units; i++) /* two cards, two cards in GnuPG too */
                if (img->units[i].unit->identity)
                        img->units[i].unit->identity(img->units[i].state, img);
        return 0;
}

static int identity(struct build *b)
{
        struct vt_image *img = b->img;
        const struct vt_applet_unit *units[VT_IMAGE_UNITS_MAX];
        uint8_t compat = VT_COMPAT_NONE;
        size_t n_units;
        char why[128];

        snprintf(img->profile, sizeof(img->profile), "%s", b->p->name);
        memcpy(img->atr, b->p->atr ? b->p->atr : neutral_atr,
               b->p->atr ? b->p->atr_len : sizeof(neutral_atr));
        img->atr_len = b->p->atr ? b->p->atr_len : sizeof(neutral_atr);
        if (firmware(b) < 0)
                return -1;
        img->yubikey_mgmt_aid = true;
        if (vt_image_new_identity(img) < 0)
                return fail(b, "no random numbers");
        if (vt_units_parse(b->p->applets, units, VT_IMAGE_UNITS_MAX, &n_units, why, sizeof(why)) <
            0)
                return fail(b, "profile %s: %s", b->p->name, why);
        for (size_t i = 0; i < n_units; i++) {
                void *st = units[i]->state_new ? units[i]->state_new(img) : NULL;
                if ((units[i]->state_new && !st) || vt_image_add_unit(img, units[i], st) < 0)
                        return fail(b, "out of memory");
        }
        if (!(b->piv = vt_piv_of(img)) && !(b->piv = b->own_piv = vt_piv_state_new()))
                return fail(b, "out of memory");
        if (b->o->compat && vt_compat_parse(b->o->compat, &compat) < 0)
                return refuse(b, "unknown compat '%s' (none or yubikey)", b->o->compat);
        vt_image_set_compat(img, compat);
        if (b->o->timing && vt_timing_builtin(b->o->timing, &img->timing) < 0)
                return refuse(b, "unknown timing '%s'", b->o->timing);
        return 0;
}

/* Whether a value given at init passes PIN complexity (NULL: none given). */
static bool trivial_ok(const char *value)
{
        uint8_t padded[VT_PIN_FIELD];
        bool ok = !value || (vt_pin_pad(value, padded) == 0 && vt_pin_complex(padded));
        OPENSSL_cleanse(padded, sizeof(padded));
        return ok;
}

/* The profile's PINs into one unit's state (its row's set_pins). */
static int unit_pins(struct build *b, const struct vt_applet_unit *u, void *state,
                     const struct vt_unit_pins *pins)
{
        int r = u->set_pins ? u->set_pins(state, pins, b->err, b->errlen) : 0;
        if (r == -2)
                b->usage = true;
        return r < 0 ? -1 : 0;
}

/* A PIN, PUK or password is typed on a card reader's or a client's keyboard: a control
 * character (a line break from a file, a tab) is a mistake, never part of it. */
static int typed_value(struct build *b, const char *what, const char *value)
{
        for (const unsigned char *c = (const unsigned char *)value; c && *c; c++)
                if (*c < 0x20 || *c == 0x7F)
                        return refuse(b,
                                      "the %s has a control character (byte 0x%02X at position "
                                      "%zu): a %s is typed, it cannot hold line breaks or tabs",
                                      what, *c, (size_t)(c - (const unsigned char *)value) + 1,
                                      what);
        return 0;
}

static int secrets(struct build *b)
{
        const struct vt_init_opts *o = b->o;
        bool piv = b->own_piv == NULL; /* the card carries PIV */
        uint8_t pin_tries = b->p->pin_tries, puk_tries = b->p->puk_tries;

        if (o->retries) {
                if (o->retries < 1 || o->retries > VT_PIV_TRIES_MAX)
                        return refuse(b, "--retries must be 1..15");
                pin_tries = puk_tries = (uint8_t)o->retries;
        }
        if (typed_value(b, "PIN", o->pin) < 0 || typed_value(b, "PUK", o->puk) < 0)
                return -1;
        if (o->pin && strlen(o->pin) > (piv ? VT_PIN_FIELD : PGP_PW_MAX))
                return refuse(b, "the PIN is longer than %d characters (the %s limit)",
                              piv ? VT_PIN_FIELD : PGP_PW_MAX, piv ? "PIV PIN's" : "OpenPGP PW1's");
        /* a YubiKey with PIN complexity still ships with 123456 and 12345678; values chosen at
         * init meet the policy, as the card would ask of a change */
        if (b->img->pin_complexity && (!trivial_ok(o->pin) || !trivial_ok(o->puk)))
                return refuse(b, "with --pin-complexity the PIN and PUK need two different "
                                 "characters and must not be common values such as 123456");
        if (o->pin || b->p->pin)
                snprintf(b->pin, sizeof(b->pin), "%s", o->pin ? o->pin : b->p->pin);
        else if (random_strong_pin(b->pin) < 0)
                return fail(b, "no random numbers");
        struct vt_unit_pins pins = {.profile = b->p->name,
                                    .pin = b->pin,
                                    .puk = o->puk,
                                    .profile_puk = b->p->puk,
                                    .pin_tries = pin_tries,
                                    .puk_tries = puk_tries,
                                    .rules = &b->p->rules};
        /* a card without PIV keeps PIV's PIN and PUK unused, as the profile has them, in the
         * scratch PIV state its PIN rules and attestation CA come from */
        if (!piv) {
                struct vt_unit_pins scratch = pins;
                scratch.pin = b->p->pin ? b->p->pin : b->pin;
                if (unit_pins(b, &vt_unit_piv, b->own_piv, &scratch) < 0)
                        return -1;
        }
        for (size_t i = 0; i < b->img->n_units; i++)
                if (unit_pins(b, b->img->units[i].unit, b->img->units[i].state, &pins) < 0)
                        return -1;
        return 0;
}

/* ---- reading keys and certificates ------------------------------------------------- */

static int pass_cb(char *buf, int size, int rwflag, void *u)
{
        const char *pass = u;
        size_t n;

        (void)rwflag;
        if (!pass || (n = strlen(pass)) > (size_t)size)
                return -1;
        memcpy(buf, pass, n);
        return (int)n;
}

/* A key or certificate file, opened as a regular file only: a FIFO or a device would block
 * or never end (opened without blocking, then checked). */
static FILE *open_regular(struct build *b, const char *path)
{
        struct stat st;
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC), e;
        FILE *f;

        if (fd < 0) {
                fail(b, "%s: %s", path, strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) < 0) {
                e = errno;
                close(fd);
                fail(b, "%s: %s", path, strerror(e));
                return NULL;
        }
        if (!S_ISREG(st.st_mode)) {
                close(fd);
                refuse(b,
                       "%s is not a regular file (a FIFO, a device or a directory): give the key "
                       "or certificate file itself",
                       path);
                return NULL;
        }
        if (fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "rb"))) {
                fail(b, "%s: %s", path, strerror(errno));
                close(fd);
                return NULL;
        }
        return f;
}

static BIO *read_bio(struct build *b, const char *path)
{
        FILE *f = open_regular(b, path);
        unsigned char *data;
        size_t n = 0;
        BIO *bio = NULL;

        if (!f)
                return NULL; /* open_regular said why */
        if (!(data = malloc(IMPORT_FILE_MAX)))
                fail(b, "%s: out of memory", path);
        else if ((n = fread(data, 1, IMPORT_FILE_MAX, f)) == IMPORT_FILE_MAX || ferror(f))
                fail(b, "%s: %s", path, ferror(f) ? "read error" : "too large");
        else if (!(bio = BIO_new(BIO_s_secmem())) || BIO_write(bio, data, (int)n) != (int)n) {
                BIO_free(bio);
                bio = NULL;
                fail(b, "%s: out of memory", path);
        }
        if (bio) /* BIO_reset rewinds to the start instead of emptying the buffer */
                BIO_set_flags(bio, BIO_FLAGS_NONCLEAR_RST);
        fclose(f);
        if (data)
                OPENSSL_cleanse(data, n);
        free(data);
        return bio;
}

static EVP_PKEY *read_pem_key(struct build *b, BIO *bio, const char *path)
{
        EVP_PKEY *key;

        (void)BIO_reset(bio);
        key = PEM_read_bio_PrivateKey(bio, NULL, pass_cb, (void *)b->o->p12_pass);
        if (!key)
                fail(b, "%s: no private key%s", path,
                     b->o->p12_pass ? " (or a wrong --p12-pass)"
                                    : " (an encrypted key needs --p12-pass)");
        return key;
}

static X509 *read_pem_cert(BIO *bio)
{
        (void)BIO_reset(bio);
        return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

/* A PKCS#12 file: 1 read, 0 not PKCS#12, -1 error. */
static int read_p12(struct build *b, BIO *bio, const char *path, EVP_PKEY **key, X509 **cert)
{
        const char *pass = b->o->p12_pass ? b->o->p12_pass : "";
        PKCS12 *p12;
        int r = -1;

        (void)BIO_reset(bio);
        if (!(p12 = d2i_PKCS12_bio(bio, NULL)))
                return 0;
        if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, pass, -1) &&
            !(!b->o->p12_pass && PKCS12_verify_mac(p12, NULL, 0)))
                fail(b, "%s: wrong PKCS#12 password%s", path,
                     b->o->p12_pass ? "" : " (give it with --p12-pass)");
        else if (!PKCS12_parse(p12, pass, key, cert, NULL))
                fail(b, "%s: cannot decrypt the PKCS#12 file (wrong password or a legacy cipher)",
                     path);
        else if (!*key)
                fail(b, "%s: the PKCS#12 file holds no private key", path);
        else
                r = 1;
        PKCS12_free(p12);
        return r;
}

static int make_slot_cert(struct build *b, uint8_t ref, struct vt_slot *s);

static int import_key(struct build *b, const struct vt_init_key *k)
{
        struct vt_slot *s = vt_piv_slot(b->piv, k->slot);
        BIO *bio = read_bio(b, k->file);
        EVP_PKEY *key = NULL;
        X509 *cert = NULL;
        int r;

        if (!bio)
                return -1;
        if ((r = read_p12(b, bio, k->file, &key, &cert)) == 0) {
                if ((key = read_pem_key(b, bio, k->file)))
                        cert = read_pem_cert(bio);
                r = key ? 1 : -1;
        }
        BIO_free(bio);
        if (r < 0)
                goto fail;
        if (vt_key_alg(key) == VT_ALG_NONE) {
                fail(b,
                     "%s: the key's type or size has no PIV algorithm (RSA 1024..4096, P-256, "
                     "P-384, Ed25519, X25519)",
                     k->file);
                goto fail;
        }
        if (cert && !vt_key_matches_cert(key, cert)) {
                fail(b, "%s: the private key does not match the certificate", k->file);
                goto fail;
        }
        s->key = key;
        s->alg = vt_key_alg(key);
        s->generated = false;
        if (cert && vt_cert_der(cert, &s->cert, &s->cert_len) < 0) {
                X509_free(cert);
                return fail(b, "%s: cannot encode the certificate", k->file);
        }
        X509_free(cert);
        if (cert)
                return 0;
        /* OpenSC shows a PIV key only with a certificate: make one, as for a generated key */
        if (make_slot_cert(b, k->slot, s) < 0)
                return -1;
        if (b->o->made_certs && b->o->n_made_certs)
                b->o->made_certs[(*b->o->n_made_certs)++] = k->slot;
        return 0;
fail:
        EVP_PKEY_free(key);
        X509_free(cert);
        return -1;
}

static int load_ca(struct build *b)
{
        BIO *bio;

        if (!(bio = read_bio(b, b->o->ca_key)))
                return -1;
        b->ca_key = read_pem_key(b, bio, b->o->ca_key);
        BIO_free(bio);
        if (!b->ca_key)
                return -1;
        if (!(bio = read_bio(b, b->o->ca_cert)))
                return -1;
        b->ca_cert = read_pem_cert(bio);
        BIO_free(bio);
        if (!b->ca_cert)
                return fail(b, "%s: no PEM certificate", b->o->ca_cert);
        if (!vt_key_matches_cert(b->ca_key, b->ca_cert))
                return fail(b, "%s: the CA key does not match the CA certificate %s", b->o->ca_key,
                            b->o->ca_cert);
        if (EVP_PKEY_is_a(b->ca_key, "X25519"))
                return fail(b, "%s: an X25519 key cannot sign certificates", b->o->ca_key);
        return 0;
}

static int make_test_ca(struct build *b)
{
        X509_NAME *name = vt_dn_parse(ECERT_CA_DN);

        b->ca_key = vt_key_generate(VT_ALG_RSA2048);
        b->ca_cert =
            b->ca_key && name ? vt_cert_make(b->ca_key, name, NULL, NULL, CA_DAYS, 1) : NULL;
        X509_NAME_free(name);
        return b->ca_cert ? 0 : fail(b, "cannot make the test CA");
}

/* The attestation key F9 (P-256, as fast to make as it is to use) and its certificate, issued
 * by a CA made for this image alone; only the CA's certificate is kept, so nothing else can
 * be certified by it later. */
static int make_attestation(struct build *b)
{
        struct vt_slot *f9 = vt_piv_slot(b->piv, 0xF9);
        EVP_PKEY *ca_key = vt_key_generate(VT_ALG_P256);
        X509_NAME *ca_name, *name;
        X509 *cert = NULL;
        char dn[128];
        int r = -1;

        snprintf(dn, sizeof(dn), ATTEST_CA_DN, (unsigned)b->img->serial);
        ca_name = vt_dn_parse(dn);
        snprintf(dn, sizeof(dn), ATTEST_DN, (unsigned)b->img->serial);
        name = vt_dn_parse(dn);
        f9->key = vt_key_generate(VT_ALG_P256);
        f9->alg = VT_ALG_P256;
        f9->generated = true;
        if (ca_key && ca_name && name && f9->key &&
            (b->attest_ca = vt_cert_make(ca_key, ca_name, NULL, NULL, CA_DAYS, 1)) &&
            (cert = vt_cert_make(f9->key, name, ca_key, b->attest_ca, CA_DAYS, 1)))
                r = vt_cert_der(cert, &f9->cert, &f9->cert_len);
        X509_free(cert);
        X509_NAME_free(name);
        X509_NAME_free(ca_name);
        EVP_PKEY_free(ca_key);
        return r < 0 ? fail(b, "cannot make the attestation key and certificate") : 0;
}

/* The certificate of a slot's key made by vtoken: issued by the CA (--ca, or the ecert profile's
 * test CA), else self-signed as yubico-piv-tool's selfsign-certificate makes one; subject
 * --subject, else "/CN=vtoken PURPOSE/O=vtoken". */
static int make_slot_cert(struct build *b, uint8_t ref, struct vt_slot *s)
{
        X509_NAME *own = NULL;
        const X509_NAME *subject = b->subject;
        char dn[128];
        X509 *cert;
        int r;

        if (!subject) {
                snprintf(dn, sizeof(dn), "/CN=vtoken %s/O=vtoken", vt_slot_purpose(ref));
                subject = own = vt_dn_parse(dn);
        }
        /* piv: what the slot is for, or what --eku asks; ecert: the e-Cert token's personal
         * certificates, for client authentication and mail alike */
        struct vt_cert_usage usage;
        if (b->p->test_ca)
                vt_general_usage(s->key, &usage);
        else
                vt_slot_usage(ref, s->key, &usage);
        for (size_t i = 0; i < b->o->n_eku; i++)
                if (b->o->eku[i].slot == ref)
                        usage.eku = b->o->eku[i].file;
        cert = subject ? vt_cert_make_usage(s->key, subject, b->ca_key, b->ca_cert, CERT_DAYS, 0,
                                            &usage)
                       : NULL;
        if (subject && !cert) {
                X509_NAME_free(own);
                return fail(b, "cannot make the certificate of slot %02x%s", ref,
                            usage.eku != NULL && b->o->n_eku ? " (is --eku a known usage?)" : "");
        }
        r = cert ? vt_cert_der(cert, &s->cert, &s->cert_len) : -1;
        X509_free(cert);
        X509_NAME_free(own);
        return r < 0 ? fail(b, "cannot make the certificate of slot %02x", ref) : 0;
}

static int generate_key(struct build *b, const struct vt_init_key *k)
{
        struct vt_slot *s = vt_piv_slot(b->piv, k->slot);

        if (!(s->key = vt_key_generate(k->alg)))
                return fail(b, "cannot generate a %s key", vt_alg_name(k->alg));
        s->alg = k->alg;
        s->generated = true;
        return make_slot_cert(b, k->slot, s);
}

static int check_keys(struct build *b)
{
        const struct vt_init_opts *o = b->o;
        bool used[256] = {false};

        if (o->n_generate > VT_SLOTS || o->n_import > VT_SLOTS)
                return refuse(b, "too many keys");
        for (size_t i = 0; i < o->n_generate + o->n_import; i++) {
                const struct vt_init_key *k =
                    i < o->n_generate ? &o->generate[i] : &o->import[i - o->n_generate];
                const struct piv_slot_info *info = piv_slot_info(k->slot);
                if (!info || !info->general_auth)
                        return refuse(b, "unknown slot %02x (9a, 9c, 9d, 9e or 82..95)", k->slot);
                if (used[k->slot])
                        return refuse(b, "slot %02x is given twice", k->slot);
                used[k->slot] = true;
                if (i < o->n_generate && !vt_alg_is_key(k->alg))
                        return refuse(b, "unknown algorithm for slot %02x", k->slot);
                if (i >= o->n_generate && !k->file)
                        return refuse(b, "no file for slot %02x", k->slot);
        }
        return 0;
}

/* An OpenPGP v4 fingerprint of an RSA key made at time t: SHA-1 of 99, the packet's length,
 * version 4, t, algorithm 1 and the MPIs of n and e (RFC 4880 12.2). */
static int pgp_fpr(EVP_PKEY *key, uint32_t t, uint8_t out[PGP_FPR_LEN])
{
        uint8_t pkt[3 + 6 + 2 * (2 + 512)], ne[512];
        const char *names[2] = {OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E};
        size_t n = 3;
        unsigned int len = 0;
        int r = 0;

        pkt[n++] = 4;
        for (int i = 0; i < 4; i++)
                pkt[n++] = (uint8_t)(t >> (24 - 8 * i));
        pkt[n++] = 1;
        for (int i = 0; i < 2 && r == 0; i++) {
                BIGNUM *bn = NULL;
                int bytes;
                if (EVP_PKEY_get_bn_param(key, names[i], &bn) != 1 ||
                    (bytes = BN_num_bytes(bn)) > (int)sizeof(ne)) {
                        r = -1;
                } else {
                        int bits = BN_num_bits(bn);
                        pkt[n++] = (uint8_t)(bits >> 8);
                        pkt[n++] = (uint8_t)bits;
                        BN_bn2bin(bn, ne);
                        memcpy(pkt + n, ne, (size_t)bytes);
                        n += (size_t)bytes;
                }
                BN_free(bn);
        }
        pkt[0] = 0x99;
        pkt[1] = (uint8_t)((n - 3) >> 8);
        pkt[2] = (uint8_t)(n - 3);
        if (r == 0 && EVP_Digest(pkt, n, out, &len, EVP_sha1(), NULL) != 1)
                r = -1;
        return r;
}

/* A test-CA profile on OpenPGP (ecert-openpgp): RSA-2048 keys in the three slots, made now,
 * with their fingerprints (OpenSC lists a key by it); the personal certificate, issued by the
 * test CA, for the authentication key in the first 7F21. */
static int openpgp_keys(struct build *b)
{
        struct vt_pgp_state *st = vt_image_state(b->img, &vt_unit_openpgp);
        const struct pgp_alg *rsa = pgp_alg_by_name("rsa2048");
        uint32_t now = (uint32_t)time(NULL);
        struct vt_cert_usage usage;
        uint8_t *der = NULL;
        size_t der_len = 0;
        X509 *cert;
        int r;

        if (!st || !b->p->test_ca)
                return 0;
        for (int i = 0; i < PGP_KEYS; i++) {
                struct pgp_key *k = &st->keys[i];
                if (!(k->key = pgp_key_generate(rsa)) || pgp_fpr(k->key, now, k->fpr) < 0)
                        return fail(b, "cannot generate the OpenPGP %s key", pgp_key_name(i));
                k->attr_len = pgp_attr_of_alg(rsa, i, k->attr);
                k->origin = 1;
                for (int j = 0; j < 4; j++)
                        k->time[j] = (uint8_t)(now >> (24 - 8 * j));
        }
        vt_general_usage(st->keys[PGP_AUT].key, &usage);
        cert = vt_cert_make_usage(st->keys[PGP_AUT].key, b->subject, b->ca_key, b->ca_cert,
                                  CERT_DAYS, 0, &usage);
        r = cert ? vt_cert_der(cert, &der, &der_len) : -1;
        X509_free(cert);
        if (r == 0 && pgp_state_set_do(st, PGP_DO_CERT_AUT, der, der_len) < 0)
                r = -1;
        free(der);
        return r < 0 ? fail(b, "cannot make the OpenPGP certificate") : 0;
}

static int keys(struct build *b)
{
        const struct vt_init_opts *o = b->o;
        const struct vt_init_key *gen = o->generate;
        size_t n_gen = o->n_generate;

        if (check_keys(b) < 0)
                return -1;
        if (o->subject && !(b->subject = vt_dn_parse(o->subject)))
                return refuse(b, "bad --subject '%s': use the /CN=.../O=... form", o->subject);
        if (!b->subject && b->p->test_ca && !(b->subject = vt_dn_parse(ECERT_HOLDER_DN)))
                return fail(b, "out of memory");
        if ((o->ca_key || o->ca_cert) && (!o->ca_key || !o->ca_cert))
                return refuse(b, "--ca needs KEY:CERT");
        if (o->ca_key ? load_ca(b) < 0 : b->p->test_ca && make_test_ca(b) < 0)
                return -1;
        for (size_t i = 0; i < o->n_import; i++)
                if (import_key(b, &o->import[i]) < 0)
                        return -1;
        if (!o->n_generate && !o->n_import) {
                gen = b->p->defaults;
                n_gen = b->p->n_defaults;
        }
        for (size_t i = 0; i < o->n_eku; i++) {
                bool made = false;
                for (size_t k = 0; k < n_gen; k++)
                        made |= gen[k].slot == o->eku[i].slot;
                if (!made)
                        return refuse(b, "--eku %02x: no certificate is generated for that slot",
                                      o->eku[i].slot);
        }
        for (size_t i = 0; i < n_gen; i++)
                if (generate_key(b, &gen[i]) < 0)
                        return -1;
        if (openpgp_keys(b) < 0)
                return -1;
        return make_attestation(b);
}

/* ---- placing the image ------------------------------------------------------------- */

static int save_cert(struct build *b, const char *name, X509 *cert)
{
        BIO *bio = NULL;
        char *pem;
        long n;
        int r = 0;

        if (!cert)
                return 0;
        if (!(bio = BIO_new(BIO_s_mem())) || !PEM_write_bio_X509(bio, cert) ||
            (n = BIO_get_mem_data(bio, &pem)) <= 0 ||
            vt_write_atomic(b->img->dir, name, pem, (size_t)n) < 0)
                r = fail(b, "%s/%s: %s", b->img->dir, name, strerror(errno));
        BIO_free(bio);
        return r;
}

static int write_contents(struct build *b)
{
        if (vt_image_save(b->img->dir, b->img) < 0)
                return fail(b, "%s: %s", b->img->dir, strerror(errno));
        if (save_cert(b, "attestation-ca.crt.pem", b->attest_ca) < 0)
                return -1;
        return save_cert(b, "ca.crt.pem", b->ca_cert);
}

/* The PIN envelope, added to the batch of the image's parent directory (written beside its
 * final name now, put in place by the batch's commit). */
static int write_envelope(struct build *b, const char *dir, struct vt_batch *batch,
                          const char *name)
{
        char text[1024];
        int n, r;

        n = snprintf(text, sizeof(text),
                     "vtoken PIN envelope (e-Cert token password)\n"
                     "Image: %s\n"
                     "Serial: %u\n"
                     "Initial PIN: %s\n"
                     "Change it on first use; %u wrong PINs lock the token.\n",
                     dir, (unsigned)b->img->serial, b->pin, b->piv->pin.max_tries);
        r = n < 0 || (size_t)n >= sizeof(text) ? -1 : vt_batch_write(batch, name, text, (size_t)n);
        OPENSSL_cleanse(text, sizeof(text));
        return r < 0 ? fail(b, "%s.pin-envelope.txt: %s", dir, strerror(errno)) : 0;
}

struct where {
        char path[PATH_MAX];   /* the image path without trailing slashes */
        char parent[PATH_MAX]; /* its directory */
        const char *base;      /* its last component, inside path */
        bool exists, replace;  /* a directory is there; it holds an image to replace */
};

static int locate(struct build *b, const char *dir, struct where *w)
{
        struct stat st;
        char card[PATH_MAX + 16];
        char *slash;
        int empty;

        if ((size_t)snprintf(w->path, sizeof(w->path), "%s", dir) >= sizeof(w->path))
                return fail(b, "%s: path too long", dir);
        for (size_t n = strlen(w->path); n > 1 && w->path[n - 1] == '/'; n--)
                w->path[n - 1] = '\0';
        slash = strrchr(w->path, '/');
        w->base = slash ? slash + 1 : w->path;
        if (!slash)
                snprintf(w->parent, sizeof(w->parent), ".");
        else
                snprintf(w->parent, sizeof(w->parent), "%.*s",
                         slash == w->path ? 1 : (int)(slash - w->path), w->path);
        if (!*w->base || !strcmp(w->base, ".") || !strcmp(w->base, ".."))
                return fail(b, "%s: not a usable image path", dir);
        if (lstat(w->path, &st) < 0) {
                if (errno != ENOENT)
                        return fail(b, "%s: %s", dir, strerror(errno));
                if (stat(w->parent, &st) < 0 || !S_ISDIR(st.st_mode))
                        return fail(b, "%s: no such directory to create the image in", w->parent);
                return 0;
        }
        w->exists = true;
        if (!S_ISDIR(st.st_mode))
                return fail(b, "%s exists and is not a directory", dir);
        if ((empty = vt_dir_is_empty(w->path)) < 0)
                return fail(b, "%s: %s", dir, strerror(errno));
        if (empty)
                return 0;
        if (!b->o->force)
                return fail(b, "%s exists (use --force to replace it)", dir);
        snprintf(card, sizeof(card), "%s/card.ini", w->path);
        if (access(card, F_OK) < 0)
                return fail(b, "%s is not a card image (no card.ini): not replacing it", dir);
        w->replace = true;
        return 0;
}

/* A new directory ".BASE.init-XXXXXX" of parentfd (its name in tmp), made 0700 and opened
 * without following a link. The descriptor, or -1 with errno set. */
static int make_tmp_dir(int parentfd, const char *base, char *tmp, size_t tmplen)
{
        static const char chars[] =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        struct stat st;
        int fd, made = -1;

        for (int tries = 0; made < 0 && tries < 100; tries++) {
                unsigned char rnd[6];
                char suffix[7];
                if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
                        errno = EIO;
                        return -1;
                }
                for (size_t i = 0; i < sizeof(rnd); i++)
                        suffix[i] = chars[rnd[i] % (sizeof(chars) - 1)];
                suffix[6] = '\0';
                if ((size_t)snprintf(tmp, tmplen, ".%s.init-%s", base, suffix) >= tmplen) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                if ((made = mkdirat(parentfd, tmp, 0700)) < 0 && errno != EEXIST)
                        return -1;
        }
        if (made < 0 || (fd = vt_tree_open(parentfd, tmp)) < 0)
                return -1;
        /* whatever took its name in between is not ours to fill */
        if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || fchmod(fd, 0700) < 0) {
                close(fd);
                errno = EPERM;
                return -1;
        }
        return fd;
}

/* Whether name in parentfd is (still) the directory open as fd. */
static bool is_entry(int parentfd, const char *name, int fd)
{
        struct stat a, b;

        return parentfd >= 0 && fd >= 0 && fstatat(parentfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
               fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The directory the image is written into: a new one beside the image (tmp names it in
 * parentfd), or, in a parent we may not write (a systemd StateDirectory), the empty image
 * directory itself, filled in place, card.ini last, and emptied again on failure (tmp is
 * then empty). Its descriptor, or -1 (said why). */
static int open_work_dir(struct build *b, const char *dir, int parentfd, const struct where *w,
                         char *tmp, size_t tmplen)
{
        int fd = make_tmp_dir(parentfd, w->base, tmp, tmplen);

        if (fd >= 0)
                return fd;
        if (!w->exists || w->replace || (errno != EACCES && errno != EPERM && errno != EROFS))
                return fail(b, "%s: cannot create a directory beside it: %s", dir, strerror(errno));
        tmp[0] = '\0';
        if ((fd = vt_tree_open(parentfd, w->base)) < 0 || fchmod(fd, 0700) < 0) {
                fail(b, "%s: %s", dir, strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        return fd;
}

/* Writes the image into a new directory beside `dir` and renames it into place (exchanging
 * it with the old image, open as held, under --force), so a failure leaves nothing behind.
 * Every creation, rename and removal is relative to the parent's descriptor or to the
 * directories' own, opened without following links: whoever may write the parent can move
 * the directories, never make a removal reach a directory vtoken did not make. */
static int put_in_place(struct build *b, const char *dir, const struct where *w, int held)
{
        char tmp[NAME_MAX + 1] = "", env[NAME_MAX + 1], path[PATH_MAX];
        bool envelope = !b->p->pin && !b->o->pin;
        struct vt_batch beside; /* the envelope, in the parent */
        int parentfd, workfd, r = -1;

        if ((size_t)snprintf(env, sizeof(env), "%s.pin-envelope.txt", w->base) >= sizeof(env))
                return fail(b, "%s: name too long", dir);
        if ((parentfd = open(w->parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
                return fail(b, "%s: %s", w->parent, strerror(errno));
        if ((workfd = open_work_dir(b, dir, parentfd, w, tmp, sizeof(tmp))) < 0) {
                close(parentfd);
                return -1;
        }
        vt_batch_init(&beside, parentfd);
        if ((size_t)snprintf(path, sizeof(path), "%s/%s", w->parent, tmp[0] ? tmp : w->base) >=
            sizeof(path)) {
                fail(b, "%s: path too long", dir);
                goto undo_tmp;
        }
        free(b->img->dir);
        if (!(b->img->dir = strdup(path))) {
                fail(b, "out of memory");
                goto undo_tmp;
        }
        if (write_contents(b) < 0)
                goto undo_tmp;
        if (envelope ? write_envelope(b, w->path, &beside, env) < 0
                     : w->replace && vt_batch_remove(&beside, env) < 0)
                goto undo_env;
        if (tmp[0]) {
                if (!is_entry(parentfd, tmp, workfd)) {
                        fail(b, "%s: %s/%s was moved while the image was written", dir, w->parent,
                             tmp);
                        goto undo_env;
                }
                if (renameat2(parentfd, tmp, parentfd, w->base, w->replace ? RENAME_EXCHANGE : 0) <
                    0) {
                        fail(b, "%s: %s", dir, strerror(errno));
                        goto undo_env;
                }
                if (w->replace) { /* tmp names the old image now, if no one moved it */
                        vt_tree_empty(held);
                        if (is_entry(parentfd, tmp, held))
                                unlinkat(parentfd, tmp, AT_REMOVEDIR);
                }
        }
        /* an envelope of a replaced image no longer tells a valid PIN; also fsyncs the parent */
        if (vt_batch_commit(&beside) < 0)
                fail(b, "warning: %s/%s: %s", w->parent, env, strerror(errno));
        r = 0;
        goto done;
undo_env:
        vt_batch_abort(&beside);
undo_tmp:
        vt_tree_empty(workfd);
        if (tmp[0] && is_entry(parentfd, tmp, workfd))
                unlinkat(parentfd, tmp, AT_REMOVEDIR);
done:
        close(workfd);
        close(parentfd);
        return r;
}

/* An image replaced under --force is locked until it is out of the way: a daemon serving it
 * would go on with the old secrets and overwrite the new ones. */
static int place(struct build *b, const char *dir)
{
        struct where w = {0};
        int held = -1, r;

        if (locate(b, dir, &w) < 0)
                return -1;
        if (w.replace) {
                if ((held = vt_dir_open(w.path, b->err, b->errlen)) < 0)
                        return -1;
                if (vt_dir_lock(held, w.path, b->err, b->errlen) < 0) {
                        close(held);
                        return -1;
                }
        }
        r = put_in_place(b, dir, &w, held);
        if (held >= 0)
                close(held);
        return r;
}

/* The caller's additions (opts->prepare), on the card as built, before anything is written. */
static int prepare(struct build *b)
{
        if (b->o->prepare && b->o->prepare(b->img, b->o->prepare_arg, b->err, b->errlen) < 0) {
                b->usage = true;
                return -1;
        }
        return 0;
}

int vt_image_create(const char *dir, const struct vt_init_opts *o, char *err, size_t errlen)
{
        struct build b = {.o = o, .err = err, .errlen = errlen};
        const char *name = o->profile ? o->profile : "piv";
        char names[256];
        int r = -1;

        vt_profile_names(names, sizeof(names));
        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
                if (!strcmp(profiles[i].name, name))
                        b.p = &profiles[i];
        if (!b.p)
                return refuse(&b, "unknown profile '%s' (%s)", name, names) - 1;
        if (!dir || !*dir)
                return fail(&b, "no image directory");
        if (!(b.img = vt_image_new(dir)))
                return fail(&b, "out of memory");
        if (identity(&b) == 0 && secrets(&b) == 0 && keys(&b) == 0 && settle_firmware(&b) == 0 &&
            prepare(&b) == 0 && place(&b, dir) == 0) {
                r = 0;
                if (o->firmware_out && o->firmware_out_len)
                        snprintf(o->firmware_out, o->firmware_out_len, "%u.%u.%u",
                                 b.img->version[0], b.img->version[1], b.img->version[2]);
                if (o->initial_pin && o->initial_pin_len && !b.p->pin && !o->pin)
                        snprintf(o->initial_pin, o->initial_pin_len, "%s", b.pin);
                else if (o->initial_pin && o->initial_pin_len)
                        o->initial_pin[0] = '\0';
        }
        OPENSSL_cleanse(b.pin, sizeof(b.pin));
        vt_image_free(b.img);
        vt_piv_state_free(b.own_piv);
        EVP_PKEY_free(b.ca_key);
        X509_free(b.ca_cert);
        X509_free(b.attest_ca);
        X509_NAME_free(b.subject);
        return r < 0 && b.usage ? -2 : r;
}

/* ---- checking an image against its profile ------------------------------------------ */

static const char *secret_short(const struct vt_secret *s)
{
        return s->tries_left < s->max_tries ? "has had wrong tries" : NULL;
}

int vt_profile_check(const char *name, const struct vt_image *img, char *why, size_t whylen)
{
        const struct profile *p = NULL;
        const char *bad = NULL, *what = NULL;

        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
                if (!strcmp(profiles[i].name, name))
                        p = &profiles[i];
        if (!p) {
                snprintf(why, whylen, "unknown profile '%s'", name);
                return -1;
        }
        const struct vt_applet_unit *units[VT_IMAGE_UNITS_MAX];
        size_t n_units = 0;
        bool has_piv = false, has_pgp = false;
        if (vt_units_parse(p->applets, units, VT_IMAGE_UNITS_MAX, &n_units, why, whylen) < 0)
                return -1;
        for (size_t i = 0; i < n_units; i++) {
                has_piv |= units[i] == &vt_unit_piv;
                has_pgp |= units[i] == &vt_unit_openpgp;
        }
        const struct vt_piv_state *piv = vt_piv_of(img);
        if (has_piv && !piv) {
                snprintf(why, whylen, "it has no PIV application");
                return -1;
        }
        if (has_piv) {
                if ((bad = secret_short(&piv->pin)))
                        what = "its PIV PIN";
                else if ((bad = secret_short(&piv->puk)))
                        what = "its PIV PUK";
                for (size_t i = 0; !bad && i < p->n_defaults; i++) {
                        bool key = false;
                        for (size_t k = 0; k < VT_SLOTS; k++)
                                key |=
                                    piv->slots[k].ref == p->defaults[i].slot && piv->slots[k].key;
                        if (!key) {
                                snprintf(why, whylen, "the PIV slot %02x has no key",
                                         p->defaults[i].slot);
                                return -1;
                        }
                }
        }
        if (!bad && has_pgp) {
                const struct vt_pgp_state *st = vt_pgp_of(img);
                if (!st) {
                        snprintf(why, whylen, "it has no OpenPGP application");
                        return -1;
                }
                if ((bad = secret_short(&st->pw1.s)))
                        what = "its OpenPGP PW1";
                else if ((bad = secret_short(&st->pw3.s)))
                        what = "its OpenPGP PW3 (admin PIN)";
                else if (st->rc.len && (bad = secret_short(&st->rc.s)))
                        what = "its OpenPGP resetting code";
                for (int i = 0; !bad && p->test_ca && i < PGP_KEYS; i++)
                        if (!st->keys[i].key) {
                                snprintf(why, whylen, "the OpenPGP %s key is missing",
                                         pgp_key_name(i));
                                return -1;
                        }
        }
        if (bad) {
                snprintf(why, whylen, "%s %s", what, bad);
                return -1;
        }
        return 0;
}

/* ---- describing a profile ----------------------------------------------------------- */

static void put(char *out, size_t n, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *out, size_t n, size_t *at, const char *fmt, ...)
{
        va_list ap;
        int w;

        if (*at >= n)
                return;
        va_start(ap, fmt);
        w = vsnprintf(out + *at, n - *at, fmt, ap);
        va_end(ap);
        *at = w < 0 ? n : *at + (size_t)w;
}

int vt_profile_describe(const char *name, char *out, size_t n)
{
        const struct vt_applet_unit *units[VT_IMAGE_UNITS_MAX];
        const struct profile *p = NULL;
        size_t n_units = 0, at = 0;
        char why[128];

        for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
                if (!strcmp(profiles[i].name, name))
                        p = &profiles[i];
        if (!p || !n ||
            vt_units_parse(p->applets, units, VT_IMAGE_UNITS_MAX, &n_units, why, sizeof(why)) < 0)
                return -1;
        out[0] = '\0';
        bool pin = false; /* PIV's PIN and OpenPGP's PW1; OATH and FIDO have none to begin */
        for (size_t i = 0; i < n_units; i++) {
                put(out, n, &at, "%s%s", i ? " + " : "", units[i]->title);
                pin |= units[i] == &vt_unit_piv || units[i] == &vt_unit_openpgp;
        }
        if (!pin)
                put(out, n, &at, "; no PIN");
        else if (p->pin)
                put(out, n, &at, "; PIN %s, %u tries", p->pin, p->pin_tries);
        else
                put(out, n, &at, "; a random %u-character %sPIN in an envelope, %u tries",
                    p->rules.max_len, p->rules.charset == VT_PIN_CHARS_STRONG ? "strong " : "",
                    p->pin_tries);
        for (size_t i = 0; i < p->n_defaults; i++)
                put(out, n, &at, "%s %02x %s", i ? "," : "; keys", p->defaults[i].slot,
                    vt_alg_name(p->defaults[i].alg));
        if (p->test_ca)
                put(out, n, &at, "; certificates from a test CA");
        if (p->atr == openpgp_atr)
                put(out, n, &at, "; an OpenPGP card's ATR");
        return at < n ? 0 : -1;
}
