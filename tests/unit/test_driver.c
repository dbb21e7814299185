/* SPDX-License-Identifier: Apache-2.0 */
/* vtoken's reader driver (libifdvtoken.so) as pcscd drives it, against vtokend's own end of the
 * link (daemon/drvlink.c): this test loads the driver and calls its IFDH* entry points from a
 * thread of its own, as pcscd's threads do, while the main thread runs vtokend's event loop.
 * The reader comes up empty before vtokend listens and gets its card when vtokend does; power,
 * APDUs, removal and insertion (the polling function returns at once), a vtokend that dies with
 * a command in flight (the command fails, the card is gone, pcscd is not blocked), and one that
 * comes back. DEVICENAME's form is checked, and the capabilities pcscd reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ifdhandler.h>

#include "drvlink.h"
#include "peer.h"

struct ifd {
        void *so;
        RESPONSECODE (*create)(DWORD, LPSTR);
        RESPONSECODE (*close)(DWORD);
        RESPONSECODE (*caps)(DWORD, DWORD, PDWORD, PUCHAR);
        RESPONSECODE (*power)(DWORD, DWORD, PUCHAR, PDWORD);
        RESPONSECODE(*transmit)
        (DWORD, SCARD_IO_HEADER, PUCHAR, DWORD, PUCHAR, PDWORD, PSCARD_IO_HEADER);
        RESPONSECODE (*presence)(DWORD);
        RESPONSECODE (*wait_event)(DWORD, int);
};

static struct ifd ifd;
static sd_event *ev;
static char dir[64], path[128], device[160];
static bool pending; /* vtokend answers the next APDU later (never, here) */

static size_t h_apdu(void *u, const uint8_t *cmd, size_t len, uint8_t *out)
{
        (void)u;
        (void)len;
        if (pending)
                return LINK_APDU_PENDING;
        out[0] = cmd[1];
        out[1] = 0x90;
        out[2] = 0x00;
        return 3;
}

static size_t h_atr(void *u, uint8_t *out)
{
        (void)u;
        memcpy(out, "\x3b\x88\x01\x50\x49\x56", 6);
        return 6;
}

static void h_power(void *u, enum link_power p)
{
        (void)u;
        (void)p;
}

static struct link *serve(void)
{
        const struct link_handler h = {.apdu = h_apdu, .atr = h_atr, .power = h_power};
        struct link *l = NULL;
        char err[256];
        assert_int_equal(drv_link_new(ev, "c", path, VT_UID_NONE, &h, &l, err, sizeof(err)), 0);
        return l;
}

/* ---- a driver call in a thread of its own, vtokend's loop in this one ---- */

struct call {
        pthread_t t;
        atomic_bool done;
        RESPONSECODE rc;
        int what; /* 0 power up, 1 transmit, 2 presence, 3 wait for event (1 s) */
        UCHAR buf[300];
        DWORD len;
};

