// Cairo, with its PDF and SVG surfaces. Only the CairoRender module imports this.
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
