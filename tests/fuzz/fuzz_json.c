/* fuzz_json.c: libFuzzer target for the JSON reader (JSON lines and arrays of records); see
 * reader_fuzz.h. */
#include "reader_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const columns[5] = {"a", "b", "c", "d", "e"};
    return fuzz_reader(data, size, LATHE_FORMAT_JSON, "fuzz.json", columns);
}
