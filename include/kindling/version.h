/* SPDX-License-Identifier: MIT */
#ifndef KINDLING_VERSION_H
#define KINDLING_VERSION_H

#define KD_VERSION_MAJOR 0
#define KD_VERSION_MINOR 1
#define KD_VERSION_PATCH 0
#define KD_VERSION_HEX                                                         \
	((KD_VERSION_MAJOR << 16) | (KD_VERSION_MINOR << 8) | KD_VERSION_PATCH)

#endif
