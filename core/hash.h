/* An intrusive chained hash table: objects embed a node, so one object can
 * sit in several tables (by name, by ID, by handle) without extra
 * allocations. The table grows by doubling; lookups are O(1) on average. */
#ifndef L2TP_HASH_H
#define L2TP_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct l2tp_hnode {
	struct l2tp_hnode *next;
	uint64_t hash;
};

struct l2tp_htable {
	struct l2tp_hnode **buckets;
	size_t nbuckets; /* power of two, or 0 before the first insert */
	size_t count;
};

/* eq compares the node's key with the key the caller looks for. */
typedef bool (*l2tp_heq_fn)(const struct l2tp_hnode *node, const void *key);

uint64_t l2tp_hash_u64(uint64_t v);
uint64_t l2tp_hash_str(const char *s);

void l2tp_htable_init(struct l2tp_htable *t);
void l2tp_htable_fini(struct l2tp_htable *t);
/* Returns -ENOMEM when growing fails; the node is then not inserted. */
int l2tp_htable_insert(struct l2tp_htable *t, struct l2tp_hnode *n, uint64_t hash);
struct l2tp_hnode *l2tp_htable_find(const struct l2tp_htable *t, uint64_t hash, l2tp_heq_fn eq,
				    const void *key);
void l2tp_htable_remove(struct l2tp_htable *t, struct l2tp_hnode *n);

#define l2tp_container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
