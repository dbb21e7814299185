/* SPDX-License-Identifier: Apache-2.0 */
/* What unit codecs share (applet/registry.h's struct vt_unit_codec): reading a file through
 * the store's reader with a message naming it, INI parsing with the line in the message,
 * value parsers, and PEM in memory. Pure: the store does the file I/O. */
#ifndef VT_CODEC_H
#define VT_CODEC_H

#include "registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* Reads file name of card's image through rd: 1 read (data malloc'ed and NUL-terminated: the
 * caller wipes and frees it), 0 absent, -1 (message "dir/name: reason" in err). */
int vt_codec_read(const struct vt_codec_reader *rd, const struct vt_image *card, const char *name,
                  uint8_t **data, size_t *len, char *err, size_t errlen);

/* An INI parse: the handler refuses a line with vt_ini_fail (the reason), which makes the
 * message "path:N: reason". */
struct vt_ini {
        char reason[200];
        void *user;
        int line; /* the line the handler is given */
};
typedef int (*vt_ini_handler)(struct vt_ini *ini, const char *section, const char *key,
                              const char *value);
/* Records why a line is refused; returns 0 (what an inih handler returns to stop). */
int vt_ini_fail(struct vt_ini *ini, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What an image file must hold beyond what its handler checks line by line: each section
 * named section (or, when section ends in a space, each whose name begins with it, "slot ")
 * must have every key of keys (space-separated; "name|name_hex" takes either). A rule with
 * required set names a section the file must have. A table ends with a row of NULL section. */
struct vt_ini_rule {
        const char *section;
        const char *keys;
        bool required;
};
struct vt_ini_spec {
        const struct vt_ini_rule *rules; /* NULL: none */
        /* keys whose value may go on over the lines that follow (indented, or the key again),
         * space-separated; every other key given twice in a section is refused */
        const char *continued;
};

/* Parses text (len bytes, NUL at len) of the file path names, strictly: every line whole (the
 * last one too: a file cut short is refused), no control bytes, no line longer than inih
 * reads, no section twice, no key twice in a section (but spec's continued ones), and spec's
 * rules (NULL: none). 0 or -1 (message "path:N: what is wrong; how to fix" in err). */
int vt_ini_parse(const char *path, const char *text, size_t len, const struct vt_ini_spec *spec,
                 vt_ini_handler h, void *user, char *err, size_t errlen);
/* Reads file name through rd and parses it, wiping the text after. 0, 1 when absent and
 * optional, -1 (message in err; an absent required file too). */
int vt_ini_read(const struct vt_codec_reader *rd, const struct vt_image *card, const char *name,
                bool optional, const struct vt_ini_spec *spec, vt_ini_handler h, void *user,
                char *err, size_t errlen);

/* Value parsers: 0, or -1 when v is not one. */
int vt_parse_uint(const char *v, unsigned long max, unsigned long *out);
int vt_hexval(char c);
/* Hex bytes; spaces and colons between bytes are allowed. */
int vt_parse_hex(const char *v, uint8_t *out, size_t cap, size_t *len);
int vt_parse_hex_exact(const char *v, uint8_t *out, size_t n);
/* yes|true|1, no|false|0 */
int vt_parse_bool(const char *v, bool *out);
/* x.y.z, each 0..255 */
int vt_parse_version(const char *v, uint8_t out[3]);

/* An unencrypted PEM private key in memory; NULL when it is none. */
EVP_PKEY *vt_pem_key(const uint8_t *data, size_t len);
/* The DER bytes of a PEM "CERTIFICATE" block (whatever they are); 0 or -1. */
int vt_pem_cert(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len);
/* Puts a private key as PKCS#8 PEM (NULL: removes the file). 0 or a negative errno. */
int vt_sink_key(const struct vt_codec_sink *sink, const char *name, EVP_PKEY *key);
/* Puts DER bytes as a PEM "CERTIFICATE" block (NULL: removes the file). 0 or a negative
 * errno. */
int vt_sink_cert(const struct vt_codec_sink *sink, const char *name, const uint8_t *der,
                 size_t len);
/* Puts a text (freeing it): 0 or a negative errno (-ENOMEM when the text failed). */
int vt_sink_text(const struct vt_codec_sink *sink, const char *name, struct vt_text *t);

#endif
