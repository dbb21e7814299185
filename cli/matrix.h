/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken matrix's results and the reports made of them (matrix_report.c): JSON, JUnit XML and
 * a self-contained HTML page. */
#ifndef VT_MATRIX_H
#define VT_MATRIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One run of COMMAND: a personality, with a timing when the matrix has that axis. */
struct vt_matrix_result {
        const char *name;        /* "piv", or "piv timing=yubikey5" */
        const char *personality; /* "piv" */
        const char *timing;      /* NULL: the card's own */
        bool ran;                /* false: the matrix was stopped before it started */
        int status;              /* vtoken run's exit status (128+N: signal N) */
        double seconds;          /* wall time, the card's copy included */
        char *output;            /* COMMAND's and vtoken run's stdout and stderr, in order */
        size_t output_len;
};

struct vt_matrix_report {
        const struct vt_matrix_result *rows;
        size_t n;
        char *const *command; /* COMMAND and its arguments, NULL-terminated */
        unsigned jobs;
        double seconds; /* the whole matrix's wall time */
        long started;   /* time(NULL) at the start */
};

static inline bool vt_matrix_passed(const struct vt_matrix_result *r)
{
        return r->ran && r->status == 0;
}

/* Each writes the report to f; 0, or -1 when f reports a write error. */
int vt_matrix_write_json(FILE *f, const struct vt_matrix_report *m);
int vt_matrix_write_junit(FILE *f, const struct vt_matrix_report *m);
int vt_matrix_write_html(FILE *f, const struct vt_matrix_report *m);

#endif
