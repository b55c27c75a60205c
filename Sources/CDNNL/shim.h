// oneDNN's C API (Debian's libdnnl-dev ships no pkg-config file, so the module map links `dnnl` directly).
#include <oneapi/dnnl/dnnl.h>

// oneDNN 2.6 as packaged by Debian threads with OpenMP (libgomp). `omp.h` lives in GCC's private include
// directory, which Swift's clang does not search, so the two entry points used are declared here.
int omp_get_max_threads(void);
void omp_set_num_threads(int threads);
