// oneDNN's C API (Debian's libdnnl-dev ships no pkg-config file, so the module map links `dnnl` directly).
#include <oneapi/dnnl/dnnl.h>
