/* SPDX-License-Identifier: GPL-2.0 */
#ifndef RVMM_DRIVER_H
#define RVMM_DRIVER_H

#include <rvmm/dt.h>

struct rvmm_driver {
	const char *name;
	int (*probe)(const struct dt_info *dt);	/* -ENODEV: not present */
	void (*poll)(void);			/* serve_loop() work */
};

#define RVMM_DRIVER(n, p, pl)						\
	static const struct rvmm_driver __drv_##n			\
		__section("rvmm_drivers") __used __aligned(8) = {	\
		.name = #n, .probe = p, .poll = pl }

#endif
