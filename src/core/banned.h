/*
 * banned.h: functions that invite buffer overflows or silent parse errors.
 * Included last by every source file of the library, so any use of them is a
 * compile error. Use snprintf, memcpy with a checked length, and the checked
 * number parsers in src/core/number.h instead.
 */
#ifndef LATHE_BANNED_H
#define LATHE_BANNED_H

#define LATHE__BANNED(func) sorry_##func##_is_banned_in_lathe

#undef strcpy
#define strcpy(...) LATHE__BANNED(strcpy)
#undef strcat
#define strcat(...) LATHE__BANNED(strcat)
#undef sprintf
#define sprintf(...) LATHE__BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) LATHE__BANNED(vsprintf)
#undef strtok
#define strtok(...) LATHE__BANNED(strtok)
#undef atoi
#define atoi(...) LATHE__BANNED(atoi)
#undef atol
#define atol(...) LATHE__BANNED(atol)
#undef atof
#define atof(...) LATHE__BANNED(atof)
#undef gets
#define gets(...) LATHE__BANNED(gets)

#endif
