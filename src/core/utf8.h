/* utf8.h: UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF). */
#ifndef LATHE_UTF8_H
#define LATHE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True if text[0..length) is valid UTF-8; otherwise *bad_offset is the first bad byte. */
bool lathe__utf8_valid(const char *text, size_t length, size_t *bad_offset);

#endif
