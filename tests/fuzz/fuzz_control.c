/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: a request of the control socket, from its bytes to what the daemon would
 * do. The bytes arrive in pieces, as reads of the socket return them, into a connection's
 * buffer; control_input() (daemon/control.c) decides when they make a line, and
 * request_parse() (daemon/request.c) what that line asks, against a daemon serving the
 * cards card0 and card1. Nothing is carried out.
 *
 * Input: one byte, the largest piece a read returns (0: as much as fits), then the bytes the
 * client sends before it shuts its side down.
 *
 * Checked beside the sanitizers: a line is decided at the latest when the buffer is full; a
 * parsed request names a served card (or none for status), a trace file is an absolute path
 * inside the line, a fault's count and INS are in range; an error has a reason. */
#include "control.h"
#include "request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* two cards: request.c only compares their addresses and names */
static char card_storage[2];
#define CARD(i) ((struct served_card *)(void *)&card_storage[i])
static const char *const names[2] = {"card0", "card1"};

static struct served_card *nth(void *ctx, size_t i, const char **name)
{
        (void)ctx;
        if (i >= 2)
                return NULL;
        if (name)
                *name = names[i];
        return CARD(i);
}

static void check_request(const struct request *req, const char *in, size_t len)
{
        char what[96];
        if ((req->verb == REQUEST_STATUS) != (req->card == NULL))
                abort();
        if (req->card && req->card != CARD(0) && req->card != CARD(1))
                abort();
        if (req->path && (req->path < in || req->path >= in + len || req->path[0] != '/'))
                abort();
        if (req->verb == REQUEST_FAULT) {
                if (req->fault.count < 1 || req->fault.count > 1000000 || req->fault.ins < -1 ||
                    req->fault.ins > 0xFF)
                        abort();
                fault_describe(&req->fault, 1, what, sizeof(what));
                if (!memchr(what, '\0', sizeof(what)))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const struct card_lookup lookup = {NULL, nth};
        char in[CONTROL_LINE_MAX + 1], err[256];
        size_t piece, len = 0, sent = 0;
        enum control_input state = CONTROL_MORE;
        struct request req;
        if (size < 1)
                return 0;
        piece = data[0] ? data[0] : sizeof(in);
        data++;
        size--;
        while (state == CONTROL_MORE) {
                size_t n = size - sent < piece ? size - sent : piece;
                if (n > sizeof(in) - 1 - len)
                        n = sizeof(in) - 1 - len;
                if (n == 0 && sent < size)
                        abort(); /* the buffer is full, and still no decision */
                if (n == 0 && len == 0)
                        return 0; /* nothing came: the connection is just closed */
                memcpy(in + len, data + sent, n);
                len += n;
                sent += n;
                in[len] = '\0';
                state = control_input(in, len, n == 0);
        }
        if (state != CONTROL_LINE)
                return 0;
        err[0] = '\0';
        if (request_parse(&lookup, in, &req, err, sizeof(err)) < 0) {
                if (!err[0] || !memchr(err, '\0', sizeof(err)))
                        abort();
                return 0;
        }
        check_request(&req, in, sizeof(in));
        return 0;
}
