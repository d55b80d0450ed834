/*
 * sniff.c: guessing a table's format from its first bytes, for inputs whose
 * name says nothing (standard input, unknown extensions).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "data/readers.h"

#include "core/banned.h"

/* "LABEL INDEX:VALUE ..." on the first line. */
static bool looks_like_libsvm(const char *p, const char *end)
{
    const char *line_end = memchr(p, '\n', (size_t)(end - p));
    if (!line_end)
        line_end = end;
    const char *space = memchr(p, ' ', (size_t)(line_end - p));
    if (!space || space == p)
        return false;
    const char *colon = memchr(space, ':', (size_t)(line_end - space));
    if (!colon)
        return false;
    for (const char *q = space + 1; q < colon; q++) {
        if (!isdigit((unsigned char)*q))
            return false;
    }
    return colon > space + 1 && memchr(p, ',', (size_t)(line_end - p)) == NULL;
}

lathe_format lathe__sniff_format(const char *data, size_t size)
{
    const char *p = data, *end = data + size;
    if (size >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    while (p < end && isspace((unsigned char)*p))
        p++;
    if (p == end)
        return LATHE_FORMAT_CSV;
    if (*p == '{' || *p == '[')
        return LATHE_FORMAT_JSON;
    if (*p == '%' || ((size_t)(end - p) >= 9 && strncasecmp(p, "@relation", 9) == 0))
        return LATHE_FORMAT_ARFF;
    if (looks_like_libsvm(p, end))
        return LATHE_FORMAT_LIBSVM;
    return LATHE_FORMAT_CSV;
}
