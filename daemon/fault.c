/* SPDX-License-Identifier: Apache-2.0 */
#include "fault.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT_MAX    1000000
#define DELAY_MAX_US (3600ULL * 1000000ULL)

static bool parse_hex(const char *s, size_t digits, unsigned long *out)
{
        char *end;
        if (strlen(s) != digits || strspn(s, "0123456789abcdefABCDEF") != digits)
                return false;
        *out = strtoul(s, &end, 16);
        return *end == '\0';
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
        char *end;
        if (!*s || strspn(s, "0123456789") != strlen(s))
                return false;
        errno = 0;
        *out = strtoul(s, &end, 10);
        return !errno && *out <= max;
}

/* "500ms", "2s", "1.5s", "250" (milliseconds) */
static bool parse_time(const char *s, uint64_t *us)
{
        char *end;
        if (!*s || !strchr("0123456789.", *s))
                return false;
        errno = 0;
        double v = strtod(s, &end);
        double scale;
        if (strcmp(end, "") == 0 || strcmp(end, "ms") == 0)
                scale = 1000;
        else if (strcmp(end, "s") == 0)
                scale = 1000000;
        else if (strcmp(end, "us") == 0)
                scale = 1;
        else
                return false;
        if (errno || v < 0 || v * scale > (double)DELAY_MAX_US)
                return false;
        *us = (uint64_t)(v * scale);
        return true;
}

int fault_parse(char *const *words, size_t n, struct fault *out, char *err, size_t errlen)
{
        struct fault f = {.ins = -1, .p1 = -1, .p2 = -1, .count = 1};
        unsigned long v;
        size_t i = 1;
        if (n == 0) {
                snprintf(err, errlen,
                         "missing fault: sw XXXX, delay TIME, drop, write-fail or clear");
                return -1;
        }
        const char *kind = words[0];
        if (strcmp(kind, "sw") == 0) {
                if (n < 2 || !parse_hex(words[1], 4, &v)) {
                        snprintf(err, errlen,
                                 "sw needs a status word of 4 hex digits, e.g. sw 6A82");
                        return -1;
                }
                f.kind = FAULT_SW;
                f.sw = (uint16_t)v;
                i = 2;
        } else if (strcmp(kind, "delay") == 0) {
                if (n < 2 || !parse_time(words[1], &f.delay_us)) {
                        snprintf(err, errlen,
                                 "delay needs a time up to 1 hour, e.g. delay 500ms or delay 2s");
                        return -1;
                }
                f.kind = FAULT_DELAY;
                i = 2;
        } else if (strcmp(kind, "drop") == 0) {
                f.kind = FAULT_DROP;
        } else if (strcmp(kind, "write-fail") == 0) {
                f.kind = FAULT_WRITE_FAIL;
        } else {
                snprintf(err, errlen,
                         "unknown fault '%.64s': expected sw, delay, drop, write-fail or clear",
                         kind);
                return -1;
        }
        bool counted = false;
        for (; i < n; i++) {
                const char *opt = words[i], *arg = i + 1 < n ? words[i + 1] : NULL;
                int *header = strcmp(opt, "--ins") == 0  ? &f.ins
                              : strcmp(opt, "--p1") == 0 ? &f.p1
                              : strcmp(opt, "--p2") == 0 ? &f.p2
                                                         : NULL;
                if (strcmp(opt, "--sticky") == 0 && !counted) {
                        f.sticky = counted = true;
                } else if (strcmp(opt, "--count") == 0 && !counted && arg &&
                           parse_uint(arg, COUNT_MAX, &v) && v > 0) {
                        f.count = (unsigned)v;
                        counted = true;
                        i++;
                } else if (header && arg && parse_hex(arg, 2, &v)) {
                        *header = (int)v;
                        i++;
                } else {
                        snprintf(err, errlen,
                                 "bad option '%.64s': expected --count N (1-%d) or --sticky (one "
                                 "of them), --ins XX, --p1 XX, --p2 XX (2 hex digits each)",
                                 opt, COUNT_MAX);
                        return -1;
                }
        }
        *out = f;
        return 0;
}

int faults_add(struct faults *fs, const struct fault *f)
{
        if (fs->n == FAULTS_MAX)
                return -1;
        fs->list[fs->n++] = *f;
        return 0;
}

int faults_find(const struct faults *fs, const uint8_t *cmd, size_t len, bool write_fail)
{
        for (size_t i = 0; i < fs->n; i++) {
                const struct fault *f = &fs->list[i];
                if ((f->kind == FAULT_WRITE_FAIL) != write_fail)
                        continue;
                if ((f->ins >= 0 && (len < 2 || cmd[1] != f->ins)) ||
                    (f->p1 >= 0 && (len < 3 || cmd[2] != f->p1)) ||
                    (f->p2 >= 0 && (len < 4 || cmd[3] != f->p2)))
                        continue;
                return (int)i;
        }
        return -1;
}

void faults_spend(struct faults *fs, size_t i)
{
        if (i >= fs->n || fs->list[i].sticky || --fs->list[i].count > 0)
                return;
        memmove(&fs->list[i], &fs->list[i + 1], (fs->n - i - 1) * sizeof(fs->list[0]));
        fs->n--;
}

void fault_describe(const struct fault *f, int with_count, char *buf, size_t n)
{
        int k = 0;
        switch (f->kind) {
        case FAULT_SW:
                k = snprintf(buf, n, "sw %04X", f->sw);
                break;
        case FAULT_DELAY:
                k = snprintf(buf, n, "delay %" PRIu64 " ms", f->delay_us / 1000);
                break;
        case FAULT_DROP:
                k = snprintf(buf, n, "drop");
                break;
        case FAULT_WRITE_FAIL:
                k = snprintf(buf, n, "write-fail");
                break;
        }
        if (k < 0 || (size_t)k >= n || !with_count)
                return;
        char only[32] = "";
        size_t used = 0;
        const struct {
                const char *name;
                int v;
        } header[] = {{"INS", f->ins}, {"P1", f->p1}, {"P2", f->p2}};
        for (size_t h = 0; h < 3; h++)
                if (header[h].v >= 0 && used < sizeof(only))
                        used += (size_t)snprintf(only + used, sizeof(only) - used, "%s%s %02X",
                                                 used ? " " : "", header[h].name, header[h].v);
        if (f->sticky)
                k += snprintf(buf + k, n - (size_t)k, " (sticky");
        else
                k += snprintf(buf + k, n - (size_t)k, " (%u left", f->count);
        if (k > 0 && (size_t)k < n)
                snprintf(buf + k, n - (size_t)k, "%s%s%s)", only[0] ? ", " : "", only,
                         only[0] ? " only" : "");
}

static int fault_commit(void *ctx, const struct vt_applet_unit *unit, const void *change)
{
        struct fault_store *fs = ctx;
        if (fs->armed) {
                fs->armed = false;
                fs->fired = true;
                return -EIO;
        }
        return vt_store_commit(&fs->inner, unit, change);
}

static const struct vt_store_ops fault_ops = {.commit = fault_commit};

struct vt_store fault_store(struct fault_store *fs)
{
        struct vt_store s = {&fault_ops, fs};
        return s;
}
