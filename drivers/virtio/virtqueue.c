// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue (virtio 1.2 §2.7), used synchronously: one request (a
 * device-readable descriptor chained to a device-writable one) in flight,
 * completion polled on the used ring with a timeout. Rings and bounce
 * buffers come from the page allocator (GFP_KERNEL, so never from
 * hot-pluggable memory), and their bus address is their physical address.
 * An answer is waited for as long as it takes (with a warning now and
 * then): the queue is given up only when the device breaks the protocol.
 *
 * Layout of the ring page for num <= 64: descriptors at 0 (16 * num),
 * avail ring at 1024 (6 + 2 * num), used ring at 2048 (6 + 8 * num).
 */
#include <string.h>
#include <rvmm/io.h>
#include <rvmm/mm.h>
#include <rvmm/printk.h>
#include <rvmm/virtio.h>

#define AVAIL_OFF	1024
#define USED_OFF	2048
#define IN_OFF		(PAGE_SIZE / 2)	/* response half of the bounce page */

int virtqueue_setup(struct virtqueue *vq, struct virtio_device *vd, u16 index)
{
	u16 max = virtio_queue_max(vd, index), num = VIRTQ_MAX_SIZE;
	phys_addr_t pa;

	_Static_assert(AVAIL_OFF >= 16 * VIRTQ_MAX_SIZE, "descriptors overlap avail");
	_Static_assert(USED_OFF >= AVAIL_OFF + 6 + 2 * VIRTQ_MAX_SIZE, "avail overlaps used");
	_Static_assert(USED_OFF + 6 + 8 * VIRTQ_MAX_SIZE <= PAGE_SIZE, "used ring too big");
	memset(vq, 0, sizeof(*vq));
	if (!max)
		return -ENOENT;
	while (num > max)	/* split queue sizes are powers of two */
		num >>= 1;
	vq->ring_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	vq->buf_page = alloc_pages(GFP_KERNEL | __GFP_ZERO, 0);
	if (!vq->ring_page || !vq->buf_page) {
		virtqueue_destroy(vq);
		return -ENOMEM;
	}
	pa = page_to_phys(vq->ring_page);
	vq->vd = vd;
	vq->index = index;
	vq->num = num;
	vq->desc = page_address(vq->ring_page);
	vq->avail = (void *)((u8 *)vq->desc + AVAIL_OFF);
	vq->used = (void *)((u8 *)vq->desc + USED_OFF);
	/* We poll for completions: ask the device not to interrupt for them. */
	vq->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	vq->notify_addr = virtio_queue_enable(vd, index, num, pa, pa + AVAIL_OFF, pa + USED_OFF);
	if (!vq->notify_addr) {
		virtqueue_destroy(vq);
		return -EIO;
	}
	return 0;
}

/* Only after a device reset: the device must not touch the pages again. */
void virtqueue_destroy(struct virtqueue *vq)
{
	if (vq->ring_page)
		free_page(vq->ring_page);
	if (vq->buf_page)
		free_page(vq->buf_page);
	vq->ring_page = vq->buf_page = NULL;
	vq->broken = true;
}

static void kick(struct virtqueue *vq, u16 head)
{
	vq->avail->ring[vq->avail_idx % vq->num] = head;
	/* Descriptors and ring entry before the index that publishes them. */
	dma_wmb();
	vq->avail_idx++;
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	/*
	 * Publish the index before reading the device's suppression flag;
	 * the full fence also orders every ring write before the doorbell.
	 */
	mb();
	if (!(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY)) {
		writew(vq->index, vq->notify_addr);
		vq->nr_notifies++;
	}
}

/*
 * Wait for the used ring to move. A slow host is not a broken one: past
 * @warn_us keep waiting, saying so every @warn_us, and mark the answer
 * late so that the caller can check what the device did (vq->late).
 * vq->test_hold_us (self-tests) makes one answer look that much later.
 */
static void wait_used(struct virtqueue *vq, unsigned long warn_us)
{
	unsigned long start = time_us(), hold = vq->test_hold_us, next = start + warn_us;

	vq->test_hold_us = 0;
	vq->late = false;
	for (;;) {
		unsigned long now = time_us();

		/*
		 * The warning first: a hart that did not run for a while (a busy
		 * host) may only look again once the answer is there, and an
		 * answer first seen past @warn_us is late all the same.
		 */
		if (now >= next) {
			vq->late = true;
			pr_warn("virtqueue %u: no answer for %lu ms, still waiting\n", vq->index,
				(now - start) / 1000);
			next = now + warn_us;
		}
		if (READ_ONCE(vq->used->idx) != vq->last_used && now >= start + hold)
			return;
	}
}

int virtqueue_exec(struct virtqueue *vq, const void *out, u32 out_len, void *in,
		   u32 in_len, unsigned long warn_us)
{
	u8 *buf;
	phys_addr_t pa;
	struct virtq_used_elem e;
	u16 head = 0;

	if (vq->broken)
		return -EIO;
	if (!out_len || out_len > IN_OFF || in_len > PAGE_SIZE - IN_OFF)
		return -EINVAL;
	buf = page_address(vq->buf_page);
	pa = page_to_phys(vq->buf_page);
	memcpy(buf, out, out_len);
	memset(buf + IN_OFF, 0, in_len);
	vq->desc[0] = (struct virtq_desc){ pa, out_len, in_len ? VIRTQ_DESC_F_NEXT : 0, 1 };
	vq->desc[1] = (struct virtq_desc){ pa + IN_OFF, in_len, VIRTQ_DESC_F_WRITE, 0 };
	kick(vq, head);
	vq->nr_requests++;
	wait_used(vq, warn_us);
	/* The used entry and the response after the index that announced them. */
	dma_rmb();
	e = vq->used->ring[vq->last_used % vq->num];
	vq->last_used++;
	if (e.id != head || e.len > in_len) {
		pr_err("virtqueue %u: device returned id %u len %u (expected id %u, len <= %u)\n",
		       vq->index, e.id, e.len, head, in_len);
		vq->broken = true;
		return -EIO;
	}
	memcpy(in, buf + IN_OFF, e.len);
	return (int)e.len;
}