static void *run_call(void *arg)
{
        struct call *c = arg;
        SCARD_IO_HEADER pci = {.Protocol = 1, .Length = 8};
        UCHAR apdu[] = {0x00, 0xCA, 0x00, 0x00};
        c->len = sizeof(c->buf);
        switch (c->what) {
        case 0:
                c->rc = ifd.power(0, IFD_POWER_UP, c->buf, &c->len);
                break;
        case 1:
                c->rc = ifd.transmit(0, pci, apdu, sizeof(apdu), c->buf, &c->len, NULL);
                break;
        case 2:
                c->rc = ifd.presence(0);
                break;
        default:
                c->rc = ifd.wait_event(0, 1000);
                break;
        }
        atomic_store(&c->done, true);
        return NULL;
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Runs a driver call to its end while vtokend's loop runs; how long it took in ms. */
static double call(struct call *c, int what)
{
        memset(c, 0, sizeof(*c));
        c->what = what;
        double start = now_ms();
        assert_int_equal(pthread_create(&c->t, NULL, run_call, c), 0);
        while (!atomic_load(&c->done)) {
                sd_event_run(ev, 1000);
                assert_true(now_ms() - start < 5000);
        }
        pthread_join(c->t, NULL);
        return now_ms() - start;
}

/* Waits until the reader reports present (or not), vtokend's loop running. */
static void until_presence(RESPONSECODE want)
{
        struct call c;
        for (int i = 0; i < 100; i++) {
                call(&c, 2);
                if (c.rc == want)
                        return;
                call(&c, 3); /* the polling function: back at once on a change */
        }
        fail_msg("the reader never reported %ld", (long)want);
}

static int setup(void **state)
{
        (void)state;
        ifd.so = dlopen(VT_DRIVER_SO, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(ifd.so);
        *(void **)&ifd.create = dlsym(ifd.so, "IFDHCreateChannelByName");
        *(void **)&ifd.close = dlsym(ifd.so, "IFDHCloseChannel");
        *(void **)&ifd.caps = dlsym(ifd.so, "IFDHGetCapabilities");
        *(void **)&ifd.power = dlsym(ifd.so, "IFDHPowerICC");
        *(void **)&ifd.transmit = dlsym(ifd.so, "IFDHTransmitToICC");
        *(void **)&ifd.presence = dlsym(ifd.so, "IFDHICCPresence");
        assert_true(ifd.create && ifd.close && ifd.caps && ifd.power && ifd.transmit &&
                    ifd.presence);
        assert_null(dlsym(ifd.so, "vtl_driver_take")); /* only the IFDH* calls are exported */
        snprintf(dir, sizeof(dir), "/tmp/vt-driver.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/c.sock", dir);
        snprintf(device, sizeof(device), "unix:%s:user=0", path);
        assert_int_equal(sd_event_new(&ev), 0);
        return 0;
}

static int teardown(void **state)
{
        (void)state;
        sd_event_unref(ev);
        rmdir(dir);
        dlclose(ifd.so);
        return 0;
}

static void device_names(void **state)
{
        (void)state;
        assert_int_not_equal(ifd.create(0, "/run/vtoken/c.sock"), IFD_SUCCESS); /* no unix: */
        assert_int_not_equal(ifd.create(0, "unix:relative.sock"), IFD_SUCCESS);
        assert_int_not_equal(ifd.create(0, "unix:/x.sock:user=no-such-user-here"), IFD_SUCCESS);
        assert_int_equal(ifd.create(0, "unix:/x.sock:user=root"), IFD_SUCCESS);
        assert_int_equal(ifd.close(0), IFD_SUCCESS);
}

static void capabilities(void **state)
{
        (void)state;
        assert_int_equal(ifd.create(0x10000, device), IFD_SUCCESS); /* the second reader */
        UCHAR v[16];
        DWORD n = sizeof(v);
        assert_int_equal(ifd.caps(0x10000, TAG_IFD_SIMULTANEOUS_ACCESS, &n, v), IFD_SUCCESS);
        assert_int_equal(n, 1);
        assert_int_equal(v[0], 16);
        n = sizeof(v);
        assert_int_equal(ifd.caps(0x10000, TAG_IFD_POLLING_THREAD_KILLABLE, &n, v), IFD_SUCCESS);
        assert_int_equal(v[0], 1);
        n = sizeof(v);
        assert_int_equal(ifd.caps(0x10000, TAG_IFD_POLLING_THREAD_WITH_TIMEOUT, &n, v),
                         IFD_SUCCESS);
        assert_int_equal(n, sizeof(void *));
        memcpy(&ifd.wait_event, v, sizeof(void *));
        assert_int_equal(ifd.presence(0), IFD_COMMUNICATION_ERROR); /* no reader 0 */
        assert_int_equal(ifd.close(0x10000), IFD_SUCCESS);
}

static void life_of_a_card(void **state)
{
        (void)state;
        struct call c;
        assert_int_equal(ifd.create(0, device), IFD_SUCCESS);
        call(&c, 2);
        assert_int_equal(c.rc, IFD_ICC_NOT_PRESENT); /* no vtokend yet */
        struct link *l = serve();                    /* the socket appears: the card is in */
        until_presence(IFD_ICC_PRESENT);
        call(&c, 0);
        assert_int_equal(c.rc, IFD_SUCCESS);
        assert_int_equal(c.len, 6);
        assert_memory_equal(c.buf, "\x3b\x88\x01\x50\x49\x56", 6);
        call(&c, 1);
        assert_int_equal(c.rc, IFD_SUCCESS);
        assert_int_equal(c.len, 3);
        assert_memory_equal(c.buf, "\xca\x90\x00", 3);

        /* removed and inserted: the polling function returns as soon as it happens */
        link_remove(l);
        double t = call(&c, 3);
        assert_true(t < 500);
        until_presence(IFD_ICC_NOT_PRESENT);
        link_insert(l);
        until_presence(IFD_ICC_PRESENT);

        /* vtokend dies with a command in flight: it fails, the card is gone */
        pending = true;
        memset(&c, 0, sizeof(c));
        c.what = 1;
        assert_int_equal(pthread_create(&c.t, NULL, run_call, &c), 0);
        double start = now_ms();
        while (now_ms() - start < 100)
                sd_event_run(ev, 10000); /* the APDU arrives and waits */
        assert_false(atomic_load(&c.done));
        link_free(l);
        pthread_join(c.t, NULL);
        assert_int_equal(c.rc, IFD_COMMUNICATION_ERROR);
        pending = false;
        call(&c, 2);
        assert_int_equal(c.rc, IFD_ICC_NOT_PRESENT);

        /* a new vtokend: the card is back */
        l = serve();
        until_presence(IFD_ICC_PRESENT);
        call(&c, 1);
        assert_int_equal(c.rc, IFD_SUCCESS);
        assert_int_equal(ifd.close(0), IFD_SUCCESS); /* the driver's thread stops */
        link_free(l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(device_names),
            cmocka_unit_test(capabilities),
            cmocka_unit_test(life_of_a_card),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
