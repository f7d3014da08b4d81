/* lib/core/version.c: what the linked library is, for callers built against
 * another header (kd_schema_version() lives with the schema in schema.c). */
#include "internal.h"

#define KD__STR(x) #x
#define KD__XSTR(x) KD__STR(x)

uint32_t kd_version(void)
{
	return KD_VERSION_HEX;
}

const char *kd_version_string(void)
{
	return KD__XSTR(KD_VERSION_MAJOR) "." KD__XSTR(KD_VERSION_MINOR) "." KD__XSTR(KD_VERSION_PATCH);
}
