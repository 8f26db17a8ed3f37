#include "hash.h"

#include <errno.h>
#include <stdlib.h>

uint64_t l2tp_hash_u64(uint64_t v)
{
	/* splitmix64 finaliser: IDs are often sequential, buckets must not be. */
	v ^= v >> 30;
	v *= 0xbf58476d1ce4e5b9ULL;
	v ^= v >> 27;
	v *= 0x94d049bb133111ebULL;
	v ^= v >> 31;
	return v;
}

uint64_t l2tp_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return l2tp_hash_u64(h);
}

void l2tp_htable_init(struct l2tp_htable *t)
{
	t->buckets = NULL;
	t->nbuckets = 0;
	t->count = 0;
}

void l2tp_htable_fini(struct l2tp_htable *t)
{
	free(t->buckets);
	l2tp_htable_init(t);
}

static int grow(struct l2tp_htable *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : 16;
	struct l2tp_hnode **b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct l2tp_hnode *node = t->buckets[i];
		while (node) {
			struct l2tp_hnode *next = node->next;
			size_t j = node->hash & (n - 1);
			node->next = b[j];
			b[j] = node;
			node = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

int l2tp_htable_insert(struct l2tp_htable *t, struct l2tp_hnode *n, uint64_t hash)
{
	if (t->count + 1 > t->nbuckets) {
		int rc = grow(t);
		if (rc)
			return rc;
	}
	n->hash = hash;
	size_t i = hash & (t->nbuckets - 1);
	n->next = t->buckets[i];
	t->buckets[i] = n;
	t->count++;
	return 0;
}

struct l2tp_hnode *l2tp_htable_find(const struct l2tp_htable *t, uint64_t hash, l2tp_heq_fn eq,
				    const void *key)
{
	if (!t->nbuckets)
		return NULL;
	for (struct l2tp_hnode *n = t->buckets[hash & (t->nbuckets - 1)]; n; n = n->next)
		if (n->hash == hash && eq(n, key))
			return n;
	return NULL;
}

void l2tp_htable_remove(struct l2tp_htable *t, struct l2tp_hnode *n)
{
	if (!t->nbuckets)
		return;
	struct l2tp_hnode **pp = &t->buckets[n->hash & (t->nbuckets - 1)];
	for (; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			t->count--;
			return;
		}
	}
}
