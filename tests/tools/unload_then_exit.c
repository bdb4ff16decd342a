/* Loads the library, calls into it, unloads it and exits: the exit must
 * not run handlers the library registered (its static objects' destructors)
 * after their code is gone. Usage: unload_then_exit <path to libfwm.so>. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char** argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: unload_then_exit <libfwm.so>\n");
        return 2;
    }
    void* lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    const char* (*version)(void);
    const char* (*status)(int);
    /* POSIX's way to take a function from dlsym() without a cast ISO C forbids. */
    *(void**)(&version) = dlsym(lib, "fwm_version_string");
    *(void**)(&status) = dlsym(lib, "fwm_status_string");
    if (!version || !status) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 1;
    }
    printf("loaded %s (%s)\n", version(), status(0));
    if (dlclose(lib) != 0) {
        fprintf(stderr, "dlclose: %s\n", dlerror());
        return 1;
    }
    printf("unloaded\n");
    return 0;
}
