// Cairo, with its PDF and SVG surfaces. Only the CairoRender module imports this.
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
// fontconfig, which Cairo's toy font API resolves family names with: asked which face a family gets, so that
// a font that is not installed is an error instead of a silent substitute.
#include <fontconfig/fontconfig.h>
// zlib's CRC-32, for the PNG chunk Cairo does not write (pHYs: the resolution).
#include <zlib.h>
