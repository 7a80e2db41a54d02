#ifndef QNLIVE_HTTP_IP_LIMIT_H
#define QNLIVE_HTTP_IP_LIMIT_H

/* The cap on connections per client address. libmicrohttpd has one, but it applies to every
 * peer alike: behind a load balancer all the clients share the balancer's address, and the cap
 * would limit the whole service. Here the trusted proxies (httpq.trusted_proxies) are not
 * capped; every other address is. Thread-safe. */

#include <stdbool.h>

#include "http/reqid.h"

enum { IP_TEXT_MAX = 46 }; /* INET6_ADDRSTRLEN */

struct ip_limit;

/* At most max_per_ip connections per address (0: no cap); `proxies` is borrowed and must
 * outlive the limit. */
struct ip_limit *ip_limit_new(unsigned max_per_ip, const struct trusted_proxies *proxies);

/* Frees the limit; accepts NULL and NULLs the pointer. */
void ip_limit_free(struct ip_limit **lp);

/* A new connection from ip (text form): false when the address is at its cap. When admitted,
 * *counted tells whether ip_limit_release must be called when the connection closes. */
bool ip_limit_admit(struct ip_limit *l, const char *ip, bool *counted);

/* A counted connection from ip closed. */
void ip_limit_release(struct ip_limit *l, const char *ip);

/* Connections counted for ip now (tests and metrics). */
unsigned ip_limit_count(struct ip_limit *l, const char *ip);

#endif
