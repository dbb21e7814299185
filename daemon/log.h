/* SPDX-License-Identifier: Apache-2.0 */
/* Logging: to the journal with structured fields when stderr is connected to journald,
 * else to stderr. Never pass a secret. */
#ifndef VT_LOG_H
#define VT_LOG_H

#include <syslog.h>

void vt_log_init(int max_level);
void vt_log_set_level(int max_level);
int vt_log_level_from_string(const char *s); /* -1 when unknown */
/* card and vpcd may be NULL. */
void vt_log(int level, const char *card, const char *vpcd, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define log_error(...) vt_log(LOG_ERR, NULL, NULL, __VA_ARGS__)
#define log_warn(...)  vt_log(LOG_WARNING, NULL, NULL, __VA_ARGS__)
#define log_info(...)  vt_log(LOG_INFO, NULL, NULL, __VA_ARGS__)
#define log_debug(...) vt_log(LOG_DEBUG, NULL, NULL, __VA_ARGS__)

#endif
