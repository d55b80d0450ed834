/* export.h: marks the symbols liblathe exports; everything else is hidden. */
#ifndef LATHE_EXPORT_H
#define LATHE_EXPORT_H

#if defined(__GNUC__)
#define LATHE_API __attribute__((visibility("default")))
#else
#define LATHE_API
#endif

#endif
