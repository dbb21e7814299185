/* SPDX-License-Identifier: Apache-2.0 */
#include "fault.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
