// dlclose() must run the handlers this library registered with
// __cxa_atexit (its static objects' destructors), or exit() would call them
// after their code is unmapped. GCC's crtbeginS.o does this from its
// .fini_array entry; Zig's link for the portable builds has no such entry,
// so the library does it itself. A second call finds nothing left to run.
// (A Windows DLL's C runtime runs them itself when the DLL is unloaded.)
#ifndef _WIN32
extern "C" {
extern void* __dso_handle;
void __cxa_finalize(void* dso);
}

namespace {

__attribute__((destructor)) void run_this_librarys_exit_handlers()
{
    __cxa_finalize(&__dso_handle);
}

} // namespace

#endif
