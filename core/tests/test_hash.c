#include <stdlib.h>

#include "check.h"
#include "hash.h"

struct item {
	struct l2tp_hnode node;
	uint64_t key;
};

static bool item_eq(const struct l2tp_hnode *n, const void *key)
{
	return l2tp_container_of(n, struct item, node)->key == *(const uint64_t *)key;
}

static void insert_find_remove_many(void)
{
	enum { N = 5000 };
	struct l2tp_htable t;
	struct item *items = calloc(N, sizeof(*items));
	l2tp_htable_init(&t);
	for (uint64_t i = 0; i < N; i++) {
		items[i].key = i * 7;
		CHECK_EQ(l2tp_htable_insert(&t, &items[i].node, l2tp_hash_u64(items[i].key)), 0);
	}
	CHECK_EQ(t.count, N);
	int found = 0;
	for (uint64_t i = 0; i < N; i++) {
		uint64_t k = i * 7;
		struct l2tp_hnode *n = l2tp_htable_find(&t, l2tp_hash_u64(k), item_eq, &k);
		if (n && l2tp_container_of(n, struct item, node) == &items[i])
			found++;
	}
	CHECK_EQ(found, N);
	uint64_t missing = 3;
	CHECK(l2tp_htable_find(&t, l2tp_hash_u64(missing), item_eq, &missing) == NULL);
	for (uint64_t i = 0; i < N; i += 2)
		l2tp_htable_remove(&t, &items[i].node);
	CHECK_EQ(t.count, N / 2);
	uint64_t k0 = 0, k1 = 7;
	CHECK(l2tp_htable_find(&t, l2tp_hash_u64(k0), item_eq, &k0) == NULL);
	CHECK(l2tp_htable_find(&t, l2tp_hash_u64(k1), item_eq, &k1) != NULL);
	l2tp_htable_fini(&t);
	free(items);
}

static void same_hash_different_keys(void)
{
	/* Collisions must be told apart by the key, not the hash. */
	struct l2tp_htable t;
	struct item a = {.key = 1}, b = {.key = 2};
	l2tp_htable_init(&t);
	l2tp_htable_insert(&t, &a.node, 42);
	l2tp_htable_insert(&t, &b.node, 42);
	uint64_t k = 2;
	CHECK(l2tp_htable_find(&t, 42, item_eq, &k) == &b.node);
	k = 1;
	CHECK(l2tp_htable_find(&t, 42, item_eq, &k) == &a.node);
	l2tp_htable_fini(&t);
}

int main(void)
{
	RUN(insert_find_remove_many);
	RUN(same_hash_different_keys);
	return check_report();
}
