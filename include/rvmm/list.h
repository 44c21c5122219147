/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_LIST_H
#define RVMM_LIST_H

#include <rvmm/types.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(n) { &(n), &(n) }

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l->prev = l;
}

static inline void list_add(struct list_head *n, struct list_head *head)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

static inline void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

static inline bool list_empty(const struct list_head *l)
{
	return l->next == l;
}

#define list_first_entry(head, type, member) container_of((head)->next, type, member)

#endif
