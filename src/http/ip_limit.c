#include "http/ip_limit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* Buckets of a chained map; an address's entry lives while it has connections, so the map
 * holds at most one entry per open connection. */
enum { BUCKETS = 4096 };

struct ip_entry {
    char ip[IP_TEXT_MAX];
    unsigned n;
    struct ip_entry *next;
};

struct ip_limit {
    pthread_mutex_t mu;
    unsigned max;
    const struct trusted_proxies *proxies;
    struct ip_entry *buckets[BUCKETS];
};

static size_t bucket_of(const char *ip)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)ip; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % BUCKETS);
}

/* The entry's link in its bucket, or the bucket's end. Under l->mu. */
static struct ip_entry **find(struct ip_limit *l, const char *ip)
{
    struct ip_entry **e = &l->buckets[bucket_of(ip)];
    while (*e && strcmp((*e)->ip, ip) != 0)
        e = &(*e)->next;
    return e;
}

struct ip_limit *ip_limit_new(unsigned max_per_ip, const struct trusted_proxies *proxies)
{
    struct ip_limit *l = xcalloc(1, sizeof(*l));
    pthread_mutex_init(&l->mu, NULL);
    l->max = max_per_ip;
    l->proxies = proxies;
    return l;
}

void ip_limit_free(struct ip_limit **lp)
{
    struct ip_limit *l = *lp;
    if (!l)
        return;
    for (size_t i = 0; i < BUCKETS; i++) {
        for (struct ip_entry *e = l->buckets[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    }
    pthread_mutex_destroy(&l->mu);
    free(l);
    *lp = NULL;
}

bool ip_limit_admit(struct ip_limit *l, const char *ip, bool *counted)
{
    *counted = false;
    if (!l->max || !ip[0] || strlen(ip) >= IP_TEXT_MAX || reqid_is_trusted_proxy(l->proxies, ip))
        return true;
    pthread_mutex_lock(&l->mu);
    struct ip_entry **link = find(l, ip);
    bool admit = !*link || (*link)->n < l->max;
    if (admit && !*link) {
        *link = xcalloc(1, sizeof(**link));
        memcpy((*link)->ip, ip, strlen(ip) + 1);
    }
    if (admit)
        (*link)->n++;
    pthread_mutex_unlock(&l->mu);
    *counted = admit;
    return admit;
}

void ip_limit_release(struct ip_limit *l, const char *ip)
{
    pthread_mutex_lock(&l->mu);
    struct ip_entry **link = find(l, ip);
    struct ip_entry *e = *link;
    if (e && --e->n == 0) {
        *link = e->next;
        free(e);
    }
    pthread_mutex_unlock(&l->mu);
}

unsigned ip_limit_count(struct ip_limit *l, const char *ip)
{
    pthread_mutex_lock(&l->mu);
    struct ip_entry *e = *find(l, ip);
    unsigned n = e ? e->n : 0;
    pthread_mutex_unlock(&l->mu);
    return n;
}
