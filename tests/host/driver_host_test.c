// SPDX-License-Identifier: GPL-2.0
/* The kernel's "drivers" suite (matching, deferral) under ASan/UBSan. */
#include "../kernel/driver_test.c"
