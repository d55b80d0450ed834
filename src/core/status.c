/* status.c: the text of each status code, generated from LATHE_STATUS_MAP. */
#include "lathe/status.h"

#include "core/banned.h"

const char *lathe_strerror(lathe_status status)
{
    static const char *const texts[] = {
#define LATHE__STATUS_TEXT(name, text) text,
        LATHE_STATUS_MAP(LATHE__STATUS_TEXT)
#undef LATHE__STATUS_TEXT
    };
    if ((unsigned)status >= LATHE_STATUS_COUNT)
        return "unknown status";
    return texts[status];
}
