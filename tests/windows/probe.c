/* Loads libfwm.dll as the check's shim does on Windows, and collects once.
 *
 *   probe.exe <libfwm.dll> <folder of the OpenSSL DLLs> <client config JSON file>
 *
 * The OpenSSL DLLs live apart from libfwm.dll, as the Agent keeps them in
 * embedded3\DLLs: the folder is added with AddDllDirectory and the DLL is
 * loaded with the shim's LoadLibraryEx flags (binding.py), so a missing
 * import fails here as it would in the Agent. Prints the status, the
 * library's message and the summary JSON; exits 0 when the collection
 * succeeded. The client config comes from a file: the API key it holds is
 * never printed. */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwm/fwm.h"

typedef const char* (*version_string_fn)(void);
typedef const char* (*status_name_fn)(int);
typedef fwm_status (*client_create_fn)(const char*, fwm_client**);
typedef const char* (*client_message_fn)(const fwm_client*);
typedef fwm_status (*client_collect_fn)(fwm_client*, const char*, fwm_result**);
typedef void (*client_free_fn)(fwm_client*);
typedef const char* (*result_message_fn)(const fwm_result*);
typedef fwm_status (*result_summary_fn)(const fwm_result*, const char**, size_t*);
typedef void (*result_free_fn)(fwm_result*);

static wchar_t* wide(const char* s)
{
    const int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t* w = (wchar_t*)calloc((size_t)n, sizeof *w);
    if (w)
        MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
    return w;
}

static char* read_file(const char* path)
{
    FILE* f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char* text = (char*)malloc((size_t)size + 1);
    if (text && fread(text, 1, (size_t)size, f) == (size_t)size)
        text[size] = '\0';
    else {
        free(text);
        text = NULL;
    }
    fclose(f);
    return text;
}

/* p_<name>: the export <name>, looked up by name as ctypes does. */
#define LOOKUP(type, name)                                                                                            \
    type p_##name = (type)(void (*)(void))GetProcAddress(lib, #name);                                              \
    if (!p_##name) {                                                                                                  \
        printf("probe: %s is not exported\n", #name);                                                               \
        return 3;                                                                                                     \
    }

int main(int argc, char** argv)
{
    if (argc != 4) {
        printf("usage: probe <libfwm.dll> <OpenSSL DLL folder> <client config JSON file>\n");
        return 2;
    }
    wchar_t* dll = wide(argv[1]);
    wchar_t* folder = wide(argv[2]);
    /* As the shim: os.add_dll_directory (AddDllDirectory), then ctypes.CDLL(full path, winmode=flags). */
    if (!dll || !folder || !AddDllDirectory(folder)) {
        printf("probe: cannot add %s to the DLL search path (error %lu)\n", argv[2], GetLastError());
        return 3;
    }
    HMODULE lib = LoadLibraryExW(dll, NULL, LOAD_LIBRARY_SEARCH_DEFAULT_DIRS | LOAD_LIBRARY_SEARCH_DLL_LOAD_DIR);
    if (!lib) {
        printf("probe: LoadLibraryEx(%s) failed with error %lu\n", argv[1], GetLastError());
        return 3;
    }
    LOOKUP(version_string_fn, fwm_version_string)
    LOOKUP(status_name_fn, fwm_status_name)
    LOOKUP(client_create_fn, fwm_client_create)
    LOOKUP(client_message_fn, fwm_client_message)
    LOOKUP(client_collect_fn, fwm_client_collect)
    LOOKUP(client_free_fn, fwm_client_free)
    LOOKUP(result_message_fn, fwm_result_message)
    LOOKUP(result_summary_fn, fwm_result_summary)
    LOOKUP(result_free_fn, fwm_result_free)
    printf("version: %s\n", p_fwm_version_string());

    char* config = read_file(argv[3]);
    if (!config) {
        printf("probe: cannot read %s\n", argv[3]);
        return 2;
    }
    fwm_client* client = NULL;
    fwm_status status = p_fwm_client_create(config, &client);
    memset(config, 0, strlen(config)); /* the key is not kept longer than needed */
    if (status != FWM_OK) {
        printf("create: %s: %s\n", p_fwm_status_name(status), p_fwm_client_message(client));
        p_fwm_client_free(client);
        return 1;
    }
    fwm_result* result = NULL;
    status = p_fwm_client_collect(client, "{\"samples\":false,\"max_errors\":8}", &result);
    printf("collect: %s: %s\n", p_fwm_status_name(status), result ? p_fwm_result_message(result) : "");
    const char* summary = NULL;
    size_t size = 0;
    if (result && p_fwm_result_summary(result, &summary, &size) == FWM_OK)
        printf("summary: %.*s\n", (int)size, summary);
    p_fwm_result_free(result);
    p_fwm_client_free(client);
    fflush(stdout);
    /* FreeLibrary: the DLL's threads and static objects must let go cleanly. */
    if (!FreeLibrary(lib)) {
        printf("probe: FreeLibrary failed with error %lu\n", GetLastError());
        return 4;
    }
    printf("unloaded\n");
    return status == FWM_OK ? 0 : 1;
}
